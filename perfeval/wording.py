"""How forms write bounds and points: one table each, for the readers and the checks alike.

Bound words are read as Civil Code art. 1259 (民法典 第一千二百五十九条) says: 以上, 以下,
以内 and 届满 include the number itself; 不满, 超过 and 以外 exclude it; 及以上, 不低于,
至少 include; 不到, 不足, 未达到, 低于 exclude. A word stands before the number
("不低于95%") or after it ("95%以上"); a sign after the number reads the other way round
("80%≤执行率": 80 is a lower bound).
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from typing import Literal

__all__ = [
    "EQUAL_WORDS",
    "MIN_RULE_LENGTH",
    "POINT_MARK",
    "POST_BOUNDS",
    "PRE_BOUNDS",
    "alternation",
    "operator_of",
    "point_mark",
    "rule_key",
]

Side = Literal["lower", "upper"]
Bound = tuple[Side, bool]  # which end of a range, and whether the number itself is in it


def _table(*groups: tuple[Side, bool, str]) -> dict[str, Bound]:
    """word -> (side, inclusive) from (side, inclusive, space-separated words) groups."""
    return {word: (side, inclusive) for side, inclusive, words in groups for word in words.split()}


#: Words and signs before the number.
PRE_BOUNDS = _table(
    ("lower", True, "大于或等于 大于等于 高于或等于 达到或超过 不低于 不少于 不小于"),
    ("lower", True, "至少 达到 ≥ ≧ ⩾ >="),
    ("lower", False, "超过 高于 大于 多于 >"),
    ("upper", True, "小于或等于 小于等于 低于或等于 不超过 不高于 不大于 不多于 至多"),
    ("upper", True, "≤ ≦ ⩽ <="),
    ("upper", False, "未达到 未达 不到 不足 不满 低于 少于 小于 <"),
)
#: Words and signs after the number ("30日内": within 30 days, the 30th included).
POST_BOUNDS = _table(
    ("lower", True, "及以上 以上 届满 ≤ ≦ ⩽ <="),
    ("lower", False, "以外 <"),
    ("upper", True, "及以下 以下 以内 内 ≥ ≧ ⩾ >="),
    ("upper", False, ">"),
)
#: Words that fix a value rather than bound it ("=100%", "等于100%").
EQUAL_WORDS = frozenset({"=", "等于"})

_OPERATORS = {
    ("lower", True): "≥",
    ("lower", False): ">",
    ("upper", True): "≤",
    ("upper", False): "<",
}


def operator_of(bound: Bound) -> str:
    """The sign a bound means: ("lower", True) → "≥"."""
    return _OPERATORS[bound]


def alternation(words: dict[str, Bound] | frozenset[str]) -> str:
    """A regex alternation trying the longest word first (不低于 before 低于)."""
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


#: "(8分)" after a label or a rule's item, read after NFKC (full-width brackets become ASCII).
POINT_MARK = re.compile(r"\(\s*(\d+(?:\.\d+)?)\s*分\s*\)")

_POINT_MARKS_AND_SPACE = re.compile(POINT_MARK.pattern + r"|\s+")
#: Rules shorter than this (after ``rule_key``) are too generic to call copies of each other.
MIN_RULE_LENGTH = 20


def point_mark(text: str) -> Decimal | None:
    """The points of the last "(N分)" mark in ``text`` (NFKC), or None."""
    marks = POINT_MARK.findall(unicodedata.normalize("NFKC", text))
    return Decimal(marks[-1]) if marks else None


def rule_key(text: str | None) -> str:
    """A scoring rule normalised for comparison: NFKC, without point marks and spaces."""
    return _POINT_MARKS_AND_SPACE.sub("", unicodedata.normalize("NFKC", text or ""))
