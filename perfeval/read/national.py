"""The Ministry of Finance form (format 2 of the domain notes), from a grid to the model.

项目支出绩效自评表 (财预〔2020〕10号): a header (项目名称, 主管部门, 实施单位), the
项目资金（万元）block, 年度总体目标 (预期目标 | 实际完成情况), the indicator table
(一级 | 二级 | 三级指标 | 年度指标值 | 实际完成值 | 分值 | 得分 | 偏差原因分析及改进措施)
and 总分. As in ``perfeval.district`` every field is found by its label, never by
position: merged cells (filled in by the readers) and blank continuation cells of a
text export read the same.

Money. The block's heading names its unit (项目资金（万元）, or a unit on the column
headings); without one the form's own unit, 万元, is assumed. Figures are stored in
yuan. A block headed 万元 whose 年度资金总额 row has a figure above 100000 (that would
be over 10亿元 for one project) was plainly filled in yuan: it is read as yuan, and the
block's ``unit`` says so (the ``budget.unit`` check reports it).

Targets and actuals stay as written and are parsed by :func:`parse_measure` where
there is exactly one number: "≥95%" → (≥, 95, %), "≤30天" → (≤, 30, 天),
"100人次" → (None, 100, 人次), "95%以上" → (≥, 95, %); "—", "达成预期指标" and
ranges or dates ("90%-100%", "12月底前") keep their text only.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from .. import fmt
from ..exceptions import NoFormError
from ..grades import parse_grade_bands
from ..model import (
    BudgetBlock,
    BudgetRow,
    DeclaredTotal,
    Evaluation,
    Indicator,
    Leftover,
    Measure,
    Project,
    Source,
)
from ..wording import EQUAL_WORDS, POST_BOUNDS, PRE_BOUNDS, alternation, operator_of
from .layout import SheetReader
from .normalise import (
    BLANK_MARKS,
    fold_text,
    label_key,
    parse_date,
    parse_number,
    rate_fraction,
    split_category,
    strip_units,
)
from .sheets import Cell, Sheet

__all__ = [
    "BUDGET_COLUMNS",
    "COLUMNS",
    "HEADER_FIELDS",
    "YUAN_THRESHOLD",
    "parse_measure",
    "parse_national",
    "recognise_national",
]

#: Header fields: model attribute → labels. 主管部门 is the unit, 实施单位 the department.
HEADER_FIELDS: dict[str, tuple[str, ...]] = {
    "name": ("项目名称",),
    "unit": ("主管部门", "主管单位"),
    "department": ("实施单位", "项目实施单位"),
    "evaluated_on": ("自评时间", "自评日期", "填报日期", "填表日期"),
    "grade": ("自评等级", "绩效等级"),
}

#: The 项目资金 / 预算执行情况 block's columns: attribute → headings, the usual first.
#: The headings of a block without 全年预算数 (北京 2016) name only initial and executed.
BUDGET_COLUMNS: dict[str, tuple[str, ...]] = {
    "initial": ("年初预算数", "年初预算", "年初批复数"),
    "adjusted": ("全年预算数", "调整后预算数", "调整后预算", "全年预算"),
    "executed": ("全年执行数", "预算执行数", "全年实际执行数", "实际执行数", "执行数"),
    "weight": ("分值", "权重"),
    "rate": ("执行率", "预算执行率"),
    "score": ("得分",),
}
#: The block's own label, left of its figures: 项目资金（万元）, 预算执行情况（10分）, …
BUDGET_BLOCK_LABELS = ("项目资金", "预算执行情况", "资金执行情况", "年度预算数")

#: The indicator table's columns: attribute → headings (matched after NFKC, units removed).
COLUMNS: dict[str, tuple[str, ...]] = {
    "category": ("一级指标",),
    "level2": ("二级指标",),
    "name": ("三级指标",),
    "target": (
        "年度指标值",
        "调整指标值",
        "指标值",
        "全年指标值",
        "年度目标值",
        "目标值",
        "预期指标值",
        "计划指标值",
    ),
    "actual": (
        "实际完成值",
        "全年实际完成值",
        "全年完成值",
        "完成值",
        "实际值",
        "全年实际值",
        "实际完成情况",
        "完成情况",
    ),
    "weight": ("分值", "权重", "指标权重", "参考分值", "标准分值", "标准分"),
    "self_score": ("得分", "自评得分", "指标得分"),
    "deviation_reason": (
        "偏差原因分析及改进措施",
        "偏差原因分析",
        "偏差原因",
        "偏差原因及改进措施",
        "未完成原因分析",
        "未完成原因",
        "未完成原因分析及改进措施",
        "原因分析及改进措施",
    ),
    # 四川 and 重庆 split the target: 指标性质 (=, ≥, ≤) | 指标值 | 度量单位.
    "operator": ("指标性质",),
    "unit": ("度量单位", "计量单位"),
    "target_initial": ("年初指标值",),
    "factor": ("得分系数",),
    "core": ("是否核心指标",),
}
REQUIRED_COLUMNS = ("name", "weight", "self_score")
TOTAL_LABELS = frozenset({"总分", "合计", "总计", "合计得分"})
GOAL_LABELS = frozenset({"年度总体目标", "总体目标", "年度目标", "项目年度目标", "年度绩效目标"})
#: The goal block's two headings: what was planned, and what was done.
GOAL_HEADINGS = ("预期目标", "项目年度目标", "年度目标")
GOAL_ACTUAL = ("实际完成情况", "全年实际完成情况", "年度目标完成情况", "目标完成情况")
#: Labels of the text fields below the table (provincial variants): attribute → labels.
FOOTER_FIELDS: dict[str, tuple[str, ...]] = {
    "conclusion": ("评价结论", "自评结论"),
    "problems": ("存在问题", "主要问题"),
    "measures": ("改进措施", "改进意见"),
}

#: A 年度资金总额 figure above this, under a 万元 heading, is taken to be in yuan.
YUAN_THRESHOLD = Decimal(100000)

_LABELS = {label: attr for attr, labels in HEADER_FIELDS.items() for label in labels}
_SCALE = {"万元": Decimal(10000), "元": Decimal(1)}
_YEAR = re.compile(r"(\d{4})\s*年")
# "指标1：工程完工率", "指标1工程完工率": the template's numbering before a real name.
_TEMPLATE_PREFIX = re.compile(r"^指标\s*\d+\s*[:：.、]?\s*(?=[^\d\s.、:：])")
# A cell that is only the template's placeholder: 指标2, 指标N, ……, —.
_PLACEHOLDER = re.compile(
    r"^(?:(?:三级)?指标\s*(?:\d+|[Nn]|[一二三四五六七八九十]+)?\s*[:：.、]?|[…\.。·—\-－_/、]+)$"
)
_OPERATOR_WORDS = {
    "=": "=",
    "＝": "=",
    "≥": "≥",
    ">=": "≥",
    "≤": "≤",
    "<=": "≤",
    ">": ">",
    "<": "<",
}
_OPERATOR_WORDS.update({"大于等于": "≥", "小于等于": "≤", "等于": "=", "大于": ">", "小于": "<"})
_BREAKDOWN_PREFIX = re.compile(r"^其中\s*[:：]?\s*")


def _is_label(cell: Cell) -> bool:
    return isinstance(cell.value, str) and bool(_LABELS.get(_key(cell.value)))


def _key(value: object) -> str:
    """A heading as compared: NFKC, no white space, no unit in brackets."""
    return strip_units(label_key(value))[0] if isinstance(value, str) else ""


# --- recognising the layout ----------------------------------------------------------


def _indicator_header(sheet: Sheet) -> int | None:
    """The row naming 三级指标 and a target, actual or score-factor column (1-based), if any."""
    targets = set(COLUMNS["target"]) | set(COLUMNS["actual"]) | set(COLUMNS["factor"])
    for number, row in enumerate(sheet.rows, start=1):
        keys = {_key(cell.value) for cell in row}
        if "三级指标" in keys and keys & targets:
            return number
    return None


def recognise_national(sheet: Sheet) -> bool:
    """Whether the grid is the national form: an indicator table with 三级指标 and
    年度指标值 / 实际完成值 headings (the district form has 指标名称 and 评分规则)."""
    return _indicator_header(sheet) is not None


# --- measures ------------------------------------------------------------------------

# Words before and after a number and the operator they mean (see ``perfeval.wording``).
_PRE_OPERATORS = {word: operator_of(bound) for word, bound in PRE_BOUNDS.items()}
_PRE_OPERATORS.update((word, "=") for word in EQUAL_WORDS)
_POST_OPERATORS = {word: operator_of(bound) for word, bound in POST_BOUNDS.items()}
_NUMBER_TEXT = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_ANY_NUMBER = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?")
_MEASURE = re.compile(
    r"(?P<pre>"
    + alternation(frozenset(_PRE_OPERATORS))
    + r")?\s*(?P<num>"
    + _NUMBER_TEXT
    + r")\s*(?P<unit>[^\d\s,，;；。、()（）:：]*)"
)
_DATE_LIKE = re.compile(r"\d{4}\s*年|\d+\s*月\s*(?:底|份|末|初|中旬|上旬|下旬|\d+\s*日|前)")
_UNIT_LIMIT = 6


def parse_measure(value: object, percent: bool = False) -> Measure | None:
    """A 年度指标值 or 实际完成值 cell as text plus what could be parsed of it.

    None for an empty cell; a number cell keeps its number (a %-formatted one in
    percent: 0.985 → 98.5 %). Text is parsed only when it holds exactly one number and
    is not a date; the operator comes from a word or sign before the number (≥, 不低于,
    超过, …) or after it (以上, 以内, …), read as Civil Code art. 1259 does.
    """
    if value is None:
        return None
    if isinstance(value, Decimal):
        if percent:
            number = value * 100
            return Measure(f"{fmt.plain(number)}%", None, number, "%")
        return Measure(fmt.plain(value), None, value, None)
    text = fold_text(value)
    if text is None:
        return None
    compact = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
    if len(_ANY_NUMBER.findall(compact)) != 1 or _DATE_LIKE.search(compact):
        return Measure(text)
    match = _MEASURE.search(compact)
    if match is None:  # pragma: no cover - one number always matches
        return Measure(text)
    operator = _PRE_OPERATORS.get(match.group("pre") or "")
    raw = match.group("unit")
    cut, post = len(raw), None
    for word in _POST_OPERATORS:
        position = raw.find(word)
        if 0 <= position < cut:
            cut, post = position, word
    unit = raw[:cut]
    if post is not None and operator is None:
        operator = _POST_OPERATORS[post]
    if unit.startswith("%"):
        unit = "%"
    elif len(unit) > _UNIT_LIMIT:
        unit = ""
    return Measure(text, operator, Decimal(match.group("num").replace(",", "")), unit or None)


# --- parsing -------------------------------------------------------------------------


@dataclass
class _Columns:
    row: int
    columns: dict[str, int]


def _find_columns(row: list[Cell], wanted: dict[str, tuple[str, ...]]) -> dict[str, int]:
    """attribute → column (1-based): the first synonym present wins, each column used once."""
    keys = [_key(cell.value) for cell in row]
    columns: dict[str, int] = {}
    used: set[int] = set()
    for attr, labels in wanted.items():
        for label in labels:
            column = next(
                (c for c, key in enumerate(keys, start=1) if key == label and c not in used), None
            )
            if column is not None:
                columns[attr] = column
                used.add(column)
                break
    return columns


def parse_national(sheet: Sheet) -> Evaluation:
    """Read one national form from a grid; raises FormError naming the place."""
    header_row = _indicator_header(sheet)
    if header_row is None:
        raise NoFormError(
            "没有找到绩效指标表（缺少“三级指标”“年度指标值”表头）",
            path=sheet.path,
            sheet=sheet.name,
        )
    columns = _find_columns(sheet.rows[header_row - 1], COLUMNS)
    missing = [COLUMNS[attr][0] for attr in REQUIRED_COLUMNS if attr not in columns]
    if missing:
        known = {label for labels in COLUMNS.values() for label in labels}
        heads = [_key(cell.value) for cell in sheet.rows[header_row - 1] if _key(cell.value)]
        strange = [head for head in heads if head not in known]
        raise NoFormError(
            f"绩效指标表缺少“{'”“'.join(missing)}”列"
            + (f"（不认识的表头：“{'”“'.join(strange)}”）" if strange else ""),
            path=sheet.path,
            sheet=sheet.name,
            row=header_row,
        )
    return _Reader(sheet, _Columns(header_row, columns)).evaluation()


class _Reader(SheetReader):
    def __init__(self, sheet: Sheet, table: _Columns) -> None:
        super().__init__(sheet, table.columns, COLUMNS)
        self.table = table
        self.notes: list[str] = []
        self.leftovers: list[Leftover] = []

    def row(self, number: int) -> list[Cell]:
        return self.sheet.rows[number - 1]

    def evaluation(self) -> Evaluation:
        budget_head = self.budget_heading()
        goal_row = self.goal_row()
        header_end = min(r for r in (budget_head, goal_row, self.table.row) if r is not None)
        project, title, year = self.header(header_end)
        block = None
        if budget_head is not None:
            end = goal_row if goal_row is not None and goal_row > budget_head else self.table.row
            block = self.budget_block(budget_head, end)
        if goal_row is not None:
            goal_end = budget_head if budget_head is not None and budget_head > goal_row else None
            project.goal, project.performance = self.goal(goal_row, goal_end or self.table.row)
        if block is not None:
            _, project.budget, project.executed = block.money()
            project.execution_rate = block.rate
        indicators, total, total_row = self.indicators()
        footer = self.footer(total_row)
        for attr, value in footer.items():
            setattr(project, attr, value)
        form_notes = [] if footer else self.sheet.texts_below(total_row)
        return Evaluation(
            source=Source(self.sheet.path, self.sheet.name),
            project=project,
            indicators=indicators,
            declared_total=total,
            title=title,
            year=year,
            notes=[*form_notes, *self.notes],
            grade_bands=parse_grade_bands(" ".join(form_notes)),
            format="national",
            budget_block=block,
            layout=self.layout(block),
            leftovers=self.leftovers,
            notices=list(self.sheet.notices),
        )

    def layout(self, block: BudgetBlock | None) -> str:
        """Which member of the family this is (docs/forms.md describes each)."""
        columns = self.table.columns
        categories = {
            _key(self.sheet.cell(r, columns["category"]).value)
            for r in range(self.table.row + 1, len(self.sheet.rows) + 1)
            if "category" in columns
        }
        if "factor" in columns or "core" in columns:
            return "national-chongqing"
        weight_label = _key(self.sheet.cell(self.table.row, columns["weight"]).value)
        if weight_label == "参考分值" or any(c.startswith("项目决策") for c in categories):
            return "national-yinchuan"
        if "operator" in columns or (block is not None and block.label.startswith("预算执行情况")):
            return "national-sichuan"
        if block is not None and block.adjusted is None and block.initial is not None:
            return "national-initial-budget"
        return "national"

    # --- header ------------------------------------------------------------------

    def header(self, end: int) -> tuple[Project, str | None, int | None]:
        values: dict[str, Any] = {}
        title: str | None = None
        year: int | None = None
        for number in range(1, end):
            row = self.row(number)
            for column, cell in enumerate(row, start=1):
                if not isinstance(cell.value, str):
                    continue
                attr = _LABELS.get(_key(cell.value))
                if attr is None:
                    text = fold_text(cell.value) or ""
                    if title is None and "自评" in text:
                        title = text
                    match = _YEAR.search(unicodedata.normalize("NFKC", text))
                    if year is None and match:
                        year = int(match.group(1))
                    continue
                if attr in values:
                    continue  # a merged label repeats across its range
                value_cell, value_column = self.value_right_of(row, column, cell, _is_label)
                values[attr] = self.header_value(attr, value_cell, number, value_column)
        return Project(**values), title, year

    def header_value(self, attr: str, cell: Cell, row: int, column: int | None) -> object:
        if attr == "evaluated_on":
            try:
                return parse_date(cell.value)
            except ValueError as error:
                raise self.error(str(error), row, column, HEADER_FIELDS[attr][0]) from None
        if isinstance(cell.value, Decimal):
            return fmt.plain(cell.value)
        if isinstance(cell.value, str):
            return fold_text(cell.value)
        return None if cell.value is None else str(cell.value)

    # --- the 项目资金 block ---------------------------------------------------------

    def budget_heading(self) -> int | None:
        """The row of the block's column headings: an executed column and a budget column."""
        budgets = set(BUDGET_COLUMNS["adjusted"]) | set(BUDGET_COLUMNS["initial"])
        for number in range(1, self.table.row):
            keys = {_key(cell.value) for cell in self.row(number)}
            if keys & set(BUDGET_COLUMNS["executed"]) and keys & budgets:
                return number
        return None

    def goal_row(self) -> int | None:
        for number in range(1, self.table.row):
            keys = {_key(cell.value) for cell in self.row(number)}
            if keys & GOAL_LABELS:
                return number
        return None

    def budget_scale(self, heading: int) -> Decimal:
        """The unit the block declares on 项目资金（万元） or a column heading; else 万元."""
        for number in range(max(heading - 1, 1), min(heading + 2, self.table.row)):
            for cell in self.row(number):
                if not isinstance(cell.value, str):
                    continue
                key, unit = strip_units(label_key(cell.value))
                if unit in _SCALE and (
                    key.startswith(BUDGET_BLOCK_LABELS) or key in _BUDGET_HEADINGS
                ):
                    return _SCALE[unit]
        return _SCALE["万元"]

    def budget_block(self, heading: int, end: int) -> BudgetBlock:
        columns = _find_columns(self.row(heading), BUDGET_COLUMNS)
        first = min(columns.values())
        scale = self.budget_scale(heading)
        rows: list[tuple[str, dict[str, Decimal | None], int]] = []
        for number in range(heading + 1, end):
            row = self.row(number)
            label = self.budget_label(row, first)
            figures = {
                attr: self.figure(attr, self.sheet.cell(number, column), number, column)
                for attr, column in columns.items()
            }
            if label is None and all(v is None for v in figures.values()):
                continue
            rows.append((label or "", figures, number))
        if not rows:
            return BudgetBlock()
        total_index = next(
            (i for i, (label, _, _) in enumerate(rows) if "总额" in label or label in TOTAL_LABELS),
            0,
        )
        _, total, _ = rows[total_index]
        money = ("initial", "adjusted", "executed")
        largest = max((total.get(a) or Decimal(0) for a in money), default=Decimal(0))
        heading_unit = next(unit for unit, factor in _SCALE.items() if factor == scale)
        if scale == _SCALE["万元"] and largest > YUAN_THRESHOLD:
            scale = _SCALE["元"]

        def yuan(value: Decimal | None) -> Decimal | None:
            return None if value is None else value * scale

        breakdown = tuple(
            BudgetRow(
                label=_BREAKDOWN_PREFIX.sub("", unicodedata.normalize("NFKC", label)) or label,
                initial=yuan(figures.get("initial")),
                adjusted=yuan(figures.get("adjusted")),
                executed=yuan(figures.get("executed")),
            )
            for index, (label, figures, _) in enumerate(rows)
            if index != total_index
        )
        return BudgetBlock(
            initial=yuan(total.get("initial")),
            adjusted=yuan(total.get("adjusted")),
            executed=yuan(total.get("executed")),
            weight=total.get("weight"),
            rate=total.get("rate"),
            score=total.get("score"),
            breakdown=breakdown,
            label=self.block_label(heading),
            points=split_category(self.block_label(heading))[1],
            heading_unit=heading_unit,
            unit=next(unit for unit, factor in _SCALE.items() if factor == scale),
        )

    def block_label(self, heading: int) -> str:
        """项目资金（万元）, 预算执行情况（10分）…: on the heading row or the one above."""
        for number in range(max(heading - 1, 1), heading + 1):
            for cell in self.row(number):
                text = fold_text(cell.value) if isinstance(cell.value, str) else None
                if text and _key(text).startswith(BUDGET_BLOCK_LABELS):
                    return unicodedata.normalize("NFKC", text)
        return "项目资金"

    def budget_label(self, row: list[Cell], first: int) -> str | None:
        """The row's label: the texts left of the figures, less the 项目资金 heading."""
        parts: list[str] = []
        for cell in row[: first - 1]:
            text = fold_text(cell.value) if isinstance(cell.value, str) else None
            if text and not _key(text).startswith(BUDGET_BLOCK_LABELS) and text not in parts:
                parts.append(text)
        return "".join(parts) or None

    def figure(self, attr: str, cell: Cell, row: int, column: int) -> Decimal | None:
        label = BUDGET_COLUMNS[attr][0]
        value = cell.value
        if isinstance(value, str):
            value = label_key(value).replace(",", "").removesuffix("元").removesuffix("万")
        try:
            parsed = parse_number(value)
        except ValueError as error:
            raise self.error(str(error), row, column, label) from None
        if parsed is None:
            return None
        number, written_percent = parsed
        if attr == "rate":
            return rate_fraction(
                number, written_percent=written_percent, percent_format=cell.percent
            )
        if written_percent:
            raise self.error(f"{label}不应是百分比：“{cell.value}”", row, column, label)
        return number

    # --- 年度总体目标 -----------------------------------------------------------------

    def goal(self, label_row: int, end: int) -> tuple[str | None, str | None]:
        """预期目标 and 实际完成情况: the texts under their headings (on the label's row or
        the next), down to ``end``; else the texts right of the label."""
        heading: int | None = None
        for number in range(label_row, min(label_row + 2, end)):
            keys = [_key(cell.value) for cell in self.row(number)]
            if any(k in GOAL_HEADINGS for k in keys):
                heading = number
                break
        if heading is None:
            row = self.row(label_row)
            texts = self.texts(row, 1, len(row), skip=GOAL_LABELS)
            return (texts[0] if texts else None), (texts[1] if len(texts) > 1 else None)
        keys = [_key(cell.value) for cell in self.row(heading)]
        goal_column = next(i + 1 for i, k in enumerate(keys) if k in GOAL_HEADINGS)
        actual_column = next(
            (i + 1 for i, k in enumerate(keys) if k in GOAL_ACTUAL and i + 1 > goal_column), None
        )
        skip = GOAL_LABELS | frozenset(GOAL_HEADINGS) | frozenset(GOAL_ACTUAL)
        goal_parts: list[str] = []
        actual_parts: list[str] = []
        for number in range(heading + 1, end):
            row = self.row(number)
            right = actual_column or len(row) + 1
            goal_parts += self.texts(row, goal_column, right - 1, skip=skip)
            if actual_column:
                actual_parts += self.texts(row, actual_column, len(row), skip=skip)
        return _join(goal_parts), _join(actual_parts)

    def footer(self, total_row: int) -> dict[str, str | None]:
        """评价结论 / 存在问题 / 改进措施 below the table, where the form has them."""
        labels = {label: attr for attr, names in FOOTER_FIELDS.items() for label in names}
        found: dict[str, str | None] = {}
        for number in range(total_row + 1, len(self.sheet.rows) + 1):
            row = self.row(number)
            for column, cell in enumerate(row, start=1):
                attr = labels.get(_key(cell.value)) if isinstance(cell.value, str) else None
                if attr is None or attr in found:
                    continue
                value, _ = self.value_right_of(row, column, cell, lambda c: False)
                found[attr] = fold_text(value.value) if value.value is not None else None
        return found

    @staticmethod
    def texts(row: list[Cell], left: int, right: int, skip: frozenset[str]) -> list[str]:
        found: list[str] = []
        for cell in row[left - 1 : right]:
            text = fold_text(cell.value)
            if text and _key(text) not in skip and text not in found:
                found.append(text)
        return found

    # --- the indicator table -------------------------------------------------------

    def indicators(self) -> tuple[list[Indicator], DeclaredTotal, int]:
        columns = self.table.columns
        indicators: list[Indicator] = []
        category: str | None = None
        points: Decimal | None = None
        level2: str | None = None
        number = self.table.row
        for number in range(self.table.row + 1, len(self.sheet.rows) + 1):
            cells = {attr: self.sheet.cell(number, column) for attr, column in columns.items()}
            if self.is_total_row(number):
                total = DeclaredTotal(
                    weight=self.number(cells["weight"], number, "weight"),
                    self_score=self.number(cells["self_score"], number, "self_score"),
                )
                return self.check_any(indicators), total, number
            if "category" in cells and cells["category"].value is not None:
                new_category, new_points = split_category(cells["category"].value)
                if (new_category, new_points) != (category, points):
                    level2 = None
                category, points = new_category, new_points
            if "level2" in cells and cells["level2"].value is not None:
                level2 = _compact_label(cells["level2"].value)
            name = _indicator_name(cells["name"].value)
            weight = self.number(cells["weight"], number, "weight")
            score = self.number(cells["self_score"], number, "self_score")
            if weight is None and score is None and self.leftover(number, name, cells):
                continue
            if name is None:
                if weight is not None:
                    raise self.error("有分值但三级指标为空", number, columns["name"], "三级指标")
                continue
            if weight is None:
                raise self.error(f"指标“{name}”没有分值", number, columns["weight"], "分值")
            indicators.append(
                Indicator(
                    name=name,
                    weight=weight,
                    self_score=score,
                    category=category,
                    category_points=points,
                    row=number,
                    level2=level2,
                    target=self.target(cells),
                    actual=self.measure(cells.get("actual"), cells.get("unit")),
                    deviation_reason=_reason(cells.get("deviation_reason")),
                    factor=self.number(cells["factor"], number, "factor")
                    if "factor" in cells
                    else None,
                )
            )
        return self.check_any(indicators), DeclaredTotal(), number

    def check_any(self, indicators: list[Indicator]) -> list[Indicator]:
        if not indicators:
            raise NoFormError(
                "绩效指标表没有任何指标行",
                path=self.sheet.path,
                sheet=self.sheet.name,
                row=self.table.row,
            )
        return indicators

    def is_total_row(self, number: int) -> bool:
        return any(_key(cell.value) in TOTAL_LABELS for cell in self.row(number))

    def leftover(self, number: int, name: str | None, cells: dict[str, Cell]) -> bool:
        """Whether an unscored row is only what the template left: a placeholder name
        (指标2, 指标N, ……, —) or none at all, and no target or actual. Noted, not read."""
        if name is not None and not _PLACEHOLDER.match(label_key(name)):
            return False
        filled = [
            attr
            for attr in ("target", "actual")
            if attr in cells and label_key(cells[attr].value) not in BLANK_MARKS
        ]
        if filled:
            return False
        texts = [
            t
            for attr in ("category", "level2", "name")
            if attr in cells and (t := fold_text(cells[attr].value))
        ]
        if texts:  # a wholly blank row is no leftover worth a word
            self.leftovers.append(Leftover(number, " ".join(dict.fromkeys(texts))))
        return True

    def target(self, cells: dict[str, Cell]) -> Measure | None:
        """年度指标值, with the operator from 指标性质 and the unit from 度量单位 where split."""
        measure = self.measure(cells.get("target"), cells.get("unit"))
        operator_cell = cells.get("operator")
        if measure is None or operator_cell is None or measure.operator is not None:
            return measure
        operator = _OPERATOR_WORDS.get(label_key(operator_cell.value))
        if operator is None:
            return measure
        return replace(measure, text=f"{operator}{measure.text}", operator=operator)

    @staticmethod
    def measure(cell: Cell | None, unit_cell: Cell | None = None) -> Measure | None:
        """A target or actual; a unit written in its own column (度量单位) joins it."""
        if cell is None:
            return None
        measure = parse_measure(cell.value, cell.percent)
        unit = fold_text(unit_cell.value) if unit_cell is not None else None
        if measure is None or unit is None or label_key(unit) in BLANK_MARKS:
            return measure
        unit = unicodedata.normalize("NFKC", unit).strip()
        if unit == "百分比":
            unit = "%"
        if measure.number is None or measure.unit is not None:
            return measure
        return replace(measure, text=f"{measure.text}{unit}", unit=unit)


_BUDGET_HEADINGS = frozenset(label for labels in BUDGET_COLUMNS.values() for label in labels)


def _join(parts: list[str]) -> str | None:
    return " ".join(parts) if parts else None


def _compact_label(value: object) -> str | None:
    """A level label without white space (line breaks in merged cells): '数量 指标' → '数量指标'."""
    text = fold_text(value)
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)) if text else None


def _indicator_name(value: object) -> str | None:
    """The 三级指标 as written, less a template's "指标1：" prefix."""
    text = fold_text(value)
    if text is None:
        return None
    stripped = _TEMPLATE_PREFIX.sub("", unicodedata.normalize("NFKC", text))
    if stripped and stripped != unicodedata.normalize("NFKC", text):
        return stripped
    return text


#: What units write in 偏差原因 to say there is none ("0" is a template's default).
_NO_REASON = frozenset({"0", "无偏差", "未偏差", "无差异"})


def _reason(cell: Cell | None) -> str | None:
    """偏差原因: free text; "无", "—" and the like mean none."""
    if cell is None:
        return None
    text = fold_text(cell.value)
    if text is None or label_key(text) in BLANK_MARKS | _NO_REASON:
        return None
    return text
