"""The real-browser harness in ``browser_support``: an offline HTML page and a widget
panel in JupyterLab, both driven through headless Chromium."""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

import nbformat
import pytest
from browser_support import (
    descendant_pids,
    jupyterlab_server,
    launch_browser,
    live_group_members,
    open_notebook,
    open_offline,
    pid_alive,
    print_to_pdf,
    run_all_cells,
    wait_for_text,
)

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[1] / "outputs" / "test-artifacts"

REVIEW_HTML = """<!DOCTYPE html>
<html lang="zh-CN">
<head><meta charset="utf-8"><title>绩效自评价复核</title></head>
<body>
  <h1>项目绩效自评价复核</h1>
  <table>
    <tr><th>指标</th><th>得分</th></tr>
    <tr><td>产出数量</td><td>18.5</td></tr>
    <tr><td>合计</td><td>86.0</td></tr>
  </table>
  {extra}
</body>
</html>
"""

EXTERNAL_IMAGE = "https://example.invalid/x.png"


@pytest.mark.parametrize(
    ("extra", "expected_requests"),
    [
        pytest.param("", [], id="self-contained"),
        pytest.param(f'<img src="{EXTERNAL_IMAGE}" alt="徽标">', [EXTERNAL_IMAGE], id="external"),
    ],
)
def test_open_offline_reports_outside_requests(
    tmp_path: Path, extra: str, expected_requests: list[str]
) -> None:
    html_path = tmp_path / "review.html"
    html_path.write_text(REVIEW_HTML.format(extra=extra), encoding="utf-8")

    with launch_browser() as browser, open_offline(browser, html_path) as (page, requested):
        assert requested == expected_requests
        assert page.inner_text("h1") == "项目绩效自评价复核"
        assert page.locator("td", has_text="合计").count() == 1
        pdf = print_to_pdf(page, tmp_path / "review.pdf").read_bytes()

    assert pdf.startswith(b"%PDF-")
    # A4 is 595 x 842 points; Chromium writes it as e.g. [0 0 594.96 841.92].
    media_box = re.search(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)
    assert media_box is not None
    assert float(media_box[1]) == pytest.approx(595, abs=1)
    assert float(media_box[2]) == pytest.approx(842, abs=1)


PANEL_CODE = """\
import json
import sys
from pathlib import Path

import ipywidgets as widgets

slider = widgets.IntSlider(min=0, max=10, value=3, description="分数")
label = widgets.Label(f"合计 {{slider.value}}")
button = widgets.Button(description="保存")


def show_total(change):
    label.value = f"合计 {{change['new']}}"


def save(_button):
    result = {{"value": slider.value, "prefix": sys.prefix}}
    Path({saved!r}).write_text(json.dumps(result), encoding="utf-8")


slider.observe(show_total, names="value")
button.on_click(save)
widgets.VBox([slider, label, button])
"""


def write_panel_notebook(path: Path, saved: Path) -> None:
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(PANEL_CODE.format(saved=str(saved)))],
        metadata={
            "kernelspec": {
                "name": "python3",
                "display_name": "Python 3 (ipykernel)",
                "language": "python",
            }
        },
    )
    nbformat.write(notebook, path)


def wait_for_file(path: Path, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} was not written within {timeout} s"
        time.sleep(0.1)
    return path.read_text(encoding="utf-8")


def test_widget_panel_in_jupyterlab(tmp_path: Path) -> None:
    saved = tmp_path / "saved.json"
    write_panel_notebook(tmp_path / "panel.ipynb", saved)

    with jupyterlab_server(tmp_path) as lab:
        with launch_browser() as browser:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            open_notebook(page, lab, "panel.ipynb")
            run_all_cells(page)
            wait_for_text(page, "合计 3", timeout=30)

            # Type a new value into the slider's editable readout, as a reviewer would.
            readout = page.locator(".widget-readout")
            readout.click()
            page.keyboard.press("ControlOrMeta+A")
            page.keyboard.type("7")
            page.keyboard.press("Enter")
            wait_for_text(page, "合计 7", timeout=10)
            assert page.locator(".noUi-handle").get_attribute("aria-valuetext") == "7"

            page.get_by_role("button", name="保存").click()
            result = json.loads(wait_for_file(saved, timeout=10))

            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "browser-harness.png"))

        # The kernel is a child of the server, in a process group of its own.
        started = descendant_pids(lab.process.pid)
        assert started, "the server started no kernel"

    assert result == {"value": 7, "prefix": sys.prefix}, "the venv's kernel saved the new value"
    assert lab.process.returncode is not None
    assert not live_group_members(lab.process.pid), "the server's process group outlived it"
    assert not [pid for pid in started if pid_alive(pid)], "a kernel outlived the server"
