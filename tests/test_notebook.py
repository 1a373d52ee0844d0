"""notebooks/review.ipynb: its shape, and papermill running it headless on every example form."""

from __future__ import annotations

import ast
import html
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from seedforms import seed

from perfeval.read.forms import find_form_files, read_form
from perfeval.review.store import AdjustmentStore

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "notebooks" / "review.ipynb"
EXAMPLES = REPO / "examples"
EXAMPLE_FORMS = find_form_files(EXAMPLES)
REASON = "合计96分隐含“政策知晓率”得7分；已核对知晓率问卷，达到目标"


def cells() -> list[nbformat.NotebookNode]:
    return list(nbformat.read(NOTEBOOK, as_version=4).cells)


def tagged(tag: str) -> list[nbformat.NotebookNode]:
    return [cell for cell in cells() if tag in cell.metadata.get("tags", [])]


def run_papermill(cwd: Path, *parameters: str, timeout: float = 180) -> nbformat.NotebookNode:
    """``papermill notebooks/review.ipynb out.ipynb -p …`` in ``cwd``, as a user types it."""
    out = cwd / "out.ipynb"
    command = [sys.executable, "-m", "papermill", str(NOTEBOOK), str(out), "--log-level", "WARNING"]
    for pair in zip(parameters[::2], parameters[1::2], strict=True):
        command += ["-p", *pair]
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr[-3000:]
    return nbformat.read(out, as_version=4)


def outputs(notebook: nbformat.NotebookNode) -> dict[str, list[nbformat.NotebookNode]]:
    return {cell.id: cell.outputs for cell in notebook.cells if cell.cell_type == "code"}


def html_of(notebook: nbformat.NotebookNode, cell_id: str) -> str:
    (output,) = outputs(notebook)[cell_id]
    return str(output["data"]["text/html"])


def assert_clean_run(notebook: nbformat.NotebookNode) -> None:
    for cell_id, found in outputs(notebook).items():
        for output in found:
            assert output.output_type != "error", f"{cell_id}: {output.get('evalue')}"
            assert output.get("name") != "stderr", f"{cell_id}: {output.get('text')}"


# --- shape ----------------------------------------------------------------------


def test_the_first_cell_is_a_title() -> None:
    first = cells()[0]
    assert first.cell_type == "markdown" and first.source.startswith("# ")


def test_parameters_cell_and_defaults() -> None:
    (cell,) = tagged("parameters")
    names: dict[str, object] = {}
    for node in ast.parse(cell.source).body:
        assert isinstance(node, ast.Assign), "the parameters cell only assigns"
        (target,) = node.targets
        assert isinstance(target, ast.Name)
        names[target.id] = ast.literal_eval(node.value)
    assert set(names) == {
        "form_path", "sheet", "params_dir", "workbook_path", "source_name", "source_path",
    }  # fmt: skip
    assert names["sheet"] is None and names["params_dir"] == "params"
    assert names["workbook_path"] is None  # a reviewer's own run hands nothing over
    assert names["source_name"] is None and names["source_path"] is None  # the form as it is
    assert "working directory" in cell.source, "where relative paths resolve is documented"


def test_the_panel_cell_is_tagged_interactive_and_last() -> None:
    interactive = tagged("interactive")
    code = [cell for cell in interactive if cell.cell_type == "code"]
    assert len(code) == 1 and "ReviewPanel" in code[0].source
    assert cells()[-1].source == code[0].source
    others = [c for c in cells() if c.cell_type == "code" and c not in interactive]
    assert not any("ReviewPanel" in cell.source for cell in others)


def test_thin_code_that_imports_only_perfeval() -> None:
    code = [cell for cell in cells() if cell.cell_type == "code"]
    assert len(code) <= 12
    for cell in code:
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.Import):
                assert all(alias.name.split(".")[0] == "perfeval" for alias in node.names)
            if isinstance(node, ast.ImportFrom):
                assert node.module and node.module.split(".")[0] == "perfeval"
            assert not isinstance(node, ast.FunctionDef | ast.ClassDef | ast.For | ast.While)
        if "parameters" not in cell.metadata.get("tags", []):  # the parameters are data
            assert len(cell.source.splitlines()) <= 6, cell.source


def test_chinese_headings_between_the_outputs() -> None:
    all_cells = cells()
    for index, cell in enumerate(all_cells[3:], start=3):
        if cell.cell_type == "code":
            heading = all_cells[index - 1]
            assert heading.cell_type == "markdown", cell.source
            assert re.match(r"## [\u4e00-\u9fff]", heading.source), heading.source


def test_kernel_and_no_stored_outputs() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    assert notebook.metadata.kernelspec.name == "python3"
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


# --- papermill ------------------------------------------------------------------


def test_there_are_example_forms() -> None:
    assert len(EXAMPLE_FORMS) >= 2


@pytest.mark.slow
@pytest.mark.parametrize("form", EXAMPLE_FORMS, ids=lambda p: str(p.relative_to(EXAMPLES)))
def test_papermill_runs_on_every_example_form(tmp_path: Path, form: Path) -> None:
    notebook = run_papermill(tmp_path, "form_path", str(form), "params_dir", "params")
    assert_clean_run(notebook)
    evaluation = read_form(form)[0][0]
    conclusion, card = html_of(notebook, "conclusion"), html_of(notebook, "card")
    assert "<style>" in conclusion and "复核结论" in conclusion and "pe-review" in card
    name = evaluation.project.name or "（未填项目名称）"
    assert html.escape(name) in card and html.escape(name) in conclusion
    assert "pe-narrative" in html_of(notebook, "narrative")
    assert "复核人（签字）" in html_of(notebook, "history")
    assert '<table class="pe-scores">' in html_of(notebook, "scores")
    assert "检查发现" in html_of(notebook, "findings") or "未发现问题" in html_of(
        notebook, "findings"
    )
    assert "复核" in html_of(notebook, "totals")
    (panel,) = outputs(notebook)["panel"]
    assert "application/vnd.jupyter.widget-view+json" in panel["data"]
    # Nothing saved; relative params_dir resolved against papermill's working directory.
    assert not (tmp_path / "params" / "adjustments").exists()


@pytest.mark.slow
def test_a_saved_adjustment_shows_in_the_next_run(tmp_path: Path) -> None:
    form = tmp_path / "forms" / "自评表.txt"
    form.parent.mkdir()
    form.write_bytes((EXAMPLES / "000_81c9c1dad6fba498.txt").read_bytes())
    AdjustmentStore(tmp_path / "params").adjust(seed(), "政策知晓率", "7", REASON, "张三")

    notebook = run_papermill(tmp_path, "form_path", "forms/自评表.txt")
    assert_clean_run(notebook)
    totals = re.sub(r"<[^>]+>", "", html_of(notebook, "totals"))
    assert "各项自评分相加89良好" in totals and "复核96优秀" in totals
    assert "复核状态：复核中" in totals
    scores = html_of(notebook, "scores")
    assert '<span class="pe-changed">7</span>' in scores and "张三" in scores


@pytest.mark.slow
def test_a_sheet_that_is_not_there_fails_the_run(tmp_path: Path) -> None:
    out = tmp_path / "out.ipynb"
    form = EXAMPLES / "000_81c9c1dad6fba498.xlsx"
    command = [sys.executable, "-m", "papermill", str(NOTEBOOK), str(out)]
    command += ["-p", "form_path", str(form), "-p", "sheet", "汇总"]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=180)
    assert done.returncode != 0
    assert "没有名为“汇总”的自评表" in done.stderr
