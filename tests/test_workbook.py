"""The annotated review workbook: its layout, that form text never becomes a formula,
and the way back — a reviewer's edits in Excel recorded through ``perfeval import-review``.

Workbooks are read back with openpyxl, as a reviewer's Excel would open them.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import formgen as fg
import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

import perfeval.review.importing
import perfeval.review.original
import perfeval.show.xlsx
from perfeval.cli import main
from perfeval.exceptions import PerfevalError
from perfeval.model import BudgetBlock
from perfeval.read.forms import read_form
from perfeval.review.build import Review, load_review
from perfeval.review.store import AdjustmentStore
from perfeval.review.workbook import COLUMNS, FINDING_COLUMNS, HEADER_ROW
from perfeval.show.xlsx import write_review_workbook

D = Decimal
SEED_NAMES = (
    "财务（资产）管理制度健全性和执行的有效性",
    "项目设立的规范性",
    "绩效目标合理性",
    "预算执行率",
    "资金使用的合规性",
    "项目管理制度健全性和执行的有效性",
    "项目完成率",
    "项目完成合格率",
    "项目完成及时率",
    "受益人群覆盖率",
    "政策知晓率",
    "长效管理机制健全性",
    "受益人群满意度",
)
REASON = "合计 96.00 与各行之和 89 相差 7，按合计推定政策知晓率 7 分；已核对问卷"
ERROR_FILL, WARNING_FILL = "FFC7CE", "FFEB9C"


def review_of(form: Path, params: Path) -> Review:
    evaluations, _ = read_form(form)
    return load_review(evaluations[0], params)


def write(tmp_path: Path, form: Path = fg.SEED_XLSX) -> Path:
    return write_review_workbook(review_of(form, tmp_path / "params"), tmp_path / "review.xlsx")


COLUMN = {label: number for number, label in enumerate(COLUMNS, start=1)}
NAME, SCORE, REASON_COLUMN, FOUND = (
    COLUMN[c] for c in ("三级指标", "复核得分", "调整理由", "检查发现")
)


def table(sheet: Worksheet) -> dict[str, int]:
    """Row numbers of the review table by 三级指标 (totals included)."""
    return {
        str(sheet.cell(row, NAME).value): row
        for row in range(HEADER_ROW + 1, sheet.max_row + 1)
        if sheet.cell(row, NAME).value is not None
    }


def edit(path: Path, changes: dict[str, tuple[Any, Any]]) -> None:
    """Fill 复核得分 and 调整理由 of some rows, as a reviewer would in Excel."""
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["复核表"]
    rows = table(sheet)
    for name, (score, reason) in changes.items():
        sheet.cell(rows[name], SCORE).value = score
        sheet.cell(rows[name], REASON_COLUMN).value = reason
    workbook.save(path)


def import_review(path: Path, params: Path, *extra: str) -> int:
    return main(["import-review", str(path), "--reviewer", "张三", "--params", str(params), *extra])


def current_scores(form: Path, params: Path) -> dict[str, Decimal]:
    review = review_of(form, params)
    return {name: adjustment.score for name, adjustment in review.record.adjustments.items()}


def test_public_names() -> None:
    assert sorted(perfeval.show.xlsx.__all__) == [
        "fill",
        "put",
        "write_review_workbook",
        "written_score",
    ]
    assert sorted(perfeval.review.importing.__all__) == [
        "ImportResult",
        "Refused",
        "Taken",
        "import_review",
        "parse_score",
    ]


# --- layout ------------------------------------------------------------------------


def test_review_sheet_layout(tmp_path: Path) -> None:
    workbook = openpyxl.load_workbook(write(tmp_path))
    assert workbook.sheetnames == ["复核表", "检查发现", "原表", "_perfeval"]
    assert workbook["_perfeval"].sheet_state == "hidden"
    sheet = workbook["复核表"]
    header = [sheet.cell(HEADER_ROW, c).value for c in range(1, len(COLUMNS) + 1)]
    assert header == list(COLUMNS) == [
        "一级指标", "二级指标", "三级指标", "指标值", "权重", "自评完成值", "自评得分",
        "复核完成值", "复核得分", "偏离度", "调整理由", "复核人", "复核时间", "备注", "检查发现",
    ]  # fmt: skip
    rows = table(sheet)
    names = [n for n in rows if n not in ("填报合计", "各项相加", "复核合计")]
    assert names == list(SEED_NAMES)
    assert list(rows.values())[:13] == list(range(HEADER_ROW + 1, HEADER_ROW + 14))

    def values(name: str, *labels: str) -> list[Any]:
        return [sheet.cell(rows[name], COLUMN[label]).value for label in labels]

    scores = ("权重", "自评得分", "复核得分", "偏离度", "调整理由")
    assert values("预算执行率", "一级指标", "三级指标", *scores) == [
        "投入与管理", "预算执行率", 8, 8, 8, 0, None,
    ]  # fmt: skip
    assert values("项目管理制度健全性和执行的有效性", "权重", "自评得分", "复核得分") == [4, 2, 2]
    assert values("政策知晓率", *scores[:4]) == [7, None, None, None]  # nothing decided
    assert values("填报合计", "自评得分", "调整理由") == [96, "等级：优秀"]
    assert values("各项相加", "自评得分", "调整理由") == [89, "等级：良好"]
    assert values("复核合计", "复核得分", "调整理由") == [89, "等级：良好"]
    assert values("复核合计", "偏离度")[0] == pytest.approx(7 / 96, abs=1e-4)
    assert sheet.cell(rows["复核合计"], COLUMN["偏离度"]).number_format == "0.00%"
    assert sheet.cell(rows["预算执行率"], COLUMN["偏离度"]).number_format == "0.00%"
    # the form's 备注 in its column, 评分规则 a comment on the indicator
    rule = sheet.cell(rows["预算执行率"], NAME).comment
    assert rule is not None and rule.text.startswith("评分规则：")
    # the header block names the project
    assert sheet["B2"].value == "(党建办) 组团式服务联系群众专项"
    assert sheet["F2"].value == "上海市闵行区人民政府古美路街道办事处"


def test_review_sheet_highlights_and_prints(tmp_path: Path) -> None:
    sheet = openpyxl.load_workbook(write(tmp_path))["复核表"]
    rows = table(sheet)

    def fill(name: str) -> str:
        return str(sheet.cell(rows[name], NAME).fill.fgColor.rgb)[-6:]

    assert fill("政策知晓率") == ERROR_FILL  # score.missing
    assert fill("预算执行率") == ERROR_FILL  # rule.bands
    assert fill("项目完成率") == WARNING_FILL  # rule.boilerplate
    assert sheet.cell(rows["受益人群满意度"], NAME).fill.fill_type is None
    assert sheet.freeze_panes == f"D{HEADER_ROW + 1}"
    assert sheet.print_title_rows == f"${HEADER_ROW}:${HEADER_ROW}"
    assert sheet.page_setup.orientation == "landscape"
    assert str(sheet.page_setup.paperSize) == str(sheet.PAPERSIZE_A4)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.page_setup.fitToWidth == 1
    assert sheet.cell(rows["政策知晓率"], FOUND).alignment.wrap_text
    assert sheet.column_dimensions["O"].width > 40
    # a row as tall as its wrapped text, so LibreOffice and WPS do not overlap the rows
    assert sheet.row_dimensions[rows["政策知晓率"]].height >= 30


def test_findings_are_comments_on_their_rows(tmp_path: Path) -> None:
    review = review_of(fg.SEED_XLSX, tmp_path / "params")
    path = write_review_workbook(review, tmp_path / "review.xlsx")
    sheet = openpyxl.load_workbook(path)["复核表"]
    rows = table(sheet)
    for item in review.indicators:
        cell = sheet.cell(rows[item.indicator.name], FOUND)
        if item.findings:
            assert cell.comment is not None and cell.comment.author == "perfeval"
            for finding in item.findings:
                assert finding.message in cell.value
                assert finding.message in cell.comment.text
        else:
            assert cell.comment is None and cell.value is None
    assert "没有自评分" in sheet.cell(rows["政策知晓率"], FOUND).comment.text


def test_findings_sheet(tmp_path: Path) -> None:
    review = review_of(fg.SEED_XLSX, tmp_path / "params")
    path = write_review_workbook(review, tmp_path / "review.xlsx")
    sheet = openpyxl.load_workbook(path)["检查发现"]
    assert [c.value for c in sheet[1]] == list(FINDING_COLUMNS)
    assert list(FINDING_COLUMNS) == ["等级", "检查项", "对象", "发现", "依据", "建议"]
    assert sheet.max_row == 1 + len(review.findings)
    found = {(row[1].value, row[2].value): row for row in sheet.iter_rows(min_row=2)}
    total = found["合计与各项得分不符", "全表"]
    assert total[0].value == "错误"
    assert "填报：96" in total[4].value and "各项相加：89" in total[4].value
    assert "空白指标：政策知晓率" in total[4].value
    subtotal = found["一级指标分值", "一级指标：投入与管理"]
    assert "投入与管理（36分）：财务（资产）管理制度健全性和执行的有效性至" in subtotal[4].value
    for row in sheet.iter_rows(min_row=2):  # readable text, not JSON, and Chinese only
        assert not str(row[4].value or "").startswith(("{", "["))
        assert not re.search(r"[a-z]+\.[a-z_]+", str(row[1].value)), row[1].value


# --- the form as received -------------------------------------------------------------


def test_original_workbook_sheet_is_copied_with_merges(tmp_path: Path) -> None:
    copied = openpyxl.load_workbook(write(tmp_path))["原表"]
    source = openpyxl.load_workbook(fg.SEED_XLSX, data_only=True)["自评表"]
    assert {str(r) for r in copied.merged_cells.ranges} == {
        str(r) for r in source.merged_cells.ranges
    }
    assert len(copied.merged_cells.ranges) > 10
    for row in source.iter_rows():
        for cell in row:
            assert copied[cell.coordinate].value == cell.value, cell.coordinate
            if cell.value is not None:
                assert copied[cell.coordinate].number_format == cell.number_format
    assert copied.column_dimensions["E"].width == source.column_dimensions["E"].width


def test_a_workbook_too_big_to_copy_with_styles_is_copied_as_its_values(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # openpyxl holds a whole workbook in memory; past the bound only the grid is copied.
    monkeypatch.setattr(perfeval.review.original, "FULL_COPY_BYTES", 0)
    copied = openpyxl.load_workbook(write(tmp_path))["原表"]
    assert copied["A2"].value == "项目名称"
    assert copied["B4"].value == 242400
    assert copied["G5"].value == 1 and copied["G5"].number_format == "0.00%"


def test_original_text_export_is_copied_as_its_grid(tmp_path: Path) -> None:
    copied = openpyxl.load_workbook(write(tmp_path, fg.SEED_TSV))["原表"]
    numbers = 0
    for r, row in enumerate(fg.seed_rows(), start=1):
        for c, text in enumerate(row, start=1):
            cell = copied.cell(r, c)
            number = perfeval.review.original.as_number(text)
            if number is not None:  # numbers stored as numbers, shown as written
                numbers += 1
                assert (cell.value, cell.number_format) == pytest.approx(number), (r, c)
            else:
                assert (cell.value or "") == (text if text.strip() else ""), (r, c)
    assert numbers > 20
    [(r, c)] = [(r, c) for r, row in enumerate(fg.seed_rows(), 1) for c, text in
                enumerate(row, 1) if text == "242,400.00"][:1]  # fmt: skip
    assert copied.cell(r, c).value == 242400 and copied.cell(r, c).number_format == "#,##0.00"
    assert copied.page_setup.orientation == "landscape" and copied.page_setup.fitToWidth == 1


# --- form text never becomes a formula -------------------------------------------------

DANGEROUS = {
    ("政策知晓率", "指标名称"): '=HYPERLINK("http://x","y")',
    ("预算单位", "G"): "=1+1",
    ("长效管理机制健全性", "备注"): "+1+2",
    ("项目管理制度健全性和执行的有效性", "备注"): "-3+4",
    ("受益人群满意度", "评分规则"): "@SUM(A1:A9)",
    ("受益人群覆盖率", "备注"): "=cmd|'/c calc'!A1",
}


def dangerous_form(tmp_path: Path, kind: str) -> Path:
    rows = fg.seed_rows()
    for (label, column), value in DANGEROUS.items():
        rows = fg.set_cell(rows, label, column, value)
    if kind == "tsv":
        return fg.write_tsv(rows, tmp_path / "form.txt")
    path = fg.write_xlsx(rows, tmp_path / "form.xlsx")
    workbook = openpyxl.load_workbook(path)  # openpyxl wrote them as formulas: make them text
    for row in workbook.active.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"
    workbook.save(path)
    return path


@pytest.mark.parametrize("kind", ["tsv", "xlsx"])
def test_form_text_is_never_a_formula(tmp_path: Path, kind: str) -> None:
    form = dangerous_form(tmp_path, kind)
    evaluation = read_form(form)[0][0]
    assert evaluation.indicator('=HYPERLINK("http://x","y")') is not None
    path = write_review_workbook(load_review(evaluation, tmp_path / "params"), tmp_path / "r.xlsx")

    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert not re.search(rb"<f[\s>/]", archive.read(name)), name
    workbook = openpyxl.load_workbook(path)
    seen: dict[str, set[str]] = {}
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith(("=", "+", "-", "@")):
                    assert cell.data_type == "s", (sheet.title, cell.coordinate)
                    assert cell.quotePrefix, (sheet.title, cell.coordinate)
                    seen.setdefault(cell.value, set()).add(sheet.title)
    assert all("原表" in seen[value] for value in DANGEROUS.values())
    assert {"复核表", "检查发现", "_perfeval"} <= seen['=HYPERLINK("http://x","y")']
    assert "复核表" in seen["=1+1"]  # the unit, in the header block


# --- writing is atomic -------------------------------------------------------------------


def test_a_failed_write_keeps_the_old_workbook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path)
    before = path.read_bytes()

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("os.fsync", disk_full)
    with pytest.raises(PerfevalError, match="无法写入复核工作簿"):
        write(tmp_path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["review.xlsx"]


# --- the way back --------------------------------------------------------------------------


def test_round_trip_takes_valid_rows_and_reports_refused_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path)
    edit(path, {"政策知晓率": (7, REASON), "项目完成率": (12, "完成情况好于预期")})
    assert import_review(path, tmp_path / "params") == 1
    out = capsys.readouterr().out
    assert current_scores(fg.SEED_XLSX, tmp_path / "params") == {"政策知晓率": D(7)}
    review = review_of(fg.SEED_XLSX, tmp_path / "params")
    adjustment = review.record.adjustments["政策知晓率"]
    assert (adjustment.reason, adjustment.reviewer) == (REASON, "张三")
    assert "已记录 1 项" in out and "政策知晓率：— → 7 分" in out and REASON in out
    assert "未记录 1 项" in out
    assert "项目完成率" in out and "超出范围，应在 0 到权重 10 之间" in out
    assert "受益人群满意度" not in out  # unchanged rows are skipped silently
    assert "复核合计 96 分，等级 优秀" in out

    # the same workbook again: the taken row is not a conflict, the refused one still is
    assert import_review(path, tmp_path / "params") == 1
    out = capsys.readouterr().out
    assert "已记录" not in out and "冲突" not in out and "超出范围" in out


def test_a_verified_value_and_the_reviewer_are_kept_and_shown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path)
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["复核表"]
    row = table(sheet)["受益人群覆盖率"]
    sheet.cell(row, SCORE).value = 8
    sheet.cell(row, REASON_COLUMN).value = "抽查名册覆盖不足"
    sheet.cell(row, COLUMN["复核完成值"]).value = "覆盖 86%"
    workbook.save(path)
    assert import_review(path, tmp_path / "params") == 0
    adjustment = review_of(fg.SEED_XLSX, tmp_path / "params").record.adjustments["受益人群覆盖率"]
    assert adjustment.reason == "抽查名册覆盖不足（复核完成值：覆盖 86%）"  # nothing typed is lost

    again = write(tmp_path)  # regenerated: the value back in its column, who and when printed
    sheet = openpyxl.load_workbook(again)["复核表"]
    row = table(sheet)["受益人群覆盖率"]
    shown = {label: sheet.cell(row, COLUMN[label]).value for label in COLUMN}
    assert shown["复核完成值"] == "覆盖 86%" and shown["调整理由"] == "抽查名册覆盖不足"
    assert shown["复核人"] == "张三" and re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d", shown["复核时间"]
    )
    capsys.readouterr()
    assert import_review(again, tmp_path / "params") == 0  # untouched: nothing to record
    assert "已记录" not in capsys.readouterr().out


@pytest.mark.parametrize("typed", ["７", " 7 ", "7分", 7.0, "6.5"])
def test_scores_typed_as_text_are_accepted(
    tmp_path: Path, typed: object, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path)
    edit(path, {"政策知晓率": (typed, REASON)})
    assert import_review(path, tmp_path / "params") == 0
    expected = D("6.5") if typed == "6.5" else D(7)
    assert current_scores(fg.SEED_XLSX, tmp_path / "params") == {"政策知晓率": expected}


def test_a_changed_score_without_a_reason_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path)
    edit(path, {"受益人群满意度": (4, None), "政策知晓率": (None, None)})
    assert import_review(path, tmp_path / "params") == 1
    out = capsys.readouterr().out
    assert "受益人群满意度" in out and "调整理由不能为空" in out
    assert current_scores(fg.SEED_XLSX, tmp_path / "params") == {}


def test_a_new_score_under_the_old_reason_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    evaluation = read_form(fg.SEED_XLSX)[0][0]
    AdjustmentStore(tmp_path / "params").adjust(evaluation, "政策知晓率", 7, REASON, "李四")
    path = write(tmp_path)
    sheet = openpyxl.load_workbook(path)["复核表"]
    assert sheet.cell(table(sheet)["政策知晓率"], REASON_COLUMN).value == REASON
    edit(path, {"政策知晓率": (5, REASON)})
    assert import_review(path, tmp_path / "params") == 1
    assert "仍是原来的理由" in capsys.readouterr().out
    edit(path, {"政策知晓率": (7, "问卷复核后维持 7 分")})  # same score, new reason: a confirmation
    assert import_review(path, tmp_path / "params") == 0
    assert "7 分（确认原分数）" in capsys.readouterr().out
    record = review_of(fg.SEED_XLSX, tmp_path / "params").record
    assert record.adjustments["政策知晓率"].reason == "问卷复核后维持 7 分"


def test_a_row_someone_else_changed_meanwhile_is_a_conflict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path)
    evaluation = read_form(fg.SEED_XLSX)[0][0]
    AdjustmentStore(tmp_path / "params").adjust(evaluation, "政策知晓率", 5, "问卷不足", "李四")
    edit(path, {"政策知晓率": (7, REASON), "长效管理机制健全性": (7, "机制尚未建立")})
    assert import_review(path, tmp_path / "params") == 1
    out = capsys.readouterr().out
    assert "政策知晓率" in out and "冲突" in out and "李四" in out
    assert current_scores(fg.SEED_XLSX, tmp_path / "params") == {
        "政策知晓率": D(5),
        "长效管理机制健全性": D(7),
    }


def test_the_form_is_found_by_its_recorded_path_or_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    form = shutil.copy(fg.SEED_XLSX, tmp_path / "自评表.xlsx")
    path = write(tmp_path, Path(form))
    edit(path, {"政策知晓率": (7, REASON)})
    Path(form).unlink()
    assert import_review(path, tmp_path / "params") == 2
    err = capsys.readouterr().err
    assert "找不到原表" in err and "--form" in err
    assert import_review(path, tmp_path / "params", "--form", str(fg.SEED_TSV)) == 0
    assert current_scores(fg.SEED_TSV, tmp_path / "params") == {"政策知晓率": D(7)}


def test_another_projects_form_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path)
    other = fg.write_tsv(
        fg.set_cell(fg.seed_rows(), "项目名称", "B", "另一个项目"), tmp_path / "o.txt"
    )
    assert import_review(path, tmp_path / "params", "--form", str(other)) == 2
    assert "没有与复核表对应的项目" in capsys.readouterr().err


@pytest.mark.parametrize("content", [b"not a workbook", b"PK\x03\x04broken"])
def test_an_unreadable_workbook_exits_2(
    tmp_path: Path, content: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "review.xlsx"
    path.write_bytes(content)
    assert import_review(path, tmp_path / "params") == 2
    assert "review.xlsx" in capsys.readouterr().err


def test_a_form_workbook_is_not_a_review_workbook(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert import_review(fg.SEED_XLSX, tmp_path / "params") == 2
    assert "不是 perfeval 生成的复核工作簿" in capsys.readouterr().err


def test_a_budget_row_is_shown_but_never_imported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    evaluation = read_form(fg.SEED_XLSX)[0][0]
    evaluation.budget_block = BudgetBlock(weight=D(10), rate=D(1), score=D(10))
    review = load_review(evaluation, tmp_path / "params")
    path = write_review_workbook(review, tmp_path / "review.xlsx")
    sheet = openpyxl.load_workbook(path)["复核表"]
    rows = table(sheet)
    labels = ("一级指标", "权重", "自评得分", "复核得分")
    assert [sheet.cell(rows["预算执行"], COLUMN[c]).value for c in labels] == [
        "项目资金",
        10,
        10,
        10,
    ]
    assert sheet.cell(rows["各项相加"], COLUMN["自评得分"]).value == 99
    edit(path, {"政策知晓率": (7, REASON)})
    assert import_review(path, tmp_path / "params") == 0
    assert "未记录" not in capsys.readouterr().out
