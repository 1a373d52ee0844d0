"""Exact arithmetic on scores, and the tolerances every comparison uses."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from .grades import default_bands, grade_for, normalise_grade
from .model import Evaluation, GradeBand

__all__ = [
    "RATE_TOLERANCE",
    "SCORE_TOLERANCE",
    "bands_of",
    "computed_total",
    "deviation",
    "differs",
    "grade_of",
    "quantize",
]

#: Scores and totals agree when they differ by less than one hundredth of a point.
SCORE_TOLERANCE = Decimal("0.01")
#: Rates (fractions) agree within 0.01 percentage point.
RATE_TOLERANCE = Decimal("0.0001")
_CENT = Decimal("0.01")


def quantize(value: Decimal) -> Decimal:
    """Round half up to 2 decimals, as forms keep scores."""
    return value.quantize(_CENT, ROUND_HALF_UP)


def differs(a: Decimal, b: Decimal, tolerance: Decimal = SCORE_TOLERANCE) -> bool:
    """True when two exact values differ by at least the tolerance."""
    return abs(a - b) >= tolerance


def computed_total(scores: Iterable[Decimal | None]) -> Decimal:
    """The sum of the scores that are there (a blank counts 0)."""
    return sum((score for score in scores if score is not None), Decimal(0))


def bands_of(evaluation: Evaluation, override: list[GradeBand] | None = None) -> list[GradeBand]:
    """The grade bands in force: settings' override, the form's own notes, or the defaults."""
    if override:
        return override
    if evaluation.grade_bands:
        return evaluation.grade_bands
    return list(default_bands(evaluation.format))


def grade_of(
    total: Decimal | None, evaluation: Evaluation, override: list[GradeBand] | None = None
) -> str | None:
    """The normalised grade a total earns on this evaluation's bands."""
    return normalise_grade(grade_for(total, bands_of(evaluation, override)), evaluation.format)


def deviation(self_score: Decimal | None, reviewed: Decimal | None) -> Decimal | None:
    """偏离度 = (自评 − 复核) / 自评, as practitioners report it; None when undefined."""
    if self_score is None or reviewed is None or self_score == 0:
        return None
    return (self_score - reviewed) / self_score
