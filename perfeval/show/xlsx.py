"""The annotated review workbook (``review.xlsx``); ``review.workbook`` reads it back.

``write_review_workbook`` writes, atomically (a temp file in the same folder, then
``os.replace``):

- 复核表 — the practitioners' review sheet. Rows 1–5 are a header block (project,
  unit, source, status, opinion, findings summary); row ``HEADER_ROW`` (6) is the
  table header ``COLUMNS``: 一级指标 | 指标名称 | 权重 | 自评得分 | 复核得分 | 偏离度 |
  调整理由 | 检查发现. One row per indicator follows, then the rows 填报合计 /
  各项相加 (in 自评得分) and 复核合计 (in 复核得分), each with its grade (in 调整理由).
  Rows with an error are filled light red, with a warning light yellow; a row's
  findings are also a comment on its 检查发现 cell.
- 检查发现 — one row per finding: 等级 | 检查项 | 对象 | 发现 | 依据 | 建议.
- 原表 — the source sheet as received: for a workbook its values (cached values,
  never formulas), merged ranges, number formats, styles and column widths; for
  .xls and text exports the grid ``read_sheets`` gives (plus an .xls's merges).
- _perfeval (hidden) — what ``perfeval.importing`` needs to bring the workbook back:
  the project key, the source path and sheet, and each indicator's 复核得分 and
  调整理由 as written.

Nothing taken from a form is ever written as a formula: every string goes in as a
string cell, and one a spreadsheet could evaluate (starting with =, +, -, @, tab or
CR) also gets Excel's quote prefix, so that editing the cell keeps it text.
"""

from __future__ import annotations

from copy import copy
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from .. import fmt
from ..atomic import write_atomic
from ..check.catalogue import catalogue
from ..exceptions import PerfevalError
from ..findings import Finding, counts_text
from ..model import Evaluation
from ..review.build import IndicatorReview, Review
from ..review.original import original_sheet
from ..review.workbook import (
    BUDGET_LABEL,
    COLUMNS,
    FINDING_COLUMNS,
    FINDINGS_SHEET,
    FORMAT_VERSION,
    HEADER_ROW,
    META_SHEET,
    ORIGINAL_SHEET,
    REVIEW_SHEET,
    TOTAL_LABELS,
    split_actual,
)
from ..stamp import now, office_bytes
from .labels import evidence_text

__all__ = [
    "fill",
    "put",
    "write_review_workbook",
    "written_score",
]

#: The widths of 复核表's columns (``COLUMNS``), in Excel's units (a CJK character is two).
_WIDTHS = (12, 12, 24, 14, 6, 14, 7, 12, 7, 8, 28, 8, 11, 22, 44)
_COLUMN = {label: number for number, label in enumerate(COLUMNS, start=1)}
#: The columns whose text wraps, with their widths (for the row heights).
_TEXT_WIDTHS = {
    number: float(width)
    for number, width in enumerate(_WIDTHS, start=1)
    if COLUMNS[number - 1] not in ("权重", "自评得分", "复核得分", "偏离度", "复核时间")
}
_FINDING_WIDTHS = (7, 24, 22, 50, 50, 40)
_FILLS = {
    "error": PatternFill("solid", fgColor="FFC7CE"),  # light red
    "warning": PatternFill("solid", fgColor="FFEB9C"),  # light yellow
}
_HEADER_FILL = PatternFill("solid", fgColor="D9D9D9")
_THIN = Side(style="thin", color="808080")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WRAP = Alignment(wrap_text=True, vertical="top")
_CENTRE = Alignment(wrap_text=True, horizontal="center", vertical="center")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_MAX_TEXT = 32767  # Excel's limit on the characters of a cell


# --- cells -----------------------------------------------------------------------


def put(sheet: Worksheet, row: int, column: int, value: object) -> Any:
    """Set a cell so that nothing becomes a formula: every string is a string cell."""
    return fill(sheet.cell(row=row, column=column), value)


def fill(cell: Any, value: object) -> Any:
    """Give ``cell`` (a sheet's, or a write-only sheet's ``WriteOnlyCell``) ``value`` as
    :func:`put` does: strings stay strings, cut to Excel's limit; Decimals become numbers."""
    if isinstance(value, Decimal):
        value = int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, str):
        text = fmt.xml_text(value)
        if len(text) > _MAX_TEXT:
            text = text[: _MAX_TEXT - 1] + "…"
        cell.value = text
        cell.data_type = "s"  # openpyxl takes a str starting with "=" for a formula
        if text.startswith(_FORMULA_STARTS):
            cell.quotePrefix = True  # Excel keeps it text even after the cell is edited
    else:
        cell.value = value
    return cell


def _boxed(cell: Any, alignment: Alignment = _WRAP, *, header: bool = False) -> None:
    cell.border, cell.alignment = _BOX, alignment
    if header:
        cell.font, cell.fill = Font(bold=True), _HEADER_FILL


def _fraction(value: Decimal | None) -> float | None:
    return None if value is None else float(round(value, 4))


def written_score(item: IndicatorReview) -> Decimal | None:
    """The 复核得分 a row shows: the adjustment, else the self-score; blank when neither."""
    if item.adjustment is not None:
        return item.adjustment.score
    return item.indicator.self_score


# --- writing ---------------------------------------------------------------------


def write_review_workbook(review: Review, path: Path) -> Path:
    """Write the annotated review workbook to ``path`` atomically; returns the path."""
    path = Path(path)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert isinstance(sheet, Worksheet)
    sheet.title = REVIEW_SHEET
    _write_review_sheet(sheet, review)
    _write_findings_sheet(workbook.create_sheet(FINDINGS_SHEET), review.findings)
    _write_original(workbook.create_sheet(ORIGINAL_SHEET), review.evaluation)
    meta = workbook.create_sheet(META_SHEET)
    _write_meta(meta, review)
    meta.sheet_state = "hidden"
    name = review.evaluation.project.name or "未命名项目"
    workbook.properties.title = fmt.property_text(f"{name} 复核表")
    workbook.properties.creator = "perfeval"
    _save_atomically(workbook, path)
    return path


def _save_atomically(workbook: Workbook, path: Path) -> None:
    try:
        write_atomic(path, office_bytes(workbook))
    except OSError as error:
        raise PerfevalError(
            f"无法写入复核工作簿 {path}（{error.strerror or error}）；请检查该文件夹是否存在且可写"
        ) from None


def _write_review_sheet(sheet: Worksheet, review: Review) -> None:
    _write_header_block(sheet, review)
    for column, label in enumerate(COLUMNS, start=1):
        _boxed(put(sheet, HEADER_ROW, column, label), _CENTRE, header=True)
    validations: dict[Decimal, DataValidation] = {}
    row = HEADER_ROW
    score_column = get_column_letter(_COLUMN["复核得分"])
    for item in review.indicators:
        row += 1
        _write_indicator_row(sheet, row, item)
        weight = item.indicator.weight
        validations.setdefault(weight, _score_validation(weight)).add(f"{score_column}{row}")
    for validation in validations.values():
        sheet.add_data_validation(validation)
    _write_totals(sheet, row + 1, review)
    for column, width in enumerate(_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = f"D{HEADER_ROW + 1}"
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    _print_setup(sheet)


def _fit_height(sheet: Worksheet, row: int, widths: dict[int, float]) -> None:
    """Give a row the height its wrapped text needs (LibreOffice and WPS do not grow a row
    for wrapped text, so the lines would overlap the next row)."""
    lines = 1
    for column, width in widths.items():
        value = sheet.cell(row=row, column=column).value
        if not isinstance(value, str) or not value:
            continue
        per_line = max(1.0, width - 1)
        needed = sum(max(1, -(-fmt.width(line) // per_line)) for line in value.split("\n"))
        lines = max(lines, int(needed))
    if lines > 1:
        sheet.row_dimensions[row].height = min(409, 15 * lines + 3)


def _write_header_block(sheet: Worksheet, review: Review) -> None:
    evaluation, record = review.evaluation, review.record
    project = evaluation.project
    last = get_column_letter(len(COLUMNS))
    title = put(sheet, 1, 1, f"{project.name or '（未填项目名称）'} 绩效自评复核表")
    title.font = Font(bold=True, size=14)
    sheet.merge_cells(f"A1:{last}1")
    status = review.status
    if record.completed_by and record.completed_at:
        status += f"（{record.completed_by}，{record.completed_at:%Y-%m-%d %H:%M}）"
    counts = review.counts()
    summary = counts_text(counts) or "无"
    summary += "；各行的发现见“检查发现”列，全部发现见“检查发现”工作表"
    for name in record.orphaned:
        kept = record.adjustments[name]
        summary += f"；指标“{name}”已不在表中，其调整（{fmt.score(kept.score)} 分）保留备查"
    block = [
        ("项目名称", project.name or "", "预算单位", project.unit or ""),
        ("来源", evaluation.source.label, "复核状态", status),
        ("复核意见", review.opinion or "", None, None),
        ("检查发现", summary, None, None),
    ]
    for row, (label, value, label2, value2) in enumerate(block, start=2):
        put(sheet, row, 1, label).font = Font(bold=True)
        put(sheet, row, 2, value).alignment = _WRAP
        if label2 is None:
            sheet.merge_cells(f"B{row}:{last}{row}")
            continue
        sheet.merge_cells(f"B{row}:D{row}")
        put(sheet, row, 5, label2).font = Font(bold=True)
        put(sheet, row, 6, value2).alignment = _WRAP
        sheet.merge_cells(f"F{row}:{last}{row}")
    for row in range(2, 2 + len(block)):  # a merged value spans B to the last column
        _fit_height(sheet, row, {2: float(sum(_WIDTHS[1:]))})


def _write_indicator_row(sheet: Worksheet, row: int, item: IndicatorReview) -> None:
    indicator, adjustment = item.indicator, item.adjustment
    notes = [f"【{f.severity_label}】{f.message}" for f in item.findings]
    details = [f"【{f.severity_label}】{f.message}" for f in item.findings]
    details += [f"建议：{f.suggestion}" for f in item.findings if f.suggestion]
    worst = item.worst
    if adjustment is not None and adjustment.stale:
        notes.append(f"【复核调整已过期】{adjustment.stale_reason}")
        details.append(notes[-1])
        worst = worst or "warning"
    reason, actual = split_actual(adjustment.reason) if adjustment else ("", "")
    remark = [indicator.remark or ""]
    if indicator.deviation_reason:
        remark.append(f"偏差原因：{indicator.deviation_reason}")
    values = {
        "一级指标": indicator.category or "",
        "二级指标": indicator.level2 or "",
        "三级指标": item.ref,  # the name, or name and row where the form repeats a name
        "指标值": indicator.target.text if indicator.target else "",
        "权重": indicator.weight,
        "自评完成值": indicator.actual.text if indicator.actual else "",
        "自评得分": indicator.self_score,
        "复核完成值": actual,
        "复核得分": written_score(item),
        "偏离度": _fraction(item.deviation),
        "调整理由": reason,
        "复核人": adjustment.reviewer if adjustment else "",
        "复核时间": f"{adjustment.at:%Y-%m-%d %H:%M}" if adjustment else "",
        "备注": "\n".join(part for part in remark if part),
        "检查发现": "\n".join(notes),
    }
    for label, value in values.items():
        cell = put(sheet, row, _COLUMN[label], value)
        _boxed(cell)
        if worst in _FILLS:
            cell.fill = _FILLS[worst]
    sheet.cell(row=row, column=_COLUMN["偏离度"]).number_format = "0.00%"
    rule = [f"评分规则：{indicator.rule}" if indicator.rule else "",
            f"指标解释：{indicator.explanation}" if indicator.explanation else ""]  # fmt: skip
    if any(rule):
        sheet.cell(row=row, column=_COLUMN["三级指标"]).comment = _comment(
            "\n".join(part for part in rule if part)
        )
    if details:
        sheet.cell(row=row, column=_COLUMN["检查发现"]).comment = _comment("\n".join(details))
    _fit_height(sheet, row, _TEXT_WIDTHS)


def _comment(text: str) -> Comment:
    lines = sum(1 + len(line) // 24 for line in text.splitlines())
    return Comment(fmt.xml_text(text), "perfeval", height=min(400, 20 + 16 * lines), width=360)


def _score_validation(weight: Decimal) -> DataValidation:
    """Excel warns (but lets the reviewer go on) when a 复核得分 is off the scale."""
    shown = fmt.score(weight)
    return DataValidation(
        type="decimal",
        operator="between",
        formula1="0",
        formula2=shown,
        allow_blank=True,
        showInputMessage=True,
        showErrorMessage=True,
        errorStyle="warning",
        promptTitle="复核得分",
        prompt=f"0 到 {shown} 分，最多两位小数；改分须填写调整理由",
        errorTitle="复核得分超出范围",
        error=f"复核得分应在 0 到权重 {shown} 之间，最多两位小数",
    )


def _write_totals(sheet: Worksheet, row: int, review: Review) -> None:
    evaluation, totals = review.evaluation, review.totals()
    weights = sum((i.weight for i in evaluation.indicators), Decimal(0))
    rows: list[dict[str, object]] = []
    budget = evaluation.budget_block
    if budget is not None and budget.score is not None:
        weights += budget.weight or Decimal(0)
        rows.append({"一级指标": BUDGET_LABEL[0], "三级指标": BUDGET_LABEL[1],
                     "权重": budget.weight, "自评得分": budget.score, "复核得分": budget.score,
                     "备注": "已计入各项相加与复核合计"})  # fmt: skip
    written = evaluation.project.grade
    declared_note = f"自评等级填“{written}”" if written else "自评等级未填"
    rows += [
        {"一级指标": "合计", "三级指标": TOTAL_LABELS[0], "权重": evaluation.declared_total.weight,
         "自评得分": totals.declared, "调整理由": f"等级：{totals.declared_grade or '—'}",
         "备注": f"表中合计行所填；{declared_note}"},
        {"一级指标": "合计", "三级指标": TOTAL_LABELS[1], "权重": weights,
         "自评得分": totals.computed, "调整理由": f"等级：{totals.computed_grade or '—'}",
         "备注": "各项自评分相加，空白按0分计"},
        {"一级指标": "合计", "三级指标": TOTAL_LABELS[2], "权重": weights,
         "复核得分": totals.reviewed, "偏离度": _fraction(totals.deviation),
         "调整理由": f"等级：{totals.reviewed_grade or '—'}",
         "备注": "各项复核得分相加；偏离度以填报合计为基数"},
    ]  # fmt: skip
    for offset, values in enumerate(rows):
        for label, column in _COLUMN.items():
            cell = put(sheet, row + offset, column, values.get(label))
            _boxed(cell)
            cell.font = Font(bold=True)
        sheet.cell(row=row + offset, column=_COLUMN["偏离度"]).number_format = "0.00%"
        _fit_height(sheet, row + offset, _TEXT_WIDTHS)


def _print_setup(sheet: Worksheet) -> None:
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True


def _write_findings_sheet(sheet: Worksheet, findings: list[Finding]) -> None:
    for column, label in enumerate(FINDING_COLUMNS, start=1):
        _boxed(put(sheet, 1, column, label), _CENTRE, header=True)
    for row, finding in enumerate(findings, start=2):
        values = (
            finding.severity_label,
            _check_title(finding.check),
            _subject(finding),
            finding.message,
            evidence_text(finding.evidence, finding.check),
            finding.suggestion or "",
        )
        for column, value in enumerate(values, start=1):
            cell = put(sheet, row, column, value)
            _boxed(cell)
            if finding.severity in _FILLS:
                cell.fill = _FILLS[finding.severity]
        _fit_height(sheet, row, dict(enumerate(map(float, _FINDING_WIDTHS), start=1)))
    for column, width in enumerate(_FINDING_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = "A2"
    last = get_column_letter(len(FINDING_COLUMNS))
    sheet.auto_filter.ref = f"A1:{last}{len(findings) + 1}"
    sheet.print_title_rows = "1:1"
    _print_setup(sheet)


def _check_title(check_id: str) -> str:
    """The check as a reviewer names it: its title (the id is for the command line)."""
    try:
        return catalogue().get(check_id).title
    except PerfevalError:  # a check of a module the catalogue does not list
        return check_id


def _subject(finding: Finding) -> str:
    if finding.indicator:
        return finding.indicator
    if finding.category:
        return f"一级指标：{finding.category}"
    return "全表"


# --- the form as received ------------------------------------------------------------


def _write_original(target: Worksheet, evaluation: Evaluation) -> None:
    """The source sheet as received (see ``read.original``), every string kept text."""
    try:
        original = original_sheet(evaluation.source)
    except Exception as error:  # the review is still worth having without the copy
        put(
            target,
            1,
            1,
            f"无法附上原表 {evaluation.source.label}（{type(error).__name__}: {error}）",
        )
        return
    for cell in original.cells:
        written = put(target, cell.row, cell.column, cell.value)
        if cell.style is not None:
            written.font, written.border = copy(cell.style.font), copy(cell.style.border)
            written.fill, written.alignment = copy(cell.style.fill), copy(cell.style.alignment)
        if cell.number_format:
            written.number_format = cell.number_format
        elif isinstance(cell.value, str) and original.wrap_text:
            written.alignment = _WRAP
    for top, left, bottom, right in original.merges:
        target.merge_cells(start_row=top, start_column=left, end_row=bottom, end_column=right)
    for column, width in original.widths.items():
        target.column_dimensions[get_column_letter(column)].width = width
    for row, height in original.heights.items():
        target.row_dimensions[row].height = height
    _print_setup(target)


# --- identity, for the way back --------------------------------------------------------


def _write_meta(sheet: Worksheet, review: Review) -> None:
    evaluation = review.evaluation
    source = evaluation.source
    pairs = [
        ("perfeval", "复核表元数据：导入复核表（perfeval import-review）时使用，请勿修改"),
        ("format_version", FORMAT_VERSION),
        ("key", evaluation.key),
        ("source_path", str(Path(source.original).resolve())),
        ("source_given", source.original),
        ("sheet", source.sheet or ""),
        ("project", evaluation.project.name or ""),
        ("unit", evaluation.project.unit or ""),
        ("year", str(evaluation.year or "")),
        ("written_at", now().isoformat(timespec="seconds")),
        ("review_sheet", REVIEW_SHEET),
        ("header_row", str(HEADER_ROW)),
        ("indicators", "指标名称 | 复核得分 | 调整理由（生成时）"),
    ]
    for row, (key, value) in enumerate(pairs, start=1):
        put(sheet, row, 1, key)
        put(sheet, row, 2, value)
    for row, item in enumerate(review.indicators, start=len(pairs) + 1):
        score = written_score(item)
        put(sheet, row, 1, item.ref)
        put(sheet, row, 2, "" if score is None else fmt.plain(score))
        put(sheet, row, 3, item.adjustment.reason if item.adjustment else "")
