"""An executed review notebook becomes one self-contained HTML page: code hidden, the
widget panel and every script gone, text escaped, nothing loaded from outside.

The notebooks here are built cell by cell with the outputs a run would give, so no
kernel is started.
"""

from __future__ import annotations

import stat
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import (
    new_code_cell,
    new_markdown_cell,
    new_notebook,
    new_output,
)

from perfeval.run.export import ReviewExporter, export_html, external_references

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
SCORE_TABLE = (
    '<table class="pe-scores"><tr><th>指标名称</th><th>复核得分</th></tr>'
    "<tr><td>预算执行率</td><td>8</td></tr>"
    "<tr><td>&lt;script&gt;备注&lt;/script&gt;</td><td>5</td></tr></table>"
)


def executed_notebook(*, failed: bool = False) -> nbformat.NotebookNode:
    """What papermill leaves after running a review notebook (with a widget panel)."""
    nb = new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["papermill"] = {
        "parameters": {"form_path": "/forms/古美路.txt", "sheet": None, "params_dir": "params"},
        "exception": failed,
    }
    nb.metadata["widgets"] = {WIDGET_STATE: {"state": {"abc": {"model_name": "IntSliderModel"}}}}
    nb.cells = [
        new_markdown_cell("# 项目绩效自评复核"),
        new_code_cell('form_path = "x.txt"', metadata={"tags": ["parameters"]}),
        new_code_cell(
            'form_path = "/forms/古美路.txt"', metadata={"tags": ["injected-parameters"]}
        ),
        new_code_cell(
            "render.html(render.score_table(review))",
            execution_count=3,
            outputs=[
                new_output("display_data", data={"text/html": SCORE_TABLE, "text/plain": "<HTML>"})
            ],
        ),
        new_code_cell(
            "print(remark); review.status",
            execution_count=4,
            outputs=[
                new_output("stream", name="stdout", text="<script>alert('备注')</script>\n"),
                new_output(
                    "execute_result",
                    data={"text/plain": "'<b>未开始</b> & 复核中'"},
                    execution_count=4,
                ),
                new_output(
                    "display_data",
                    data={"application/javascript": "fetch('https://cdn.example.com/x.js')"},
                ),
            ],
        ),
        new_code_cell(
            "panel.widget",
            execution_count=5,
            metadata={"tags": ["interactive"]},
            outputs=[
                new_output(
                    "execute_result",
                    data={WIDGET_VIEW: {"model_id": "abc"}, "text/plain": "VBox(逐项复核面板)"},
                    execution_count=5,
                )
            ],
        ),
        new_code_cell(
            "other_widget",
            execution_count=6,
            outputs=[
                new_output(
                    "display_data",
                    data={WIDGET_VIEW: {"model_id": "def"}, "text/plain": "IntSlider(未打标签)"},
                )
            ],
        ),
    ]
    if failed:
        nb.cells[4].outputs.append(
            new_output(
                "error",
                ename="RuntimeError",
                evalue="读不到表<x>",
                traceback=["\x1b[0;31mRuntimeError\x1b[0m: 读不到表<x>"],
            )
        )
    return nb


@pytest.fixture(scope="module")
def exporter() -> ReviewExporter:
    return ReviewExporter()


@pytest.fixture(scope="module")
def page(exporter: ReviewExporter) -> str:
    return exporter.export(executed_notebook(), title="组团式服务<联系>群众专项 & 复核")


def test_page_is_self_contained(page: str) -> None:
    assert external_references(page) == []
    assert "http:" not in page and "https:" not in page and "//cdn" not in page
    assert "<script" not in page  # no require.js, MathJax, widget manager or JS outputs
    assert "<link" not in page and "@import" not in page
    assert "mathjax" not in page.lower() and "require.js" not in page


def test_page_is_a_whole_document_with_an_escaped_title(page: str) -> None:
    assert page.lstrip().startswith("<!DOCTYPE html>")
    assert '<html lang="zh-CN">' in page
    assert "<title>组团式服务&lt;联系&gt;群众专项 &amp; 复核</title>" in page
    assert page.rstrip().endswith("</html>")


def test_code_and_prompts_are_hidden(page: str) -> None:
    assert "render.score_table" not in page
    assert "form_path" not in page
    assert "In&nbsp;[" not in page and "Out[" not in page


def test_outputs_are_kept_and_text_is_escaped(page: str) -> None:
    assert SCORE_TABLE in page  # the notebook's own HTML, already escaped, is not touched
    assert "&lt;script&gt;alert(" in page and "<script>alert" not in page
    assert "&lt;b&gt;未开始&lt;/b&gt; &amp;" in page and "<b>未开始</b>" not in page


def test_widget_panel_and_widget_views_are_dropped(page: str) -> None:
    assert "逐项复核面板" not in page  # the interactive cell
    assert "未打标签" not in page  # a widget view in an untagged cell
    assert "widget" not in page.lower()


def test_the_notebook_itself_is_left_alone(exporter: ReviewExporter) -> None:
    nb = executed_notebook()
    before = nbformat.writes(nb)
    exporter.export(nb, title="项目")
    assert nbformat.writes(nb) == before  # the executed notebook keeps its widget panel


def test_page_prints_on_a4(page: str) -> None:
    assert "@page { size: A4; margin: 15mm; }" in page
    assert "overflow: hidden" not in page


def test_failure_banner_and_error_output(exporter: ReviewExporter) -> None:
    page = exporter.export(
        executed_notebook(failed=True),
        title="项目",
        failure="In [4] 出错：RuntimeError: 读不到表<x>",
    )
    assert "复核未完成" in page
    assert "In [4] 出错：RuntimeError: 读不到表&lt;x&gt;" in page
    assert "\x1b" not in page  # the traceback's colours are turned into HTML
    assert external_references(page) == []


def test_export_html_writes_a_readable_file(tmp_path: Path) -> None:
    notebook = tmp_path / "review.ipynb"
    nbformat.write(executed_notebook(failed=True), notebook)

    html_path = export_html(notebook)

    assert html_path == tmp_path / "review.html"
    text = html_path.read_text(encoding="utf-8")
    assert "<title>绩效自评复核 - 古美路</title>" in text
    assert "复核未完成" in text  # papermill marked the run as failed
    assert stat.S_IMODE(html_path.stat().st_mode) & 0o044  # readable by others: it is shared
    assert sorted(p.name for p in tmp_path.iterdir()) == ["review.html", "review.ipynb"]


@pytest.mark.parametrize(
    ("snippet", "expected"),
    [
        (
            '<script src="https://cdn.jsdelivr.net/npm/x.js"></script>',
            ["https://cdn.jsdelivr.net/npm/x.js"],
        ),
        (
            '<link rel="stylesheet" href="//cdnjs.cloudflare.com/a.css">',
            ["//cdnjs.cloudflare.com/a.css"],
        ),
        (
            "<style>@import url('http://fonts.example/a.css');</style>",
            ["http://fonts.example/a.css"],
        ),
        (
            '<div style="background: url(https://x.example/b.png)"></div>',
            ["https://x.example/b.png"],
        ),
        ("<img src='file:///etc/logo.png'>", ["file:///etc/logo.png"]),
        ('<img src="data:image/png;base64,AAAA">', []),
        ('<a href="#papermill-error-cell">In [3]</a>', []),
        ('<a href="2020-项目-57791c/review.html">项目</a>', []),
        ("<p>见 https://example.com 的说明</p>", []),  # text, not a reference
    ],
)
def test_external_references(snippet: str, expected: list[str]) -> None:
    assert external_references(snippet) == expected
