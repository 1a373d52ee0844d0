"""Safe pieces of file names: whatever a form says, a name made from it stays one name.

No separators, no "..", no control characters, no device names (CON, NUL, COM1 …), at
most a given number of characters and UTF-8 bytes (a file system allows 255 bytes a
name; a CJK character takes 3, 𠜎 or an emoji 4).
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from .exceptions import PerfevalError

__all__ = ["MAX_NAME", "MAX_NAME_BYTES", "cut", "inside", "safe_name"]

MAX_NAME = 80
MAX_NAME_BYTES = 240

_RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL"] + [f"{port}{n}" for port in ("COM", "LPT") for n in range(10)]
)
_UNSAFE = re.compile(r'[\\/:*?"<>|\s]+')
_DOTS = re.compile(r"\.{2,}")
_EDGES = " ._-"


def cut(text: str, limit: int, size: int) -> str:
    """``text`` cut to ``limit`` characters and ``size`` UTF-8 bytes."""
    text = text[:limit]
    while len(text.encode("utf-8")) > size:
        text = text[:-1]
    return text


def safe_name(text: str, limit: int = MAX_NAME, size: int = MAX_NAME_BYTES) -> str:
    """A piece of a file name: no separators, '..', control characters or reserved names;
    at most ``limit`` characters and ``size`` bytes; '' when nothing usable is left."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(" " if unicodedata.category(c).startswith("C") else c for c in text)
    text = _DOTS.sub("_", _UNSAFE.sub("_", text)).strip(_EDGES)
    text = cut(text, limit, size).strip(_EDGES)
    if text.split(".")[0].upper() in _RESERVED:
        text = cut(f"_{text}", limit, size)
    return text


def inside(root: Path, name: str) -> Path:
    """``root / name``, refused unless it is a direct child of ``root``."""
    path = (root / name).resolve()
    if path.parent != root.resolve() or not name or name in (".", ".."):
        raise PerfevalError(f"文件名“{name}”会落在 {root} 之外")
    return path
