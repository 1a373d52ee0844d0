"""The review notebook in a real JupyterLab, driven through headless Chromium as a reviewer.

JupyterLab runs on a free localhost port with a token and throw-away settings and
workspaces (``browser_support.jupyterlab_server``); the notebook is a copy of
``notebooks/review.ipynb`` parameterised, as papermill would, on a copy of the seed
workbook and an empty params folder, in a window of 1366×768 (a reviewer's laptop).

The tables show as perfeval styles them (left-aligned text, no stripes from JupyterLab's
own table CSS). The panel has the score, reason and save beside the navigation. The
reviewer types 12 for 政策知晓率 (weight 7): refused with the reason, nothing moves; types
7, gives a reason and a name, saves; the reviewed total goes 89 → 96 (良好 → 优秀) on the
panel and in the tables above without running the notebook again, the store holds the
change, and running the notebook again keeps the reviewer's name.
"""

from __future__ import annotations

import shutil
import urllib.parse
from decimal import Decimal
from pathlib import Path

import nbformat
import openpyxl
import pytest
from browser_support import (
    descendant_pids,
    jupyterlab_server,
    launch_browser,
    live_group_members,
    open_notebook,
    pid_alive,
    run_all_cells,
    wait_for_text,
)
from papermill.iorw import load_notebook_node
from papermill.parameterize import parameterize_notebook

from outputs import project_folders
from perfeval.read.forms import read_form
from perfeval.review.store import AdjustmentStore

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "notebooks" / "review.ipynb"
SEED_XLSX = REPO / "examples" / "000_81c9c1dad6fba498.xlsx"
ARTIFACTS = REPO / "outputs" / "test-artifacts"
REASON = "合计96分隐含政策知晓率得7分，经核对知晓率问卷，达到目标"
TEX = "$x^2+1$ 与 $$\\alpha$$"


def write_notebook(workspace: Path) -> Path:
    """The review notebook in ``workspace``, its parameters set to paths relative to it."""
    form = workspace / "forms" / SEED_XLSX.name
    form.parent.mkdir(parents=True)
    shutil.copyfile(SEED_XLSX, form)
    book = openpyxl.load_workbook(form)  # form text that MathJax would typeset
    sheet = book["自评表"]
    name = next(c for row in sheet.iter_rows() for c in row if c.value == "项目名称")
    sheet.cell(name.row, name.column + 1).value = f"组团式服务联系群众专项 {TEX}"
    book.save(form)
    notebook = load_notebook_node(str(NOTEBOOK))  # papermill's reader: every cell gets tags
    # In JupyterLab the kernel starts in the notebook's folder: relative paths resolve there.
    parameters = {"form_path": f"forms/{SEED_XLSX.name}", "params_dir": "params"}
    notebook = parameterize_notebook(notebook, parameters)
    path = workspace / "review.ipynb"
    nbformat.write(notebook, path)
    return form


def test_reviewer_moves_a_score_and_saves_it(tmp_path: Path) -> None:
    form = write_notebook(tmp_path)
    with jupyterlab_server(tmp_path) as lab:
        with launch_browser() as browser:
            # Tall first, so every output is rendered to look at; then a laptop's screen.
            page = browser.new_page(viewport={"width": 1366, "height": 3000})
            open_notebook(page, lab, "review.ipynb")
            run_all_cells(page, timeout=120)

            panel = page.locator(".perfeval-panel")
            panel.wait_for(state="attached", timeout=30_000)
            # Form text with $…$ shows as written, never typeset as mathematics.
            page.locator(".jp-OutputArea-output", has_text=TEX).first.wait_for(timeout=10_000)
            assert page.locator("mjx-container, .MathJax").count() == 0
            # The tables as perfeval styles them, not as JupyterLab's rendered-HTML CSS would.
            name_cell = page.locator("table.pe-scores td", has_text="受益人群满意度").first
            style = name_cell.evaluate(
                "td => { const s = getComputedStyle(td), r = getComputedStyle(td.parentElement);"
                " return [s.textAlign, r.backgroundColor]; }"
            )
            assert style == ["left", "rgba(0, 0, 0, 0)"], style
            weight = page.locator("table.pe-scores td.pe-num").first
            assert weight.evaluate("td => getComputedStyle(td).textAlign") == "right"
            totals = page.locator(".jp-OutputArea-output", has_text="口径").first
            rows = [row.split() for row in totals.locator("tr").all_inner_texts()]
            assert ["复核", "89", "良好"] in rows

            page.set_viewport_size({"width": 1366, "height": 768})
            panel.scroll_into_view_if_needed()
            total = panel.locator(".perfeval-total")
            wait_for_text(page, "复核合计：89 分（良好）", timeout=30)
            assert total.inner_text().startswith("复核合计：89 分（良好）")

            # Jump to 政策知晓率 with the indicator list.
            choice = panel.locator("select")
            option = choice.locator("option", has_text="政策知晓率")
            choice.select_option(value=option.get_attribute("value"))
            panel.locator("h3", has_text="政策知晓率").wait_for(timeout=10_000)
            # Score, reason and save beside the navigation: one screen, no scrolling.
            page.get_by_role("button", name="下一项", exact=True).scroll_into_view_if_needed()
            save = page.get_by_role("button", name="保存调整", exact=True)
            next_box = page.get_by_role("button", name="下一项", exact=True).bounding_box()
            save_box = save.bounding_box()
            assert next_box and save_box and save_box["y"] + save_box["height"] <= 768
            assert save_box["x"] > next_box["x"] + 300  # beside, not below

            # A score above the weight is refused with the reason, never clamped.
            entry = panel.get_by_placeholder("输入分值")
            entry.fill("12")
            entry.press("Enter")
            wait_for_text(page, "复核得分 12 超出范围，应在 0 到权重 7 之间；未采用", timeout=10)
            assert total.inner_text().startswith("复核合计：89 分（良好）")

            entry.fill("7")
            entry.press("Enter")
            wait_for_text(page, "复核合计：96 分（优秀）", timeout=10)
            assert "含未保存的改动" in total.inner_text()

            page.get_by_placeholder("必填：说明调整的依据，如所依据的评分规则和证据").fill(REASON)
            page.get_by_placeholder("必填：您的姓名").fill("张三")
            save.click()
            wait_for_text(page, "已保存：“政策知晓率”复核得分 7 分", timeout=15)
            assert total.inner_text().startswith("复核合计：96 分（优秀）")
            assert "含未保存的改动" not in total.inner_text()
            # The tables above follow the save at once (no Run All).
            page.set_viewport_size({"width": 1366, "height": 3000})
            page.wait_for_function(
                "() => [...document.querySelectorAll('.jp-OutputArea-output tr')].some("
                "tr => /^复核\\s+96\\s+优秀/.test(tr.innerText.trim()))",
                timeout=10_000,
            )
            assert REASON in (page.locator("table.pe-scores").first.text_content() or "")

            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            panel.screenshot(path=str(ARTIFACTS / "review-panel.png"))

            # Run again: the reviewer's name is remembered (for this user, not in the notebook).
            run_all_cells(page, timeout=120)
            name = page.get_by_placeholder("必填：您的姓名")
            name.wait_for(timeout=30_000)
            assert name.input_value() == "张三"

        started = descendant_pids(lab.process.pid)
        assert started, "the server started no kernel"

    record = AdjustmentStore(tmp_path / "params").load(read_form(form)[0][0])
    adjustment = record.adjustments["政策知晓率"]
    assert (adjustment.score, adjustment.reason, adjustment.reviewer) == (
        Decimal(7),
        REASON,
        "张三",
    )
    assert record.status == "复核中"
    # Only what this test started is stopped, and all of it is.
    assert lab.process.returncode is not None
    assert not live_group_members(lab.process.pid), "the server's process group outlived it"
    assert not [pid for pid in started if pid_alive(pid)], "a kernel outlived the server"


def test_the_index_opens_each_projects_notebook_in_jupyterlab(tmp_path: Path) -> None:
    """A batch run inside a project: index.html and each review, opened through JupyterLab,
    link to that project's executed notebook, which runs on the same form and store."""
    import subprocess
    import sys

    (tmp_path / "perfeval.toml").write_text('params = "params"\n', encoding="utf-8")
    (tmp_path / "forms").mkdir()
    shutil.copyfile(REPO / "examples" / "000_81c9c1dad6fba498.txt", tmp_path / "forms" / "a.txt")
    done = subprocess.run([sys.executable, "-m", "perfeval", "run", "forms"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    [folder] = [p.name for p in project_folders(tmp_path / "outputs")]

    with jupyterlab_server(tmp_path) as lab, launch_browser() as browser:
        page = browser.new_page(viewport={"width": 1366, "height": 1400})
        for start in ("outputs/index.html", f"outputs/{folder}/review.html"):
            page.goto(f"{lab.url}/files/{start}?token={lab.token}")
            link = page.locator("a", has_text="在 JupyterLab 中打开").first
            link.click()
            page.wait_for_url("**/lab/tree/outputs/**/review.ipynb*", timeout=60_000)
            assert folder in urllib.parse.unquote(page.url)
        open_notebook(page, lab, f"outputs/{folder}/review.ipynb")  # where the links led
        run_all_cells(page, timeout=120)
        store = str((tmp_path / "params" / "adjustments").resolve())
        wait_for_text(page, f"调整保存在 {store}", timeout=30)  # the project's own store
