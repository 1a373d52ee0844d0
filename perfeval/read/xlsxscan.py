"""What openpyxl will parse in an xlsx package, bounded before it parses any of it.

``perfeval.sheets`` reads workbooks with openpyxl in read-only mode: it parses most XML
parts of a package whole (an element tree in memory), and streams a worksheet's rows
one at a time. A package small on disk can still hold parts that make it build tens
of millions of elements — a million styled empty rows, a row of a million cells, an
entity bomb — and take gigabytes and minutes. So before openpyxl opens a package, each
part it will parse is scanned once as bytes (decompressed in chunks, nothing parsed
but the three small parts that say what the others are), and the package is refused
unless:

- no part declares a DOCTYPE or entity (the "billion laughs"; defusedxml, which
  openpyxl uses, refuses them too — this says so before openpyxl starts);
- the workbook lists at most ``max_sheets`` sheets;
- openpyxl will parse at most ``MAX_XML_TAGS`` tags and ``MAX_XML_BYTES`` bytes in all;
- nothing it holds whole has more than ``MAX_HELD_TAGS`` tags: a part, a worksheet
  outside its rows, one row (a full row of Excel's 16,384 cells needs about 65,000);
- a worksheet declares at most ``MAX_HELD_TAGS`` merged ranges, and those within the grid
  do not overlap into more cells than the grid has.

A worksheet's rows are read only up to ``max_rows``: the scan tells the reader how many
rows to take, so openpyxl stops there and never parses the rows after, nor what follows
them. The merged ranges come from the scan too (read-only mode does not report them).
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ..exceptions import UnsupportedFileError

__all__ = ["MAX_HELD_TAGS", "MAX_XML_BYTES", "MAX_XML_TAGS", "WorksheetPlan", "plan_workbook"]

#: Uncached formula cells listed by name (a count beyond).
MAX_NOTED = 20
#: Tags openpyxl may parse in one workbook (a few seconds of parsing a million).
MAX_XML_TAGS = 2_000_000
#: Bytes of XML openpyxl may parse in one workbook.
MAX_XML_BYTES = 64 * 1024 * 1024
#: Tags in anything openpyxl holds whole at once (about 100 MB at the worst).
MAX_HELD_TAGS = 100_000

_CHUNK = 1 << 20
_MAIN = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_ROOT = re.compile(rb"<[A-Za-z_][^<>]*>")
_MAIN_PREFIX = re.compile(
    rb"""xmlns(?::([A-Za-z_][\w.-]*))?\s*=\s*["']""" + re.escape(_MAIN) + rb"""["']"""
)
_ROW_NUMBER = re.compile(rb"""(?:^|\s)r\s*=\s*["']([^"']*)["']""")
_CELL = rb"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})"
_REF = re.compile(rb"""(?:^|\s)ref\s*=\s*["']\s*""" + _CELL + rb"(?::" + _CELL + rb")?\s*[\"']")
_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)")
# A cell's value, as stored: <v>…</v> or an inline string.
_VALUE = re.compile(rb"<(?:\w+:)?(?:v|is)>")
# A cell with a formula and no <v>: a workbook written by a program, never opened and
# saved by a spreadsheet, so it has no computed value to read.
_UNCACHED = re.compile(
    rb"""<(?:\w+:)?c\s[^>]*?\br\s*=\s*["']([A-Za-z]{1,3}[0-9]{1,7})["'][^>]*>\s*"""
    rb"<(?:\w+:)?f(?:\s[^>]*)?(?:/>|>[^<]*</(?:\w+:)?f>)\s*(?:<(?:\w+:)?v\s*/>|<(?:\w+:)?v>\s*</(?:\w+:)?v>)?\s*</(?:\w+:)?c>"
)
_CONTENT_TYPES = "[Content_Types].xml"
#: The namespace of ISO 29500 Strict workbooks, which openpyxl does not read.
_STRICT = "purl.oclc.org/ooxml/spreadsheetml"
_WORKBOOK_TYPES = tuple(
    f"application/vnd.{kind}.main+xml"
    for kind in (
        "openxmlformats-officedocument.spreadsheetml.sheet",
        "ms-excel.sheet.macroEnabled",
        "openxmlformats-officedocument.spreadsheetml.template",
        "ms-excel.template.macroEnabled",
    )
)
_STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
_HEAD, _DATA, _ROW, _REST = range(4)


@dataclass
class WorksheetPlan:
    """What the reader takes from one worksheet part."""

    name: str
    #: openpyxl rows to take: the last row number within the bound
    rows: int = 0
    #: merged ranges within the grid: top, left, bottom, right (1-based, inclusive)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    #: whether the part has rows past ``max_rows`` (not read)
    cut: bool = False
    #: cells holding a formula but no value computed by a spreadsheet (read as blank)
    uncached: list[str] = field(default_factory=list)


@dataclass
class _Budget:
    path: Path
    tags: int = 0
    size: int = 0

    def spend(self, tags: int, size: int, where: str) -> None:
        self.tags += tags
        self.size += size
        if self.tags > MAX_XML_TAGS:
            raise self.refuse(f"XML 元素超过 {MAX_XML_TAGS} 个（{where}），拒绝读取")
        if self.size > MAX_XML_BYTES:
            raise self.refuse(
                f"需解析的 XML 超过 {MAX_XML_BYTES // 1048576} MB（{where}），拒绝读取"
            )

    def refuse(self, message: str, sheet: str | None = None) -> UnsupportedFileError:
        return UnsupportedFileError(
            f"工作簿过于庞大或结构异常：{message}", path=str(self.path), sheet=sheet
        )


def plan_workbook(
    path: Path, archive: zipfile.ZipFile, *, max_sheets: int, max_rows: int, max_columns: int
) -> dict[str, WorksheetPlan]:
    """Check the parts openpyxl will parse; the plan of each worksheet part, by part name.

    Raises UnsupportedFileError naming the bound a part breaks.
    """
    budget = _Budget(path)
    names = set(archive.namelist())
    types = _parse_small(archive, _CONTENT_TYPES, budget)
    overrides = {
        str(e.get("PartName", "")).lstrip("/"): str(e.get("ContentType", ""))
        for e in _children(types, "Override")
    }
    workbook_part = next(
        (name for kind in _WORKBOOK_TYPES for name, t in overrides.items() if t == kind),
        "xl/workbook.xml",
    )
    workbook = _parse_small(archive, workbook_part, budget)
    if _STRICT in str(getattr(workbook, "tag", "")):
        raise UnsupportedFileError(
            "这是“Strict Open XML 电子表格”格式的工作簿，perfeval 读不了；"
            "请在 Excel 中另存为普通的“Excel 工作簿 (*.xlsx)”后重新报送",
            path=str(path),
        )
    sheets = [e for e in _children(workbook, "sheet")]
    if len(sheets) > max_sheets:
        raise UnsupportedFileError(
            f"工作簿有 {len(sheets)} 个工作表，超过上限 {max_sheets}", path=str(path)
        )
    rels_part = _rels_path(workbook_part)
    targets: dict[str, tuple[str, str]] = {}
    if rels_part in names:
        for rel in _children(_parse_small(archive, rels_part, budget), "Relationship"):
            if rel.get("TargetMode") != "External":
                targets[str(rel.get("Id"))] = (str(rel.get("Type", "")), _target(rels_part, rel))

    done = {_CONTENT_TYPES, workbook_part, rels_part}
    strings = next((name for name, t in overrides.items() if t == _STRINGS_TYPE), None)
    if strings in names:
        _scan_whole(archive, strings, budget, held=False)
        done.add(strings)
    for name in (
        "xl/styles.xml",
        "xl/theme/theme1.xml",
        "docProps/core.xml",
        "docProps/custom.xml",
    ):
        if name in names and name not in done:
            _scan_whole(archive, name, budget, held=True)
            done.add(name)

    plans: dict[str, WorksheetPlan] = {}
    for sheet in sheets:
        title = str(sheet.get("name", ""))
        rid = next((v for k, v in sheet.attrib.items() if k.endswith("}id")), None)
        kind, target = targets.get(str(rid), ("", ""))
        if target not in names:
            continue
        sheet_rels = _rels_path(target)
        if sheet_rels in names and sheet_rels not in done:
            _scan_whole(archive, sheet_rels, budget, held=True)
            done.add(sheet_rels)
        if "chartsheet" in kind:  # openpyxl reads a chart sheet whole, with its drawings
            for name in sorted(names - done):
                if name == target or name.startswith(("xl/drawings/", "xl/charts/")):
                    _scan_whole(archive, name, budget, held=True)
                    done.add(name)
        elif target in done:  # openpyxl would parse it whole in its other role as well
            raise budget.refuse(f"工作表“{title}”指向 {target}，它另有用途", sheet=title)
        elif target not in plans:
            plans[target] = _scan_sheet(archive, target, title, budget, max_rows, max_columns)
    return plans


# --- the small parts -------------------------------------------------------------


def _parse_small(archive: zipfile.ZipFile, name: str, budget: _Budget) -> Any:
    """Scan a part, then parse it with defusedxml; None when the package lacks it."""
    import defusedxml.ElementTree as SafeTree

    try:
        archive.getinfo(name)
    except KeyError:
        return None
    _scan_whole(archive, name, budget, held=True)
    try:
        return SafeTree.fromstring(archive.read(name))
    except Exception as error:  # ParseError, defusedxml's refusals, zlib and CRC errors
        raise UnsupportedFileError(
            f"工作簿已损坏：{name} 无法解析（{type(error).__name__}）", path=str(budget.path)
        ) from error


def _children(root: Any, local: str) -> Iterator[Any]:
    if root is None:
        return
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.rpartition("}")[2] == local:
            yield element


def _rels_path(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", f"{name}.rels")


def _target(rels_part: str, rel: Any) -> str:
    """A relationship's target as openpyxl resolves it (``get_dependents``)."""
    target = str(rel.get("Target", ""))
    if target.startswith("/"):
        return target[1:]
    parent = posixpath.split(posixpath.dirname(rels_part))[0]
    return posixpath.normpath(posixpath.join(parent, target))


# --- scanning ------------------------------------------------------------------------


def _segments(stream: IO[bytes]) -> Iterator[bytes]:
    """The part in pieces that never split a tag (a tag is only ever cut when it is
    longer than a piece, which no real part has)."""
    carry = b""
    while True:
        data = stream.read(_CHUNK)
        if not data:
            if carry:
                yield carry
            return
        buffer = carry + data
        cut = buffer.rfind(b"<")
        if cut < 0 or buffer.find(b">", cut) >= 0 or len(buffer) - cut > _CHUNK:
            cut = len(buffer)
        carry = buffer[cut:]
        yield buffer[:cut]


def _open(archive: zipfile.ZipFile, name: str, budget: _Budget) -> IO[bytes]:
    try:
        return archive.open(name)
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, ValueError, OSError) as error:
        raise UnsupportedFileError(
            f"工作簿已损坏：{name} 无法解压（{error}）", path=str(budget.path)
        ) from error


def _read_segments(archive: zipfile.ZipFile, name: str, budget: _Budget) -> Iterator[bytes]:
    with _open(archive, name, budget) as stream:
        try:
            yield from _segments(stream)
        except Exception as error:  # BadZipFile (CRC), EOFError, zlib.error on a damaged stream
            raise UnsupportedFileError(
                f"工作簿已损坏或被截断：{name} 无法解压（{type(error).__name__}）",
                path=str(budget.path),
            ) from error


def _refuse_dtd(segment: bytes, name: str, budget: _Budget, sheet: str | None = None) -> None:
    if _DTD.search(segment):
        raise UnsupportedFileError(
            f"工作簿的 {name} 含有 DOCTYPE/实体声明（可能是“XML 炸弹”），拒绝读取",
            path=str(budget.path),
            sheet=sheet,
        )


def _scan_whole(archive: zipfile.ZipFile, name: str, budget: _Budget, *, held: bool) -> None:
    """A part openpyxl parses whole: every tag counts, and (``held``) it keeps them all."""
    tags = 0
    for segment in _read_segments(archive, name, budget):
        _refuse_dtd(segment, name, budget)
        count = segment.count(b"<")
        tags += count
        budget.spend(count, len(segment), name)
        if held and tags > MAX_HELD_TAGS:
            raise budget.refuse(f"{name} 有超过 {MAX_HELD_TAGS} 个 XML 元素")


def _scan_sheet(
    archive: zipfile.ZipFile,
    name: str,
    title: str,
    budget: _Budget,
    max_rows: int,
    max_columns: int,
) -> WorksheetPlan:
    scan = _SheetScan(WorksheetPlan(title), budget, max_rows, max_columns)
    for segment in _read_segments(archive, name, budget):
        _refuse_dtd(segment, name, budget, title)
        scan.feed(segment)
    return scan.plan


class _SheetScan:
    """One worksheet part, segment by segment: what openpyxl parses of it, and its merges.

    openpyxl (read-only) parses the part up to the last row the reader takes, holding
    everything but the rows; when the part has no ``<dimension>`` before its rows,
    it parses all of ``sheetData`` whole just to size the sheet.
    """

    def __init__(
        self, plan: WorksheetPlan, budget: _Budget, max_rows: int, max_columns: int
    ) -> None:
        self.plan, self.budget = plan, budget
        self.max_rows, self.max_columns = max_rows, max_columns
        self.whole = False  # no <dimension>: all of sheetData is held at once
        self.state = _HEAD
        self.dimension = False
        self.held = 0  # tags held whole: outside the rows (all of them when ``whole``)
        self.row_tags = 0
        self.counter = 0  # openpyxl's row number for a <row> without r=
        self.seen = 0  # <row> elements taken so far
        self.area = 0  # cells covered by the merges kept
        self.merge_tags = 0
        self.beyond = False
        self.tags: tuple[re.Pattern[bytes], re.Pattern[bytes]] | None = None

    def feed(self, segment: bytes) -> None:
        position = 0
        if self.tags is None:
            root = _ROOT.search(segment)
            if root is None:
                self.count(segment.count(b"<"), len(segment))
                return
            self.tags = _tag_patterns(root[0])
            self.count(segment.count(b"<", 0, root.end()), root.end())
            position = root.end()
        sheet_tag, merge_tag = self.tags
        if self.beyond and not self.plan.cut and _VALUE.search(segment, position):
            self.plan.cut = True  # a row past the bound holds a value: not read
        while position < len(segment):
            pattern = merge_tag if self.state == _REST else sheet_tag
            match = pattern.search(segment, position)
            end = match.end() if match else len(segment)
            if self.state in (_DATA, _ROW) and segment.find(b"xmlns", position, end) >= 0:
                self.whole = True  # a namespace declared among the rows: count it all as held
            if self.state == _ROW and len(self.plan.uncached) < MAX_NOTED:
                found = _UNCACHED.findall(segment, position, end)
                self.plan.uncached += [ref.decode("ascii") for ref in found]
            self.count(segment.count(b"<", position, end), end - position)
            position = end
            if match:
                self.event(match[1] == b"/", match[2], match[3])

    def count(self, tags: int, size: int) -> None:
        if self.state == _REST:
            return  # never parsed: openpyxl is stopped before (or, sizing the sheet, after sheetData)
        self.budget.spend(tags, size, self.plan.name)
        if self.state == _ROW and not self.whole:
            self.row_tags += tags
            if self.row_tags > MAX_HELD_TAGS:
                raise self.refuse(f"第 {self.counter} 行有超过 {MAX_HELD_TAGS} 个 XML 元素")
        else:
            self.held += tags
            if self.held > MAX_HELD_TAGS and self.whole:
                raise self.refuse(
                    f"没有 dimension（尺寸）声明，且数据超过 {MAX_HELD_TAGS} 个 XML 元素"
                )
            if self.held > MAX_HELD_TAGS:
                raise self.refuse(f"行以外的内容（列宽、视图等）超过 {MAX_HELD_TAGS} 个 XML 元素")

    def event(self, closing: bool, tag: bytes, attributes: bytes) -> None:
        empty = attributes.rstrip().endswith(b"/")
        if tag == b"mergeCell":
            self.merge(attributes)
        elif tag == b"dimension":
            self.dimension = self.dimension or self.state == _HEAD
        elif tag == b"sheetData" and self.state != _REST:
            if closing or empty:
                self.state = _REST
            elif self.state == _HEAD:
                self.state = _DATA
                self.whole = self.whole or not self.dimension
        elif tag == b"row" and self.state in (_DATA, _ROW):
            if closing:
                self.state = _DATA
            else:
                self.row(attributes, empty)

    def row(self, attributes: bytes, empty: bool) -> None:
        found = _ROW_NUMBER.search(attributes)
        self.counter = _row_number(found[1], self) if found else self.counter + 1
        self.seen += 1
        if self.counter > self.max_rows or self.seen > self.max_rows:
            self.beyond = True  # rows past the bound: cut, if any of them holds a value
        if not self.whole and (self.counter > self.max_rows or self.seen > self.max_rows):
            self.state = _REST  # openpyxl is stopped before this row
            return
        if 1 <= self.counter <= self.max_rows:
            self.plan.rows = max(self.plan.rows, self.counter)
        self.state = _DATA if empty else _ROW
        self.row_tags = 0

    def merge(self, attributes: bytes) -> None:
        self.merge_tags += 1  # kept or not: each costs a step of this scan
        if self.merge_tags > MAX_HELD_TAGS:
            raise self.refuse(f"合并单元格超过 {MAX_HELD_TAGS} 处")
        found = _REF.search(attributes)
        if not found:
            return
        first_column, first_row, last_column, last_row = found.groups()
        top, left = int(first_row), _column(first_column)
        bottom = int(last_row) if last_row else top
        right = _column(last_column) if last_column else left
        top, bottom = sorted((top, bottom))
        left, right = sorted((left, right))
        if top > self.max_rows or left > self.max_columns or (top, left) == (bottom, right):
            return
        bottom, right = min(bottom, self.max_rows), min(right, self.max_columns)
        self.plan.merges.append((top, left, bottom, right))
        self.area += (bottom - top + 1) * (right - left + 1)
        if self.area > self.max_rows * self.max_columns:
            raise self.refuse("合并单元格区域大量重叠（Excel 不会生成这样的文件）")

    def refuse(self, message: str) -> UnsupportedFileError:
        return self.budget.refuse(message, sheet=self.plan.name)


def _tag_patterns(root: bytes) -> tuple[re.Pattern[bytes], re.Pattern[bytes]]:
    """The tags the scan follows, in the prefixes the root element binds to the
    spreadsheet namespace (the names openpyxl looks for); none when it binds none."""
    prefixes = sorted({m[1] or b"" for m in _MAIN_PREFIX.finditer(root)})
    if not prefixes:
        never = re.compile(rb"(?!)()()()")
        return never, never
    name = b"(?:" + b"|".join(re.escape(p) + b":" if p else b"" for p in prefixes) + b")"
    return (
        re.compile(rb"<(/?)" + name + rb"(dimension|sheetData|row|mergeCell)\b([^<>]*)>"),
        re.compile(rb"<()" + name + rb"(mergeCell)\b([^<>]*)>"),
    )


def _row_number(text: bytes, scan: _SheetScan) -> int:
    """A row's r= as openpyxl reads it: an integer, or a float that is one."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        number = 0.5
    if not number.is_integer():
        shown = " ".join(text.decode("utf-8", "replace").split())[:20]
        raise scan.refuse(f"行号“{shown}”无效")
    return int(number)


def _column(letters: bytes) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + letter - ord("A") + 1
    return number
