"""Reading files into grids of cells: one reader per file format.

A reader turns a file into ``Sheet`` objects — rows of ``Cell`` values as the
spreadsheet shows them, merged ranges filled in (a merged value belongs to every
cell of its range). What the grid *means* is for ``perfeval.district`` and the
other layout parsers. The format is chosen from the file's content, not its name:
a workbook saved as ``.txt`` or a text export named ``.xls`` still reads.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from .exceptions import FormError, PerfevalError, UnsupportedFileError

__all__ = ["FORM_SUFFIXES", "Cell", "Sheet", "read_sheets", "readers"]

#: Files a folder scan picks up.
FORM_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls", ".txt", ".tsv", ".csv"})

#: Bounds on what a reader will take in (see the README's reliability section).
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_UNPACKED_BYTES = 256 * 1024 * 1024
MAX_SHEETS = 200
MAX_ROWS = 5000
MAX_COLUMNS = 200

CellValue = str | Decimal | date | None


@dataclass(frozen=True)
class Cell:
    """A cell's value and whether its number is shown as a percentage."""

    value: CellValue = None
    percent: bool = False


@dataclass
class Sheet:
    """One grid: ``rows[0]`` is row 1 of the file."""

    path: str
    name: str | None
    rows: list[list[Cell]] = field(default_factory=list)

    def cell(self, row: int, column: int) -> Cell:
        """The cell at a 1-based row and column (an empty one outside the grid)."""
        if 1 <= row <= len(self.rows) and 1 <= column <= len(self.rows[row - 1]):
            return self.rows[row - 1][column - 1]
        return Cell()


Reader = Callable[[Path], list[Sheet]]


class ReaderRegistry:
    """The readers by kind of content: 'xlsx', 'xls', 'text'."""

    def __init__(self) -> None:
        self._readers: dict[str, Reader] = {}

    def register(self, kind: str, reader: Reader) -> None:
        self._readers[kind] = reader

    def get(self, kind: str) -> Reader:
        try:
            return self._readers[kind]
        except KeyError:
            known = ", ".join(sorted(self._readers))
            raise PerfevalError(f"没有“{kind}”格式的读取器（可用：{known}）") from None


readers = ReaderRegistry()


def sniff(path: Path, head: bytes) -> str:
    """The kind of content, from its first bytes."""
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "xls"
    if b"\x00" in head[:4096] and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise UnsupportedFileError("不是工作簿，也不是文本导出文件（二进制内容）", path=str(path))
    return "text"


def read_sheets(path: Path) -> list[Sheet]:
    """Every sheet of a file, whatever its format."""
    try:
        size = path.stat().st_size
        if size == 0:
            raise UnsupportedFileError("文件为空", path=str(path))
        if size > MAX_FILE_BYTES:
            raise UnsupportedFileError(
                f"文件过大（{size // 1048576} MB，上限 {MAX_FILE_BYTES // 1048576} MB）",
                path=str(path),
            )
        with path.open("rb") as handle:
            head = handle.read(8192)
    except OSError as error:
        raise FormError(f"无法读取文件：{error.strerror or error}", path=str(path)) from error
    return readers.get(sniff(path, head))(path)


# --- xlsx / xlsm --------------------------------------------------------------


def _check_zip(path: Path) -> None:
    """Refuse zip bombs and encrypted packages before openpyxl unpacks anything."""
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
            names = set(archive.namelist())
    except (zipfile.BadZipFile, NotImplementedError, ValueError, EOFError) as error:
        # NotImplementedError: a damaged header that claims an unknown zip version
        raise UnsupportedFileError(
            f"工作簿已损坏或被截断（{_one_line(error)}）", path=str(path)
        ) from error
    if unpacked > MAX_UNPACKED_BYTES:
        raise UnsupportedFileError(
            f"工作簿解压后过大（{unpacked // 1048576} MB），拒绝读取", path=str(path)
        )
    if "xl/workbook.xml" not in names:
        raise UnsupportedFileError(
            "不是 Excel 工作簿（压缩包中没有 xl/workbook.xml）", path=str(path)
        )


def _excel_number(value: object) -> Decimal:
    if isinstance(value, bool):
        return Decimal(int(value))
    if isinstance(value, int):
        return Decimal(value)
    return Decimal(repr(value))


def read_xlsx(path: Path) -> list[Sheet]:
    import openpyxl  # imported here: the CLI stays quick for text files

    _check_zip(path)
    try:
        # From bytes, not the path: openpyxl refuses a name not ending .xlsx/.xlsm, and
        # the content (sniffed) decides here, not the name.
        workbook = openpyxl.load_workbook(io.BytesIO(path.read_bytes()), data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a broken package
        raise UnsupportedFileError(
            f"无法打开工作簿（{type(error).__name__}: {_one_line(error)}）", path=str(path)
        ) from error
    try:
        if len(workbook.worksheets) > MAX_SHEETS:
            raise UnsupportedFileError(
                f"工作簿有 {len(workbook.worksheets)} 个工作表，超过上限 {MAX_SHEETS}",
                path=str(path),
            )
        return [_xlsx_sheet(path, worksheet) for worksheet in workbook.worksheets]
    finally:
        workbook.close()


def _xlsx_sheet(path: Path, worksheet: object) -> Sheet:
    from openpyxl.worksheet.worksheet import Worksheet

    assert isinstance(worksheet, Worksheet)
    height = min(worksheet.max_row, MAX_ROWS)
    width = min(worksheet.max_column, MAX_COLUMNS)
    rows: list[list[Cell]] = []
    for cells in worksheet.iter_rows(min_row=1, max_row=height, max_col=width):
        row: list[Cell] = []
        for cell in cells:
            value = cell.value
            percent = "%" in str(cell.number_format or "")
            if isinstance(value, datetime):
                row.append(Cell(value.date()))
            elif isinstance(value, date):
                row.append(Cell(value))
            elif isinstance(value, int | float):
                row.append(Cell(_excel_number(value), percent))
            elif value is None:
                row.append(Cell())
            else:
                row.append(Cell(str(value)))
        rows.append(row)
    sheet = Sheet(str(path), worksheet.title, rows)
    for merged in worksheet.merged_cells.ranges:
        _fill(sheet, merged.min_row, merged.min_col, merged.max_row, merged.max_col)
    return sheet


def _fill(sheet: Sheet, top: int, left: int, bottom: int, right: int) -> None:
    """Give every cell of a merged range the value of its top-left cell."""
    if top > len(sheet.rows):
        return
    origin = sheet.cell(top, left)
    for row_number in range(top, min(bottom, len(sheet.rows)) + 1):
        row = sheet.rows[row_number - 1]
        for column in range(left, min(right, MAX_COLUMNS) + 1):
            while len(row) < column:
                row.append(Cell())
            row[column - 1] = origin


# --- legacy xls ---------------------------------------------------------------


def read_xls(path: Path) -> list[Sheet]:
    import xlrd

    data = path.read_bytes()
    if "EncryptedPackage".encode("utf-16-le") in data:
        raise UnsupportedFileError("工作簿受密码保护，请另存为未加密的文件后再读取", path=str(path))
    try:
        # xlrd prints warnings about damaged files to stdout unless given a log file.
        book = xlrd.open_workbook(
            file_contents=data, formatting_info=True, on_demand=True, logfile=io.StringIO()
        )
    except Exception as error:  # xlrd raises XLRDError, struct.error, AssertionError, …
        if "encrypted" in str(error):  # a FILEPASS record: xlrd's "Workbook is encrypted"
            raise UnsupportedFileError(
                "工作簿受密码保护，请另存为未加密的文件后再读取", path=str(path)
            ) from error
        raise UnsupportedFileError(
            f"无法打开 .xls 工作簿，文件可能已损坏或被截断（{_one_line(error)}）", path=str(path)
        ) from error
    try:
        if book.nsheets > MAX_SHEETS:
            raise UnsupportedFileError(
                f"工作簿有 {book.nsheets} 个工作表，超过上限 {MAX_SHEETS}", path=str(path)
            )
        sheets: list[Sheet] = []
        for index in range(book.nsheets):
            try:  # sheets load on demand: a damaged one fails only here
                worksheet = book.sheet_by_index(index)
            except Exception as error:  # XLRDError, struct.error, IndexError, KeyError, …
                raise UnsupportedFileError(
                    f"工作簿已损坏，第 {index + 1} 个工作表无法读取（{_one_line(error)}）",
                    path=str(path),
                ) from error
            sheets.append(_xls_sheet(path, book, worksheet))
        return sheets
    finally:
        book.release_resources()


def _one_line(error: BaseException) -> str:
    """An exception from a parser as one line: its type when it has no message."""
    text = " ".join(str(error).split())
    return text or type(error).__name__


def _xls_sheet(path: Path, book: object, worksheet: object) -> Sheet:
    import xlrd

    assert isinstance(book, xlrd.book.Book)
    assert isinstance(worksheet, xlrd.sheet.Sheet)
    rows: list[list[Cell]] = []
    for r in range(min(worksheet.nrows, MAX_ROWS)):
        row: list[Cell] = []
        for c in range(min(worksheet.ncols, MAX_COLUMNS)):
            cell = worksheet.cell(r, c)
            if cell.ctype == xlrd.XL_CELL_NUMBER:
                xf = book.xf_list[cell.xf_index]
                fmt = book.format_map.get(xf.format_key)
                percent = "%" in (fmt.format_str if fmt else "")
                row.append(Cell(_excel_number(cell.value), percent))
            elif cell.ctype == xlrd.XL_CELL_DATE:
                row.append(Cell(xlrd.xldate.xldate_as_datetime(cell.value, book.datemode).date()))
            elif cell.ctype == xlrd.XL_CELL_TEXT:
                row.append(Cell(cell.value))
            elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                row.append(Cell("TRUE" if cell.value else "FALSE"))
            else:
                row.append(Cell())
        rows.append(row)
    sheet = Sheet(str(path), worksheet.name, rows)
    for top, bottom, left, right in worksheet.merged_cells:  # half-open, 0-based
        _fill(sheet, top + 1, left + 1, bottom, right)
    return sheet


# --- text exports -------------------------------------------------------------


def decode(data: bytes, path: Path) -> str:
    """Text in UTF-8 (with or without BOM), UTF-16 with BOM, or GB18030.

    UTF-8 is tried strictly first: GB18030 text practically never decodes as UTF-8.
    GB18030 is taken only when it decodes strictly and yields common Chinese text; anything
    else is refused rather than guessed.
    """
    if data.startswith(codecs.BOM_UTF8):
        return _strict(data[3:], "utf-8", path)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _strict(data, "utf-16", path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError as error:
        raise UnsupportedFileError(
            f"无法识别文本编码（既不是 UTF-8 也不是 GB18030，第 {error.start} 字节处无效）",
            path=str(path),
        ) from error
    if not any("\u4e00" <= char <= "\u9fff" for char in text):
        raise UnsupportedFileError("无法识别文本编码（按 GB18030 解码后没有中文）", path=str(path))
    if not _common_chinese(text):
        raise UnsupportedFileError(
            "无法识别文本编码（按 GB18030 解码后多为生僻字，可能是 Big5、Latin-1 等其他编码），"
            "请另存为 UTF-8 后再读取",
            path=str(path),
        )
    return text


def _common_chinese(text: str) -> bool:
    """Whether GB18030-decoded text reads as ordinary Chinese.

    Bytes in another encoding often decode as GB18030 too, but land outside GB2312
    (the common characters and full-width punctuation): Latin-1 "é" + a letter becomes
    a rare GBK character, Big5 text half rare characters. Real forms are almost
    entirely GB2312, so at least 90% of the non-ASCII characters must be.
    """
    counts = Counter(char for char in text if ord(char) > 127)
    common = 0
    for char, count in counts.items():
        try:
            char.encode("gb2312")
        except UnicodeEncodeError:
            continue
        common += count
    return common >= 0.9 * sum(counts.values())


def _strict(data: bytes, encoding: str, path: Path) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        raise UnsupportedFileError(
            f"文本声明为 {encoding.upper()}，但第 {error.start} 字节处无效", path=str(path)
        ) from error


def read_text(path: Path) -> list[Sheet]:
    text = decode(path.read_bytes(), path)
    # Tabs unless more lines hold commas: a tab inside one quoted CSV cell must not
    # turn a CSV file into a one-column TSV.
    head = text.splitlines()[:200]
    tabs, commas = sum("\t" in line for line in head), sum("," in line for line in head)
    delimiter = "\t" if tabs and tabs >= commas else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[list[Cell]] = []
    try:
        for number, record in enumerate(reader, start=1):
            if number > MAX_ROWS:
                break
            rows.append([Cell(value if value.strip() else None) for value in record[:MAX_COLUMNS]])
    except csv.Error as error:
        raise UnsupportedFileError(f"文本无法按表格读取（{error}）", path=str(path)) from error
    return [Sheet(str(path), None, rows)]


readers.register("xlsx", read_xlsx)
readers.register("xls", read_xls)
readers.register("text", read_text)
