"""The portfolio of a run: per project, per unit and per check figures, ``index.html`` and
``summary.xlsx``, checked against numbers worked out by hand.

A small batch built from the seed in memory (no notebooks): unit 古美路 with the seed
(自评 96, 复核 89) and 甲项目 (政策知晓率 scored, so 96 = 96, then two scores adjusted
down: 复核 88); unit 江川路, where every project declares 100: 乙项目 (every row at
full marks, 复核 100) and 丙项目 (合计 says 100, the rows add to 89). Then one real
``perfeval run`` on two forms (run again to check that skipped projects keep their
figures), its index opened offline in Chromium; and a run whose review.xlsx cannot be
written.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import formgen as fg
import openpyxl
import pytest
import seedforms as sf
from browser_support import launch_browser, open_offline

from outputs import project_folders
from perfeval import cli
from perfeval.check.catalogue import catalogue
from perfeval.model import Evaluation
from perfeval.read.forms import read_form
from perfeval.review.build import load_review
from perfeval.review.portfolio import (
    FIGURES_VERSION,
    NO_GRADE,
    Move,
    PortfolioRow,
    ProjectFigures,
    check_counts,
    grade_counts,
    one_per_project,
    shared_rules,
    unit_of,
    unit_summaries,
)
from perfeval.review.store import AdjustmentStore
from perfeval.run.batch import RunOptions, run_batch
from perfeval.run.export import external_references
from perfeval.run.manifest import MANIFEST_NAME, Manifest
from perfeval.run.names import folder_names
from perfeval.show.index import index_html
from perfeval.show.summary import SHEETS, write_summary_workbook
from perfeval.show.unitreport import (
    REPORTS_DIR,
    STYLES,
    SUMMARY_HEADINGS,
    TABLE_STYLE,
    report_href,
    report_name,
    write_unit_reports,
)
from perfeval.wording import rule_key

D = Decimal
GUMEI = "上海市闵行区人民政府古美路街道办事处"  # the seed's unit
JIANGCHUAN = "上海市闵行区人民政府江川路街道办事处"
SEED_NAME = "(党建办) 组团式服务联系群众专项"
HOSTILE = '=HYPERLINK("http://x")<script>alert("x")</script>'
ROOT = Path(__file__).resolve().parents[1]
REAL_NOTEBOOK = ROOT / "notebooks" / "review.ipynb"


# --- the small batch -----------------------------------------------------------------


def evaluations() -> dict[str, Evaluation]:
    seed = sf.seed()
    a2 = sf.with_indicator(sf.with_project(seed, name="甲项目"), "政策知晓率", self_score=D(7))
    b1 = sf.with_project(seed, name="乙项目", unit=JIANGCHUAN)
    for indicator in b1.indicators:  # every row at full marks: 100
        b1 = sf.with_indicator(b1, indicator.name, self_score=indicator.weight)
    b1 = sf.with_indicator(b1, "预算执行率", rule=sf.CLEAN_BANDS_RULE)  # its own bands rule
    b1 = sf.with_total(b1, self_score=D(100))
    b2 = sf.with_total(sf.with_project(seed, name="丙项目", unit=JIANGCHUAN), self_score=D(100))
    return {"A1": seed, "A2": a2, "B1": b1, "B2": b2}


def batch(params: Path) -> list[PortfolioRow]:
    forms = evaluations()
    store = AdjustmentStore(params)
    store.adjust(forms["A2"], "长效管理机制健全性", "6", "长效机制未见制度文件", "王复核")
    store.adjust(forms["A2"], "项目完成及时率", "8", "两项工作延期完成", "王复核")
    rows = []
    for folder, evaluation in forms.items():
        figures = ProjectFigures.of_review(load_review(evaluation, params))
        rows.append(
            PortfolioRow(
                folder=folder,
                project=evaluation.project.name,
                unit=evaluation.project.unit,
                year=evaluation.year,
                source=f"{folder}.txt",
                state="done",
                review_href=f"{folder}/review.html",
                figures=figures,
                key=evaluation.key,
            )
        )
    return rows


@pytest.fixture(scope="module")
def rows(tmp_path_factory: pytest.TempPathFactory) -> list[PortfolioRow]:
    return batch(tmp_path_factory.mktemp("params"))


def figures(rows: list[PortfolioRow], folder: str) -> ProjectFigures:
    found = next(row.figures for row in rows if row.folder == folder)
    assert found is not None
    return found


# --- per project ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("folder", "declared", "computed", "reviewed", "grades", "gap", "deviation", "full"),
    [
        ("A1", D(96), D(89), D(89), ("优秀", "良好", "良好"), D(7), D(7) / 96, False),
        ("A2", D(96), D(96), D(88), ("优秀", "优秀", "良好"), D(8), D(8) / 96, False),
        ("B1", D(100), D(100), D(100), ("优秀", "优秀", "优秀"), D(0), D(0), True),
        ("B2", D(100), D(89), D(89), ("优秀", "良好", "良好"), D(11), D("0.11"), True),
    ],
)
def test_project_figures(
    rows: list[PortfolioRow],
    folder: str,
    declared: Decimal,
    computed: Decimal,
    reviewed: Decimal,
    grades: tuple[str, str, str],
    gap: Decimal,
    deviation: Decimal,
    full: bool,
) -> None:
    f = figures(rows, folder)
    assert (f.declared, f.computed, f.reviewed) == (declared, computed, reviewed)
    assert (f.declared_grade, f.computed_grade, f.reviewed_grade) == grades
    assert (f.gap, f.deviation, f.full_marks) == (gap, deviation, full)
    assert (f.budget, f.execution_rate) == (D(242400), D(1))
    assert f.status == ("复核中" if folder == "A2" else "未开始")


def test_figures_survive_the_manifest(rows: list[PortfolioRow]) -> None:
    for row in rows:
        assert row.figures is not None
        stored = json.loads(json.dumps(row.figures.to_json(), ensure_ascii=False))
        assert ProjectFigures.from_json(stored) == row.figures
    stored = figures(rows, "A2").to_json()
    assert stored["reviewed"] == 88 and stored["deviation"] == 0.0833
    assert stored["checks"]["rule.boilerplate"] == 3 and len(stored["rules"]) == 10
    # The adjustments that moved a score, with their reasons, in the form's order.
    assert stored["moves"] == [["项目完成及时率", 14, 8, "两项工作延期完成", False],
                               ["长效管理机制健全性", 8, 6, "长效机制未见制度文件", False]]  # fmt: skip
    assert figures(rows, "A1").moves == ()


@pytest.mark.parametrize(
    "broken",
    [
        None,
        "96",
        {"declared": 96, "computed": 89, "reviewed": 89},  # an older manifest: no version
        {"version": 2, "computed": 89, "reviewed": 89},  # before moves were kept
        {"version": FIGURES_VERSION, "computed": "89", "reviewed": 89},
        {"version": FIGURES_VERSION, "computed": float("nan"), "reviewed": 89},
        {"version": FIGURES_VERSION, "computed": 89, "reviewed": 89, "errors": -1},
        {"version": FIGURES_VERSION, "computed": 89, "reviewed": True},
        {"version": FIGURES_VERSION, "computed": 89, "reviewed": 89, "rules": [3]},
        {"version": FIGURES_VERSION, "computed": 89, "reviewed": 89, "moves": [["x", 8]]},
        {
            "version": FIGURES_VERSION,
            "computed": 89,
            "reviewed": 89,
            "moves": [["x", 8, None, "r"]],
        },
        {"version": FIGURES_VERSION, "computed": 89, "reviewed": 89, "moves": {"x": 1}},
    ],
)
def test_unusable_stored_figures_are_recomputed(broken: object) -> None:
    assert ProjectFigures.from_json(broken) is None


# --- per unit ------------------------------------------------------------------------


def test_unit_summaries(rows: list[PortfolioRow]) -> None:
    gumei, jiangchuan = unit_summaries(rows)
    assert (gumei.unit, gumei.projects, jiangchuan.unit, jiangchuan.projects) == (
        GUMEI, 2, JIANGCHUAN, 2,
    )  # fmt: skip
    # 古美路: 自评−复核 = 96−89 = 7 and 96−88 = 8; 偏离度 7/96 and 8/96.
    assert gumei.self_grades == {"优秀": 2} and gumei.reviewed_grades == {"良好": 2}
    assert (gumei.gap_mean, gumei.gap_max) == (D("7.5"), D(8))
    assert gumei.deviation_mean == D(15) / 192  # 7.8125%
    assert (gumei.full_marks, gumei.all_full_marks) == (0, False)
    # 江川路: 100−100 = 0 and 100−89 = 11; 偏离度 0 and 11%; both declare 100.
    assert jiangchuan.self_grades == {"优秀": 2}
    assert jiangchuan.reviewed_grades == {"优秀": 1, "良好": 1}
    assert (jiangchuan.gap_mean, jiangchuan.gap_max) == (D("5.5"), D(11))
    assert jiangchuan.deviation_mean == D("0.055")
    assert (jiangchuan.full_marks, jiangchuan.all_full_marks) == (2, True)
    # errors and warnings add up per unit
    assert gumei.errors == figures(rows, "A1").errors + figures(rows, "A2").errors


def test_grade_counts(rows: list[PortfolioRow]) -> None:
    assert grade_counts(rows) == ({"优秀": 4}, {"良好": 3, "优秀": 1})
    no_grade = sf.with_project(sf.seed(), grade=None)
    row = PortfolioRow("x", "x", GUMEI, 2020, "x", "done",
                       figures=ProjectFigures.of_review(load_review(no_grade, "/nonexistent")))  # fmt: skip
    assert grade_counts([row]) == ({NO_GRADE: 1}, {"良好": 1})


def test_shared_rules(rows: list[PortfolioRow]) -> None:
    # The seed has 10 distinct rules of 20 characters or more (项目完成率 and 项目完成合格率
    # share one). 乙项目 replaced the 预算执行率 bands, so the seed's bands rule is in 3
    # projects, the other 9 rules in all 4, and 乙项目's own rule in none other.
    seed_bands = rule_key(sf.SEED_BANDS_RULE)
    everywhere = shared_rules(rows)
    assert [rule.count for rule in everywhere] == [4] * 9 + [3]
    assert everywhere[-1].text == sf.SEED_BANDS_RULE  # as written; compared normalised
    assert everywhere[-1].projects == (SEED_NAME, "甲项目", "丙项目")
    assert everywhere[-1].units == (GUMEI, JIANGCHUAN)
    assert rule_key(sf.CLEAN_BANDS_RULE) not in {rule.key for rule in everywhere}
    gumei, jiangchuan = unit_summaries(rows)
    assert [rule.count for rule in gumei.shared_rules] == [2] * 10
    assert [rule.count for rule in jiangchuan.shared_rules] == [2] * 9
    assert seed_bands not in {rule.key for rule in jiangchuan.shared_rules}


def test_one_project_sent_twice_shares_no_rule_with_itself(rows: list[PortfolioRow]) -> None:
    seed = next(row for row in rows if row.folder == "A1")
    again = dataclasses.replace(seed, folder="A1-again")
    assert shared_rules([seed, again]) == []


def test_rule_key_ignores_point_marks_and_spaces() -> None:
    assert rule_key("①是否完整；（3分）\n② 是否合规。(3 分)") == "1是否完整;2是否合规。"
    assert unit_of(" 古美路　街道 ") == "古美路 街道" and unit_of(None) == "（未填单位）"


# --- 重复报送 ------------------------------------------------------------------------


def sent_again(row: PortfolioRow, source: str = "A1.xlsx", **changes: Any) -> PortfolioRow:
    """``row``'s project in another file (the seed as .xlsx after its .txt)."""
    return dataclasses.replace(
        row,
        folder=f"{row.folder}-x",
        source=source,
        review_href=f"{row.folder}-x/review.html",
        **changes,
    )


def test_a_project_sent_twice_is_one_project_counted_once(rows: list[PortfolioRow]) -> None:
    seed = next(row for row in rows if row.folder == "A1")
    copy = sent_again(seed)
    merged = one_per_project([*rows[:2], copy, *rows[2:]])
    assert [row.folder for row in merged] == ["A1", "A2", "B1", "B2"]
    assert merged[0].copies == (copy,) and merged[0].resubmission_note == "重复报送（2 份）"
    # Every total and count is what it is without the copy.
    assert unit_summaries(merged) == unit_summaries(rows)
    assert check_counts(merged) == check_counts(rows)
    assert grade_counts(merged) == grade_counts(rows)
    assert shared_rules(merged) == shared_rules(rows)


def test_copies_that_disagree_are_marked_and_namesakes_stay_apart(
    rows: list[PortfolioRow],
) -> None:
    seed = next(row for row in rows if row.folder == "A1")
    assert seed.figures is not None
    other = dataclasses.replace(seed.figures, declared=D(98))
    differs = one_per_project([seed, sent_again(seed, figures=other)])
    assert differs[0].resubmission_note == "重复报送（2 份，内容不同）"
    # A copy that failed stays a copy of the one that has figures, whichever came first,
    # and says nothing of its content.
    failed = sent_again(seed, figures=None, state="failed", error="无法读取")
    merged = one_per_project([failed, seed])
    assert [row.folder for row in merged] == ["A1"] and merged[0].copies == (failed,)
    assert merged[0].resubmission_note == "重复报送（2 份）"
    # The same year, unit and name (spaces and full-width forms aside) but another key — a
    # form re-sent with another budget, or another project of that name: never hidden in
    # another's row. Each is counted, and each is marked for a reviewer to settle.
    resent = sent_again(seed, key="another", project=f" {SEED_NAME.replace('(', '（')} ")
    apart = one_per_project([seed, resent])
    assert [row.folder for row in apart] == ["A1", "A1-x"] and apart[0].copies == ()
    assert [row.namesakes for row in apart] == [1, 1]
    assert apart[0].resubmission_note == "疑似重复报送（另有 1 个同名项目，内容不同，分别计入）"
    assert unit_summaries(apart)[0].projects == 2
    # Another year or another unit (so another key), or no name at all: unrelated.
    unrelated = [sent_again(seed, year=2021, key="k2021"),
                 sent_again(seed, unit=JIANGCHUAN, key="kjc")]  # fmt: skip
    assert [row.namesakes for row in one_per_project([seed, *unrelated])] == [0, 0, 0]
    nameless = [dataclasses.replace(seed, folder=f, project=None, key=None) for f in "XY"]
    assert len(one_per_project(nameless)) == 2


def test_the_index_and_summary_show_a_resubmission_once(
    rows: list[PortfolioRow], tmp_path: Path
) -> None:
    seed = next(row for row in rows if row.folder == "A1")
    merged = one_per_project([*rows, sent_again(seed)])
    page = index_html(merged)
    assert "共 4 个项目（2 个预算单位），另有 1 份重复报送" in page
    assert "完成 5" in page  # five files ran
    table = re.search(r'<table id="projects".*?</table>', page, re.S)
    assert table is not None and table.group(0).count("<tr") == 5  # heading + 4 projects
    assert 'data-resubmitted="重复报送"' in table.group(0)
    assert "重复报送（2 份）" in table.group(0) and 'href="A1-x/review.html"' in table.group(0)
    # Each unit links its 复核报告 — only those written.
    linked = index_html(merged, reports={GUMEI})
    assert report_href(GUMEI) in linked and report_href(JIANGCHUAN) not in linked
    write_summary_workbook(merged, tmp_path / "summary.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "summary.xlsx")["预算与运行"]
    header = [cell.value for cell in sheet[1]]
    body = [dict(zip(header, row, strict=True)) for row in sheet.iter_rows(2, values_only=True)]
    assert len(body) == 4
    assert (body[0]["来源文件"], body[0]["重复报送"]) == ("A1.txt\nA1.xlsx", "重复报送（2 份）")
    assert body[1]["重复报送"] is None


@pytest.mark.browser
def test_the_tables_sort_checks_lead_to_their_projects_and_charts_follow(
    rows: list[PortfolioRow], tmp_path: Path
) -> None:
    seed = next(row for row in rows if row.folder == "A1")
    merged = one_per_project([*rows, sent_again(seed)])
    path = tmp_path / "index.html"
    path.write_text(index_html(merged), encoding="utf-8")
    some = next(c for c in check_counts(rows) if 1 < c.projects < len(rows))
    with launch_browser() as browser, open_offline(browser, path) as (page, asked):
        assert asked == []
        projects = page.locator("#projects tbody tr")
        assert projects.count() == 4

        # The grade bars count the projects the filters show.
        def bar(key: str) -> tuple[str, float]:
            value = page.locator(f'svg.grades text.value[data-count="{key}"]').text_content() or ""
            height = page.locator(f'svg.grades rect[data-count="{key}"]').get_attribute("height")
            return value, float(height or "nan")

        self_all, reviewed_all = bar("self-grade|优秀"), bar("reviewed-grade|良好")
        assert (self_all[0], reviewed_all[0]) == ("4", "3")
        page.select_option("select[data-filter=unit]", JIANGCHUAN)
        assert bar("self-grade|优秀") == ("2", pytest.approx(self_all[1] / 2))
        assert bar("reviewed-grade|良好")[0] == "1" and bar("reviewed-grade|优秀")[0] == "1"
        page.select_option("select[data-filter=unit]", "")
        assert bar("self-grade|优秀") == self_all

        # A check's project count shows just the projects it fired on.
        page.locator(f'#checks a[data-show-check="{some.check}"]').click()
        names = {projects.nth(i).locator("td").first.locator("a").first.inner_text()
                 for i in range(projects.count())}  # fmt: skip
        assert names == set(some.names)
        assert f"检查项：{some.title}" in page.locator("#shown").inner_text()
        page.select_option("select[data-filter=checks]", "")

        # 重复报送 is a filter of its own.
        page.select_option("select[data-filter=resubmitted]", "重复报送")
        assert projects.count() == 1 and "重复报送（2 份）" in projects.first.inner_text()
        page.select_option("select[data-filter=resubmitted]", "")

        # The units and checks tables sort by a click on a heading, twice to reverse.
        def column(table: str, number: int) -> list[str]:
            cells = page.locator(f"#{table} tbody tr td:nth-child({number})")
            return [cells.nth(i).inner_text() for i in range(cells.count())]

        page.locator("#units th", has_text="平均偏离度").locator("button").click()
        assert column("units", 1) == [JIANGCHUAN, GUMEI]  # 5.50% before 7.81%
        page.locator("#units th", has_text="平均偏离度").locator("button").click()
        assert column("units", 1) == [GUMEI, JIANGCHUAN]
        page.locator("#checks th", has_text="发现数").locator("button").click()
        found = [int(text) for text in column("checks", 4)]
        assert found == sorted(found) and len(set(found)) > 1
        page.locator("#checks th", has_text="编号").locator("button").click()
        assert column("checks", 2) == sorted(column("checks", 2))


# --- 复核报告 -------------------------------------------------------------------------


def read_docx(path: Path) -> tuple[list[str], list[list[str]], Any]:
    """A Word document read back: its paragraphs, its first table's rows, the document."""
    import docx

    document = docx.Document(str(path))
    table = [[cell.text for cell in row.cells] for row in document.tables[0].rows]
    return [p.text for p in document.paragraphs], table, document


def test_each_unit_gets_a_report_that_reads_back(rows: list[PortfolioRow], tmp_path: Path) -> None:
    from docx.oxml.ns import qn

    seed = next(row for row in rows if row.folder == "A1")
    merged = one_per_project([*rows, sent_again(seed)])
    reports, refused = write_unit_reports(merged, tmp_path, "2026-12-04 09:00")
    assert refused == [] and list(reports) == [GUMEI, JIANGCHUAN]
    assert list(reports.values()) == [tmp_path / REPORTS_DIR / report_name(unit)
                                      for unit in (GUMEI, JIANGCHUAN)]  # fmt: skip
    paragraphs, table, document = read_docx(reports[GUMEI])
    assert paragraphs[0] == f"{GUMEI}项目绩效自评复核报告"
    assert "2 个项目" in paragraphs[1] and "另有 1 份重复报送" in paragraphs[1]
    assert "平均偏离度 7.81%" in paragraphs[1]  # (7/96 + 8/96) / 2
    assert table[0] == list(SUMMARY_HEADINGS)
    assert table[1] == [
        f"{SEED_NAME}\n重复报送（2 份）", "96", "89", "7 分（7.29%）",
        "填报合计 96 分与各项相加 89 分不符",
    ]  # fmt: skip
    # 甲项目: the adjustment that moved most points first, each with its reason.
    assert table[2] == [
        "甲项目", "96", "88", "8 分（8.33%）",
        "“项目完成及时率” 14 → 8 分：两项工作延期完成；“长效管理机制健全性” 8 → 6 分：长效机制未见制度文件",
    ]  # fmt: skip
    text = "\n".join(paragraphs)
    # Each project's conclusion, as its review page opens.
    assert (
        "自评（填报）96 分（优秀），各项相加 96 分（优秀），复核 88 分（良好）；偏离度 8.33%"
        in text
    )
    moves = [p.text for p in document.paragraphs
             if p.style.name == "Normal" and p.text.startswith(("1. ", "2. ", "3. "))]  # fmt: skip
    assert moves == [  # numbered anew for each project
        "1. “项目完成及时率” 14 → 8 分：两项工作延期完成",
        "2. “长效管理机制健全性” 8 → 6 分：长效机制未见制度文件",
    ]
    assert "重复报送（2 份）：以 A1.txt 为准，另见 A1.xlsx。" in text
    assert "复核人（签字）" in text and "审核人（签字）" in text
    # Chinese fonts named for East Asian text in every style the report uses; the text
    # takes its style's font, on A4.
    for name, (font, _) in STYLES.items():
        fonts = document.styles[name].element.rPr.rFonts
        assert fonts.get(qn("w:eastAsia")) == font and fonts.get(qn("w:ascii")) == font, name
    runs = [run for p in document.paragraphs for run in p.runs if run.text.strip()]
    assert runs and all(run.font.name is None for run in runs)
    assert {p.style.name for p in document.paragraphs} <= set(STYLES)
    # The table's heading row repeats on each page, and no row splits across pages.
    heading, *lines = document.tables[0].rows
    assert heading._tr.trPr.find(qn("w:tblHeader")) is not None
    assert all(line._tr.trPr.find(qn("w:cantSplit")) is not None for line in lines)
    cell = document.tables[0].rows[1].cells[0].paragraphs[0]
    assert cell.style.name == TABLE_STYLE and cell.style.font.size.pt == 9
    section = document.sections[0]
    assert section.page_width is not None and section.page_height is not None
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    # A project that could not be reviewed says why, and counts nowhere.
    failed = dataclasses.replace(rows[2], folder="F", project="坏项目", figures=None,
                                 state="failed", error="第 3 行：权重不是数字")  # fmt: skip
    reports, _ = write_unit_reports([seed, failed], tmp_path / "again")
    paragraphs, table, _ = read_docx(reports[JIANGCHUAN])
    assert table[1] == ["坏项目", "—", "—", "—", "未能复核：第 3 行：权重不是数字"]
    # A unit no longer in the run keeps no report from an earlier one.
    reports, _ = write_unit_reports([seed], tmp_path)
    assert sorted((tmp_path / REPORTS_DIR).iterdir()) == [reports[GUMEI]]


def test_an_adjustment_the_form_changed_under_is_reported_as_waiting(
    rows: list[PortfolioRow], tmp_path: Path
) -> None:
    a2 = next(row for row in rows if row.folder == "A2")
    assert a2.figures is not None
    first, second = a2.figures.moves
    stale = dataclasses.replace(a2.figures, moves=(dataclasses.replace(first, stale=True), second))
    stored = json.loads(json.dumps(stale.to_json(), ensure_ascii=False))
    assert ProjectFigures.from_json(stored) == stale  # the mark survives the manifest
    reports, _ = write_unit_reports([dataclasses.replace(a2, figures=stale)], tmp_path)
    paragraphs, table, _ = read_docx(reports[GUMEI])
    waiting = "“项目完成及时率” 14 → 8 分（表单已变，调整待确认）：两项工作延期完成"
    assert f"1. {waiting}" in paragraphs and table[1][4].startswith(waiting)


def test_reports_of_hostile_text_stay_text_and_inside_their_folder(
    rows: list[PortfolioRow], tmp_path: Path
) -> None:
    seed = next(row for row in rows if row.folder == "A1")
    assert seed.figures is not None
    unit = "../../" + HOSTILE + "\x07\x1b[31m" + "长" * 300
    reason = "=cmd|' /C calc'!A0 <w:fldSimple w:instr=\"DDE\"/>\x00"
    move = Move("政策知晓率", D(8), D(6), reason)
    hostile = dataclasses.replace(
        seed, unit=unit, project=HOSTILE,
        figures=dataclasses.replace(seed.figures, moves=(move,), opinion=HOSTILE),
    )  # fmt: skip
    reports, refused = write_unit_reports([hostile], tmp_path)
    [path] = reports.values()
    assert (
        refused == [] and path.parent == tmp_path / REPORTS_DIR and len(path.name.encode()) <= 255
    )
    paragraphs, table, document = read_docx(path)
    text = "\n".join(paragraphs + [cell for row in table for cell in row])
    assert HOSTILE in text and "=cmd|' /C calc'!A0 <w:fldSimple" in text
    assert "\x07" not in text and "\x00" not in text
    assert len(document.core_properties.title) == 255
    with zipfile.ZipFile(path) as package:
        body = package.read("word/document.xml").decode("utf-8")
    assert "<w:fldSimple" not in body and "<w:hyperlink" not in body


def test_reports_are_the_same_bytes_with_the_time_pinned(
    rows: list[PortfolioRow], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    first, _ = write_unit_reports(rows, tmp_path / "a")
    second, _ = write_unit_reports(rows, tmp_path / "b")
    assert [p.read_bytes() for p in first.values()] == [p.read_bytes() for p in second.values()]


# --- per check -----------------------------------------------------------------------


def test_check_counts(rows: list[PortfolioRow]) -> None:
    counts = {count.check: count for count in check_counts(rows)}
    # Every project copies the seed's three boilerplate rows.
    assert (counts["rule.boilerplate"].findings, counts["rule.boilerplate"].projects) == (12, 4)
    # 政策知晓率 blank in the seed and 丙项目; their 合计 and grade disagree with the rows.
    for check in ("score.missing", "total.mismatch", "grade.mismatch"):
        assert (counts[check].findings, counts[check].projects) == (2, 2), check
    assert counts["total.mismatch"].title == catalogue().get("total.mismatch").title
    ordered = [count.projects for count in check_counts(rows)]
    assert ordered == sorted(ordered, reverse=True)
    total = sum(sum(figures(rows, r.folder).checks.values()) for r in rows)
    assert sum(count.findings for count in counts.values()) == total


# --- index.html ----------------------------------------------------------------------


def hostile_rows(rows: list[PortfolioRow]) -> list[PortfolioRow]:
    evaluation = sf.with_project(sf.seed(), name=HOSTILE, unit=f"{HOSTILE}单位")
    evaluation = sf.with_indicator(evaluation, "预算执行率", rule=f"{HOSTILE}" * 3)
    figures = ProjectFigures.of_review(load_review(evaluation, "/nonexistent"))
    hostile = PortfolioRow("H", HOSTILE, evaluation.project.unit, 2020, HOSTILE, "failed",
                           error=HOSTILE, figures=figures, key=evaluation.key)  # fmt: skip
    return [*rows, hostile]


def test_index_shows_the_portfolio(rows: list[PortfolioRow]) -> None:
    page = index_html(hostile_rows(rows))
    assert external_references(page) == []
    assert "<script>alert" not in page and page.count("<script") == 1
    assert "&lt;script&gt;alert(&quot;x&quot;)" in page
    svgs = re.findall(r"<svg.*?</svg>", page, re.S)
    assert len(svgs) == 2 and all("<script" not in svg for svg in svgs)
    assert "等级分布：自评与复核" in svgs[0] and ">良好</text>" in svgs[0]
    assert "自评得分" in svgs[1] and svgs[1].count('class="point"') == 5
    assert "&lt;script&gt;" in svgs[1]  # the hostile project's point label
    units = re.search(r'<table id="units"[^>]*>.*?</table>', page, re.S)
    assert units is not None
    jiangchuan = re.search(rf"<tr[^>]*><td>{JIANGCHUAN}</td>.*?</tr>", units[0])
    assert jiangchuan is not None and "flagged" in jiangchuan[0]
    assert (
        "全部自评满分" in jiangchuan[0] and ">5.5<" in jiangchuan[0] and ">5.50%<" in jiangchuan[0]
    )
    assert ">7.81%<" in units[0] and ">7.5<" in units[0]  # 古美路: mean 偏离度, mean gap
    assert '<option value="良好">良好</option>' in page
    assert f'data-unit="{JIANGCHUAN}"' in page
    assert ">242,400.00<" in page and ">100.00%<" in page  # budget and execution rate


# --- summary.xlsx --------------------------------------------------------------------


def test_summary_workbook(rows: list[PortfolioRow], tmp_path: Path) -> None:
    path = write_summary_workbook(hostile_rows(rows), tmp_path / "summary.xlsx")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == list(SHEETS)
    projects, budgets, units, checks, rules = (book[name] for name in SHEETS)

    def by_name(sheet: Any) -> dict[str, dict[str, Any]]:
        header = [c.value for c in sheet[1]]
        return {
            row[1]: dict(zip(header, row, strict=True))
            for row in sheet.iter_rows(2, values_only=True)
        }

    def column(sheet: Any, name: str) -> int:
        return [c.value for c in sheet[1]].index(name) + 1

    a2, a2_budget = by_name(projects)["甲项目"], by_name(budgets)["甲项目"]
    assert (a2["填报合计"], a2["各项相加"], a2["复核合计"], a2["自评−复核"]) == (96, 96, 88, 8)
    assert a2["偏离度"] == pytest.approx(8 / 96) and a2_budget["预算数（元）"] == 242400
    assert (a2_budget["执行率"], a2["复核等级"], a2["复核状态"]) == (1, "良好", "复核中")
    assert a2_budget["运行"] == "已完成" and a2_budget["来源文件"] == "A2.txt"
    assert budgets.cell(2, column(budgets, "预算数（元）")).number_format == "#,##0.00"
    assert budgets.cell(2, column(budgets, "执行率")).number_format == "0.00%"
    assert projects.cell(2, column(projects, "偏离度")).number_format == "0.00%"
    assert projects.freeze_panes == "C2" and projects.column_dimensions["B"].width == 30
    assert projects.cell(2, 2).hyperlink.target == "A1/review.html"
    for sheet in book.worksheets:  # legible on A4 landscape: few columns, the header on every page
        assert sheet.max_column <= 16 or sheet.title == "单位"
        assert sheet.print_title_rows == "$1:$1" and sheet.page_setup.orientation == "landscape"
        assert str(sheet.page_setup.paperSize) == sheet.PAPERSIZE_A4
    for sheet in (projects, budgets):
        hostile = sheet.cell(len(rows) + 2, 2)
        assert hostile.value == HOSTILE and hostile.data_type == "s" and hostile.quotePrefix

    unit_header = [c.value for c in units[1]]
    jiangchuan = dict(zip(unit_header, next(units.iter_rows(3, 3, values_only=True)), strict=True))
    assert jiangchuan["预算单位"] == JIANGCHUAN
    assert (jiangchuan["项目数"], jiangchuan["自评满分项目数"], jiangchuan["全部自评满分"]) == (
        2,
        2,
        "是",
    )
    assert (jiangchuan["自评−复核（平均）"], jiangchuan["自评−复核（最大）"]) == (5.5, 11)
    assert jiangchuan["平均偏离度"] == pytest.approx(0.055)
    assert (jiangchuan["自评·优秀"], jiangchuan["复核·优秀"], jiangchuan["复核·良好"]) == (2, 1, 1)
    assert units.cell(3, unit_header.index("平均偏离度") + 1).number_format == "0.00%"
    assert units.freeze_panes == "B2"

    by_check = {row[1]: row for row in checks.iter_rows(2, values_only=True)}
    assert by_check["rule.boilerplate"][3:] == (15, 5)  # the hostile project copies them too
    assert by_check["total.mismatch"][0] == catalogue().get("total.mismatch").title
    assert checks.freeze_panes == "A2"
    scopes = [row[0] for row in rules.iter_rows(2, values_only=True)]
    assert scopes.count("全部项目") == 10 and scopes.count(GUMEI) == 10
    for sheet in book.worksheets:  # nothing from a form became a formula
        for line in sheet.iter_rows():
            assert all(cell.data_type != "f" for cell in line)


# --- one real run --------------------------------------------------------------------


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two forms of two units: the seed (96 → 89) and 江川路项目 (合计 100, 复核 87)."""
    root = tmp_path_factory.mktemp("run")
    forms, out, params = root / "forms", root / "out", root / "params"
    forms.mkdir()
    fg.write_tsv(fg.seed_rows(), forms / "a.txt")
    rows = fg.set_cell(fg.seed_rows(), "项目名称", "B", "江川路项目")
    rows = fg.set_cell(rows, "预算单位", "G", JIANGCHUAN)
    fg.write_xlsx(fg.set_cell(rows, "合计", "自评分", "100.00"), forms / "b.xlsx")
    [other], _ = read_form(forms / "b.xlsx")
    AdjustmentStore(params).adjust(other, "长效管理机制健全性", "6", "机制未见文件", "王复核")
    argv = ["run", str(forms), "--out", str(out), "--params", str(params), "--jobs", "2",
            "--notebook", str(REAL_NOTEBOOK)]  # fmt: skip
    assert cli.main(argv) == 0
    return out


def summary_rows(out: Path) -> dict[str, dict[str, object]]:
    sheet = openpyxl.load_workbook(out / "summary.xlsx")["项目"]
    header = [c.value for c in sheet[1]]
    return {
        str(row[1]): dict(zip(header, row, strict=True))
        for row in sheet.iter_rows(2, values_only=True)
    }


@pytest.mark.slow
def test_a_run_writes_the_portfolio_and_a_workbook_per_project(run: Path) -> None:
    folders = project_folders(run)
    assert len(folders) == 2
    for folder in folders:
        assert (folder / "review.html").is_file() and (folder / "review.xlsx").is_file()
        sheet = openpyxl.load_workbook(folder / "review.xlsx")["复核表"]
        assert sheet["B2"].value in (SEED_NAME, "江川路项目")
    manifest = Manifest.load(run / MANIFEST_NAME).projects
    assert all(e["outputs"]["workbook"].endswith("/review.xlsx") for e in manifest.values())
    figures = {e["project"]: e["summary"] for e in manifest.values()}
    assert figures["江川路项目"]["reviewed"] == 87 and figures["江川路项目"]["full_marks"]
    assert figures[SEED_NAME]["deviation"] == 0.0729  # 7 / 96

    def check(out: Path) -> None:
        table = summary_rows(out)
        seed, other = table[SEED_NAME], table["江川路项目"]
        assert (seed["填报合计"], seed["复核合计"], seed["复核等级"]) == (96, 89, "良好")
        assert (other["填报合计"], other["各项相加"], other["复核合计"]) == (100, 89, 87)
        assert other["偏离度"] == pytest.approx(0.13) and other["复核状态"] == "复核中"
        index = (out / "index.html").read_text(encoding="utf-8")
        assert ">7.29%<" in index and ">13.00%<" in index and "review.xlsx" in index

    check(run)
    # A second run skips both projects; the portfolio still has every figure.
    argv = ["run", str(run.parent / "forms"), "--out", str(run), "--params",
            str(run.parent / "params"), "--notebook", str(REAL_NOTEBOOK)]  # fmt: skip
    assert cli.main(argv) == 0
    manifest = Manifest.load(run / MANIFEST_NAME).projects
    assert all(e["result"] == "ok" for e in manifest.values())
    check(run)


@pytest.mark.slow
@pytest.mark.browser
def test_the_index_filters_offline(run: Path) -> None:
    with launch_browser() as browser, open_offline(browser, run / "index.html") as (page, asked):
        assert asked == []
        rows = page.locator("#projects tbody tr")
        points = page.locator("svg.totals circle.point")
        assert rows.count() == 2 and points.count() == 2
        # The charts draw their Chinese labels as text, in the page's fonts.
        label = page.locator("svg.grades text", has_text="自评（填报等级）")
        assert label.count() == 1
        assert label.evaluate("node => node.getComputedTextLength()") > 40
        axis = page.locator("svg.totals text").filter(has_text=re.compile("^复核得分$"))
        assert axis.count() == 1 and axis.evaluate("node => node.getComputedTextLength()") > 40

        page.select_option("select[data-filter=unit]", JIANGCHUAN)
        assert [rows.nth(i).is_visible() for i in range(2)].count(True) == 1
        assert "江川路项目" in page.locator("#projects tbody tr:visible").inner_text()
        assert [points.nth(i).is_visible() for i in range(2)].count(True) == 1
        assert page.locator("#shown").inner_text() == f"显示 1 / 2 个项目（预算单位：{JIANGCHUAN}）"

        # Filters and sorting combine: sort, then filter by reviewed grade too.
        page.locator("#projects th", has_text="复核合计").locator("button").click()
        page.select_option("select[data-filter=reviewed-grade]", "良好")
        assert page.locator("#projects tbody tr:visible").count() == 1
        page.select_option("select[data-filter=unit]", "")
        visible = page.locator("#projects tbody tr:visible")
        assert visible.count() == 2
        assert "江川路项目" in visible.first.inner_text()  # 87 before 89, ascending
        page.select_option("select[data-filter=self-grade]", "优秀")
        shown = "显示 2 / 2 个项目（自评等级：优秀，复核等级：良好）"
        assert page.locator("#shown").inner_text() == shown


def many_rows(rows: list[PortfolioRow], count: int) -> list[PortfolioRow]:
    """``count`` projects made from the batch's four, numbered (名称 0001 …) and spread
    over the two units in turn."""
    return [
        dataclasses.replace(
            rows[i % len(rows)],
            folder=f"P{i:04d}",
            project=f"{rows[i % len(rows)].project} {i:04d}",
            review_href=f"P{i:04d}/review.html",
            key=f"K{i:04d}",
        )
        for i in range(count)
    ]


def test_a_big_portfolio_sends_one_page_of_rows_and_the_rest_unrendered(
    rows: list[PortfolioRow],
) -> None:
    page = index_html(many_rows(rows, 2500))
    table = page[
        page.index('<table id="projects"') : page.index(
            "</table>", page.index('<table id="projects"')
        )
    ]
    assert table.count("<tr") == 1 + 100  # the heading and the first page
    template = page[page.index('<template id="more-projects">') : page.index("</template>")]
    assert template.count("<tr") == 2400
    assert "散点图从略" in page and 'class="point"' not in page  # 2,500 points are too many


def test_a_rule_a_province_shares_lists_twenty_projects_and_counts_the_rest(
    rows: list[PortfolioRow], tmp_path: Path
) -> None:
    many = many_rows(rows, 60)
    [rule, *_] = shared_rules(many)
    assert rule.count == 60
    listed = rule.project_list()
    assert listed.endswith(" 等 60 个项目") and listed.count("、") == 19
    units, more = rule.units_listed(limit=1)
    assert len(units) == 1 and more == 1
    page = index_html(many)
    assert " 等 60 个项目" in page
    summary = openpyxl.load_workbook(write_summary_workbook(many, tmp_path / "s.xlsx"))
    assert any(
        " 等 60 个项目" in str(c.value) for line in summary["雷同规则"].iter_rows() for c in line
    )


@pytest.mark.browser
def test_a_big_portfolio_pages_searches_and_filters_offline(
    rows: list[PortfolioRow], tmp_path: Path
) -> None:
    path = tmp_path / "index.html"
    path.write_text(index_html(many_rows(rows, 250)), encoding="utf-8")
    with launch_browser() as browser, open_offline(browser, path) as (page, asked):
        assert asked == []
        body = page.locator("#projects tbody tr")
        assert body.count() == 100
        assert page.locator("#pager .page").inner_text() == "第 1 / 3 页"
        assert "0000" in body.first.inner_text()
        page.locator("#pager [data-page=next]").click()
        assert "0100" in body.first.inner_text() and body.count() == 100
        page.locator("#pager [data-page=next]").click()
        assert body.count() == 50 and page.locator("#pager [data-page=next]").is_disabled()

        # Search and filters reach every page, not only the one shown.
        page.fill("#search", "0249")
        assert body.count() == 1 and "0249" in body.first.inner_text()
        assert page.locator("#pager").is_hidden()
        assert page.locator("#shown").inner_text() == "显示 1 / 250 个项目（搜索：0249）"
        page.fill("#search", "")
        page.select_option("select[data-filter=unit]", JIANGCHUAN)
        assert page.locator("#shown").inner_text().startswith("显示 124 / 250 个项目")
        assert page.locator("#pager .page").inner_text() == "第 1 / 2 页"

        # Sorting orders all 250, then pages: descending by name puts 0249's kind first.
        page.select_option("select[data-filter=unit]", "")
        heading = page.locator("#projects th", has_text="项目名称").locator("button")
        heading.click()
        heading.click()
        first = body.first.inner_text()
        assert first.split("\t")[0].endswith(("0249", "0245", "0247", "0248", "0246"))


@pytest.mark.slow
def test_a_workbook_that_cannot_be_written_fails_its_project(tmp_path: Path) -> None:
    out, params = tmp_path / "out", tmp_path / "params"
    [evaluation], _ = read_form(fg.SEED_TSV)
    [folder] = folder_names([evaluation])
    blocked = out / folder / "review.xlsx"
    (blocked / "keep").mkdir(parents=True)  # a folder where the workbook should go
    options = RunOptions(out_dir=out, params_dir=params, jobs=1, notebook=REAL_NOTEBOOK)

    report = run_batch([fg.SEED_TSV], options)

    [project] = report.failed
    assert str(project.error).startswith("复核工作簿 review.xlsx 未能写出：无法写入复核工作簿")
    assert set(project.outputs) == {"notebook", "html"}  # the review itself is complete
    entry = Manifest.load(out / MANIFEST_NAME).projects[folder]
    assert entry["result"] == "failed" and entry["summary"]["reviewed"] == 89
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "未能写出" in index and ">89 <span" in index

    shutil.rmtree(blocked)
    report = run_batch([fg.SEED_TSV], options)  # a failed project is tried again
    assert report.count("done") == 1 and blocked.is_file()


@pytest.mark.slow
def test_a_mixed_folder_of_both_formats_gives_one_portfolio(tmp_path: Path) -> None:
    """The district seed and the national examples in one run, one index, one summary."""
    forms, out = tmp_path / "forms", tmp_path / "out"
    shutil.copytree(ROOT / "examples" / "national", forms / "national")
    shutil.copy(ROOT / "examples" / "000_81c9c1dad6fba498.xlsx", forms)
    argv = ["run", str(forms), "--out", str(out), "--params", str(tmp_path / "params"),
            "--jobs", "2", "--notebook", str(REAL_NOTEBOOK)]  # fmt: skip
    assert cli.main(argv) == 0
    table = summary_rows(out)
    assert len(table) == 4
    seed = table[SEED_NAME]
    assert (seed["填报合计"], seed["复核等级"]) == (96, "良好")  # district bands
    national = [row for name, row in table.items() if name != SEED_NAME]
    # The national form states no grade: its 总分 is graded on 优/良/中/差.
    assert {row["复核等级"] for row in national} <= {"优", "良", "中", "差"}
    assert all(row["填报等级"] in {"优", "良", "中", "差"} for row in national)
    index = (out / "index.html").read_text(encoding="utf-8")
    assert index.count('href="') >= 4 and "2023年度农村生活污水处理设施运维项目" in index
    checks = openpyxl.load_workbook(out / "summary.xlsx")["检查项"]
    fired = {row[1] for row in checks.iter_rows(2, values_only=True)}
    assert {"category.subtotal", "budget.score"} <= fired  # one from each format


def test_each_grade_scale_has_its_own_chart(rows: list[PortfolioRow]) -> None:
    national = [
        dataclasses.replace(
            row,
            folder=f"N{i}",
            key=f"N{i}",
            figures=dataclasses.replace(row.figures, declared_grade="优", reviewed_grade="良"),
        )
        for i, row in enumerate(rows)
        if row.figures is not None
    ]
    page = index_html([*rows, *national])
    assert page.count('class="chart grades"') == 2  # 优秀 and 优 never side by side
    assert "等级分布（区级自评表：优秀 / 良好 / 合格 / 不合格）" in page
    assert "等级分布（财政部自评表：优 / 良 / 中 / 差）" in page
    one = index_html(rows)
    assert one.count('class="chart grades"') == 1 and "等级分布：自评与复核" in one


@pytest.mark.browser
def test_the_review_status_filter_reaches_rows_and_chart(
    rows: list[PortfolioRow], tmp_path: Path
) -> None:
    path = tmp_path / "index.html"
    path.write_text(index_html(rows), encoding="utf-8")
    statuses = [row.figures.status for row in rows if row.figures is not None]
    assert "复核中" in statuses and "未开始" in statuses
    with launch_browser() as browser, open_offline(browser, path) as (page, asked):
        assert asked == []
        page.select_option("select[data-filter=status]", "复核中")
        shown = page.locator("#projects tbody tr")
        assert shown.count() == statuses.count("复核中")
        assert "甲项目" in shown.first.inner_text()  # the one with saved adjustments
        points = page.locator("svg.totals circle.point")
        visible = [points.nth(i).is_visible() for i in range(points.count())]
        assert visible.count(True) == statuses.count("复核中")
        assert page.locator("#shown").inner_text().endswith("（复核状态：复核中）")
