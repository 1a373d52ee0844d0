"""What ``perfeval run`` produces travels: in a real, offline Chromium the review and the
index load nothing from outside, show the score table in Chinese, fit the A4 width
and print to A4; the index sorts without a network."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import formgen as fg
import pytest
from browser_support import launch_browser, open_offline, print_to_pdf

from perfeval.read.forms import read_form
from perfeval.review.store import AdjustmentStore
from perfeval.run.batch import RunOptions, run_batch

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
A4_CONTENT_WIDTH = 680  # CSS px: 210 mm − 2 × 15 mm at 96 px per inch
HIGHER = "高分项目"  # its 政策知晓率 is scored, so it adds up to 96 instead of 89
MOVED_BECAUSE = "两项任务未按期完成，完成率证据仅有工作台账"
SEED_FOLDER = "2020-古美路街道-组团式服务联系群众专项-6cab03"


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("run")
    forms = root / "forms"
    forms.mkdir()
    fg.write_xlsx(fg.seed_rows(), forms / "a.xlsx")
    rows = fg.set_cell(fg.seed_rows(), "项目名称", "B", HIGHER)
    fg.write_tsv(fg.set_cell(rows, "政策知晓率", "自评分", "7"), forms / "b.txt")
    [seed], _ = read_form(forms / "a.xlsx")
    AdjustmentStore(root / "params").adjust(seed, "项目完成率", "8", MOVED_BECAUSE, "王审")
    options = RunOptions(
        out_dir=root / "out",
        params_dir=root / "params",
        jobs=2,
        notebook=ROOT / "notebooks" / "review.ipynb",
    )
    report = run_batch([forms], options)
    assert report.count("done") == 2, report.summary_text()
    return root / "out"


def a4_media_box(pdf: bytes) -> tuple[float, float]:
    box = re.search(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)
    assert box is not None
    return float(box[1]), float(box[2])


def test_review_opens_offline_and_prints_on_a4(out: Path, tmp_path: Path) -> None:
    review = out / SEED_FOLDER / "review.html"
    with launch_browser() as browser, open_offline(browser, review) as (page, requested):
        assert requested == []
        assert page.title() == "(党建办) 组团式服务联系群众专项 - 绩效自评复核"
        scores = page.locator("table.pe-scores")
        assert scores.count() == 1 and scores.is_visible()
        text = scores.inner_text()
        assert "预算执行率" in text and "受益人群满意度" in text
        assert page.get_by_text("逐项复核").count() == 0  # the widget panel is not exported

        page.emulate_media(media="print")
        page.set_viewport_size({"width": A4_CONTENT_WIDTH, "height": 960})
        widths = page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert widths[0] <= widths[1]  # nothing sticks out of the page, nothing is cut off
        pdf = print_to_pdf(page, tmp_path / "review.pdf").read_bytes()

    assert pdf.startswith(b"%PDF-")
    width, height = a4_media_box(pdf)
    assert width == pytest.approx(595, abs=1) and height == pytest.approx(842, abs=1)


def test_the_review_reads_as_a_document_conclusion_first(out: Path) -> None:
    review = out / SEED_FOLDER / "review.html"
    with launch_browser() as browser, open_offline(browser, review) as (page, requested):
        assert requested == []
        page.set_viewport_size({"width": 1366, "height": 768})
        conclusion = page.locator("section.pe-conclusion")
        # What a lead reads before signing fits the first screen: totals, status, findings,
        # and the adjustment that moved the score, with its reason.
        box = conclusion.bounding_box()
        assert box is not None and box["y"] + box["height"] <= 768
        text = conclusion.inner_text()
        for said in ("96 分（优秀）", "89 分（良好）", "87 分（良好）", "复核中", "王审",
                     "错误 11 项，警告 10 项", f"项目完成率：10 → 8 分。{MOVED_BECAUSE}"):  # fmt: skip
            assert said in text, said
        # Then the project, the unit's own account, the scores, the findings, the history.
        order = page.evaluate(
            """() => ["section.pe-conclusion", "table.pe-card", "section.pe-narrative",
                      "table.pe-scores", "section.pe-severity", "section.pe-history"]
                .map(s => document.querySelector(s))
                .map(e => e ? e.getBoundingClientRect().top + window.scrollY : null)"""
        )
        assert None not in order and order == sorted(order)
        narrative = page.locator("section.pe-narrative")
        assert [h.strip() for h in narrative.locator("h3").all_inner_texts()] == [
            "项目年度总目标", "主要绩效", "主要问题", "改进措施",
        ]  # fmt: skip
        assert narrative.locator("mark.pe-quoted").count() >= 2  # the passages findings quote
        history = page.locator("section.pe-history")
        assert "10（自评） → 8 分" in history.inner_text() and MOVED_BECAUSE in history.inner_text()
        signoff = history.locator("table.pe-signoff").inner_text()
        assert "复核人（签字）" in signoff and "审核人（签字）" in signoff


#: Cells whose content sticks out of them (it would print over, or show over, its neighbours).
SPILLING = """() => Array.from(document.querySelectorAll("table.pe-scores td, table.pe-card td"))
    .filter(cell => cell.scrollWidth > cell.clientWidth + 1
        || Array.from(cell.querySelectorAll(".pe-clamp")).some(
            clamp => clamp.getBoundingClientRect().bottom > cell.getBoundingClientRect().bottom + 1))
    .map(cell => cell.textContent.slice(0, 40))"""


def test_nothing_spills_at_phone_width_or_in_print(out: Path) -> None:
    review = out / SEED_FOLDER / "review.html"
    with launch_browser() as browser, open_offline(browser, review) as (page, requested):
        assert requested == []
        page.set_viewport_size({"width": 390, "height": 844})
        widths = page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert widths[0] <= widths[1]  # the page itself never scrolls sideways
        assert page.evaluate(SPILLING) == []
        # The score table keeps readable columns and scrolls inside its own box.
        box = page.locator("div.pe-review:has(> table.pe-scores)")
        assert box.evaluate("node => node.scrollWidth > node.clientWidth")
        assert box.evaluate("node => getComputedStyle(node).overflowX") == "auto"
        # Printed, a long 评分规则 stays within its two lines (the whole text is in review.xlsx).
        page.emulate_media(media="print")
        page.set_viewport_size({"width": A4_CONTENT_WIDTH, "height": 960})
        assert page.evaluate(SPILLING) == []


def test_index_opens_offline_and_sorts(out: Path, tmp_path: Path) -> None:
    with (
        launch_browser() as browser,
        open_offline(browser, out / "index.html") as (page, requested),
    ):
        assert requested == []

        def first_project() -> str:
            return page.locator("#projects tbody tr").first.locator("td").first.inner_text()

        computed = page.locator("#projects th", has_text="各项相加")
        computed.locator("button").click()
        assert computed.get_attribute("aria-sort") == "ascending"
        assert "组团式服务联系群众专项" in first_project()  # 89 before 96
        computed.locator("button").click()
        assert computed.get_attribute("aria-sort") == "descending"
        assert HIGHER in first_project()

        link = page.locator("#projects tbody a", has_text=HIGHER).first
        target = (out / unquote(str(link.get_attribute("href")))).resolve()
        assert target.name == "review.html" and target.is_file()
        pdf = print_to_pdf(page, tmp_path / "index.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-")
