"""A review: the form, its findings, and the reviewer's decisions, with the totals they give.

The reviewed score of an indicator is the reviewer's adjustment where there is
one, else the self-score; a blank self-score counts 0 until someone decides.
``Review.preview`` recomputes the totals for a score that is not saved yet (the
widgets call it on every move of a score control).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from .. import root
from ..check.base import CheckSettings
from ..check.catalogue import read_settings, run_checks
from ..exceptions import FormError, PerfevalError
from ..findings import SEVERITIES, Finding
from ..grades import normalise_grade
from ..model import Evaluation, GradeBand, Indicator, json_number
from ..read.forms import read_form
from ..scoring import computed_total, deviation, grade_of
from .store import Adjustment, AdjustmentStore, Change, ProjectRecord

__all__ = [
    "IndicatorReview",
    "Review",
    "Totals",
    "build_review",
    "evaluation_in",
    "load_review",
    "open_review",
]


@dataclass(frozen=True)
class Totals:
    """A total and its grade, three ways."""

    declared: Decimal | None
    computed: Decimal
    reviewed: Decimal
    declared_grade: str | None
    computed_grade: str | None
    reviewed_grade: str | None

    @property
    def deviation(self) -> Decimal | None:
        """偏离度 of the whole project: (自评 − 复核) / 自评, on the declared total where stated."""
        base = self.declared if self.declared is not None else self.computed
        return deviation(base, self.reviewed)


@dataclass
class IndicatorReview:
    """One indicator as reviewed."""

    indicator: Indicator
    adjustment: Adjustment | None = None
    findings: list[Finding] = field(default_factory=list)
    #: How the indicator is addressed (``Evaluation.refs``): its name, unless it shares it.
    ref: str = ""

    def __post_init__(self) -> None:
        if not self.ref:
            self.ref = self.indicator.name

    @property
    def reviewed_score(self) -> Decimal:
        if self.adjustment is not None:
            return self.adjustment.score
        return self.indicator.self_score if self.indicator.self_score is not None else Decimal(0)

    @property
    def moved(self) -> bool:
        """An adjustment changed the points this indicator adds (a blank self-score adds 0)."""
        self_points = self.indicator.self_score or Decimal(0)
        return self.adjustment is not None and self.adjustment.score != self_points

    @property
    def deviation(self) -> Decimal | None:
        return deviation(self.indicator.self_score, self.reviewed_score)

    @property
    def worst(self) -> str | None:
        """The most serious severity among the findings, if any."""
        for severity in SEVERITIES:
            if any(f.severity == severity for f in self.findings):
                return severity
        return None

    def to_json(self) -> dict[str, Any]:
        indicator = self.indicator
        return {
            "name": indicator.name,
            "ref": self.ref,
            "category": indicator.category,
            "weight": json_number(indicator.weight),
            "self_score": json_number(indicator.self_score),
            "reviewed_score": json_number(self.reviewed_score),
            "deviation": _fraction(self.deviation),
            "adjustment": self.adjustment.to_json() if self.adjustment else None,
            "findings": [f.check for f in self.findings],
        }


@dataclass
class Review:
    """A project under review."""

    evaluation: Evaluation
    findings: list[Finding]
    indicators: list[IndicatorReview]
    record: ProjectRecord
    settings: CheckSettings = field(default_factory=CheckSettings)

    @property
    def form_findings(self) -> list[Finding]:
        """Findings about the form as a whole (no single indicator)."""
        return [f for f in self.findings if f.indicator is None]

    @property
    def history(self) -> list[Change]:
        return self.record.history

    @property
    def status(self) -> str:
        return self.record.status

    @property
    def opinion(self) -> str | None:
        return self.record.opinion

    def item(self, ref: str) -> IndicatorReview:
        """The indicator a ref addresses (its name, unless the form repeats the name)."""
        for item in self.indicators:
            if item.ref == ref:
                return item
        raise KeyError(ref)

    def totals(self, preview: dict[str, Decimal] | None = None) -> Totals:
        """The totals and grades; ``preview`` replaces some reviewed scores (unsaved moves)."""
        preview = preview or {}
        evaluation = self.evaluation
        bands = self.settings.grade_bands or None
        computed = computed_total(i.self_score for i in evaluation.indicators)
        reviewed = computed_total(
            preview.get(item.ref, item.reviewed_score) for item in self.indicators
        )
        budget = evaluation.budget_block
        if budget is not None and budget.score is not None:
            computed += budget.score
            reviewed += budget.score
        declared = evaluation.declared_total.self_score
        return Totals(
            declared=declared,
            computed=computed,
            reviewed=reviewed,
            declared_grade=self._declared_grade(declared, bands),
            computed_grade=grade_of(computed, evaluation, bands),
            reviewed_grade=grade_of(reviewed, evaluation, bands),
        )

    def _declared_grade(
        self, declared: Decimal | None, bands: list[GradeBand] | None
    ) -> str | None:
        """The grade the form states; the national form states none, so its 总分's grade."""
        evaluation = self.evaluation
        written = normalise_grade(evaluation.project.grade, evaluation.format)
        if written is None and evaluation.format == "national":
            return grade_of(declared, evaluation, bands)
        return written

    def counts(self) -> dict[str, int]:
        """How many findings of each severity."""
        return {s: sum(1 for f in self.findings if f.severity == s) for s in SEVERITIES}

    def to_json(self) -> dict[str, Any]:
        totals = self.totals()
        record = self.record
        return {
            "source": self.evaluation.source.to_json(),
            "key": self.evaluation.key,
            "project": self.evaluation.project.name,
            "unit": self.evaluation.project.unit,
            "indicators": [item.to_json() for item in self.indicators],
            "totals": {
                "declared": json_number(totals.declared),
                "computed": json_number(totals.computed),
                "reviewed": json_number(totals.reviewed),
            },
            "grades": {
                "declared": totals.declared_grade,
                "computed": totals.computed_grade,
                "reviewed": totals.reviewed_grade,
            },
            "deviation": _fraction(totals.deviation),
            "history": [change.to_json() for change in record.history],
            "orphaned": [
                record.adjustments[name].to_json() | {"indicator": name} for name in record.orphaned
            ],
            "opinion": record.opinion,
            "status": record.status,
            "completed_by": record.completed_by,
            "completed_at": record.completed_at.isoformat() if record.completed_at else None,
            "findings": [f.to_json() for f in self.findings],
        }


def _fraction(value: Decimal | None) -> float | None:
    return None if value is None else float(round(value, 4))


def build_review(
    evaluation: Evaluation, record: ProjectRecord, settings: CheckSettings | None = None
) -> Review:
    """A review of a form from its findings and the reviewer's record."""
    settings = settings or CheckSettings()
    findings = run_checks(evaluation, settings)
    items = [
        IndicatorReview(
            indicator,
            record.adjustments.get(ref),
            [f for f in findings if f.indicator == indicator.name],
            ref,
        )
        for indicator, ref in zip(evaluation.indicators, evaluation.refs(), strict=True)
    ]
    return Review(evaluation, findings, items, record, settings)


def load_review(
    evaluation: Evaluation, params_dir: Path | str = "params", settings: CheckSettings | None = None
) -> Review:
    """The review of a form with the adjustments saved under ``params_dir``."""
    record = AdjustmentStore(params_dir).load(evaluation)
    if settings is None:
        settings = load_settings(params_dir)
    return build_review(evaluation, record, settings)


SETTINGS_FILE = "checks.json"


def load_settings(params_dir: Path | str) -> CheckSettings:
    """The check settings in ``params_dir/checks.json``, or the defaults when there is none."""
    path = Path(params_dir) / SETTINGS_FILE
    return read_settings(path) if path.exists() else CheckSettings()


def evaluation_in(
    path: Path | str,
    sheet: str | None = None,
    key: str | None = None,
    how_to_choose: str = "请指定一份",
) -> Evaluation:
    """The one evaluation of a file that a command, the notebook or an import means.

    ``sheet`` names the workbook sheet, ``key`` the project's store key (a review workbook
    records both; the key wins when the sheet was renamed). Without either, the file must
    hold exactly one form: perfeval never guesses which project a reviewer meant, and
    ``how_to_choose`` tells the reviewer how to name one (the command's option).
    """
    path = Path(path)
    if not path.is_file():
        project = root.find_root()
        where = f"当前工作目录 {Path.cwd()} " + (f"和项目根目录 {project} " if project else "")
        raise FormError(
            f"文件不存在（相对路径按{where}解析）；请改用正确的路径或绝对路径",
            path=str(path),
        )
    evaluations, _ = read_form(path)
    candidates = evaluations
    if key is not None:
        candidates = [e for e in candidates if e.key == key]
        candidates.sort(key=lambda e: e.source.sheet != sheet)
        if not candidates:
            raise PerfevalError(f"{path} 中没有与复核记录对应的项目；请指定该项目的原表")
        return candidates[0]
    if sheet is not None:
        candidates = [e for e in candidates if e.source.sheet == sheet]
    if len(candidates) == 1:
        return candidates[0]
    sheets = "、".join(f"“{e.source.sheet}”" for e in evaluations)
    if sheet is not None:
        raise PerfevalError(f"{path} 中没有名为“{sheet}”的自评表；其中的自评表在工作表 {sheets}")
    raise PerfevalError(
        f"{path} 中有 {len(evaluations)} 份自评表（工作表 {sheets}），{how_to_choose}"
    )


def open_review(
    form_path: Path | str,
    sheet: str | None = None,
    params_dir: Path | str | None = None,
    *,
    source_name: str | None = None,
    source_path: str | None = None,
) -> Review:
    """The review of one form, with the adjustments saved under ``params_dir``.

    Relative paths are read as ``perfeval.root`` reads them: from the working directory
    when they exist there, else from the project root — so the notebook, whose kernel
    starts in ``notebooks/``, finds the same form and the same store as the commands.
    A batch says how the review names the form (``source_name``, see ``model.Source``)
    and, when ``form_path`` is a copy, where the form itself is (``source_path``).
    """
    evaluation = evaluation_in(root.resolve(form_path), sheet)
    if source_name is not None or source_path is not None:
        source = dataclasses.replace(evaluation.source, name=source_name, origin=source_path)
        evaluation = dataclasses.replace(evaluation, source=source)
    return load_review(evaluation, root.params_dir(params_dir))
