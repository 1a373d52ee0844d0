"""Exact arithmetic on scores, and the tolerances every comparison uses."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

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
    "half_unit",
    "places",
    "quantize",
    "rate_places",
    "score_places",
    "score_step",
    "stands_for",
]

#: The least tolerance for scores and totals: one hundredth of a point.
SCORE_TOLERANCE = Decimal("0.01")
#: The least tolerance for rates (fractions): 0.01 percentage point.
RATE_TOLERANCE = Decimal("0.0001")
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


def places(written: Decimal) -> int:
    """How many decimals a figure was written with: 86% (0.86) → 2, 9.7 → 1, 100 → 0."""
    exponent = written.as_tuple().exponent
    return max(-exponent, 0) if isinstance(exponent, int) else 0


def half_unit(decimals: int) -> Decimal:
    """Half a unit of the last of ``decimals`` digits: 2 → 0.005."""
    return Decimal(5).scaleb(-decimals - 1)


def stands_for(written: Decimal, exact: Decimal, decimals: int, floor: Decimal) -> bool:
    """Whether a written figure is right at the precision it is written in.

    It is when it is within half a unit of its last digit (``decimals``) of the exact
    value — never less than ``floor`` — or when it is the exact value cut (not rounded)
    to those digits, as units' sheets often show it: 0.958 for 27.8 ÷ 29 = 0.95862,
    1.9 for 1.946 on a form that scores to one decimal.
    """
    if not differs(written, exact, max(half_unit(decimals), floor)):
        return True
    return exact.quantize(Decimal(1).scaleb(-decimals), ROUND_DOWN) == written


def rate_places(written: Decimal) -> int:
    """The decimals a written rate (a fraction) is judged at: its own, but no coarser than
    whole percents, so a bare "1" or "0" counts as "100%" or "0%"."""
    return max(places(written), 2)


def _written_scores(evaluation: Evaluation) -> list[Decimal | None]:
    written = [i.self_score for i in evaluation.indicators]
    written.append(evaluation.declared_total.self_score)
    if evaluation.budget_block is not None:
        written.append(evaluation.budget_block.score)
    return written


def score_places(evaluation: Evaluation) -> int:
    """How many decimals the form's scores are judged at: the finest it writes them with.

    A form that scores every row as a whole number claims no coarser precision than the
    usual two decimals (9 for 8.62 is wrong); one that writes 1.9, 8.5 scores to one.
    """
    finest = max((places(v) for v in _written_scores(evaluation) if v is not None), default=0)
    return finest or 2


def score_step(evaluation: Evaluation) -> Decimal:
    """The step a reviewer moves a score by: half a point on a form of whole-number scores
    and weights, else the finest decimal it writes (0.1 for 8.5, 0.01 for 8.62)."""
    written = [*_written_scores(evaluation), *(i.weight for i in evaluation.indicators)]
    finest = max((places(v) for v in written if v is not None), default=0)
    return Decimal("0.5") if finest == 0 else Decimal(1).scaleb(-min(finest, 2))


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
