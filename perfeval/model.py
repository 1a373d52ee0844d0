"""The normalised model of one self-evaluation, whatever file it came from.

Money is in yuan, rates are fractions (100% → 1), weights and scores are exact
decimals; a blank cell is ``None``, never 0. ``to_json`` gives the documented
JSON shape of ``perfeval parse --json``.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from .fmt import plain

__all__ = [
    "BudgetBlock",
    "BudgetRow",
    "DeclaredTotal",
    "Evaluation",
    "GradeBand",
    "Indicator",
    "Leftover",
    "Measure",
    "Project",
    "Source",
    "json_number",
    "shown_path",
]


def json_number(value: Decimal | None) -> int | float | None:
    """A Decimal as a JSON number: integral values as ints, others as floats."""
    if value is None:
        return None
    if value == value.to_integral_value():
        return int(value)
    return float(value)


@dataclass(frozen=True)
class Source:
    """Where an evaluation was read from.

    ``path`` opens the file; a name that is not UTF-8 (GBK bytes from a Windows archive)
    holds Python's surrogate escapes there, and ``shown`` is that name decoded as well as
    possible, for everything a person reads or a file records.

    A batch names the form as its reader knows it: ``name``, the path below the folder the
    run was given (``national/2023_水务.txt``), is what a review page and workbook show —
    never where the reviewer's files live; ``origin`` is the form's own path when ``path``
    is a copy (a cluster worker reads the bytes the run sent it).
    """

    path: str
    sheet: str | None = None
    name: str | None = None
    origin: str | None = None

    @property
    def shown(self) -> str:
        return shown_path(self.path)

    @property
    def label(self) -> str:
        """The form as a review names it: its name in the batch (else its file name), and
        the sheet."""
        name = self.name or Path(self.origin or self.shown).name
        return f"{name} [{self.sheet}]" if self.sheet else name

    @property
    def original(self) -> str:
        """The form's own path: where it was found, even when a copy was read."""
        return self.origin or self.path

    def to_json(self) -> dict[str, Any]:
        return {"path": self.shown, "sheet": self.sheet}

    def __str__(self) -> str:
        return f"{self.shown} [{self.sheet}]" if self.sheet else self.shown


def shown_path(path: str) -> str:
    """A file name as a person should see it: as is when it is text; bytes that are not
    UTF-8 read as GB18030 (Chinese Windows), else with replacement marks. Always valid UTF-8."""
    if not any("\udc80" <= ch <= "\udcff" for ch in path):
        return path
    raw = path.encode("utf-8", "surrogateescape")
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        return raw.decode("utf-8", "replace")


@dataclass
class Project:
    """The header of a form."""

    name: str | None = None
    unit: str | None = None
    department: str | None = None
    recurring: bool | None = None
    budget: Decimal | None = None
    executed: Decimal | None = None
    prior_year_rate: Decimal | None = None
    execution_rate: Decimal | None = None
    goal: str | None = None
    evaluated_on: date | None = None
    grade: str | None = None
    performance: str | None = None
    problems: str | None = None
    measures: str | None = None
    conclusion: str | None = None  # 评价结论 (provincial variants of the national form)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "unit": self.unit,
            "department": self.department,
            "recurring": self.recurring,
            "budget": json_number(self.budget),
            "executed": json_number(self.executed),
            "prior_year_rate": json_number(self.prior_year_rate),
            "execution_rate": json_number(self.execution_rate),
            "goal": self.goal,
            "evaluated_on": self.evaluated_on.isoformat() if self.evaluated_on else None,
            "grade": self.grade,
            "performance": self.performance,
            "problems": self.problems,
            "measures": self.measures,
            "conclusion": self.conclusion,
        }


@dataclass(frozen=True)
class Measure:
    """A target or actual as written ("≥95%", "100人次") and what could be parsed of it."""

    text: str | None
    operator: str | None = None
    number: Decimal | None = None
    unit: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "operator": self.operator,
            "number": json_number(self.number),
            "unit": self.unit,
        }


@dataclass
class Indicator:
    """One scored row of the indicator table."""

    name: str
    weight: Decimal
    self_score: Decimal | None
    category: str | None = None
    category_points: Decimal | None = None
    explanation: str | None = None
    rule: str | None = None
    remark: str | None = None
    # Where the row is in its file (1-based); not part of the evaluation's content.
    row: int | None = field(default=None, compare=False)
    # The national form's extra columns.
    level2: str | None = None
    target: Measure | None = None
    actual: Measure | None = None
    deviation_reason: str | None = None
    factor: Decimal | None = None  # 得分系数 (重庆): the score is factor × weight

    def to_json(self, national: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "category": self.category,
            "category_points": json_number(self.category_points),
            "name": self.name,
            "explanation": self.explanation,
            "weight": json_number(self.weight),
            "rule": self.rule,
            "self_score": json_number(self.self_score),
            "remark": self.remark,
        }
        if national:
            data["level2"] = self.level2
            data["target"] = self.target.to_json() if self.target else None
            data["actual"] = self.actual.to_json() if self.actual else None
            data["deviation_reason"] = self.deviation_reason
            if self.factor is not None:
                data["factor"] = json_number(self.factor)
        return data


@dataclass(frozen=True)
class DeclaredTotal:
    """The 合计 row as the form states it."""

    weight: Decimal | None = None
    self_score: Decimal | None = None

    def to_json(self) -> dict[str, Any]:
        return {"weight": json_number(self.weight), "self_score": json_number(self.self_score)}


@dataclass(frozen=True)
class GradeBand:
    """One grade and the totals that earn it, e.g. 优秀 for [90, 100]."""

    grade: str
    lower: Decimal
    upper: Decimal | None
    lower_inclusive: bool = True
    upper_inclusive: bool = False

    def contains(self, total: Decimal) -> bool:
        above = total >= self.lower if self.lower_inclusive else total > self.lower
        if self.upper is None:
            return above
        below = total <= self.upper if self.upper_inclusive else total < self.upper
        return above and below

    def to_json(self) -> dict[str, Any]:
        return {
            "grade": self.grade,
            "min": json_number(self.lower),
            "min_inclusive": self.lower_inclusive,
            "max": json_number(self.upper),
            "max_inclusive": self.upper_inclusive,
        }


@dataclass(frozen=True)
class BudgetRow:
    """One row of the national form's 项目资金 block, in yuan."""

    label: str
    initial: Decimal | None = None
    adjusted: Decimal | None = None
    executed: Decimal | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "initial": json_number(self.initial),
            "adjusted": json_number(self.adjusted),
            "executed": json_number(self.executed),
        }


@dataclass(frozen=True)
class BudgetBlock:
    """The national form's 项目资金 block: the scored total row and its 其中 rows."""

    initial: Decimal | None = None
    adjusted: Decimal | None = None
    executed: Decimal | None = None
    weight: Decimal | None = None
    rate: Decimal | None = None
    score: Decimal | None = None
    breakdown: tuple[BudgetRow, ...] = ()
    #: The unit the block's heading declares (项目资金（万元）), and the unit its figures
    #: were read in: "元" under a 万元 heading when the figures were plainly filled in yuan.
    heading_unit: str = "万元"
    unit: str = "万元"
    #: The block's label as written (项目资金（万元）, 预算执行情况（10分）) and the points it declares.
    label: str = "项目资金"
    points: Decimal | None = None

    @property
    def total_blank(self) -> bool:
        """The 年度资金总额 row holds no money (0 or blank) while its 其中 rows do."""
        totals = (self.initial, self.adjusted, self.executed)
        parts = [v for row in self.breakdown for v in (row.initial, row.adjusted, row.executed)]
        return not any(totals) and any(parts)

    def money(self) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
        """(年初预算数, 全年预算数, 全年执行数): the total row's, or the 其中 rows' sums when
        the total row was left at 0 or blank."""
        if not self.total_blank:
            return self.initial, self.adjusted, self.executed

        def summed(attr: str) -> Decimal | None:
            values = [getattr(row, attr) for row in self.breakdown]
            present = [v for v in values if v is not None]
            return sum(present, Decimal(0)) if present else None

        return summed("initial"), summed("adjusted"), summed("executed")

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "points": json_number(self.points),
            "heading_unit": self.heading_unit,
            "unit": self.unit,
            "initial": json_number(self.initial),
            "adjusted": json_number(self.adjusted),
            "executed": json_number(self.executed),
            "weight": json_number(self.weight),
            "rate": json_number(self.rate),
            "score": json_number(self.score),
            "breakdown": [row.to_json() for row in self.breakdown],
        }


@dataclass(frozen=True)
class Leftover:
    """A row the unit left from the official template (指标2, ……, a bare 二级 label):
    nothing scored, skipped when reading, reported as information."""

    row: int
    text: str

    def to_json(self) -> dict[str, Any]:
        return {"row": self.row, "text": self.text}


_KEY_NOISE = re.compile(r"[\s()（）\[\]【】]+")


@dataclass
class Evaluation:
    """One self-evaluation form: a sheet of a workbook, or a text export."""

    source: Source
    project: Project
    indicators: list[Indicator]
    declared_total: DeclaredTotal = field(default_factory=DeclaredTotal)
    title: str | None = None
    year: int | None = None
    notes: list[str] = field(default_factory=list)
    grade_bands: list[GradeBand] = field(default_factory=list)
    format: str = "district"
    budget_block: BudgetBlock | None = None
    #: The layout recognised within the format (docs/forms.md lists them), e.g. "national",
    #: "national-sichuan"; shown with the review so a reviewer knows how the form was read.
    layout: str = ""
    leftovers: list[Leftover] = field(default_factory=list)
    #: What a reviewer must know about how the file was read (rows not read, formulas
    #: without a computed value); the ``read.notice`` check reports each.
    notices: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        """A stable key from what identifies the project — year, unit, department, name,
        format and budget — never from the file name.

        A re-sent file (renamed, re-exported, another layout of the same format) finds its
        review again; two projects that differ in any of these never share one.
        """
        project = self.project
        budget = "" if project.budget is None else plain(project.budget)
        parts = [
            "2",  # the key's version: year, unit, department, name, format and budget
            str(self.year or ""),
            project.unit or "",
            project.department or "",
            project.name or "",
            self.format,
            budget,
        ]
        text = "|".join(_KEY_NOISE.sub("", unicodedata.normalize("NFKC", p)) for p in parts)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

    @property
    def legacy_key(self) -> str:
        """The key of perfeval 0.1 (year, unit and name only), to find reviews it saved."""
        parts = [str(self.year or ""), self.project.unit or "", self.project.name or ""]
        text = "|".join(_KEY_NOISE.sub("", unicodedata.normalize("NFKC", p)) for p in parts)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

    def refs(self) -> list[str]:
        """How each indicator is addressed, in form order: its name, or — when the form
        names two indicators alike — its name and row ("项目完成率（第12行）")."""
        counts = Counter(indicator.name for indicator in self.indicators)
        seen: Counter[str] = Counter()
        refs = []
        for indicator in self.indicators:
            seen[indicator.name] += 1
            if counts[indicator.name] == 1:
                refs.append(indicator.name)
            elif indicator.row is not None:
                refs.append(f"{indicator.name}（第{indicator.row}行）")
            else:
                refs.append(f"{indicator.name}（第{seen[indicator.name]}项）")
        return refs

    def indicator(self, ref: str) -> Indicator | None:
        """The indicator a ref (see ``refs``) addresses; None for none, or for a name the
        form gives to several indicators (``ambiguous`` lists their refs)."""
        for indicator, own in zip(self.indicators, self.refs(), strict=True):
            if own == ref:
                return indicator
        return None

    def ambiguous(self, name: str) -> list[str]:
        """The refs of the indicators sharing ``name`` when there are several, else []."""
        refs = [r for i, r in zip(self.indicators, self.refs(), strict=True) if i.name == name]
        return refs if len(refs) > 1 else []

    def to_json(self) -> dict[str, Any]:
        national = self.format == "national"
        data: dict[str, Any] = {
            "source": self.source.to_json(),
            "format": self.format,
            "key": self.key,
            "title": self.title,
            "year": self.year,
            "project": self.project.to_json(),
            "indicators": [i.to_json(national) for i in self.indicators],
            "declared_total": self.declared_total.to_json(),
            "notes": list(self.notes),
            "grade_bands": [band.to_json() for band in self.grade_bands],
            "layout": self.layout or self.format,
            "leftovers": [leftover.to_json() for leftover in self.leftovers],
            "notices": list(self.notices),
        }
        if national:
            data["budget_block"] = self.budget_block.to_json() if self.budget_block else None
        return data
