"""How figures are shown to a reviewer: one place for money, rates and scores; and text as
the XML of a workbook or a Word document can hold it (``xml_text``)."""

from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal

__all__ = ["money", "plain", "property_text", "rate", "score", "width", "xml_text"]

_CENT = Decimal("0.01")
# What XML 1.0 cannot hold: C0 controls but tab and line breaks, surrogates, U+FFFE/U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    """``text`` without the characters XML cannot carry (lxml refuses them outright)."""
    return _NOT_XML.sub("", text)


def property_text(text: str) -> str:
    """``text`` as a document property (a workbook's or a report's title) holds it: XML
    text of at most 255 characters (python-docx refuses more)."""
    return xml_text(text)[:255]


def money(value: Decimal | None) -> str:
    """242400 → '242,400.00' (yuan); blank → '—'."""
    if value is None:
        return "—"
    return f"{value.quantize(_CENT, ROUND_HALF_UP):,}"


def rate(value: Decimal | None) -> str:
    """A fraction as a percentage: 1 → '100.00%'; blank → '—'."""
    if value is None:
        return "—"
    return f"{(value * 100).quantize(_CENT, ROUND_HALF_UP)}%"


def score(value: Decimal | None) -> str:
    """A score or weight without needless decimals: 96.00 → '96', 7.5 → '7.5'; blank → '—'."""
    if value is None:
        return "—"
    text = f"{value.quantize(_CENT, ROUND_HALF_UP)}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def plain(value: Decimal) -> str:
    """A Decimal exactly, without exponent or trailing zeros: 100 → '100', 98.50 → '98.5'."""
    if not value.is_finite():
        return str(value)
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def width(text: str) -> int:
    """How wide ``text`` shows in a fixed-width grid (a spreadsheet column): a CJK (wide)
    character counts two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
