"""The form as the reviewer received it, kept with the review (review.xlsx's 原表).

For a workbook up to ``FULL_COPY_BYTES`` unpacked: its cached values (never formulas),
styles, number formats, merged ranges, column widths and row heights, read by openpyxl.
For larger workbooks, .xls and text exports: the grid the readers give (within their
bounds), with an .xls's merged ranges and widths fitted to the text.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.cell.cell import MergedCell
from openpyxl.utils import column_index_from_string

from .. import fmt
from ..model import Source
from ..read.sheets import MAX_COLUMNS, MAX_ROWS, Sheet, read_sheets

__all__ = ["FULL_COPY_BYTES", "OriginalCell", "OriginalSheet", "original_sheet"]

#: Workbooks up to this size unpacked are copied with their styles by openpyxl, which
#: holds a whole workbook in memory; larger ones (the readers stream them within their
#: bounds) are copied as the grid of values the readers give.
FULL_COPY_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class OriginalCell:
    """One non-blank cell: 1-based place, value, and (workbooks) its openpyxl style."""

    row: int
    column: int
    value: Any
    number_format: str | None = None
    style: Any = None  # the source cell, whose font, border, fill and alignment are copied


@dataclass
class OriginalSheet:
    cells: list[OriginalCell] = field(default_factory=list)
    merges: list[tuple[int, int, int, int]] = field(
        default_factory=list
    )  # top, left, bottom, right
    widths: dict[int, float] = field(default_factory=dict)
    heights: dict[int, float] = field(default_factory=dict)
    wrap_text: bool = False  # a grid's text cells wrap (a styled copy keeps its own alignment)


def original_sheet(source: Source) -> OriginalSheet:
    """The sheet ``source`` names, as received; the readers' errors when it cannot be read."""
    path = Path(source.path)
    with path.open("rb") as handle:
        head = handle.read(8)
    if head.startswith(b"PK\x03\x04") and _unpacked_size(path) <= FULL_COPY_BYTES:
        return _styled_copy(path, source.sheet)
    grids = read_sheets(path)
    grid = next((g for g in grids if g.name == source.sheet), grids[0])
    original = _grid_copy(grid)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        original.merges = _xls_merges(path, grid.name)
    return original


def _unpacked_size(path: Path) -> int:
    with zipfile.ZipFile(path) as archive:
        return sum(info.file_size for info in archive.infolist())


def _styled_copy(path: Path, name: str | None) -> OriginalSheet:
    """Values (cached values, never formulas), styles, merges, widths and heights."""
    workbook = openpyxl.load_workbook(io.BytesIO(path.read_bytes()), data_only=True)
    try:
        source = workbook[name] if name is not None else workbook.worksheets[0]
        height, width = min(source.max_row, MAX_ROWS), min(source.max_column, MAX_COLUMNS)
        original = OriginalSheet()
        for cells in source.iter_rows(min_row=1, max_row=height, max_col=width):
            for cell in cells:
                if isinstance(cell, MergedCell):
                    continue
                value = cell.value
                if not isinstance(value, str | int | float | bool | date | datetime | None):
                    value = str(value)  # times, durations: shown as text
                styled = cell.has_style
                original.cells.append(
                    OriginalCell(
                        cell.row,
                        cell.column,
                        value,
                        cell.number_format if styled else None,
                        cell if styled else None,
                    )
                )
        for merged in source.merged_cells.ranges:
            original.merges.append((merged.min_row, merged.min_col, merged.max_row, merged.max_col))
        for key, dimension in source.column_dimensions.items():
            if dimension.width:
                span = range(dimension.min or 0, min(dimension.max or 0, width) + 1)
                for column in [c for c in span if c > 0] or [column_index_from_string(key)]:
                    original.widths[column] = dimension.width
        for number, row in source.row_dimensions.items():
            if row.height and number <= height:
                original.heights[number] = row.height
        return original
    finally:
        workbook.close()


_NUMBER = re.compile(r"(-?)((?:[1-9]\d{0,2}(?:,\d{3})+)|[1-9]\d*|0)(?:\.(\d+))?(%?)")


def as_number(text: str) -> tuple[float, str] | None:
    """A text export's number as a number and the format that shows it as written
    ("242,400.00" → 242400.0 shown "#,##0.00", "86.20%" → 0.862 shown "0.00%"); None for
    text that is not plainly a number (codes with leading zeros stay text)."""
    found = _NUMBER.fullmatch(text.strip())
    if found is None:
        return None
    sign, whole, decimals, percent = found.groups()
    number = Decimal(f"{sign}{whole.replace(',', '')}.{decimals or '0'}")
    places = "." + "0" * len(decimals) if decimals else ""
    if percent:
        return float(number / 100), f"0{places}%"
    return float(number), f"{'#,##0' if ',' in whole else '0'}{places}"


def _grid_copy(grid: Sheet) -> OriginalSheet:
    original = OriginalSheet(wrap_text=True)
    widths: dict[int, int] = {}
    for r, row in enumerate(grid.rows, start=1):
        for c, cell in enumerate(row, start=1):
            if cell.value is None:
                continue
            value: Any = cell.value
            number_format: str | None = None
            if cell.percent:
                number_format = "0.00%"
            elif isinstance(cell.value, date):
                number_format = "yyyy/m/d"
            elif isinstance(cell.value, str) and (number := as_number(cell.value)) is not None:
                value, number_format = number  # a text export's "242,400.00" is a number
            original.cells.append(OriginalCell(r, c, value, number_format))
            shown = fmt.width(str(cell.value))
            widths[c] = max(widths.get(c, 0), shown)
    original.widths = {column: max(8, min(shown + 2, 60)) for column, shown in widths.items()}
    return original


def _xls_merges(path: Path, name: str | None) -> list[tuple[int, int, int, int]]:
    """The merged ranges of an .xls sheet, 1-based and inclusive ([] if unreadable)."""
    try:
        import xlrd

        book = xlrd.open_workbook(
            file_contents=path.read_bytes(), formatting_info=True, logfile=io.StringIO()
        )
        sheet = book.sheet_by_name(name) if name is not None else book.sheet_by_index(0)
        return [
            (top + 1, left + 1, bottom, right) for top, bottom, left, right in sheet.merged_cells
        ]
    except Exception:  # a copy without merges is still the form as received
        return []
