"""Exact arithmetic on scores, and the tolerances every comparison uses."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from .grades import default_bands, grade_for, normalise_grade
from .model import Evaluation, GradeBand

__all__ = [
    "RATE_COARSEST",
    "RATE_TOLERANCE",
    "SCORE_TOLERANCE",
    "bands_of",
    "computed_total",
    "deviation",
    "differs",
    "grade_of",
    "half_unit",
    "quantize",
    "rate_tolerance",
    "score_places",
    "score_tolerance",
    "tolerance_of",
]

#: The least tolerance for scores and totals: one hundredth of a point.
SCORE_TOLERANCE = Decimal("0.01")
#: The least tolerance for rates (fractions): 0.01 percentage point.
RATE_TOLERANCE = Decimal("0.0001")
#: The most: half a percentage point. Nobody rounds a rate coarser than whole percents, so a
#: bare "1" or "0" (a fraction) is judged as "100%" or "0%" would be.
RATE_COARSEST = Decimal("0.005")
_CENT = Decimal("0.01")


def quantize(value: Decimal) -> Decimal:
    """Round half up to 2 decimals, as forms keep scores."""
    return value.quantize(_CENT, ROUND_HALF_UP)


def differs(written: Decimal, exact: Decimal, tolerance: Decimal = SCORE_TOLERANCE) -> bool:
    """True when a figure is off by more than the tolerance: the one comparison every check uses.

    The tolerance is the largest gap that rounding explains (``tolerance_of``); a gap of
    exactly the tolerance is still rounding.
    """
    return abs(written - exact) > tolerance


def half_unit(written: Decimal) -> Decimal:
    """Half a unit of the last digit a figure was written with: 86% (0.86) → 0.005, 9.7 → 0.05."""
    exponent = written.as_tuple().exponent
    return Decimal(5).scaleb(exponent - 1) if isinstance(exponent, int) else Decimal(0)


def tolerance_of(written: Decimal | None, floor: Decimal) -> Decimal:
    """The tolerance a figure is judged at: half a unit of its last digit, at least ``floor``."""
    return floor if written is None else max(half_unit(written), floor)


def rate_tolerance(written: Decimal | None) -> Decimal:
    """The tolerance a written rate (a fraction) is judged at: its own precision, between
    0.01 and 0.5 percentage point."""
    return min(tolerance_of(written, RATE_TOLERANCE), RATE_COARSEST)


def score_places(evaluation: Evaluation) -> int:
    """How many decimals the form writes its scores with: the finest of its written scores.

    A form that scores every row as a whole number claims no coarser precision than the
    usual two decimals (9 for 8.62 is wrong); one that writes 1.9, 8.5 scores to one.
    """
    written = [i.self_score for i in evaluation.indicators]
    written.append(evaluation.declared_total.self_score)
    if evaluation.budget_block is not None:
        written.append(evaluation.budget_block.score)
    places = [-e for v in written if v is not None and isinstance(e := v.as_tuple().exponent, int)]
    finest = max((p for p in places if p > 0), default=2)
    return finest


def score_tolerance(evaluation: Evaluation) -> Decimal:
    """The tolerance for this form's scores and totals: half a unit at ``score_places``."""
    return max(Decimal(5).scaleb(-score_places(evaluation) - 1), SCORE_TOLERANCE)


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
