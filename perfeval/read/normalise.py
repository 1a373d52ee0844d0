"""Turning cell contents as people type them into exact values.

Labels and numbers are compared after NFKC (full-width １００％ and （含） read as
100% and (含)); free text keeps its own punctuation and only has its white space
folded, so that a line break inside an Excel cell and the space a text export put
in its place read the same.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from ..wording import POINT_MARK

__all__ = [
    "BLANK_MARKS",
    "fold_text",
    "label_key",
    "parse_bool",
    "parse_date",
    "parse_number",
    "split_category",
    "strip_units",
]

# What people put in a cell to say "nothing here".
BLANK_MARKS = frozenset({"", "-", "—", "——", "－", "/", "／", "无", "N/A", "n/a", "NA"})

_WHITESPACE = re.compile(r"\s+")
_UNITS = re.compile(r"\(([^()]*)\)")
_NUMBER = re.compile(r"^([+-]?)(\d+(?:\.\d*)?|\.\d+)(%?)$")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?%?$")
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_EXCEL_EPOCH = date(1899, 12, 30)


def fold_text(value: object) -> str | None:
    """Free text with every run of white space (line breaks too) folded to one space."""
    if value is None:
        return None
    text = _WHITESPACE.sub(" ", str(value)).strip()
    return text or None


def label_key(value: object) -> str:
    """A label as compared: NFKC, no white space, no trailing colon."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    return _WHITESPACE.sub("", text).rstrip(":")


def strip_units(key: str) -> tuple[str, str | None]:
    """'当年预算数(元)' → ('当年预算数', '元'); the unit is the last bracketed part."""
    units = _UNITS.findall(key)
    return _UNITS.sub("", key), (units[-1] if units else None)


def parse_number(value: object) -> tuple[Decimal, bool] | None:
    """A number and whether it was written as a percentage; None for a blank cell.

    Accepts thousands separators, full-width digits and a trailing 元 or 分.
    Raises ValueError for text that is not a number.
    """
    parsed = _parse_number(value)
    if parsed is not None:
        number = parsed[0]
        if not number.is_finite() or abs(number) >= MAX_NUMBER:
            shown = fold_text(value) if isinstance(value, str) else repr(value)
            raise ValueError(
                f"数值“{shown}”过大或不是有限的数（表中金额、分值、比率都应小于 10 的 15 次方）"
            )
    return parsed


#: No amount (in yuan), weight, score or rate on a form comes near this: 1,000 万亿.
MAX_NUMBER = Decimal(10) ** 15


def _parse_number(value: object) -> tuple[Decimal, bool] | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"不是数字：{value!r}（逻辑值不能当作数字）")
    if isinstance(value, Decimal):
        return value, False
    if isinstance(value, int):
        return Decimal(value), False
    if isinstance(value, float):
        return Decimal(repr(value)), False
    text = label_key(value)
    if text in BLANK_MARKS:
        return None
    text = text.removesuffix("元").removesuffix("分")
    if "," in text:  # only as a thousands separator: "7,5" is not 75, "1,2,3" not 123
        if not _THOUSANDS.match(text):
            raise ValueError(f"不是数字：“{fold_text(value)}”（逗号只能用作千位分隔符）")
        text = text.replace(",", "")
    match = _NUMBER.match(text)
    if not match:
        raise ValueError(f"不是数字：“{fold_text(value)}”")
    sign, digits, percent = match.groups()
    try:
        number = Decimal(sign + digits)
    except InvalidOperation as error:  # pragma: no cover - the pattern admits only numbers
        raise ValueError(f"不是数字：“{value}”") from error
    return number, bool(percent)


#: A bare rate above this is a percentage (95 → 95 %); at or below it, a fraction (0.95).
PERCENT_IF_ABOVE = Decimal("1.5")


def rate_fraction(
    value: Decimal, *, written_percent: bool, percent_format: bool, unit_percent: bool = False
) -> Decimal:
    """A rate as a fraction, keeping the digits it was written with (86% → 0.86, 86.20% → 0.8620).

    A %-formatted cell already holds the fraction; "86%" written, or a number under a
    "(%)" label, is a percentage; a bare number is a percentage above ``PERCENT_IF_ABOVE``.
    """
    if percent_format:
        return value
    if written_percent or unit_percent or value > PERCENT_IF_ABOVE:
        return value.scaleb(-2)
    return value


def parse_date(value: object) -> date | None:
    """A date from a date cell, an Excel serial number or text such as 2021/7/16."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        serial = int(value)
        if 1 <= serial <= 2958465:
            return _EXCEL_EPOCH + timedelta(days=serial)
        raise ValueError(f"不是日期：{value!r}")
    text = label_key(value)
    if text in BLANK_MARKS:
        return None
    match = _DATE.match(text)
    if not match:
        if re.fullmatch(r"\d{5}(\.0+)?", text):
            return _EXCEL_EPOCH + timedelta(days=int(float(text)))
        raise ValueError(f"不是日期：“{fold_text(value)}”")
    year, month, day = (int(part) for part in match.groups())
    try:
        return date(year, month, day)
    except ValueError as error:
        raise ValueError(f"不是有效日期：“{fold_text(value)}”") from error


_TRUE = frozenset({"是", "Y", "y", "YES", "Yes", "yes", "√", "TRUE", "True", "true", "1"})
_FALSE = frozenset({"否", "N", "n", "NO", "No", "no", "×", "FALSE", "False", "false", "0"})


def parse_bool(value: object) -> bool | None:
    """是 → True, 否 → False, blank → None; anything else raises ValueError."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    text = label_key(value)
    if text in BLANK_MARKS:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"应填“是”或“否”，实为“{fold_text(value)}”")


def split_category(label: object) -> tuple[str | None, Decimal | None]:
    """'投入与 管理 (36分)' → ('投入与管理', 36): the name and the declared points."""
    text = fold_text(label)
    if text is None:
        return None, None
    normal = unicodedata.normalize("NFKC", text)
    match = POINT_MARK.search(normal)
    points = Decimal(match.group(1)) if match else None
    name = POINT_MARK.sub("", normal) if match else normal
    name = _WHITESPACE.sub("", name)
    return (name or None), points
