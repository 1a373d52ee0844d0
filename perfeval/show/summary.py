"""``summary.xlsx``: the portfolio of a run as a workbook, for the lead's own sums.

Five sheets, each with a frozen, filterable header row repeated on every printed page, and
few enough columns to print legibly on A4 landscape:

- 项目 — one row per project: unit, name (linked to its review), year, the declared /
  computed / reviewed totals and grades, 自评 − 复核, 偏离度, errors, warnings, review status;
- 预算与运行 — the same projects: budget, executed, execution rate, how its run went, why it
  failed, its folder and source files (a project sent twice is one row, 重复报送, filled);
- 单位 — one row per unit: projects, full-mark self-scores (and whether all were),
  mean and max of 自评 − 复核, mean 偏离度, errors, warnings, shared rules, and the
  projects per self grade and per reviewed grade;
- 检查项 — one row per check that fired: title, id, severity, findings, projects;
- 雷同规则 — the scoring rules that recur in two or more projects, across the run
  and within each unit.

Money is ``#,##0.00``, rates and 偏离度 ``0.00%``. Nothing from a form becomes a
formula: cells are filled by ``perfeval.show.xlsx.fill``. The workbook is written in
openpyxl's write-only mode (rows streamed, not held as cells: 20,000 projects cost no
more memory per row than the rows themselves) and atomically (temp file, then
``os.replace``).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import openpyxl
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.worksheet import Worksheet

from ..atomic import write_atomic
from ..findings import SEVERITY_LABELS
from ..review.portfolio import (
    RUN_STATES,
    PortfolioRow,
    grade_counts,
    grade_order,
    shared_rules,
    unit_summaries,
)
from ..review.portfolio import check_counts as count_checks
from ..stamp import office_bytes
from .xlsx import fill

__all__ = [
    "BUDGET_COLUMNS",
    "CHECK_COLUMNS",
    "PROJECT_COLUMNS",
    "RULE_COLUMNS",
    "SHEETS",
    "SUMMARY_NAME",
    "UNIT_COLUMNS",
    "write_summary_workbook",
]

SUMMARY_NAME = "summary.xlsx"
SHEETS = ("项目", "预算与运行", "单位", "检查项", "雷同规则")
MONEY, RATE, SCORE = "#,##0.00", "0.00%", "0.00"

#: (heading, width, number format or None)
PROJECT_COLUMNS: tuple[tuple[str, int, str | None], ...] = (
    ("预算单位", 24, None),
    ("项目名称", 30, None),
    ("年度", 7, None),
    ("填报合计", 9, SCORE),
    ("填报等级", 8, None),
    ("各项相加", 9, SCORE),
    ("相加等级", 8, None),
    ("复核合计", 9, SCORE),
    ("复核等级", 8, None),
    ("自评−复核", 9, SCORE),
    ("偏离度", 9, RATE),
    ("错误", 6, None),
    ("警告", 6, None),
    ("复核状态", 9, None),
)
BUDGET_COLUMNS: tuple[tuple[str, int, str | None], ...] = (
    ("预算单位", 24, None),
    ("项目名称", 30, None),
    ("预算数（元）", 15, MONEY),
    ("执行数（元）", 15, MONEY),
    ("执行率", 9, RATE),
    ("运行", 7, None),
    ("出错原因", 30, None),
    ("项目文件夹", 30, None),
    ("来源文件", 34, None),
    ("重复报送", 12, None),
)
UNIT_COLUMNS: tuple[tuple[str, int, str | None], ...] = (
    ("预算单位", 24, None),
    ("项目数", 7, None),
    ("自评满分项目数", 9, None),
    ("全部自评满分", 9, None),
    ("自评−复核（平均）", 11, SCORE),
    ("自评−复核（最大）", 11, SCORE),
    ("平均偏离度", 10, RATE),
    ("错误", 6, None),
    ("警告", 6, None),
    ("雷同评分规则数", 9, None),
)
CHECK_COLUMNS: tuple[tuple[str, int, str | None], ...] = (
    ("检查项", 24, None),
    ("编号", 26, None),
    ("等级", 7, None),
    ("发现数", 8, None),
    ("涉及项目数", 10, None),
)
RULE_COLUMNS: tuple[tuple[str, int, str | None], ...] = (
    ("范围", 24, None),
    ("评分规则", 70, None),
    ("项目数", 7, None),
    ("单位数", 7, None),
    ("项目", 50, None),
)
ALL_PROJECTS = "全部项目"

_HEADER_FILL = PatternFill("solid", fgColor="D9D9D9")
_FLAG_FILL = PatternFill("solid", fgColor="FFEB9C")
_WRAP = Alignment(wrap_text=True, vertical="top")
_CENTRE = Alignment(wrap_text=True, horizontal="center", vertical="center")
_LINK = Font(color="0563C1", underline="single")

Value = str | int | Decimal | None
Columns = Sequence[tuple[str, int, str | None]]


def _start(sheet: WriteOnlyWorksheet, columns: Columns, rows: int, freeze: str = "A2") -> None:
    """The sheet's layout (set before its rows: a write-only sheet streams them) and its
    header row."""
    for number, (_, width, _) in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(number)].width = width
    sheet.freeze_panes = freeze
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(1, rows + 1)}"
    sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    header = []
    for heading, _, _ in columns:
        cell = fill(WriteOnlyCell(sheet), heading)
        cell.font, cell.fill, cell.alignment = Font(bold=True), _HEADER_FILL, _CENTRE
        header.append(cell)
    sheet.append(header)


def _row(
    sheet: WriteOnlyWorksheet,
    columns: Columns,
    values: list[Value],
    *,
    flagged: bool = False,
    link: str | None = None,
) -> None:
    """Append one row; ``link`` makes the second cell (the project's name) a hyperlink."""
    cells = []
    for number, ((_, _, number_format), value) in enumerate(zip(columns, values, strict=True), 1):
        cell = fill(WriteOnlyCell(sheet), value)
        cell.alignment = _WRAP
        if number_format is not None:
            cell.number_format = number_format
        if flagged:
            cell.fill = _FLAG_FILL
        if link and number == 2:
            cell.hyperlink, cell.font = link, _LINK
        cells.append(cell)
    sheet.append(cells)


def _projects(sheet: WriteOnlyWorksheet, rows: list[PortfolioRow]) -> None:
    _start(sheet, PROJECT_COLUMNS, len(rows), "C2")
    for row in rows:
        f = row.figures
        values: list[Value] = [
            row.unit_name,
            row.name,
            row.year,
            *(
                [f.declared, f.declared_grade, f.computed, f.computed_grade, f.reviewed,
                 f.reviewed_grade, f.gap, f.deviation, f.errors, f.warnings, f.status]
                if f is not None
                else [None] * 11
            ),
        ]  # fmt: skip
        _row(
            sheet,
            PROJECT_COLUMNS,
            values,
            flagged=bool(row.resubmission_note),
            link=row.review_href,
        )


def _budgets(sheet: WriteOnlyWorksheet, rows: list[PortfolioRow]) -> None:
    _start(sheet, BUDGET_COLUMNS, len(rows), "C2")
    for row in rows:
        f = row.figures
        values: list[Value] = [
            row.unit_name,
            row.name,
            *([f.budget, f.executed, f.execution_rate] if f is not None else [None] * 3),
            RUN_STATES.get(row.state, row.state),
            row.error,
            row.folder,
            "\n".join(one.source for one in row.files),
            row.resubmission_note or None,
        ]
        flagged = bool(row.resubmission_note)
        _row(sheet, BUDGET_COLUMNS, values, flagged=flagged, link=row.review_href)


def _units(sheet: WriteOnlyWorksheet, rows: list[PortfolioRow]) -> None:
    units = unit_summaries(rows)
    declared, reviewed = grade_counts(rows)
    self_grades, reviewed_grades = grade_order(declared), grade_order(reviewed)
    columns = (
        *UNIT_COLUMNS,
        *((f"自评·{grade}", 8, None) for grade in self_grades),
        *((f"复核·{grade}", 8, None) for grade in reviewed_grades),
    )
    _start(sheet, columns, len(units), "B2")
    for unit in units:
        values: list[Value] = [
            unit.unit,
            unit.projects,
            unit.full_marks,
            "是" if unit.all_full_marks else "",
            unit.gap_mean,
            unit.gap_max,
            unit.deviation_mean,
            unit.errors,
            unit.warnings,
            len(unit.shared_rules),
            *(unit.self_grades.get(grade, 0) for grade in self_grades),
            *(unit.reviewed_grades.get(grade, 0) for grade in reviewed_grades),
        ]
        _row(sheet, columns, values, flagged=unit.all_full_marks)


def _checks(sheet: WriteOnlyWorksheet, rows: list[PortfolioRow]) -> None:
    counts = count_checks(rows)
    _start(sheet, CHECK_COLUMNS, len(counts))
    for count in counts:
        severity = SEVERITY_LABELS.get(count.severity or "", "")
        values: list[Value] = [count.title, count.check, severity, count.findings, count.projects]
        _row(sheet, CHECK_COLUMNS, values)


def _rules(sheet: WriteOnlyWorksheet, rows: list[PortfolioRow]) -> None:
    scoped = [(ALL_PROJECTS, rule) for rule in shared_rules(rows)]
    scoped += [(unit.unit, rule) for unit in unit_summaries(rows) for rule in unit.shared_rules]
    _start(sheet, RULE_COLUMNS, len(scoped))
    for scope, rule in scoped:
        values: list[Value] = [
            scope,
            rule.text,
            rule.count,
            len(rule.units),
            rule.project_list(),
        ]
        _row(sheet, RULE_COLUMNS, values)


def write_summary_workbook(rows: list[PortfolioRow], path: Path) -> Path:
    """Write ``summary.xlsx`` for the run's rows to ``path`` atomically; returns the path."""
    workbook = openpyxl.Workbook(write_only=True)
    for title, write in zip(SHEETS, (_projects, _budgets, _units, _checks, _rules), strict=True):
        write(workbook.create_sheet(title), rows)
    workbook.properties.title = "绩效自评复核汇总"
    workbook.properties.creator = "perfeval"
    write_atomic(Path(path), office_bytes(workbook))
    return Path(path)
