"""Fixture forms made from the seed form, at test time.

The seed (``examples/000_81c9c1dad6fba498.txt``) is read with the standard library into
rows of strings; the transforms below change the layout the way real files differ
(shifted, padded, reordered, full-width) and the writers save the rows as a text export
(any encoding, tab or comma), an ``.xlsx`` laid out like the real workbook (merged
header and category cells, ``#,##0.00`` money, ``0.00%`` rates, a date cell, line
breaks in the category labels) or a legacy ``.xls`` with the same layout.

Nothing here imports perfeval: the fixtures must not share the reader's mistakes.
"""

from __future__ import annotations

import codecs
import copy
import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path

__all__ = [
    "SEED_TSV",
    "SEED_XLSX",
    "Merge",
    "Rows",
    "auto_merges",
    "break_category_labels",
    "encrypted_package",
    "encrypted_xls",
    "find_row",
    "full_width",
    "insert_blank_columns",
    "insert_blank_rows",
    "reorder_header_rows",
    "seed_rows",
    "set_cell",
    "shift_columns",
    "typed_value",
    "write_tsv",
    "write_xls",
    "write_xlsx",
    "zip_without_workbook",
]

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SEED_TSV = EXAMPLES / "000_81c9c1dad6fba498.txt"
SEED_XLSX = EXAMPLES / "000_81c9c1dad6fba498.xlsx"

Rows = list[list[str]]
#: A merged range, 1-based and inclusive: (top, left, bottom, right).
Merge = tuple[int, int, int, int]
Sheets = Mapping[str, Rows]

#: The seed's header labels, without their units.
HEADER_LABELS = frozenset(
    {
        "项目名称",
        "预算单位",
        "具体实施处",
        "是否为经常性项目",
        "当年预算数",
        "上年预算完成率",
        "预算执行数",
        "预算执行率",
        "项目年度总目标",
        "自评时间",
        "绩效等级",
        "主要绩效",
        "主要问题",
        "改进措施",
    }
)
TABLE_LABELS = ("一级指标", "指标名称", "指标解释", "权重", "评分规则", "自评分", "备注")

_MONEY = re.compile(r"^\d{1,3}(?:,\d{3})+\.\d{2}$")
_PERCENT = re.compile(r"^\d+(?:\.\d+)?%$")
_DATE = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$")
_INTEGER = re.compile(r"^\d+$")
_DECIMAL = re.compile(r"^\d+\.(\d+)$")
_POINTS = re.compile(r"\(\d+分\)$")
_UNITS = re.compile(r"\([^()]*\)")


# --- reading the seed and finding things in rows ------------------------------------


def seed_rows() -> Rows:
    """The seed form as rows of strings, exactly as its TSV holds them."""
    with SEED_TSV.open(encoding="utf-8", newline="") as handle:
        return [list(record) for record in csv.reader(handle, delimiter="\t")]


def _compact(text: str) -> str:
    """NFKC with no white space."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def _key(text: str) -> str:
    """A label as compared here: NFKC, no white space, no units in brackets."""
    return _UNITS.sub("", _compact(text)).rstrip(":")


def _is_label(text: str) -> bool:
    return _key(text) in HEADER_LABELS


def _table_header(rows: Rows) -> int:
    """0-based index of the indicator table's header row."""
    for index, row in enumerate(rows):
        if "指标名称" in (_key(cell) for cell in row):
            return index
    raise LookupError("no indicator table header in these rows")


def _total_row(rows: Rows) -> int:
    """0-based index of the 合计 row."""
    start = _table_header(rows)
    for index in range(start + 1, len(rows)):
        if "合计" in (_key(cell) for cell in rows[index]):
            return index
    raise LookupError("no 合计 row in these rows")


def _column_index(rows: Rows, column: str) -> int:
    """0-based index of a column given as a letter ('D') or a table header ('权重')."""
    if re.fullmatch(r"[A-Z]{1,2}", column):
        index = 0
        for letter in column:
            index = index * 26 + ord(letter) - ord("A") + 1
        return index - 1
    header = rows[_table_header(rows)]
    for index, cell in enumerate(header):
        if _key(cell) == _key(column):
            return index
    raise LookupError(f"no column {column!r}")


def find_row(rows: Rows, label: str) -> int:
    """0-based index of the first row with a cell that reads as ``label``."""
    wanted = _key(label)
    for index, row in enumerate(rows):
        if any(_key(cell) == wanted for cell in row):
            return index
    raise LookupError(f"no row labelled {label!r}")


# --- transforms ------------------------------------------------------------------------


def set_cell(rows: Rows, label: str, column: str, value: str) -> Rows:
    """A copy with one cell changed: the row holding ``label``, a column letter or header."""
    changed = copy.deepcopy(rows)
    index = find_row(changed, label)
    column_index = _column_index(changed, column)
    row = changed[index]
    while len(row) <= column_index:
        row.append("")
    row[column_index] = value
    return changed


def shift_columns(rows: Rows, n: int = 1) -> Rows:
    """Every row moved ``n`` columns to the right (empty rows stay empty)."""
    return [[""] * n + list(row) if row else [] for row in rows]


def insert_blank_rows(rows: Rows, before: Iterable[int] | None = None) -> Rows:
    """Blank rows inserted before the given 0-based rows.

    By default: at the top, between two header rows, inside the indicator table and
    between the 合计 row and the notes.
    """
    if before is None:
        header, total = _table_header(rows), _total_row(rows)
        before = (0, find_row(rows, "自评时间"), header, header + 3, total + 1)
    width = max(len(row) for row in rows)
    wanted = set(before)
    result: Rows = []
    for index, row in enumerate(rows):
        if index in wanted:
            result.append([""] * width)
        result.append(list(row))
    return result


def insert_blank_columns(rows: Rows, before: Iterable[int] = (1, 4)) -> Rows:
    """Empty columns inserted before the given 0-based columns (highest first)."""
    result = [list(row) for row in rows]
    for column in sorted(set(before), reverse=True):
        for row in result:
            if row:
                while len(row) < column:
                    row.append("")
                row.insert(column, "")
    return result


def reorder_header_rows(rows: Rows) -> Rows:
    """自评时间 and 绩效等级 swapped, 主要问题 moved above 主要绩效."""
    result = [list(row) for row in rows]
    date_row, grade_row = find_row(result, "自评时间"), find_row(result, "绩效等级")
    result[date_row], result[grade_row] = result[grade_row], result[date_row]
    problems = result.pop(find_row(result, "主要问题"))
    result.insert(find_row(result, "主要绩效"), problems)
    return result


_FULL_WIDTH = str.maketrans("0123456789%(),./", "０１２３４５６７８９％（），．／")


def _numeric(text: str) -> bool:
    return bool(
        _MONEY.match(text)
        or _PERCENT.match(text)
        or _DATE.match(text)
        or _INTEGER.match(text)
        or _DECIMAL.match(text)
    )


def full_width(rows: Rows) -> Rows:
    """Digits, %, brackets, commas (and the points of numbers, the slashes of dates)
    turned full-width in numeric cells and in labels: header labels, table headers and
    the category labels with their points. Free text is left as it is."""
    result = [list(row) for row in rows]
    header = _table_header(result)
    category = _column_index(result, "一级指标")
    for index, row in enumerate(result):
        for column, cell in enumerate(row):
            label = _is_label(cell) or (index == header and _key(cell) in TABLE_LABELS)
            points = column == category and index > header and bool(_POINTS.search(_compact(cell)))
            if _numeric(cell) or label or points:
                row[column] = cell.translate(_FULL_WIDTH)
    return result


def break_category_labels(rows: Rows) -> Rows:
    """Line breaks inside the category labels, as in the workbook ("投入与\n管理\n(36分)")."""
    result = [list(row) for row in rows]
    header, category = _table_header(result), _column_index(result, "一级指标")
    for row in result[header + 1 :]:
        if category < len(row) and _POINTS.search(_compact(row[category])):
            row[category] = re.sub(r"\s+", "\n", row[category].strip())
    return result


# --- text exports ----------------------------------------------------------------------


def write_tsv(
    rows: Rows,
    path: Path,
    encoding: str = "utf-8",
    bom: bool = False,
    delimiter: str = "\t",
    newline: str = "\n",
) -> Path:
    """Rows as a delimited text file; csv quoting where a cell needs it."""
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator=newline).writerows(rows)
    data = buffer.getvalue().encode(encoding)
    if bom:
        data = codecs.BOM_UTF8 + data
    path.write_bytes(data)
    return path


# --- workbooks ---------------------------------------------------------------------


def typed_value(text: str) -> tuple[object, str | None]:
    """What a spreadsheet would store for the text a TSV export shows, and its format."""
    if text == "":
        return None, None
    if _MONEY.match(text):
        return float(text.replace(",", "")), "#,##0.00"
    if _PERCENT.match(text):
        return float(text[:-1]) / 100, "0.00%"
    date_match = _DATE.match(text)
    if date_match:
        year, month, day = (int(part) for part in date_match.groups())
        return datetime(year, month, day), "yyyy/m/d"
    if _INTEGER.match(text):
        return int(text), None
    decimal_match = _DECIMAL.match(text)
    if decimal_match:
        return float(text), "0." + "0" * len(decimal_match.group(1))
    return text, None


def auto_merges(rows: Rows) -> list[Merge]:
    """The merges the real workbook has, worked out from the rows.

    Outside the indicator table a filled cell spans the empty cells to its right: a
    value up to the next filled cell or the row's end, a label whose value is blank up
    to the column before the last (where its value would be). Inside the table each
    category label spans its group's rows, down to the next label or the 合计 row.
    """
    width = max(len(row) for row in rows)
    header, total = _table_header(rows), _total_row(rows)
    merges: list[Merge] = []
    for index, row in enumerate(rows):
        if header <= index <= total:
            continue
        filled = [column for column, cell in enumerate(row) if cell.strip()]
        for position, column in enumerate(filled):
            last_filled = position + 1 == len(filled)
            end = width - 1 if last_filled else filled[position + 1] - 1
            if last_filled and _is_label(row[column]):
                end = width - 2
            if end > column:
                merges.append((index + 1, column + 1, index + 1, end + 1))
    category = _column_index(rows, "一级指标")
    index = header + 1
    while index < total:
        if category < len(rows[index]) and rows[index][category].strip():
            end = index
            while end + 1 < total and not _cell(rows, end + 1, category).strip():
                end += 1
            if end > index:
                merges.append((index + 1, category + 1, end + 1, category + 1))
            index = end
        index += 1
    return merges


def _cell(rows: Rows, row: int, column: int) -> str:
    return rows[row][column] if column < len(rows[row]) else ""


def _has_table(rows: Rows) -> bool:
    return any("指标名称" in (_key(cell) for cell in row) for row in rows)


def _workbook_cells(
    rows: Rows, merges: Sequence[Merge] | None, formats: bool, line_breaks: bool
) -> tuple[list[Merge], dict[tuple[int, int], tuple[object, str | None]]]:
    """The merges and the (value, number format) of each cell to write, 1-based.

    A sheet without an indicator table gets no merges unless they are given.
    """
    has_table = _has_table(rows)
    if merges is None:
        merges = auto_merges(rows) if has_table else []
    if line_breaks and has_table:
        rows = break_category_labels(rows)
    covered = {
        (r, c)
        for top, left, bottom, right in merges
        for r in range(top, bottom + 1)
        for c in range(left, right + 1)
        if (r, c) != (top, left)
    }
    cells: dict[tuple[int, int], tuple[object, str | None]] = {}
    for r, row in enumerate(rows, start=1):
        for c, text in enumerate(row, start=1):
            if (r, c) not in covered and text != "":
                cells[(r, c)] = typed_value(text) if formats else (text, None)
    return list(merges), cells


def _sheets(rows: Rows | Sheets, sheet: str) -> Sheets:
    return rows if isinstance(rows, Mapping) else {sheet: rows}


def write_xlsx(
    rows: Rows | Sheets,
    path: Path,
    merges: Sequence[Merge] | None = None,
    formats: bool = True,
    line_breaks: bool = True,
    sheet: str = "自评表",
) -> Path:
    """Rows as an .xlsx laid out like the real workbook (see ``auto_merges``).

    ``rows`` may map sheet names to rows for a workbook of several sheets; ``merges``
    None means the seed's own merges, [] none; ``formats`` False stores every cell as
    text, as some systems export.
    """
    import openpyxl
    from openpyxl.styles import Alignment

    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    wrap = Alignment(wrap_text=True, vertical="center")
    for name, sheet_rows in _sheets(rows, sheet).items():
        worksheet = workbook.create_sheet(name)
        ranges, cells = _workbook_cells(sheet_rows, merges, formats, line_breaks)
        for (r, c), (value, number_format) in cells.items():
            cell = worksheet.cell(row=r, column=c, value=value)
            if number_format:
                cell.number_format = number_format
            if isinstance(value, str):
                cell.alignment = wrap
        for top, left, bottom, right in ranges:
            worksheet.merge_cells(
                start_row=top, start_column=left, end_row=bottom, end_column=right
            )
    workbook.save(path)
    return path


def write_xls(
    rows: Rows | Sheets,
    path: Path,
    merges: Sequence[Merge] | None = None,
    formats: bool = True,
    line_breaks: bool = True,
    sheet: str = "自评表",
) -> Path:
    """Rows as a legacy .xls (BIFF8, xlwt) with the same layout as ``write_xlsx``."""
    import xlwt

    workbook = xlwt.Workbook(encoding="utf-8")
    styles: dict[str | None, xlwt.XFStyle] = {}

    def style(number_format: str | None) -> xlwt.XFStyle:
        if number_format not in styles:
            styles[number_format] = xlwt.easyxf(
                "align: wrap on, vert centre", num_format_str=number_format or "General"
            )
        return styles[number_format]

    for name, sheet_rows in _sheets(rows, sheet).items():
        worksheet = workbook.add_sheet(name)
        ranges, cells = _workbook_cells(sheet_rows, merges, formats, line_breaks)
        origins = {(top, left): (bottom, right) for top, left, bottom, right in ranges}
        for (top, left), (bottom, right) in origins.items():
            value, number_format = cells.pop((top, left), ("", None))
            worksheet.write_merge(
                top - 1, bottom - 1, left - 1, right - 1, value, style(number_format)
            )
        for (r, c), (value, number_format) in cells.items():
            worksheet.write(r - 1, c - 1, value, style(number_format))
    workbook.save(str(path))
    return path


# --- broken files ------------------------------------------------------------------


def encrypted_package(path: Path) -> Path:
    """A password-protected workbook as Office saves one: an OLE2 compound file whose
    stream is ``EncryptedPackage`` (made from an xlwt file by renaming its stream)."""
    import xlwt

    buffer = io.BytesIO()
    workbook = xlwt.Workbook()
    workbook.add_sheet("Sheet1").write(0, 0, "secret")
    workbook.save(buffer)
    data = bytearray(buffer.getvalue())
    old = "Workbook".encode("utf-16-le")
    start = data.find(old)
    assert start > 0 and data[start + 64 : start + 66] == (len(old) + 2).to_bytes(2, "little")
    new = "EncryptedPackage\0".encode("utf-16-le")
    data[start : start + 64] = new.ljust(64, b"\0")
    data[start + 64 : start + 66] = len(new).to_bytes(2, "little")
    path.write_bytes(bytes(data))
    return path


def encrypted_xls(path: Path) -> Path:
    """A legacy .xls with a password (a FILEPASS record in its workbook globals): an
    xlwt file whose MMS record, right after the BOF, is turned into FILEPASS."""
    import xlwt

    buffer = io.BytesIO()
    workbook = xlwt.Workbook()
    workbook.add_sheet("Sheet1").write(0, 0, "secret")
    workbook.save(buffer)
    data = buffer.getvalue()
    interface_then_mms = bytes.fromhex("e1 00 02 00 b0 04 c1 00 02 00 00 00")
    assert data.count(interface_then_mms) == 1
    filepass = interface_then_mms[:6] + bytes.fromhex("2f 00 02 00 00 00")
    path.write_bytes(data.replace(interface_then_mms, filepass))
    return path


def zip_without_workbook(path: Path) -> Path:
    """A zip archive that is not a workbook (what a mislabelled .docx or .zip looks like)."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "这不是工作簿")
    return path
