"""The portfolio of a batch run: what each review says, and what they say together.

``ProjectFigures`` is the part of one project's review the portfolio needs —
budget, execution rate, the declared / computed / reviewed totals and grades,
finding counts by severity and by check, the review status and the project's
scoring rules — taken from the same ``Review`` the notebook showed and kept in
the run's manifest, so a resumed run (whose unchanged projects are skipped) still
has them (with the adjustments that moved a score and the 复核意见, for the units'
复核报告). ``PortfolioRow`` is one project of the run; ``one_per_project`` makes a
project sent in two files (one key: the seed as ``.txt`` and ``.xlsx``) one row carrying
the other as a copy, flagged 重复报送 and counted once, and marks projects that only share
a year, unit and name 疑似重复报送 (counted each). The functions below add the rows up:

- ``unit_summaries``: per 预算单位, how many projects, the self (declared) and
  reviewed grades, how far self-scores sit above reviewed ones (mean and max of
  自评 − 复核, mean 偏离度), how many self-scored full marks (and whether all did),
  and the scoring rules its projects share;
- ``check_counts``: per check, how many findings and in how many projects;
- ``shared_rules``: scoring rules that recur in two or more projects — the same text
  once normalised (``rule_key``: NFKC, point marks and spaces dropped; an exact
  match, so that a portfolio of thousands of rules is compared in linear time).

The 自评 total of a project is its declared 合计 where the form states one, else
the sum of its self-scores; 偏离度 = (自评 − 复核) / 自评, as on the review sheet; a
自评 total of 100 or more is full marks. The self grade is the grade the form states
(normalised: 优 → 优秀), NO_GRADE when it states none. Means are exact
(``Decimal``) and rounded only for display.

``index.html``, ``summary.xlsx`` and the 复核报告 show all of this: see
``perfeval.show.index``, ``perfeval.show.summary`` and ``perfeval.show.unitreport``.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from .. import fmt
from ..check.catalogue import catalogue
from ..exceptions import PerfevalError
from ..grades import DISTRICT_BANDS, NATIONAL_BANDS
from ..model import json_number
from ..scoring import deviation
from ..wording import MIN_RULE_LENGTH, rule_key
from .build import Review

__all__ = [
    "FIGURES_VERSION",
    "FULL_MARKS",
    "GRADE_SCALES",
    "NO_GRADE",
    "NO_UNIT",
    "RESUBMITTED",
    "RUN_STATES",
    "SUSPECTED",
    "CheckCount",
    "Move",
    "PortfolioRow",
    "ProjectFigures",
    "SharedRule",
    "UnitSummary",
    "by_grade_scale",
    "check_counts",
    "grade_counts",
    "grade_order",
    "grade_scale",
    "grades_text",
    "href",
    "lab_link",
    "listed",
    "one_per_project",
    "same_name",
    "same_project",
    "shared_rules",
    "unit_of",
    "unit_summaries",
]

#: Bumped when ``ProjectFigures.to_json`` changes shape: older manifest entries are recomputed.
FIGURES_VERSION = 4
#: A self-evaluation scored out of 100: a 自评 total of 100 or more is full marks.
FULL_MARKS = Decimal(100)
#: How a missing grade is counted and filtered (a form that states none, a total in no band).
NO_GRADE = "未定等级"
#: How projects whose form names no unit are grouped.
NO_UNIT = "（未填单位）"
RUN_STATES = {"done": "已完成", "skipped": "未变", "failed": "失败"}


def unit_of(unit: str | None) -> str:
    """The unit a project is grouped under: NFKC with runs of spaces made one."""
    text = " ".join(unicodedata.normalize("NFKC", unit or "").split())
    return text or NO_UNIT


def href(folder: str, name: str) -> str:
    """A link from the index to a file in a project folder, percent-encoded."""
    return f"{quote(folder)}/{quote(name)}"


def lab_link(page: PurePosixPath, notebook: PurePosixPath) -> str:
    """A link from ``page`` to JupyterLab showing ``notebook`` (both relative to the folder
    JupyterLab serves, the project root): relative, so it works whatever the server's
    address, when the page is opened through JupyterLab (``/files/<page>``)."""
    up = "../" * len(page.parts)  # out of the page's folders, then out of /files/
    return up + "lab/tree/" + quote(notebook.as_posix())


# --- one project -------------------------------------------------------------------------


def _decimal(value: Any) -> Decimal | None:
    """A JSON number (or null) as an exact finite Decimal; raises ValueError for anything else."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"not a number: {value!r}")
    number = Decimal(str(value))
    if not number.is_finite():
        raise ValueError(f"not finite: {value!r}")
    return number


def _text_or_none(value: Any) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ValueError(f"not text: {value!r}")
    return value


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"not a count: {value!r}")
    return value


@dataclass(frozen=True)
class Move:
    """An adjustment that moved a score: the indicator (as the review addresses it), its
    self-score, the reviewed score and the reviewer's reason."""

    indicator: str
    self_score: Decimal | None
    reviewed: Decimal
    reason: str
    stale: bool = False  # the form changed under it since: it waits for the reviewer

    @property
    def text(self) -> str:
        """``“指标” 14 → 8 分：理由``, with a stale adjustment marked as waiting."""
        waiting = "（表单已变，调整待确认）" if self.stale else ""
        return (
            f"“{self.indicator}” {fmt.score(self.self_score)} → {fmt.score(self.reviewed)} 分"
            f"{waiting}：{self.reason}"
        )


@dataclass(frozen=True)
class ProjectFigures:
    """What the portfolio shows of one project's review (see the module docstring)."""

    declared: Decimal | None
    computed: Decimal
    reviewed: Decimal
    declared_grade: str | None = None
    computed_grade: str | None = None
    reviewed_grade: str | None = None
    errors: int = 0
    warnings: int = 0
    infos: int = 0
    status: str = ""
    budget: Decimal | None = None
    executed: Decimal | None = None
    execution_rate: Decimal | None = None
    checks: dict[str, int] = field(default_factory=dict)
    rules: tuple[str, ...] = ()  # its scoring rules as written, one per ``rule_key``
    moves: tuple[Move, ...] = ()  # the adjustments that moved a score, in the form's order
    opinion: str | None = None  # the reviewer's 复核意见

    @property
    def self_total(self) -> Decimal:
        """The 自评 total: the declared 合计, or the sum of the self-scores when none is stated."""
        return self.declared if self.declared is not None else self.computed

    @property
    def gap(self) -> Decimal:
        """自评 − 复核, in points."""
        return self.self_total - self.reviewed

    @property
    def deviation(self) -> Decimal | None:
        """偏离度 = (自评 − 复核) / 自评; None for a 自评 of 0."""
        return deviation(self.self_total, self.reviewed)

    @property
    def full_marks(self) -> bool:
        return self.self_total >= FULL_MARKS

    @property
    def total_mismatch(self) -> str | None:
        """``填报合计 96 分与各项相加 89 分不符`` when the declared 合计 is not the rows' sum."""
        if self.declared is None or self.declared == self.computed:
            return None
        return f"填报合计 {fmt.score(self.declared)} 分与各项相加 {fmt.score(self.computed)} 分不符"

    def deviation_reasons(self, limit: int = 3) -> list[str]:
        """Why the reviewed total is not the 自评 total, biggest first: a declared 合计 the
        rows do not add up to, then the adjustments that moved most points, each with its
        reason (at most ``limit``, then how many more)."""
        reasons = [self.total_mismatch] if self.total_mismatch else []
        moves = sorted(self.moves, key=lambda m: -abs((m.self_score or 0) - m.reviewed))
        reasons += [move.text for move in moves[:limit]]
        if len(moves) > limit:
            reasons.append(f"另有 {len(moves) - limit} 项调整")
        return reasons

    @property
    def self_grade(self) -> str:
        """The grade the form states (normalised), or NO_GRADE."""
        return self.declared_grade or NO_GRADE

    @property
    def reviewed_grade_label(self) -> str:
        return self.reviewed_grade or NO_GRADE

    @classmethod
    def of_review(cls, review: Review) -> ProjectFigures:
        """The figures of a review, as the notebook and review.xlsx show it."""
        totals, counts = review.totals(), review.counts()
        project = review.evaluation.project
        rules: dict[str, str] = {}
        for indicator in review.evaluation.indicators:
            key = rule_key(indicator.rule)
            if len(key) >= MIN_RULE_LENGTH and key not in rules:
                rules[key] = (indicator.rule or "").strip()
        return cls(
            declared=totals.declared,
            computed=totals.computed,
            reviewed=totals.reviewed,
            declared_grade=totals.declared_grade,
            computed_grade=totals.computed_grade,
            reviewed_grade=totals.reviewed_grade,
            errors=counts.get("error", 0),
            warnings=counts.get("warning", 0),
            infos=counts.get("info", 0),
            status=review.status,
            budget=project.budget,
            executed=project.executed,
            execution_rate=project.execution_rate,
            checks=dict(Counter(finding.check for finding in review.findings)),
            rules=tuple(rules.values()),
            moves=tuple(
                Move(
                    item.ref,
                    item.indicator.self_score,
                    adjustment.score,
                    adjustment.reason,
                    adjustment.stale,
                )
                for item in review.indicators
                if (adjustment := item.adjustment) is not None and item.moved
            ),
            opinion=review.record.opinion or None,
        )

    def to_json(self) -> dict[str, Any]:
        """The manifest's ``summary`` of a project; ``deviation`` and the like are for readers."""
        gap_deviation = self.deviation
        return {
            "version": FIGURES_VERSION,
            "declared": json_number(self.declared),
            "computed": json_number(self.computed),
            "reviewed": json_number(self.reviewed),
            "declared_grade": self.declared_grade,
            "computed_grade": self.computed_grade,
            "reviewed_grade": self.reviewed_grade,
            "errors": self.errors,
            "warnings": self.warnings,
            "infos": self.infos,
            "status": self.status,
            "budget": json_number(self.budget),
            "executed": json_number(self.executed),
            "execution_rate": json_number(self.execution_rate),
            "deviation": None if gap_deviation is None else float(round(gap_deviation, 4)),
            "full_marks": self.full_marks,
            "checks": dict(sorted(self.checks.items())),
            "rules": list(self.rules),
            "moves": [
                [
                    move.indicator,
                    json_number(move.self_score),
                    json_number(move.reviewed),
                    move.reason,
                    move.stale,
                ]
                for move in self.moves
            ],
            "opinion": self.opinion,
        }

    @classmethod
    def from_json(cls, data: Any) -> ProjectFigures | None:
        """Figures from a manifest entry's ``summary``; None when absent, older or malformed."""
        if not isinstance(data, dict) or data.get("version") != FIGURES_VERSION:
            return None
        try:
            checks = data.get("checks") or {}
            rules = data.get("rules") or []
            moves = data.get("moves") or []
            if not all(isinstance(v, t) for v, t in ((checks, dict), (rules, list), (moves, list))):
                return None
            computed, reviewed = _decimal(data["computed"]), _decimal(data["reviewed"])
            if computed is None or reviewed is None:
                return None
            return cls(
                declared=_decimal(data.get("declared")),
                computed=computed,
                reviewed=reviewed,
                declared_grade=_text_or_none(data.get("declared_grade")),
                computed_grade=_text_or_none(data.get("computed_grade")),
                reviewed_grade=_text_or_none(data.get("reviewed_grade")),
                errors=_count(data.get("errors", 0)),
                warnings=_count(data.get("warnings", 0)),
                infos=_count(data.get("infos", 0)),
                status=_text_or_none(data.get("status")) or "",
                budget=_decimal(data.get("budget")),
                executed=_decimal(data.get("executed")),
                execution_rate=_decimal(data.get("execution_rate")),
                checks={str(check): _count(n) for check, n in checks.items()},
                rules=tuple(str(_text_or_none(rule) or "") for rule in rules if rule),
                moves=tuple(_move(move) for move in moves),
                opinion=_text_or_none(data.get("opinion")),
            )
        except (KeyError, TypeError, ValueError, InvalidOperation):
            return None


def _move(data: Any) -> Move:
    indicator, self_score, reviewed, reason, stale = data  # ValueError/TypeError: malformed
    score = _decimal(reviewed)
    if score is None or not isinstance(stale, bool):
        raise ValueError("a move without its reviewed score or stale mark")
    return Move(str(_text_or_none(indicator)), _decimal(self_score), score, str(reason), stale)


@dataclass(frozen=True)
class PortfolioRow:
    """One project of a run as the portfolio shows it; ``figures`` is None when its review
    could not be loaded."""

    folder: str
    project: str | None
    unit: str | None
    year: int | None
    source: str
    state: str
    error: str | None = None
    review_href: str | None = None
    notebook_href: str | None = None
    workbook_href: str | None = None
    lab_href: str | None = None  # its notebook in JupyterLab (index opened through JupyterLab)
    figures: ProjectFigures | None = None
    key: str | None = None  # the project's store key (``Evaluation.key``): one project, one key
    copies: tuple[PortfolioRow, ...] = ()  # the same project sent again (see ``one_per_project``)
    namesakes: int = 0  # other projects of this year, unit and name, with another key

    @property
    def unit_name(self) -> str:
        return unit_of(self.unit)

    @property
    def files(self) -> tuple[PortfolioRow, ...]:
        """This row and its copies: each file the project came in."""
        return (self, *self.copies)

    @property
    def resubmitted(self) -> bool:
        """重复报送: the project came in more than one file."""
        return bool(self.copies)

    @property
    def copies_differ(self) -> bool:
        """A reviewed copy whose scores, budget or execution differ from this row's: which
        of them holds is for the reviewer to settle."""
        mine = _substance(self.figures)
        return any(
            _substance(copy.figures) != mine for copy in self.copies if copy.figures is not None
        )

    @property
    def resubmission_note(self) -> str:
        """What the row says of other files of its project: ``重复报送（2 份）`` (``，内容不同``
        when they disagree), and ``疑似重复报送`` when another project has its year, unit and
        name but not its key (counted on its own: a reviewer decides); "" for neither."""
        notes = []
        if self.copies:
            differ = "，内容不同" if self.copies_differ else ""
            notes.append(f"{RESUBMITTED}（{len(self.copies) + 1} 份{differ}）")
        if self.namesakes:
            notes.append(f"{SUSPECTED}（另有 {self.namesakes} 个同名项目，内容不同，分别计入）")
        return "；".join(notes)

    @property
    def name(self) -> str:
        return self.project or self.folder

    @property
    def identity(self) -> str:
        return self.key or self.folder


#: How the portfolio names a project sent more than once, and one that may have been.
RESUBMITTED, SUSPECTED = "重复报送", "疑似重复报送"


def _substance(figures: ProjectFigures | None) -> tuple[Decimal | None, ...] | None:
    if figures is None:
        return None
    f = figures
    return (f.declared, f.computed, f.reviewed, f.budget, f.executed)


def same_name(row: PortfolioRow) -> tuple[object, ...]:
    """The year, unit and project name (NFKC, spaces dropped) a row is sent under; a row
    without a project name is only itself."""
    if not row.project:
        return ("folder", row.folder)
    name = "".join(unicodedata.normalize("NFKC", row.project).split())
    return ("project", row.year, row.unit_name, name)


def same_project(row: PortfolioRow) -> tuple[object, ...]:
    """What makes two files one project for the portfolio: the project's key (year, unit,
    department, name, format and budget: the key its review is stored under), or, for a
    row that has none (its form could not be read), ``same_name``."""
    return ("key", row.key) if row.key else same_name(row)


def one_per_project(rows: Iterable[PortfolioRow]) -> list[PortfolioRow]:
    """The rows with each project once: a project sent in two or more files (the .txt
    and the .xlsx of one form: one key) is the first of them that has figures (else the
    first), carrying the others as ``copies`` — counted once in every total and chart, and
    shown as 重复报送. Projects that share a year, unit and name but not a key (a form
    re-sent with another budget, or two projects of one name) stay apart and are counted
    each, marked 疑似重复报送 with how many namesakes they have, for a reviewer to settle.
    Order: where each project first appears."""
    groups: dict[tuple[object, ...], list[PortfolioRow]] = {}
    for row in rows:
        groups.setdefault(same_project(row), []).append(row)
    merged = []
    for group in groups.values():
        lead = next((row for row in group if row.figures is not None), group[0])
        copies = tuple(row for row in group if row is not lead)
        merged.append(replace(lead, copies=copies) if copies else lead)
    named = [(same_name(row), row) for row in merged]
    names = Counter(name for name, _ in named)
    return [
        replace(row, namesakes=names[name] - 1) if names[name] > 1 else row for name, row in named
    ]


# --- grades ----------------------------------------------------------------------------

_GRADE_ORDER = [band.grade for band in (*DISTRICT_BANDS, *NATIONAL_BANDS)]


def grade_order(grades: Iterable[str]) -> list[str]:
    """Grades best first (优秀 … 不合格, 优 … 差), others alphabetically, NO_GRADE last."""
    unique = set(grades)
    known = [grade for grade in _GRADE_ORDER if grade in unique]
    other = sorted(unique - set(_GRADE_ORDER) - {NO_GRADE})
    return known + other + ([NO_GRADE] if NO_GRADE in unique else [])


def grades_text(counts: dict[str, int]) -> str:
    """Grade counts best first as text: ``优秀 2、良好 1``; ``—`` for none."""
    return "、".join(f"{grade} {counts[grade]}" for grade in grade_order(counts)) or "—"


#: The two grade scales, as the portfolio names them: a form grades on one or the other, and
#: 优秀 (district) is not a different grade from 优 (national) but another scale's.
GRADE_SCALES = (
    ("区级自评表：优秀 / 良好 / 合格 / 不合格", frozenset(b.grade for b in DISTRICT_BANDS)),
    ("财政部自评表：优 / 良 / 中 / 差", frozenset(b.grade for b in NATIONAL_BANDS)),
)


def grade_scale(figures: ProjectFigures) -> int:
    """Which of ``GRADE_SCALES`` a project's grades are on (0 district, 1 national)."""
    return 1 if {figures.self_grade, figures.reviewed_grade_label} & GRADE_SCALES[1][1] else 0


def by_grade_scale(rows: Iterable[PortfolioRow]) -> list[tuple[int, list[PortfolioRow]]]:
    """The rows with figures, by the grade scale their form uses (its index in
    ``GRADE_SCALES``; scales without rows left out)."""
    groups: list[list[PortfolioRow]] = [[], []]
    for row in rows:
        if row.figures is not None:
            groups[grade_scale(row.figures)].append(row)
    return [(scale, group) for scale, group in enumerate(groups) if group]


def grade_counts(rows: Iterable[PortfolioRow]) -> tuple[dict[str, int], dict[str, int]]:
    """How many projects have each self (declared) grade and each reviewed grade."""
    figures = [row.figures for row in rows if row.figures is not None]
    declared = Counter(f.self_grade for f in figures)
    reviewed = Counter(f.reviewed_grade_label for f in figures)
    return dict(declared), dict(reviewed)


# --- per unit ---------------------------------------------------------------------------


#: Projects (and units) a shared rule lists by name before it says "等 N 个".
LISTED = 20


def listed(projects: tuple[str, ...], limit: int = LISTED) -> str:
    """Project names as a line to read: all of them, or the first ``limit`` and how many in
    all (a template rule a whole province shares must not list 20,000 names)."""
    shown = "、".join(projects[:limit])
    return f"{shown} 等 {len(projects)} 个项目" if len(projects) > limit else shown


@dataclass(frozen=True)
class SharedRule:
    """A scoring rule that two or more projects use: the same ``rule_key``.

    ``text`` is the rule as the first of them writes it.
    """

    key: str
    text: str
    projects: tuple[str, ...]  # project names, in run order
    unit_of_project: tuple[str, ...]  # each project's unit
    units: tuple[str, ...]  # the units, once each

    @property
    def count(self) -> int:
        return len(self.projects)

    @property
    def per_unit(self) -> dict[str, int]:
        """How many of its projects each unit has, units in order."""
        return dict(Counter(self.unit_of_project))

    def project_list(self, limit: int = LISTED) -> str:
        """Its projects as a line to read (see ``listed``)."""
        return listed(self.projects, limit)

    def units_listed(self, limit: int = LISTED) -> tuple[dict[str, int], int]:
        """The units with most of its projects (at most ``limit``, in order) and how many
        units are left out."""
        counts = self.per_unit
        if len(counts) <= limit:
            return counts, 0
        top = sorted(counts, key=lambda unit: -counts[unit])[:limit]
        return {unit: counts[unit] for unit in counts if unit in set(top)}, len(counts) - limit


@dataclass(frozen=True)
class UnitSummary:
    """One 预算单位 across the run (see the module docstring)."""

    unit: str
    projects: int
    with_figures: int
    self_grades: dict[str, int]
    reviewed_grades: dict[str, int]
    gap_mean: Decimal | None
    gap_max: Decimal | None
    deviation_mean: Decimal | None
    full_marks: int
    errors: int
    warnings: int
    shared_rules: tuple[SharedRule, ...] = ()

    @property
    def all_full_marks(self) -> bool:
        """Every project of the unit (two or more, all with figures) self-scored full marks."""
        return self.projects >= 2 and self.full_marks == self.projects


def _mean(values: list[Decimal]) -> Decimal | None:
    return sum(values, Decimal(0)) / len(values) if values else None


def shared_rules(rows: Iterable[PortfolioRow], minimum: int = 2) -> list[SharedRule]:
    """Rules used by at least ``minimum`` projects (one project sent twice counts once),
    most used first, then in the order they first appear."""
    users: dict[str, dict[str, PortfolioRow]] = {}
    texts: dict[str, str] = {}
    for row in rows:
        if row.figures is None:
            continue
        for text in row.figures.rules:
            key = rule_key(text)
            texts.setdefault(key, text)
            users.setdefault(key, {}).setdefault(row.identity, row)
    found = [
        SharedRule(
            key,
            texts[key],
            tuple(row.name for row in by_project.values()),
            tuple(row.unit_name for row in by_project.values()),
            tuple(dict.fromkeys(row.unit_name for row in by_project.values())),
        )
        for key, by_project in users.items()
        if len(by_project) >= minimum
    ]
    order = {key: index for index, key in enumerate(users)}
    return sorted(found, key=lambda rule: (-rule.count, order[rule.key]))


def unit_summaries(rows: Iterable[PortfolioRow]) -> list[UnitSummary]:
    """One summary per unit, in the order units first appear."""
    by_unit: dict[str, list[PortfolioRow]] = {}
    for row in rows:
        by_unit.setdefault(row.unit_name, []).append(row)
    summaries = []
    for unit, members in by_unit.items():
        figures = [row.figures for row in members if row.figures is not None]
        gaps = [f.gap for f in figures]
        deviations = [d for f in figures if (d := f.deviation) is not None]
        self_grades, reviewed_grades = grade_counts(members)
        summaries.append(
            UnitSummary(
                unit=unit,
                projects=len(members),
                with_figures=len(figures),
                self_grades=self_grades,
                reviewed_grades=reviewed_grades,
                gap_mean=_mean(gaps),
                gap_max=max(gaps) if gaps else None,
                deviation_mean=_mean(deviations),
                full_marks=sum(1 for f in figures if f.full_marks),
                errors=sum(f.errors for f in figures),
                warnings=sum(f.warnings for f in figures),
                shared_rules=tuple(shared_rules(members)),
            )
        )
    return summaries


# --- per check ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckCount:
    """How often one check fired across the run."""

    check: str
    title: str
    severity: str | None
    findings: int
    names: tuple[str, ...]  # the projects it fired on, in run order

    @property
    def projects(self) -> int:
        return len(self.names)

    def project_list(self, limit: int = LISTED) -> str:
        return listed(self.names, limit)


def check_counts(rows: Iterable[PortfolioRow]) -> list[CheckCount]:
    """Every check that fired: most projects first, then most findings, then catalogue order."""
    findings: Counter[str] = Counter()
    projects: dict[str, list[str]] = {}
    for row in rows:
        if row.figures is None:
            continue
        for check, count in row.figures.checks.items():
            if count > 0:
                findings[check] += count
                projects.setdefault(check, []).append(row.name)
    registry = catalogue()
    order = {check_id: index for index, check_id in enumerate(registry.ids())}
    counts = []
    for check_id in findings:
        try:
            entry = registry.get(check_id)
            title, severity = entry.title, entry.severity
        except PerfevalError:  # a check this version no longer has
            title, severity = check_id, None
        names = tuple(projects[check_id])
        counts.append(CheckCount(check_id, title, severity, findings[check_id], names))
    return sorted(
        counts, key=lambda c: (-c.projects, -c.findings, order.get(c.check, len(order)), c.check)
    )
