"""The Shanghai district form (format 1 of the domain notes), from a grid to the model.

Fields are found by their labels, never by position: a header label sits anywhere
above the indicator table and its value is the next non-empty cell to its right;
the indicator table starts at the row that names 指标名称 and 权重 and ends at 合计.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..exceptions import NoFormError
from ..grades import parse_grade_bands
from ..model import DeclaredTotal, Evaluation, Indicator, Project, Source
from .layout import SheetReader
from .normalise import (
    fold_text,
    label_key,
    parse_bool,
    parse_date,
    parse_number,
    rate_fraction,
    split_category,
    strip_units,
)
from .sheets import Cell, Sheet

__all__ = ["COLUMNS", "HEADER_FIELDS", "find_table", "parse_district"]

#: Header fields: model attribute → the labels (without their unit) that name it.
HEADER_FIELDS: dict[str, tuple[str, ...]] = {
    "name": ("项目名称",),
    "unit": ("预算单位", "单位名称"),
    "department": ("具体实施处", "具体实施处室", "实施处室", "具体实施科室", "实施科室"),
    "recurring": ("是否为经常性项目", "是否经常性项目"),
    "budget": ("当年预算数", "年度预算数", "预算数"),
    "prior_year_rate": ("上年预算完成率", "上年预算执行率"),
    "executed": ("预算执行数", "执行数"),
    "execution_rate": ("预算执行率",),
    "goal": ("项目年度总目标", "年度总目标", "项目总目标"),
    "evaluated_on": ("自评时间", "自评日期"),
    "grade": ("绩效等级", "自评等级"),
    "performance": ("主要绩效",),
    "problems": ("主要问题", "存在问题"),
    "measures": ("改进措施",),
}

#: Indicator table columns: attribute → header labels.
COLUMNS: dict[str, tuple[str, ...]] = {
    "category": ("一级指标",),
    "name": ("指标名称", "二级指标"),
    "explanation": ("指标解释", "指标说明"),
    "weight": ("权重", "分值", "标准分"),
    "rule": ("评分规则", "评分标准"),
    "self_score": ("自评分", "自评得分", "得分"),
    "remark": ("备注",),
}
REQUIRED_COLUMNS = ("name", "weight", "self_score")
TOTAL_LABELS = frozenset({"合计", "总计", "合计得分", "总分", "合计分"})

_LABELS = {label: attr for attr, labels in HEADER_FIELDS.items() for label in labels}
_MONEY_SCALE = {None: Decimal(1), "元": Decimal(1), "万元": Decimal(10000)}
_YEAR = re.compile(r"(\d{4})\s*年")


def _is_label(cell: Cell) -> bool:
    return _header_attr(cell) is not None


def _header_attr(cell: Cell) -> tuple[str, str | None] | None:
    if not isinstance(cell.value, str):
        return None
    key, unit = strip_units(label_key(cell.value))
    attr = _LABELS.get(key)
    return (attr, unit) if attr else None


@dataclass
class _Table:
    header_row: int
    columns: dict[str, int]


def find_table(sheet: Sheet) -> _Table | None:
    """The indicator table's header row and its columns, or None if the sheet has none."""
    for number, row in enumerate(sheet.rows, start=1):
        keys = [strip_units(label_key(cell.value))[0] for cell in row]
        if "指标名称" not in keys and "二级指标" not in keys:
            continue
        columns: dict[str, int] = {}
        for attr, labels in COLUMNS.items():
            for column, key in enumerate(keys, start=1):
                if key in labels and column not in columns.values():
                    columns[attr] = column
                    break
        if all(attr in columns for attr in REQUIRED_COLUMNS):
            return _Table(number, columns)
    return None


def parse_district(sheet: Sheet) -> Evaluation:
    """Read one district form from a grid; raises FormError naming the place."""
    table = find_table(sheet)
    if table is None:
        raise NoFormError(
            "没有找到指标表（缺少“指标名称”“权重”“自评分”表头）", path=sheet.path, sheet=sheet.name
        )
    reader = _Reader(sheet, table)
    return reader.evaluation()


class _Reader(SheetReader):
    def __init__(self, sheet: Sheet, table: _Table) -> None:
        super().__init__(sheet, table.columns, COLUMNS)
        self.table = table

    def evaluation(self) -> Evaluation:
        project, title = self.header()
        indicators, total, total_row = self.indicators()
        notes = self.sheet.texts_below(total_row)
        year_match = _YEAR.search(title or "")
        return Evaluation(
            source=Source(self.sheet.path, self.sheet.name),
            project=project,
            indicators=indicators,
            declared_total=total,
            title=title,
            year=int(year_match.group(1)) if year_match else None,
            notes=notes,
            grade_bands=parse_grade_bands(" ".join(notes)),
            format="district",
            layout="district",
            notices=list(self.sheet.notices),
        )

    # --- header ----------------------------------------------------------------

    def header(self) -> tuple[Project, str | None]:
        values: dict[str, Any] = {}
        title: str | None = None
        for number in range(1, self.table.header_row):
            row = self.sheet.rows[number - 1]
            for column, cell in enumerate(row, start=1):
                found = _header_attr(cell)
                if found is None:
                    if title is None and isinstance(cell.value, str) and "自评" in cell.value:
                        title = fold_text(cell.value)
                    continue
                attr, unit = found
                if attr in values:
                    continue  # a merged label repeats across its range
                value_cell, value_column = self.value_right_of(row, column, cell, _is_label)
                values[attr] = self.convert(attr, unit, value_cell, number, value_column)
        return Project(**values), title

    def convert(
        self, attr: str, unit: str | None, cell: Cell, row: int, column: int | None
    ) -> object:
        label = HEADER_FIELDS[attr][0]
        try:
            return _CONVERTERS.get(attr, _text)(cell, unit)
        except ValueError as error:
            raise self.error(str(error), row, column, label) from None

    # --- indicator table -------------------------------------------------------

    def indicators(self) -> tuple[list[Indicator], DeclaredTotal, int]:
        columns = self.table.columns
        indicators: list[Indicator] = []
        category: str | None = None
        points: Decimal | None = None
        number = self.table.header_row
        for number in range(self.table.header_row + 1, len(self.sheet.rows) + 1):
            cells = {attr: self.sheet.cell(number, column) for attr, column in columns.items()}
            if self.is_total_row(number):
                total = DeclaredTotal(
                    weight=self.number(cells["weight"], number, "weight"),
                    self_score=self.number(cells["self_score"], number, "self_score"),
                )
                return indicators, total, number
            if "category" in cells and cells["category"].value is not None:
                category, points = split_category(cells["category"].value)
            name = fold_text(cells["name"].value)
            weight = self.number(cells["weight"], number, "weight")
            if name is None:
                if weight is not None:
                    raise self.error("有权重但指标名称为空", number, columns["name"], "指标名称")
                if self.is_note_row(number):
                    return indicators, DeclaredTotal(), number - 1
                continue
            if weight is None:
                raise self.error(f"指标“{name}”没有权重", number, columns["weight"], "权重")
            indicators.append(
                Indicator(
                    name=name,
                    weight=weight,
                    self_score=self.number(cells["self_score"], number, "self_score"),
                    category=category,
                    category_points=points,
                    explanation=fold_text(cells["explanation"].value)
                    if "explanation" in cells
                    else None,
                    rule=fold_text(cells["rule"].value) if "rule" in cells else None,
                    remark=fold_text(cells["remark"].value) if "remark" in cells else None,
                    row=number,
                )
            )
        if not indicators:
            raise NoFormError(
                "指标表没有任何指标行",
                path=self.sheet.path,
                sheet=self.sheet.name,
                row=self.table.header_row,
            )
        return indicators, DeclaredTotal(), number

    def is_total_row(self, number: int) -> bool:
        return any(label_key(cell.value) in TOTAL_LABELS for cell in self.sheet.rows[number - 1])

    def is_note_row(self, number: int) -> bool:
        first = next((c.value for c in self.sheet.rows[number - 1] if c.value is not None), None)
        return isinstance(first, str) and label_key(first).startswith("说明")


def _text(cell: Cell, unit: str | None) -> str | None:
    if cell.value is None:
        return None
    if isinstance(cell.value, Decimal):
        return str(cell.value)
    return fold_text(cell.value)


def _money(cell: Cell, unit: str | None) -> Decimal | None:
    parsed = parse_number(cell.value)
    if parsed is None:
        return None
    value, percent = parsed
    if percent:
        raise ValueError(f"金额不应是百分比：“{cell.value}”")
    scale = _MONEY_SCALE.get(unit)
    if scale is None:
        raise ValueError(f"不认识的金额单位“{unit}”")
    return value * scale


def _rate(cell: Cell, unit: str | None) -> Decimal | None:
    """A rate as a fraction: 100.00% → 1; 0.00 under a "(%)" label → 0."""
    parsed = parse_number(cell.value)
    if parsed is None:
        return None
    value, written_percent = parsed
    return rate_fraction(
        value,
        written_percent=written_percent,
        percent_format=cell.percent,
        unit_percent=unit == "%",
    )


_CONVERTERS: dict[str, Callable[[Cell, str | None], object]] = {
    "recurring": lambda cell, unit: parse_bool(cell.value),
    "budget": _money,
    "executed": _money,
    "prior_year_rate": _rate,
    "execution_rate": _rate,
    "evaluated_on": lambda cell, unit: parse_date(cell.value),
}
