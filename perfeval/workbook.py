"""The annotated review workbook (``review.xlsx``): writing it, and reading it back.

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

import io
import json
import unicodedata
import zipfile
from copy import copy
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from . import fmt
from .atomic import write_atomic
from .catalogue import catalogue
from .exceptions import PerfevalError
from .findings import SEVERITY_LABELS, Finding
from .model import Evaluation
from .review import IndicatorReview, Review
from .sheets import MAX_COLUMNS, MAX_ROWS, MAX_UNPACKED_BYTES, Sheet, read_sheets

__all__ = [
    "COLUMNS",
    "FINDING_COLUMNS",
    "HEADER_ROW",
    "TOTAL_LABELS",
    "EditedRow",
    "ReviewWorkbook",
    "WrittenScore",
    "read_review_workbook",
    "render_evidence",
    "write_review_workbook",
    "written_score",
]

REVIEW_SHEET, FINDINGS_SHEET, ORIGINAL_SHEET, META_SHEET = "复核表", "检查发现", "原表", "_perfeval"
#: The review table's header row on 复核表; the rows above it are the header block.
HEADER_ROW = 6
COLUMNS = ("一级指标", "指标名称", "权重", "自评得分", "复核得分", "偏离度", "调整理由", "检查发现")
FINDING_COLUMNS = ("等级", "检查项", "对象", "发现", "依据", "建议")
TOTAL_LABELS = ("填报合计", "各项相加", "复核合计")
#: The national form's budget row, written (not adjustable) just above the totals.
BUDGET_LABEL = ("项目资金", "预算执行")
FORMAT_VERSION = "1"

_WIDTHS = (14, 30, 7, 9, 9, 9, 32, 56)
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


def _put(sheet: Worksheet, row: int, column: int, value: object) -> Any:
    """Set a cell so that nothing becomes a formula: every string is a string cell."""
    cell = sheet.cell(row=row, column=column)
    if isinstance(value, Decimal):
        value = int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, str):
        text = ILLEGAL_CHARACTERS_RE.sub("", value)
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
    workbook.properties.title = f"{review.evaluation.project.name or '未命名项目'} 复核表"
    workbook.properties.creator = "perfeval"
    _save_atomically(workbook, path)
    return path


def _save_atomically(workbook: Workbook, path: Path) -> None:
    buffer = io.BytesIO()
    workbook.save(buffer)
    try:
        write_atomic(path, buffer.getvalue())
    except OSError as error:
        raise PerfevalError(
            f"无法写入复核工作簿 {path}（{error.strerror or error}）；请检查该文件夹是否存在且可写"
        ) from None


def _write_review_sheet(sheet: Worksheet, review: Review) -> None:
    _write_header_block(sheet, review)
    for column, label in enumerate(COLUMNS, start=1):
        _boxed(_put(sheet, HEADER_ROW, column, label), _CENTRE, header=True)
    validations: dict[Decimal, DataValidation] = {}
    row = HEADER_ROW
    for item in review.indicators:
        row += 1
        _write_indicator_row(sheet, row, item)
        weight = item.indicator.weight
        validations.setdefault(weight, _score_validation(weight)).add(f"E{row}")
    for validation in validations.values():
        sheet.add_data_validation(validation)
    _write_totals(sheet, row + 1, review)
    for column, width in enumerate(_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = f"C{HEADER_ROW + 1}"
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    _print_setup(sheet)


def _write_header_block(sheet: Worksheet, review: Review) -> None:
    evaluation, record = review.evaluation, review.record
    project = evaluation.project
    last = get_column_letter(len(COLUMNS))
    title = _put(sheet, 1, 1, f"{project.name or '（未填项目名称）'} 绩效自评复核表")
    title.font = Font(bold=True, size=14)
    sheet.merge_cells(f"A1:{last}1")
    status = review.status
    if record.completed_by and record.completed_at:
        status += f"（{record.completed_by}，{record.completed_at:%Y-%m-%d %H:%M}）"
    counts = review.counts()
    summary = "，".join(f"{SEVERITY_LABELS[s]} {n} 项" for s, n in counts.items() if n) or "无"
    summary += "；各行的发现见“检查发现”列，全部发现见“检查发现”工作表"
    for name in record.orphaned:
        kept = record.adjustments[name]
        summary += f"；指标“{name}”已不在表中，其调整（{fmt.score(kept.score)} 分）保留备查"
    block = [
        ("项目名称", project.name or "", "预算单位", project.unit or ""),
        ("来源", str(evaluation.source), "复核状态", status),
        ("复核意见", review.opinion or "", None, None),
        ("检查发现", summary, None, None),
    ]
    for row, (label, value, label2, value2) in enumerate(block, start=2):
        _put(sheet, row, 1, label).font = Font(bold=True)
        _put(sheet, row, 2, value).alignment = _WRAP
        if label2 is None:
            sheet.merge_cells(f"B{row}:{last}{row}")
            continue
        sheet.merge_cells(f"B{row}:D{row}")
        _put(sheet, row, 5, label2).font = Font(bold=True)
        _put(sheet, row, 6, value2).alignment = _WRAP
        sheet.merge_cells(f"F{row}:{last}{row}")


def _write_indicator_row(sheet: Worksheet, row: int, item: IndicatorReview) -> None:
    indicator, adjustment = item.indicator, item.adjustment
    notes = [f"【{f.severity_label}】{f.message}" for f in item.findings]
    details = [f"【{f.severity_label}】{f.message}（{f.check}）" for f in item.findings]
    details += [f"建议：{f.suggestion}" for f in item.findings if f.suggestion]
    worst = item.worst
    if adjustment is not None and adjustment.stale:
        notes.append(f"【复核调整已过期】{adjustment.stale_reason}")
        details.append(notes[-1])
        worst = worst or "warning"
    values = (
        indicator.category or "",
        indicator.name,
        indicator.weight,
        indicator.self_score,
        written_score(item),
        _fraction(item.deviation),
        adjustment.reason if adjustment else "",
        "\n".join(notes),
    )
    for column, value in enumerate(values, start=1):
        cell = _put(sheet, row, column, value)
        _boxed(cell)
        if worst in _FILLS:
            cell.fill = _FILLS[worst]
    sheet.cell(row=row, column=6).number_format = "0.00%"
    if details:
        sheet.cell(row=row, column=8).comment = _comment("\n".join(details))
    if adjustment is not None:
        sheet.cell(row=row, column=7).comment = _comment(
            f"复核人：{adjustment.reviewer}\n时间：{adjustment.at:%Y-%m-%d %H:%M}"
        )


def _comment(text: str) -> Comment:
    lines = sum(1 + len(line) // 24 for line in text.splitlines())
    return Comment(text, "perfeval", height=min(400, 20 + 16 * lines), width=360)


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
    rows: list[tuple[object, ...]] = []
    budget = evaluation.budget_block
    if budget is not None and budget.score is not None:
        weights += budget.weight or Decimal(0)
        rows.append((*BUDGET_LABEL, budget.weight, budget.score, budget.score,
                     None, "", "已计入各项相加与复核合计"))  # fmt: skip
    written = evaluation.project.grade
    declared_note = f"自评等级填“{written}”" if written else "自评等级未填"
    rows += [
        ("合计", TOTAL_LABELS[0], evaluation.declared_total.weight, totals.declared, None, None,
         f"等级：{totals.declared_grade or '—'}", f"表中合计行所填；{declared_note}"),
        ("合计", TOTAL_LABELS[1], weights, totals.computed, None, None,
         f"等级：{totals.computed_grade or '—'}", "各项自评分相加，空白按0分计"),
        ("合计", TOTAL_LABELS[2], weights, None, totals.reviewed, _fraction(totals.deviation),
         f"等级：{totals.reviewed_grade or '—'}", "各项复核得分相加；偏离度以填报合计为基数"),
    ]  # fmt: skip
    for offset, values in enumerate(rows):
        for column, value in enumerate(values, start=1):
            cell = _put(sheet, row + offset, column, value)
            _boxed(cell)
            cell.font = Font(bold=True)
        sheet.cell(row=row + offset, column=6).number_format = "0.00%"


def _print_setup(sheet: Worksheet) -> None:
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True


def _write_findings_sheet(sheet: Worksheet, findings: list[Finding]) -> None:
    for column, label in enumerate(FINDING_COLUMNS, start=1):
        _boxed(_put(sheet, 1, column, label), _CENTRE, header=True)
    for row, finding in enumerate(findings, start=2):
        values = (
            finding.severity_label,
            _check_title(finding.check),
            _subject(finding),
            finding.message,
            render_evidence(finding.evidence),
            finding.suggestion or "",
        )
        for column, value in enumerate(values, start=1):
            cell = _put(sheet, row, column, value)
            _boxed(cell)
            if finding.severity in _FILLS:
                cell.fill = _FILLS[finding.severity]
    for column, width in enumerate(_FINDING_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = "A2"
    last = get_column_letter(len(FINDING_COLUMNS))
    sheet.auto_filter.ref = f"A1:{last}{len(findings) + 1}"
    sheet.print_title_rows = "1:1"
    _print_setup(sheet)


def _check_title(check_id: str) -> str:
    try:
        return f"{catalogue().get(check_id).title}（{check_id}）"
    except PerfevalError:  # a check of a module the catalogue does not list
        return check_id


def _subject(finding: Finding) -> str:
    if finding.indicator:
        return finding.indicator
    if finding.category:
        return f"一级指标：{finding.category}"
    return "全表"


# --- evidence as Chinese text ------------------------------------------------------

_EVIDENCE_LABELS = {
    "allowed": "允许", "bands": "评分档次", "budget": "预算数", "category": "一级指标",
    "computed": "各项相加", "computed_total": "各项相加", "context": "上下文",
    "declared": "填报", "declared_total": "填报合计", "difference": "相差",
    "executed": "执行数", "expected": "应为", "explanation": "指标解释", "field": "栏目",
    "grade": "自评等级", "grade_of_computed": "各项相加对应等级",
    "grade_of_total": "合计对应等级", "grades": "可用等级", "implied_indicator": "空白指标",
    "implied_score": "合计隐含得分", "indicators": "涉及指标", "items": "逐项分值",
    "kind": "问题", "name": "名称", "phrase": "重复短语", "points": "分值", "quote": "原文",
    "rate": "执行率", "recurring": "经常性项目", "regrouping": "建议分组", "row": "原表行号",
    "rule": "评分规则", "self_score": "自评分", "text": "原文", "topic": "方面",
    "total": "合计", "value": "填报值", "weight": "权重", "weights": "权重合计",
}  # fmt: skip
_EVIDENCE_VALUES = {"overlap": "档次重叠", "gap": "档次空档", "over_weight": "分值超过权重"}


def _evidence_value(value: object) -> str:
    if value is None:
        return "空"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float | Decimal):
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        return format(number.normalize(), "f") if number.is_finite() else str(value)
    if isinstance(value, str):
        return _EVIDENCE_VALUES.get(value, value)
    if isinstance(value, list | tuple):
        return "、".join(_evidence_value(v) for v in value) or "无"
    if isinstance(value, dict):
        if {"category", "points", "from", "to"} <= value.keys():  # a suggested regrouping
            return "{}（{}分）：{}至{}".format(
                *(_evidence_value(value[k]) for k in ("category", "points", "from", "to"))
            )
        pairs = (f"{_EVIDENCE_LABELS.get(k, k)}：{_evidence_value(v)}" for k, v in value.items())
        return "（" + "，".join(pairs) + "）"
    return json.dumps(value, ensure_ascii=False, default=str)


def render_evidence(evidence: dict[str, Any]) -> str:
    """A finding's evidence as readable Chinese, one 'label：value' a line."""
    lines = []
    for key, value in evidence.items():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            shown = "；".join(_evidence_value(v) for v in value)
        else:
            shown = _evidence_value(value)
        lines.append(f"{_EVIDENCE_LABELS.get(key, key)}：{shown}")
    return "\n".join(lines)


# --- the form as received ------------------------------------------------------------


def _write_original(sheet: Worksheet, evaluation: Evaluation) -> None:
    path = Path(evaluation.source.path)
    try:
        with path.open("rb") as handle:
            head = handle.read(8)
        if head.startswith(b"PK\x03\x04") and _unpacked_size(path) <= FULL_COPY_BYTES:
            _copy_xlsx_sheet(sheet, path, evaluation.source.sheet)
            return
        grids = read_sheets(path)
        grid = next((g for g in grids if g.name == evaluation.source.sheet), grids[0])
        _write_grid(sheet, grid)
        if head.startswith(b"\xd0\xcf\x11\xe0"):
            for top, left, bottom, right in _xls_merges(path, grid.name):
                sheet.merge_cells(
                    start_row=top, start_column=left, end_row=bottom, end_column=right
                )
    except Exception as error:  # the review is still worth having without the copy
        _put(sheet, 1, 1, f"无法附上原表 {path}（{type(error).__name__}: {error}）")


#: Workbooks up to this size unpacked are copied with their styles by openpyxl, which
#: holds a whole workbook in memory; larger ones (the readers stream them within their
#: bounds) are copied as the grid of values the readers give.
FULL_COPY_BYTES = 16 * 1024 * 1024


def _unpacked_size(path: Path) -> int:
    with zipfile.ZipFile(path) as archive:
        return sum(info.file_size for info in archive.infolist())


def _copy_xlsx_sheet(target: Worksheet, path: Path, name: str | None) -> None:
    """Values (cached values, never formulas), styles, merges, widths and heights."""
    workbook = openpyxl.load_workbook(io.BytesIO(path.read_bytes()), data_only=True)
    try:
        source = workbook[name] if name is not None else workbook.worksheets[0]
        height, width = min(source.max_row, MAX_ROWS), min(source.max_column, MAX_COLUMNS)
        for cells in source.iter_rows(min_row=1, max_row=height, max_col=width):
            for cell in cells:
                if isinstance(cell, MergedCell):
                    continue
                value = cell.value
                if not isinstance(value, str | int | float | bool | date | datetime | None):
                    value = str(value)  # times, durations: shown as text
                copied = _put(target, cell.row, cell.column, value)
                if cell.has_style:
                    copied.font, copied.border = copy(cell.font), copy(cell.border)
                    copied.fill, copied.alignment = copy(cell.fill), copy(cell.alignment)
                    copied.number_format = cell.number_format
        for merged in source.merged_cells.ranges:
            target.merge_cells(str(merged))
        for key, dimension in source.column_dimensions.items():
            if dimension.width:
                span = range(dimension.min or 0, min(dimension.max or 0, width) + 1)
                for letter in [get_column_letter(c) for c in span if c > 0] or [key]:
                    target.column_dimensions[letter].width = dimension.width
        for number, row in source.row_dimensions.items():
            if row.height and number <= height:
                target.row_dimensions[number].height = row.height
    finally:
        workbook.close()


def _write_grid(target: Worksheet, grid: Sheet) -> None:
    widths: dict[int, int] = {}
    for r, row in enumerate(grid.rows, start=1):
        for c, cell in enumerate(row, start=1):
            if cell.value is None:
                continue
            written = _put(target, r, c, cell.value)
            if cell.percent:
                written.number_format = "0.00%"
            elif isinstance(cell.value, date):
                written.number_format = "yyyy/m/d"
            elif isinstance(cell.value, str):
                written.alignment = _WRAP
            shown = sum(
                2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(cell.value)
            )
            widths[c] = max(widths.get(c, 0), shown)
    for column, shown in widths.items():
        target.column_dimensions[get_column_letter(column)].width = max(8, min(shown + 2, 60))


def _xls_merges(path: Path, name: str | None) -> list[tuple[int, int, int, int]]:
    """The merged ranges of an .xls sheet, 1-based and inclusive ([] if unreadable)."""
    try:
        import xlrd

        book = xlrd.open_workbook(
            file_contents=path.read_bytes(), formatting_info=True, logfile=io.StringIO()
        )
        sheet = book.sheet_by_name(name) if name is not None else book.sheet_by_index(0)
        return [
            (top + 1, left + 1, bottom, right) for top, bottom, left, right in sheet.merged_cells
        ]
    except Exception:  # a copy without merges is still the form as received
        return []


# --- identity, for the way back --------------------------------------------------------


def _write_meta(sheet: Worksheet, review: Review) -> None:
    evaluation = review.evaluation
    source = evaluation.source
    pairs = [
        ("perfeval", "复核表元数据：导入复核表（perfeval import-review）时使用，请勿修改"),
        ("format_version", FORMAT_VERSION),
        ("key", evaluation.key),
        ("source_path", str(Path(source.path).resolve())),
        ("source_given", source.path),
        ("sheet", source.sheet or ""),
        ("project", evaluation.project.name or ""),
        ("unit", evaluation.project.unit or ""),
        ("year", str(evaluation.year or "")),
        ("written_at", datetime.now().astimezone().isoformat(timespec="seconds")),
        ("review_sheet", REVIEW_SHEET),
        ("header_row", str(HEADER_ROW)),
        ("indicators", "指标名称 | 复核得分 | 调整理由（生成时）"),
    ]
    for row, (key, value) in enumerate(pairs, start=1):
        _put(sheet, row, 1, key)
        _put(sheet, row, 2, value)
    for row, item in enumerate(review.indicators, start=len(pairs) + 1):
        score = written_score(item)
        _put(sheet, row, 1, item.indicator.name)
        _put(sheet, row, 2, "" if score is None else format(score.normalize(), "f"))
        _put(sheet, row, 3, item.adjustment.reason if item.adjustment else "")


@dataclass(frozen=True)
class WrittenScore:
    """An indicator's 复核得分 and 调整理由 as the workbook was written."""

    score: Decimal | None
    reason: str


@dataclass(frozen=True)
class EditedRow:
    """A row of the review table as read back: the cells a reviewer may have filled."""

    row: int
    indicator: str
    score: object
    reason: str


@dataclass
class ReviewWorkbook:
    """What a review workbook says about itself, and its table as read back."""

    path: Path
    fields: dict[str, str]
    written: dict[str, WrittenScore] = field(default_factory=dict)
    rows: list[EditedRow] = field(default_factory=list)

    def get(self, name: str) -> str:
        """A field of the identity ('key', 'source_path', 'sheet', 'project', …), '' if absent."""
        return self.fields.get(name, "")


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def read_review_workbook(path: Path) -> ReviewWorkbook:
    """A review workbook's identity and table; PerfevalError when it cannot be read."""
    path = Path(path)
    try:
        data = path.read_bytes()
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > MAX_UNPACKED_BYTES or unpacked > FULL_COPY_BYTES * 4:
            raise PerfevalError(
                f"{path}: 工作簿解压后过大（{unpacked // 1048576} MB），不像复核工作簿，拒绝读取"
            )
        workbook = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except PerfevalError:
        raise
    except OSError as error:
        raise PerfevalError(f"{path}: 无法读取复核工作簿（{error.strerror or error}）") from None
    except Exception as error:  # zipfile and openpyxl raise many kinds for a broken file
        raise PerfevalError(
            f"{path}: 不是可读取的 Excel 工作簿（{type(error).__name__}: {error}）；请确认已保存为 .xlsx"
        ) from None
    try:
        if META_SHEET not in workbook.sheetnames:
            raise PerfevalError(
                f"{path}: 不是 perfeval 生成的复核工作簿（缺少隐藏工作表“{META_SHEET}”），无法导入"
            )
        result = _read_meta(path, workbook[META_SHEET])
        name = result.get("review_sheet") or REVIEW_SHEET
        if name not in workbook.sheetnames:
            raise PerfevalError(f"{path}: 工作簿中没有“{name}”工作表；请勿重命名或删除该工作表")
        result.rows = _read_table(path, workbook[name])
        return result
    finally:
        workbook.close()


def _read_meta(path: Path, sheet: Worksheet) -> ReviewWorkbook:
    result = ReviewWorkbook(path, {})
    in_table = False
    for number, (key, value, reason) in enumerate(
        sheet.iter_rows(min_col=1, max_col=3, values_only=True), start=1
    ):
        if not _text(key):
            continue
        if not in_table:
            in_table = _text(key) == "indicators"
            result.fields[_text(key)] = _text(value)
            continue
        try:
            score = Decimal(_text(value)) if _text(value) else None
        except InvalidOperation:
            raise PerfevalError(
                f"{path}: 隐藏工作表“{META_SHEET}”第{number}行已被改动，无法导入；请重新生成复核表"
            ) from None
        result.written[_text(key)] = WrittenScore(score, _text(reason))
    if result.get("format_version") != FORMAT_VERSION or not result.get("key"):
        raise PerfevalError(
            f"{path}: 隐藏工作表“{META_SHEET}”缺少项目信息或版本不符，无法导入；请重新生成复核表"
        )
    return result


def _read_table(path: Path, sheet: Worksheet) -> list[EditedRow]:
    """The rows between the header (found by its labels) and the totals."""
    header: dict[str, int] = {}
    header_row = 0
    for number, values in enumerate(sheet.iter_rows(max_row=40, values_only=True), start=1):
        labels = {_text(v): i for i, v in enumerate(values)}
        if {"指标名称", "复核得分", "调整理由"} <= labels.keys():
            header, header_row = labels, number
            break
    if not header:
        raise PerfevalError(
            f"{path} 工作表“{sheet.title}”: 找不到表头（应有“指标名称”“复核得分”“调整理由”三列，"
            f"生成时在第{HEADER_ROW}行）"
        )
    at = [header.get("一级指标", -1), header["指标名称"], header["复核得分"], header["调整理由"]]
    rows: list[EditedRow] = []
    for number, values in enumerate(
        sheet.iter_rows(min_row=header_row + 1, values_only=True), start=header_row + 1
    ):
        category, name, score, reason = (values[i] if 0 <= i < len(values) else None for i in at)
        if _text(name) in TOTAL_LABELS or (_text(category), _text(name)) == BUDGET_LABEL:
            break
        if _text(name) or _text(score) or _text(reason):
            rows.append(EditedRow(number, _text(name), score, _text(reason)))
    return rows
