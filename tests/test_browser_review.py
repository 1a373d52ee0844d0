"""The review notebook in a real JupyterLab, driven through headless Chromium as a reviewer.

JupyterLab runs on a free localhost port with a token and throw-away settings and
workspaces (``browser_support.jupyterlab_server``); the notebook is a copy of
``notebooks/review.ipynb`` parameterised, as papermill would, on a copy of the seed
workbook and an empty params folder. The reviewer moves 政策知晓率 to 7, gives a
reason and a name, saves; the reviewed total on the panel goes 89 → 96 (良好 → 优秀)
and the adjustments store holds the change.
"""

from __future__ import annotations

import shutil
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
            page = browser.new_page(viewport={"width": 1400, "height": 1600})
            open_notebook(page, lab, "review.ipynb")
            run_all_cells(page, timeout=120)

            panel = page.locator(".perfeval-panel")
            panel.wait_for(state="attached", timeout=30_000)
            # Form text with $…$ shows as written, never typeset as mathematics.
            wait_for_text(page, TEX, timeout=10)
            assert page.locator("mjx-container, .MathJax").count() == 0
            panel.scroll_into_view_if_needed()
            total = panel.locator(".perfeval-total")
            wait_for_text(page, "复核合计：89 分（良好）", timeout=30)
            assert total.inner_text().startswith("复核合计：89 分（良好）")

            # Jump to 政策知晓率 with the indicator list.
            choice = panel.locator("select")
            option = choice.locator("option", has_text="政策知晓率")
            choice.select_option(value=option.get_attribute("value"))
            panel.locator("h3", has_text="政策知晓率").wait_for(timeout=10_000)

            # Type 7 into the score slider's readout, as a reviewer would.
            readout = panel.locator(".widget-readout")
            readout.click()
            page.keyboard.press("ControlOrMeta+A")
            page.keyboard.type("7")
            page.keyboard.press("Enter")
            wait_for_text(page, "复核合计：96 分（优秀）", timeout=10)
            assert "含未保存的改动" in total.inner_text()

            page.get_by_placeholder("必填：说明调整的依据，如所依据的评分规则和证据").fill(REASON)
            page.get_by_placeholder("必填：您的姓名").fill("张三")
            page.get_by_role("button", name="保存调整", exact=True).click()
            wait_for_text(page, "已保存：“政策知晓率”复核得分 7 分", timeout=15)
            assert total.inner_text().startswith("复核合计：96 分（优秀）")
            assert "含未保存的改动" not in total.inner_text()

            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            panel.screenshot(path=str(ARTIFACTS / "review-panel.png"))

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
