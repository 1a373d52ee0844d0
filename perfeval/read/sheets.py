"""Reading files into grids of cells: one reader per file format.

A reader turns a file into ``Sheet`` objects — rows of ``Cell`` values as the
spreadsheet shows them, merged ranges filled in (a merged value belongs to every
cell of its range). What the grid *means* is for ``perfeval.district`` and the
other layout parsers. The format is chosen from the file's content, not its name:
a workbook saved as ``.txt`` or a text export named ``.xls`` still reads.

Every reader is bounded in time and memory, so a hostile or broken file is refused
with one line saying why, or read within the bounds (``MAX_*`` below and in
``perfeval.xlsxscan``; the README's reliability section lists them): a file is sized
before it is read; a workbook package is scanned before openpyxl parses any of it, and
openpyxl, in read-only mode, is stopped after the last row taken; an .xls workbook's
cells are counted before xlrd loads them; a sheet is read into at most
``MAX_ROWS`` × ``MAX_COLUMNS`` cells.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import struct
import warnings
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

from ..exceptions import FormError, PerfevalError, UnsupportedFileError
from .xlsxscan import WorksheetPlan, plan_workbook

__all__ = ["FORM_SUFFIXES", "Cell", "Sheet", "read_sheets", "readers"]

#: Files a folder scan picks up.
FORM_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls", ".txt", ".tsv", ".csv"})

#: Bounds on what a reader will take in (see the README's reliability section).
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_UNPACKED_BYTES = 256 * 1024 * 1024
MAX_ZIP_MEMBERS = 10_000
MAX_SHEETS = 200
MAX_ROWS = 5000
MAX_COLUMNS = 200
#: Cells xlrd may hold for one .xls workbook (it loads a sheet whole; about 30 B a cell).
MAX_XLS_CELLS = 2_000_000
#: Text exports (a form's export is a few kB; the bound leaves room for 5000 wide rows).
MAX_TEXT_BYTES = 8 * 1024 * 1024

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
    #: What a reviewer must know about how the grid was read: rows past the bound not
    #: read, formulas with no computed value read as blank.
    notices: list[str] = field(default_factory=list)

    def texts_below(self, row: int) -> list[str]:
        """Each non-empty row below ``row`` as one line of its distinct texts (a merged
        cell repeats its value across the row), white space folded: a form's notes."""
        lines: list[str] = []
        for cells in self.rows[row:]:
            texts: list[str] = []
            for cell in cells:
                text = " ".join(str(cell.value).split()) if cell.value is not None else ""
                if text and text not in texts:
                    texts.append(text)
            if texts:
                lines.append(" ".join(texts))
        return lines

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
                f"文件过大（{size / 1048576:.1f} MB，上限 {MAX_FILE_BYTES // 1048576} MB）",
                path=str(path),
            )
        with path.open("rb") as handle:
            head = handle.read(8192)
    except OSError as error:
        raise FormError(f"无法读取文件：{error.strerror or error}", path=str(path)) from error
    return readers.get(sniff(path, head))(path)


# --- xlsx / xlsm --------------------------------------------------------------


def _check_zip(path: Path, handle: BinaryIO) -> zipfile.ZipFile:
    """The package, opened once zip bombs are ruled out: too many members (each costs
    zipfile memory as it opens the package) or too much to unpack."""
    members = _zip_members(handle)
    if members is not None and members > MAX_ZIP_MEMBERS:
        raise UnsupportedFileError(
            f"压缩包中有 {members} 个文件，超过上限 {MAX_ZIP_MEMBERS}，不像是工作簿，拒绝读取",
            path=str(path),
        )
    try:
        archive = zipfile.ZipFile(handle)
    except (zipfile.BadZipFile, NotImplementedError, ValueError, EOFError, OSError) as error:
        # NotImplementedError: a damaged header that claims an unknown zip version
        raise UnsupportedFileError(
            f"工作簿已损坏或被截断（{_one_line(error)}）", path=str(path)
        ) from error
    unpacked = sum(info.file_size for info in archive.infolist())
    if unpacked > MAX_UNPACKED_BYTES:
        archive.close()
        raise UnsupportedFileError(
            f"工作簿解压后过大（{unpacked // 1048576} MB，上限 {MAX_UNPACKED_BYTES // 1048576} MB），"
            "可能是“压缩炸弹”，拒绝读取",
            path=str(path),
        )
    if "xl/workbook.xml" not in archive.namelist():
        archive.close()
        raise UnsupportedFileError(
            "不是 Excel 工作簿（压缩包中没有 xl/workbook.xml）", path=str(path)
        )
    return archive


def _zip_members(handle: BinaryIO) -> int | None:
    """The member count a zip's end record declares (zip64 too); None if there is none."""
    size = handle.seek(0, io.SEEK_END)
    handle.seek(max(0, size - 65536 - 22))
    tail = handle.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + 22 > len(tail):
        return None
    members = int.from_bytes(tail[at + 10 : at + 12], "little")
    locator = tail[at - 20 : at] if at >= 20 else b""
    if members == 0xFFFF and locator.startswith(b"PK\x06\x07"):
        handle.seek(int.from_bytes(locator[8:16], "little"))
        record = handle.read(56)
        if record.startswith(b"PK\x06\x06") and len(record) == 56:
            members = int.from_bytes(record[32:40], "little")
    return members


def _excel_number(value: object) -> Decimal:
    if isinstance(value, bool):
        return Decimal(int(value))
    if isinstance(value, int):
        return Decimal(value)
    return Decimal(repr(value))


def read_xlsx(path: Path) -> list[Sheet]:
    import openpyxl  # imported here: the CLI stays quick for text files

    try:
        handle = path.open("rb")
    except OSError as error:
        raise FormError(f"无法读取文件：{error.strerror or error}", path=str(path)) from error
    # Read-only mode streams a worksheet's rows; everything it would parse whole is bounded
    # first by ``plan_workbook``. From a file object, not the path: openpyxl refuses a name
    # not ending .xlsx/.xlsm, and the content (sniffed) decides here, not the name.
    with handle, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns of features it drops: nothing to act on
        try:
            with _check_zip(path, handle) as archive:
                plans = plan_workbook(
                    path,
                    archive,
                    max_sheets=MAX_SHEETS,
                    max_rows=MAX_ROWS,
                    max_columns=MAX_COLUMNS,
                )
            workbook = openpyxl.load_workbook(
                handle, read_only=True, data_only=True, keep_links=False
            )
        except FormError:
            raise
        except Exception as error:  # openpyxl raises many kinds for a broken package
            raise _unreadable(path, None, error) from error
        try:
            if len(workbook.worksheets) > MAX_SHEETS:
                raise UnsupportedFileError(
                    f"工作簿有 {len(workbook.worksheets)} 个工作表，超过上限 {MAX_SHEETS}",
                    path=str(path),
                )
            return [_xlsx_sheet(path, worksheet, plans) for worksheet in workbook.worksheets]
        finally:
            workbook.close()


def _unreadable(path: Path, sheet: str | None, error: Exception) -> UnsupportedFileError:
    from defusedxml import DefusedXmlException

    cause: BaseException | None = error
    while cause is not None and not isinstance(cause, DefusedXmlException):
        cause = cause.__cause__ or cause.__context__  # openpyxl wraps it in a ValueError
    if cause is not None:
        message = "工作簿的 XML 含有 DTD 或实体声明（可能是“XML 炸弹”），拒绝读取"
    elif sheet is None:
        message = f"无法打开工作簿（{type(error).__name__}: {_one_line(error)}）"
    else:
        message = f"工作表无法读取，文件可能已损坏（{type(error).__name__}: {_one_line(error)}）"
    return UnsupportedFileError(message, path=str(path), sheet=sheet)


def _xlsx_sheet(path: Path, worksheet: object, plans: dict[str, WorksheetPlan]) -> Sheet:
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    assert isinstance(worksheet, ReadOnlyWorksheet)
    plan = plans.get(getattr(worksheet, "_worksheet_path", ""))
    if plan is None:  # plan_workbook finds the parts as openpyxl does: this is a bug
        raise UnsupportedFileError(
            "工作簿结构异常：找不到该工作表的数据部件", path=str(path), sheet=worksheet.title
        )
    rows: list[list[Cell]] = []
    if plan.rows:
        cells_by_row = worksheet.iter_rows(min_row=1, max_row=plan.rows, max_col=MAX_COLUMNS)
        try:
            # Exactly plan.rows rows: openpyxl stops at the last one and parses nothing after.
            for cells in itertools.islice(cells_by_row, plan.rows):
                rows.append([_xlsx_cell(cell) for cell in cells[:MAX_COLUMNS]])
        except Exception as error:  # a bad shared-string or style index, an unparsable value
            raise _unreadable(path, worksheet.title, error) from error
        finally:
            cells_by_row.close()
    sheet = _grid(path, worksheet.title, rows, plan.merges)
    if plan.cut:
        sheet.notices.append(_cut_notice())
    if plan.uncached:
        cells = "、".join(plan.uncached[:10]) + ("等" if len(plan.uncached) > 10 else "")
        sheet.notices.append(
            f"单元格 {cells} 是公式但没有保存计算结果（文件可能由程序生成、未经电子表格软件保存），"
            "读作空白；请在 Excel/WPS 中打开并保存后重新报送"
        )
    return sheet


def _cut_notice() -> str:
    return f"表格超过 {MAX_ROWS} 行，只读取了前 {MAX_ROWS} 行，其后的行（包括可能的合计行）未读取"


_EMPTY = Cell()


def _xlsx_cell(cell: object) -> Cell:
    value = getattr(cell, "value", None)
    if value is None:
        return _EMPTY
    if isinstance(value, datetime):
        return Cell(value.date())
    if isinstance(value, date):
        return Cell(value)
    if isinstance(value, bool):  # shown by Excel as TRUE/FALSE: never a number
        return Cell("TRUE" if value else "FALSE")
    if isinstance(value, int | float):
        percent = "%" in str(getattr(cell, "number_format", None) or "")
        return Cell(_excel_number(value), percent)
    return Cell(str(value))


def _grid(
    path: Path, name: str, rows: list[list[Cell]], merges: list[tuple[int, int, int, int]]
) -> Sheet:
    """A sheet as the workbook shows it: no trailing blank rows or columns, every row as
    wide as the widest, each merged range (top, left, bottom, right; 1-based, inclusive)
    filled with its top-left value. Ranges that overlap into more cells than the grid has
    are refused: Excel never writes them, and filling them would take hours."""
    for row in rows:
        while row and row[-1].value is None:
            row.pop()
    while rows and not rows[-1]:
        rows.pop()
    area, width = 0, max((len(row) for row in rows), default=0)
    for top, left, bottom, right in merges:
        if top <= len(rows) and left <= MAX_COLUMNS:
            height = max(0, min(bottom, len(rows)) - max(top, 1) + 1)
            area += height * max(0, min(right, MAX_COLUMNS) - max(left, 1) + 1)
            width = max(width, min(right, MAX_COLUMNS))
    if area > MAX_ROWS * MAX_COLUMNS:
        raise UnsupportedFileError(
            "合并单元格区域大量重叠（Excel 不会生成这样的文件），拒绝读取",
            path=str(path),
            sheet=name,
        )
    for row in rows:
        row.extend([_EMPTY] * (width - len(row)))
    sheet = Sheet(str(path), name, rows)
    for top, left, bottom, right in merges:
        _fill(sheet, top, left, bottom, right)
    return sheet


def _fill(sheet: Sheet, top: int, left: int, bottom: int, right: int) -> None:
    """Give every cell of a merged range the value of its top-left cell."""
    if top > len(sheet.rows) or left > MAX_COLUMNS:
        return
    origin = sheet.cell(top, left)
    for row_number in range(max(top, 1), min(bottom, len(sheet.rows)) + 1):
        row = sheet.rows[row_number - 1]
        for column in range(max(left, 1), min(right, MAX_COLUMNS) + 1):
            row[column - 1] = origin


# --- legacy xls ---------------------------------------------------------------


def read_xls(path: Path) -> list[Sheet]:
    import xlrd

    data = path.read_bytes()
    if "EncryptedPackage".encode("utf-16-le") in data:
        raise UnsupportedFileError("工作簿受密码保护，请另存为未加密的文件后再读取", path=str(path))
    try:
        # xlrd prints warnings about damaged files to stdout unless given a log file.
        # ragged_rows: a cell at IV65536 must not pad every row to 256 cells (400 MB).
        book = xlrd.open_workbook(
            file_contents=data,
            formatting_info=True,
            on_demand=True,
            ragged_rows=True,
            logfile=io.StringIO(),
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
        cells = 0
        for index in range(book.nsheets):
            cells += _xls_cells(book, index)
            if cells > MAX_XLS_CELLS:
                raise UnsupportedFileError(
                    f"工作簿过于庞大：单元格记录超过 {MAX_XLS_CELLS} 个，拒绝读取", path=str(path)
                )
            try:  # sheets load on demand: a damaged one fails only here
                worksheet = book.sheet_by_index(index)
                sheets.append(_xls_sheet(path, book, worksheet))
            except FormError:
                raise
            except Exception as error:  # XLRDError, struct.error, IndexError, KeyError, …
                raise UnsupportedFileError(
                    f"工作簿已损坏，第 {index + 1} 个工作表无法读取（{_one_line(error)}）",
                    path=str(path),
                ) from error
            book.unload_sheet(index)
        return sheets
    finally:
        book.release_resources()


#: Cell records: a MULRK holds (length - 6) / 6 cells, a MULBLANK (length - 6) / 2,
#: a MERGEDCELLS a count of ranges; the others one cell each (BIFF5/8).
_XLS_MULRK, _XLS_MULBLANK, _XLS_MERGED = 0x00BD, 0x00BE, 0x00E5
_XLS_CELL_RECORDS = frozenset(
    {0x0201, 0x0203, 0x0204, 0x00FD, 0x027E, 0x0205, 0x0006, 0x0206, 0x0406, 0x00D6}
)


def _xls_cells(book: object, index: int) -> int:
    """The cells (and merged ranges) xlrd will hold for a sheet, counted from its records
    before it loads them; more than the bound stops counting."""
    mem: bytes = getattr(book, "mem", b"") or b""
    starts: list[int] = list(getattr(book, "_sh_abs_posn", []))
    if index >= len(starts):
        return 0
    start = starts[index]
    end = min((p for p in starts if p > start), default=len(mem))
    cells = records = 0
    position = start
    while position + 4 <= end and cells <= MAX_XLS_CELLS and records <= 2 * MAX_XLS_CELLS:
        code, length = struct.unpack_from("<HH", mem, position)
        if code == _XLS_MULBLANK:
            cells += max(0, (length - 6) // 2)
        elif code == _XLS_MULRK:
            cells += max(0, (length - 6) // 6)
        elif code == _XLS_MERGED and position + 6 <= len(mem):
            cells += struct.unpack_from("<H", mem, position + 4)[0]
        elif code in _XLS_CELL_RECORDS:
            cells += 1
        records += 1
        position += 4 + length
    return cells if records <= 2 * MAX_XLS_CELLS else MAX_XLS_CELLS + 1


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
        for c in range(min(worksheet.row_len(r), MAX_COLUMNS)):
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
                row.append(_EMPTY)
        rows.append(row)
    merges = [
        (top + 1, left + 1, bottom, right) for top, bottom, left, right in worksheet.merged_cells
    ]
    sheet = _grid(path, worksheet.name, rows, merges)  # merged_cells: half-open, 0-based
    if worksheet.nrows > MAX_ROWS:
        sheet.notices.append(_cut_notice())
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
    size = path.stat().st_size
    if size > MAX_TEXT_BYTES:  # decoded, then split into cells, text takes up to 16 times its size
        raise UnsupportedFileError(
            f"文本文件过大（{size / 1048576:.1f} MB，上限 {MAX_TEXT_BYTES // 1048576} MB）",
            path=str(path),
        )
    text = decode(path.read_bytes(), path)
    # A cell may be as long as the file (a long 主要绩效): never csv's 128 KB default.
    csv.field_size_limit(max(csv.field_size_limit(), MAX_TEXT_BYTES))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    rows: list[list[Cell]] = []
    cut = False
    try:
        for number, record in enumerate(reader, start=1):
            if number > MAX_ROWS:
                cut = any(value.strip() for value in record) or cut
                if cut:
                    break
                continue
            rows.append([Cell(value if value.strip() else None) for value in record[:MAX_COLUMNS]])
    except csv.Error as error:
        raise UnsupportedFileError(f"文本无法按表格读取（{error}）", path=str(path)) from error
    return [Sheet(str(path), None, rows, [_cut_notice()] if cut else [])]


def _delimiter(text: str) -> str:
    """Tab or comma: the one that puts the most delimiters on records of one shape.

    Read with the right one, an export's records have the same number of cells (a sheet
    is a rectangle); with the wrong one, a quoted cell of many lines with commas or tabs
    in them falls apart into records of other shapes, and a tab inside one quoted CSV
    cell makes one odd record. Ties go to tabs; when neither gives two records of two
    cells alike, lines decide: tabs, unless more lines hold commas.
    """
    head = text[:1048576]
    score = {}
    for delimiter in ("\t", ","):
        shapes: Counter[int] = Counter()
        try:
            for record in itertools.islice(
                csv.reader(io.StringIO(head, newline=""), delimiter=delimiter), 200
            ):
                shapes[len(record)] += 1
        except csv.Error:
            pass
        score[delimiter] = max(((k - 1) * n for k, n in shapes.items() if n > 1), default=0)
    if score["\t"] or score[","]:
        return "\t" if score["\t"] >= score[","] else ","
    lines = list(itertools.islice(io.StringIO(head, newline=""), 200))
    tabs, commas = sum("\t" in line for line in lines), sum("," in line for line in lines)
    return "\t" if tabs and tabs >= commas else ","


readers.register("xlsx", read_xlsx)
readers.register("xls", read_xls)
readers.register("text", read_text)
