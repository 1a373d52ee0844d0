"""Grade bands: the form's own (read from its notes) or the format's defaults."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

from .model import GradeBand

__all__ = [
    "DISTRICT_BANDS",
    "NATIONAL_BANDS",
    "default_bands",
    "grade_for",
    "normalise_grade",
    "parse_grade_bands",
]

# 90(含)–100 优秀, 75(含)–90 良好, 60(含)–75 合格, below 60 不合格.
DISTRICT_BANDS: tuple[GradeBand, ...] = (
    GradeBand("优秀", Decimal(90), Decimal(100), True, True),
    GradeBand("良好", Decimal(75), Decimal(90), True, False),
    GradeBand("合格", Decimal(60), Decimal(75), True, False),
    GradeBand("不合格", Decimal(0), Decimal(60), True, False),
)
# The Ministry of Finance form: 优 90–100, 良 80–89, 中 60–79, 差 0–59.
NATIONAL_BANDS: tuple[GradeBand, ...] = (
    GradeBand("优", Decimal(90), Decimal(100), True, True),
    GradeBand("良", Decimal(80), Decimal(90), True, False),
    GradeBand("中", Decimal(60), Decimal(80), True, False),
    GradeBand("差", Decimal(0), Decimal(60), True, False),
)

_SYNONYMS = {
    "district": {
        "优": "优秀",
        "优秀": "优秀",
        "良": "良好",
        "良好": "良好",
        "合格": "合格",
        "中": "合格",
        "及格": "合格",
        "不合格": "不合格",
        "差": "不合格",
        "不及格": "不合格",
    },
    "national": {
        "优": "优",
        "优秀": "优",
        "良": "良",
        "良好": "良",
        "中": "中",
        "合格": "中",
        "差": "差",
        "不合格": "差",
    },
}
_BAND = re.compile(
    r"(\d+(?:\.\d+)?)\s*(\(含\))?\s*[-~至到]\s*(\d+(?:\.\d+)?)\s*(\(含\))?\s*分?\s*(?:为|是|:)?\s*"
    r"(不合格|优秀|良好|合格|优|良|中|差)"
)


def default_bands(form_format: str) -> tuple[GradeBand, ...]:
    return NATIONAL_BANDS if form_format == "national" else DISTRICT_BANDS


def normalise_grade(grade: str | None, form_format: str = "district") -> str | None:
    """'优' → '优秀' on a district form; None for a blank or unknown grade."""
    if grade is None:
        return None
    key = re.sub(r"\s+", "", unicodedata.normalize("NFKC", grade))
    key = key.removesuffix("等").removesuffix("级")
    return _SYNONYMS.get(form_format, _SYNONYMS["district"]).get(key)


def parse_grade_bands(notes: str) -> list[GradeBand]:
    """The bands a form states in its notes, e.g. '自评分90（含）-100分为优秀，75（含）-90分为良好'.

    A lower bound is included (the forms write "90（含）-100"); an upper bound only
    when marked (含) or when it is the top of the scale. Returns [] when the notes state
    fewer than two bands.
    """
    text = unicodedata.normalize("NFKC", notes)
    bands: list[GradeBand] = []
    for low, _low_mark, high, high_mark, grade in _BAND.findall(text):
        lower, upper = Decimal(low), Decimal(high)
        if lower >= upper:
            continue
        bands.append(GradeBand(grade, lower, upper, True, bool(high_mark)))
    if len(bands) < 2:
        return []
    top = max(bands, key=lambda band: band.upper or Decimal(0))
    bands[bands.index(top)] = GradeBand(top.grade, top.lower, top.upper, True, True)
    return sorted(bands, key=lambda band: band.lower, reverse=True)


def grade_for(total: Decimal | None, bands: tuple[GradeBand, ...] | list[GradeBand]) -> str | None:
    """The grade a total earns under the bands; None for no total or no band."""
    if total is None:
        return None
    for band in bands:
        if band.contains(total):
            return band.grade
    return None
