"""Hostile files and a hostile disk: each file is refused fast with a clear message, or
read within bounded time and memory; the store never loses or misreports a save.

The bounds, all in ``perfeval.read.sheets`` and ``perfeval.read.xlsxscan`` (the README's
reliability section quotes them):

================================  ============  ================================================
bound                             value         what it stops
================================  ============  ================================================
``MAX_FILE_BYTES``                64 MB         any larger file, refused from its size (stat)
                                                before a byte is read
``MAX_TEXT_BYTES``                8 MB          a text export larger than this (up to 16× in memory)
``MAX_ZIP_MEMBERS``               10,000        a zip whose directory alone costs 100s of MB
                                                (read from the end record, before zipfile)
``MAX_UNPACKED_BYTES``            256 MB        zip bombs (sizes from the zip directory)
``MAX_SHEETS``                    200           sheets, counted from xl/workbook.xml before
                                                openpyxl parses any sheet
``MAX_ROWS`` × ``MAX_COLUMNS``    5000 × 200    the grid a sheet is read into; openpyxl is
                                                stopped after row 5000 and parses nothing after
``MAX_XML_TAGS``                  2,000,000     XML tags openpyxl may parse in one workbook
``MAX_XML_BYTES``                 64 MB         XML bytes openpyxl may parse in one workbook
``MAX_HELD_TAGS``                 100,000       tags in anything openpyxl holds whole: a part,
                                                a sheet outside its rows, one row; merged ranges
``MAX_XLS_CELLS``                 2,000,000     cell records xlrd may load from one .xls
DTD / entity declarations         refused       XML entity bombs and external entities (also
                                                refused by defusedxml inside openpyxl)
================================  ============  ================================================

Measured here (2 cores): every hostile file below is refused in well under a second or
read in a few seconds, with a peak resident size under 160 MB (the bound asserted is
300 MB, in a fresh subprocess, with a generous timeout instead of a timing assertion).
Before these bounds, a 2.5 MB workbook of a million styled empty rows took 35 s and
956 MB, a 15 MB one of styled empty cells 130 s and 2.8 GB, a 5 kB .xls with two cells
in opposite corners 536 MB, and a 64 MB text file 1.5 GB.
"""

from __future__ import annotations

import errno
import io
import json
import logging
import os
import re
import struct
import subprocess
import sys
import tracemalloc
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import formgen as fg
import openpyxl
import pytest

from perfeval import (
    AdjustmentError,
    AdjustmentStore,
    Evaluation,
    FormError,
    NoFormError,
    UnsupportedFileError,
    read_form,
    read_forms,
)
from perfeval.read import sheets, xlsxscan

ROOT = Path(__file__).resolve().parents[1]
MIB = 1 << 20
PEAK_MB = 300  # resident size a hostile file may cost, interpreter and imports included

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"


def content(evaluation: Evaluation) -> dict[str, Any]:
    data = evaluation.to_json()
    del data["source"]
    return data


@pytest.fixture(scope="module")
def seed() -> Evaluation:
    evaluations, _ = read_form(fg.SEED_TSV)
    return evaluations[0]


@pytest.fixture(scope="module")
def seed_package(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The members of the seed workbook (as ``formgen`` writes it), by name."""
    path = fg.write_xlsx(fg.seed_rows(), tmp_path_factory.mktemp("seed") / "seed.xlsx")
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    # The relationships prefix declared on the root, as Excel writes it (openpyxl on lxml
    # declares it on each <sheet>), so the tests can add sheets that use it.
    declaration = b' xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
    workbook = members["xl/workbook.xml"].replace(declaration, b"")
    members["xl/workbook.xml"] = workbook.replace(b"<workbook", b"<workbook" + declaration, 1)
    return members


SHEET = "xl/worksheets/sheet1.xml"


# --- building packages by hand -------------------------------------------------------


@dataclass
class Raw:
    """A member given as it is stored: deflated (or stored) bytes, with the size and
    CRC its headers declare — which a bomb makes tiny, and a liar makes wrong."""

    data: bytes
    size: int
    crc: int
    method: int = zipfile.ZIP_DEFLATED


Member = bytes | Raw | Iterable[bytes]


def write_zip(path: Path, members: dict[str, Member]) -> Path:
    """A zip written with ``zipfile`` (streamed for iterables), except ``Raw`` members,
    which are written by hand so their headers can say what we like."""
    if not any(isinstance(m, Raw) for m in members.values()):
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
            for name, member in members.items():
                if isinstance(member, bytes):
                    archive.writestr(name, member)
                else:
                    info = zipfile.ZipInfo(name)
                    info.compress_type = zipfile.ZIP_DEFLATED
                    info._compresslevel = 1  # zipfile's own knob for a streamed member
                    with archive.open(info, "w", force_zip64=True) as out:
                        for chunk in member:
                            out.write(chunk)
        return path
    body, central = bytearray(), bytearray()
    for name, member in members.items():
        if not isinstance(member, Raw):
            data = member if isinstance(member, bytes) else b"".join(member)
            squeeze = zlib.compressobj(6, zlib.DEFLATED, -15)
            member = Raw(squeeze.compress(data) + squeeze.flush(), len(data), zlib.crc32(data))
        encoded, offset = name.encode(), len(body)
        sizes = (member.crc, len(member.data), member.size, len(encoded))
        body += struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, member.method, 0, 33, *sizes, 0)
        body += encoded + member.data
        central += struct.pack(
            "<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, member.method, 0, 33, *sizes,
            0, 0, 0, 0, 0, offset,
        )  # fmt: skip
        central += encoded
    count = len(members)
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, count, count, len(central), len(body), 0)
    path.write_bytes(bytes(body + central + end))
    return path


def spaces(size: int) -> Raw:
    """``size`` spaces, deflated to about a thousandth: each MiB compresses to the same
    block after a full flush, so the block is made once and repeated."""
    squeeze = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = squeeze.compress(b" " * MIB) + squeeze.flush(zlib.Z_FULL_FLUSH)
    count, rest = divmod(size, MIB)
    tail = squeeze.compress(b" " * rest) + squeeze.flush()
    crc = 0
    for _ in range(count):
        crc = zlib.crc32(b" " * MIB, crc)
    return Raw(block * count + tail, size, zlib.crc32(b" " * rest, crc))


def package(
    seed_package: dict[str, bytes],
    path: Path,
    *,
    sheet: Member | None = None,
    more_sheets: Iterable[tuple[str, Member]] = (),
    replace: dict[str, Member] | None = None,
    extra: dict[str, Member] | None = None,
) -> Path:
    """The seed workbook, with its sheet XML replaced and more sheets appended."""
    members: dict[str, Member] = dict(seed_package)
    if sheet is not None:
        members[SHEET] = sheet
    added = list(more_sheets)
    if added:
        members["[Content_Types].xml"] = seed_package["[Content_Types].xml"].replace(
            b"</Types>",
            b"".join(
                f'<Override PartName="/xl/worksheets/extra{i}.xml" ContentType="{SHEET_TYPE}"/>'.encode()
                for i in range(len(added))
            )
            + b"</Types>",
        )
        members["xl/workbook.xml"] = seed_package["xl/workbook.xml"].replace(
            b"</sheets>",
            b"".join(
                f'<sheet name="{title}" sheetId="{i + 10}" r:id="rIdX{i}"/>'.encode()
                for i, (title, _) in enumerate(added)
            )
            + b"</sheets>",
        )
        members["xl/_rels/workbook.xml.rels"] = seed_package["xl/_rels/workbook.xml.rels"].replace(
            b"</Relationships>",
            b"".join(
                f'<Relationship Id="rIdX{i}" Type="{REL}/worksheet" Target="/xl/worksheets/extra{i}.xml"/>'.encode()
                for i in range(len(added))
            )
            + b"</Relationships>",
        )
        for i, (_, data) in enumerate(added):
            members[f"xl/worksheets/extra{i}.xml"] = data
    members.update(replace or {})
    members.update(extra or {})
    return write_zip(path, members)


def seed_sheet_with(
    seed_package: dict[str, bytes],
    rows: Callable[[], Iterator[bytes]] | None = None,
    dimension: str | None = "keep",
) -> Iterator[bytes]:
    """The seed's sheet XML streamed, with more rows before ``</sheetData>`` and its
    ``<dimension>`` replaced (``None``: removed)."""
    text = seed_package[SHEET]
    if dimension is None:
        text = re.sub(rb"<dimension [^>]*/>", b"", text)
    elif dimension != "keep":
        text = re.sub(rb'<dimension ref="[^"]*"', f'<dimension ref="{dimension}"'.encode(), text)
    head, tail = text.split(b"</sheetData>")
    yield head
    if rows is not None:
        yield from rows()
    yield b"</sheetData>" + tail


def rows_of(template: bytes, first: int, last: int) -> Callable[[], Iterator[bytes]]:
    """Rows ``first``..``last`` from a template with ``%(r)d`` in it, in 1 MB pieces."""

    def generate() -> Iterator[bytes]:
        batch = 20_000
        for start in range(first, last + 1, batch):
            numbers = range(start, min(start + batch, last + 1))
            yield b"".join(template % {b"r": r} for r in numbers)

    return generate


def sheet_xml(body: str, head: str = '<dimension ref="A1"/>', tail: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}">{head}'
        f"<sheetData>{body}</sheetData>{tail}</worksheet>"
    ).encode()


# --- measuring -----------------------------------------------------------------------

PROBE = """
import json, re, resource, sys, time
from pathlib import Path
from perfeval import read_forms

def peak_mb():
    # VmHWM starts afresh at exec; ru_maxrss on Linux carries the parent's peak over.
    try:
        status = Path("/proc/self/status").read_text()
        return int(re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1)) // 1024
    except (OSError, AttributeError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024

start = time.monotonic()
result = read_forms([Path(p) for p in sys.argv[1:]])
print(json.dumps({
    "evaluations": [
        {k: v for k, v in e.to_json().items() if k != "source"} for e in result.evaluations
    ],
    "sources": [str(e.source) for e in result.evaluations],
    "errors": [str(e) for e in result.errors],
    "seconds": round(time.monotonic() - start, 2),
    "peak_mb": peak_mb(),
}, default=str, ensure_ascii=False))
"""


def probe(*paths: Path, timeout: float = 120) -> dict[str, Any]:
    """``read_forms`` in a fresh process: what it read, and its peak resident size.
    The timeout is generous on purpose: it catches a hang, not a slow machine."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *map(str, paths)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report: dict[str, Any] = json.loads(done.stdout)
    print(f"{[p.name for p in paths]}: {report['seconds']} s, peak {report['peak_mb']} MB")
    assert report["peak_mb"] < PEAK_MB, report
    return report


def as_json(value: object) -> object:
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


def peak_of(action: Callable[[], object]) -> tuple[object, float]:
    """What an in-process action returns or raises, and the peak of Python memory (MB)."""
    tracemalloc.start()
    try:
        try:
            outcome: object = action()
        except Exception as error:
            outcome = error
        return outcome, tracemalloc.get_traced_memory()[1] / MIB
    finally:
        tracemalloc.stop()


def refused(path: Path, error_class: type[FormError] = UnsupportedFileError) -> FormError:
    """The one-line error reading ``path`` gives, as ``read_form`` and ``read_forms`` see it."""
    with pytest.raises(error_class) as caught:
        read_form(path)
    error = caught.value
    message = str(error)
    assert message.startswith(str(path)), message
    assert "\n" not in message and "Traceback" not in message
    result = read_forms([path])
    assert result.evaluations == [] and [str(e) for e in result.errors] == [message]
    return error


# --- XML parsing is defused ------------------------------------------------------------


def test_openpyxl_parses_with_defusedxml() -> None:
    import defusedxml.ElementTree
    from openpyxl.reader import strings
    from openpyxl.xml import functions

    assert openpyxl.xml.DEFUSEDXML is True
    assert functions.iterparse is defusedxml.ElementTree.iterparse
    assert strings.iterparse is defusedxml.ElementTree.iterparse
    if not openpyxl.xml.LXML:
        assert functions.fromstring is defusedxml.ElementTree.fromstring


LAUGHS = "".join(
    f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10 if n else "lol"}">' for n in range(10)
)  # &lol9; is 10**9 "lol"s: 3 GB if expanded
BOMB_DTD = f"<!DOCTYPE lolz [{LAUGHS}]>"
XXE_DTD = '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


def entity_sheet(dtd: str, entity: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{dtd}<worksheet xmlns="{MAIN}">'
        f'<dimension ref="A1"/><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&{entity};'
        "</t></is></c></row></sheetData></worksheet>"
    ).encode()


def bomb_members(seed_package: dict[str, bytes], where: str) -> dict[str, Member]:
    if where == "sheet":
        return {SHEET: entity_sheet(BOMB_DTD, "lol9")}
    if where == "external-entity":
        return {SHEET: entity_sheet(XXE_DTD, "xxe")}
    if where == "workbook":
        return {
            "xl/workbook.xml": seed_package["xl/workbook.xml"].replace(
                b"<workbook ", f"{BOMB_DTD}<workbook ".encode(), 1
            )
        }
    strings = f'<?xml version="1.0"?>{BOMB_DTD}<sst xmlns="{MAIN}"><si><t>&lol9;</t></si></sst>'
    return {
        "xl/sharedStrings.xml": strings.encode(),
        "[Content_Types].xml": seed_package["[Content_Types].xml"].replace(
            b"</Types>",
            b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
            b'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
        ),
    }


WHERE = ["sheet", "external-entity", "workbook", "shared-strings"]


@pytest.mark.parametrize("where", WHERE)
def test_entity_bombs_are_refused_not_expanded(
    tmp_path: Path, seed_package: dict[str, bytes], where: str
) -> None:
    path = package(seed_package, tmp_path / "bomb.xlsx", replace=bomb_members(seed_package, where))
    outcome, peak = peak_of(lambda: read_form(path))
    assert isinstance(outcome, UnsupportedFileError), outcome
    assert "XML 炸弹" in str(outcome) and "DOCTYPE" in str(outcome)
    assert peak < 20, f"{peak:.0f} MB: the entities were expanded"
    refused(path)


@pytest.mark.parametrize("where", WHERE)
def test_entity_bombs_are_refused_by_defusedxml_too(
    tmp_path: Path, seed_package: dict[str, bytes], monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """With perfeval's own scan blind to DTDs, openpyxl's defusedxml still refuses them."""
    monkeypatch.setattr(xlsxscan, "_DTD", re.compile(rb"(?!)"))
    path = package(seed_package, tmp_path / "bomb.xlsx", replace=bomb_members(seed_package, where))
    outcome, peak = peak_of(lambda: read_form(path))
    assert isinstance(outcome, UnsupportedFileError), outcome
    assert re.search(r"DTD|实体|Entities|Forbidden", str(outcome)), outcome
    assert peak < 20, f"{peak:.0f} MB: the entities were expanded"


# --- zip bombs and size ------------------------------------------------------------


def test_zip_bomb_is_refused_from_its_directory(
    tmp_path: Path, seed_package: dict[str, bytes]
) -> None:
    bomb = spaces(sheets.MAX_UNPACKED_BYTES + MIB)
    path = package(seed_package, tmp_path / "bomb.xlsx", sheet=bomb)
    assert path.stat().st_size < 400_000  # 257 MB of XML in under 400 kB
    outcome, peak = peak_of(lambda: read_form(path))
    assert isinstance(outcome, UnsupportedFileError)
    assert "解压后过大" in str(outcome) and "压缩炸弹" in str(outcome)
    assert peak < 10
    refused(path)


def test_zip_bomb_with_lying_sizes_is_not_inflated(
    tmp_path: Path, seed_package: dict[str, bytes]
) -> None:
    """Headers that claim 1 kB for 200 MB: zipfile stops at the claimed size."""
    bomb = spaces(200 * MIB)
    liar = Raw(bomb.data, 1000, bomb.crc)
    path = package(seed_package, tmp_path / "liar.xlsx", sheet=liar)
    outcome, peak = peak_of(lambda: read_form(path))
    assert isinstance(outcome, UnsupportedFileError), outcome
    assert peak < 10


def test_zip_of_many_members_is_refused_before_zipfile_reads_them(tmp_path: Path) -> None:
    members = {f"x/{n}": b"" for n in range(sheets.MAX_ZIP_MEMBERS + 1)}
    path = write_zip(tmp_path / "many.xlsx", {"xl/workbook.xml": b"<workbook/>", **members})
    error = refused(path)
    assert f"{sheets.MAX_ZIP_MEMBERS + 2} 个文件" in str(error)


@pytest.mark.parametrize(
    "start", [b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"\xef\xbb\xbf"]
)
def test_a_file_over_the_size_bound_is_refused_from_its_size(tmp_path: Path, start: bytes) -> None:
    """A sparse file: 64 MB on paper, nothing on disk; refused without being read."""
    path = tmp_path / "huge.xlsx"
    with path.open("wb") as out:
        out.write(start)
        out.truncate(sheets.MAX_FILE_BYTES + 1)
    outcome, peak = peak_of(lambda: read_form(path))
    assert isinstance(outcome, UnsupportedFileError)
    assert "文件过大（64.0 MB，上限 64 MB）" in str(outcome)
    assert peak < 1
    refused(path)


def test_a_50_mb_workbook_reads_without_loading_it_whole(
    tmp_path: Path, seed_package: dict[str, bytes], seed: Evaluation
) -> None:
    """Under the size bound: a form with a 50 MB picture beside it reads, in far less
    memory than the file (the picture is never unpacked)."""
    picture = os.urandom(MIB) * 50
    media = Raw(picture, len(picture), zlib.crc32(picture), zipfile.ZIP_STORED)
    path = package(seed_package, tmp_path / "big.xlsx", extra={"xl/media/image1.png": media})
    assert path.stat().st_size > 50 * MIB
    outcome, peak = peak_of(lambda: read_form(path))
    assert not isinstance(outcome, Exception), outcome
    assert isinstance(outcome, tuple)
    assert content(outcome[0][0]) == content(seed)
    assert peak < 20


def test_a_text_file_over_its_bound_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "export.txt"
    path.write_bytes(b"x" * (sheets.MAX_TEXT_BYTES + 1))
    assert "文本文件过大" in str(refused(path))


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("lines", b"ab\n" * (sheets.MAX_TEXT_BYTES // 3)),
        ("one-line-of-tabs", b"\t" * (sheets.MAX_TEXT_BYTES - 1) + b"\n"),
        ("wide-characters", "😀".encode() + "项目\t".encode() * (sheets.MAX_TEXT_BYTES // 8)),
    ],
)
def test_large_text_files_read_in_bounded_memory(tmp_path: Path, name: str, data: bytes) -> None:
    path = tmp_path / f"{name}.txt"
    path.write_bytes(data)
    outcome, peak = peak_of(lambda: read_form(path))
    assert isinstance(outcome, NoFormError), outcome
    assert peak < 20 * sheets.MAX_TEXT_BYTES / MIB, f"{peak:.0f} MB"  # measured: 16×


# --- files that lie about what they are ------------------------------------------------

LIARS: list[tuple[str, Callable[[Path], Path], type[FormError] | None]] = [
    ("xlsx-named-csv", lambda p: fg.write_xlsx(fg.seed_rows(), p.with_suffix(".csv")), None),
    ("xls-named-xlsm", lambda p: fg.write_xls(fg.seed_rows(), p.with_suffix(".xlsm")), None),
    ("utf16-tsv-named-xls", lambda p: fg.write_tsv(fg.seed_rows(), p.with_suffix(".xls"), "utf-16"), None),
    (
        "html-table-named-xls",  # what many systems "export to Excel"
        lambda p: _write(p.with_suffix(".xls"), "<html><table><tr><td>项目名称</td></tr></table></html>".encode()),
        NoFormError,
    ),
    ("pdf-named-xlsx", lambda p: _write(p.with_suffix(".xlsx"), b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + bytes(600)), UnsupportedFileError),
    ("docx-named-xlsx", lambda p: write_zip(p.with_suffix(".xlsx"), {"word/document.xml": b"<w/>"}), UnsupportedFileError),
]  # fmt: skip


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(("make", "error_class"), [v[1:] for v in LIARS], ids=[v[0] for v in LIARS])
def test_content_not_the_extension_decides(
    tmp_path: Path,
    seed: Evaluation,
    make: Callable[[Path], Path],
    error_class: type[FormError] | None,
) -> None:
    path = make(tmp_path / "form")
    if error_class is None:
        evaluations, _ = read_form(path)
        assert [content(e) for e in evaluations] == [content(seed)]
    else:
        refused(path, error_class)


# --- sheets, rows, cells ---------------------------------------------------------------


def test_thousands_of_sheets_are_refused_before_openpyxl_opens_the_workbook(
    tmp_path: Path, seed_package: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    many = b"".join(
        f'<sheet name="S{n}" sheetId="{n}" r:id="rId1"/>'.encode() for n in range(1, 5001)
    )
    workbook = re.sub(
        rb"<sheets>.*</sheets>", b"<sheets>" + many + b"</sheets>", seed_package["xl/workbook.xml"]
    )
    path = package(seed_package, tmp_path / "many.xlsx", replace={"xl/workbook.xml": workbook})

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("openpyxl opened a workbook that should have been refused")

    monkeypatch.setattr(openpyxl, "load_workbook", never)
    error = refused(path)
    assert f"5000 个工作表，超过上限 {sheets.MAX_SHEETS}" in str(error)


def test_an_xls_with_too_many_sheets_is_refused(tmp_path: Path) -> None:
    many = {f"S{n}": [["x"]] for n in range(sheets.MAX_SHEETS + 1)}
    path = fg.write_xls(many, tmp_path / "many.xls")
    assert f"超过上限 {sheets.MAX_SHEETS}" in str(refused(path))


STYLED_ROW = b'<row r="%(r)d" spans="1:7" s="1" customFormat="1" ht="15" customHeight="1"/>'
STYLED_CELLS = (
    b'<row r="%(r)d">'
    + b"".join(b'<c r="%s%%(r)d" s="1"/>' % c.encode() for c in "ABCDEFG")
    + b"</row>"
)
MILLION = 1_000_000

# id, more rows after the seed's 31, its <dimension>
MILLION_ROWS: list[tuple[str, Callable[[], Iterator[bytes]] | None, str | None]] = [
    ("empty-rows", rows_of(b'<row r="%(r)d"/>', 32, MILLION), "keep"),
    ("styled-empty-rows", rows_of(STYLED_ROW, 32, MILLION), "A1:G1000000"),
    ("styled-empty-cells", rows_of(STYLED_CELLS, 32, MILLION), "A1:G1000000"),
    ("dimension-says-a-million", None, "A1:G1000000"),
    ("one-cell-at-row-a-million", rows_of(b'<row r="%(r)d"><c r="G%(r)d" s="1"/></row>', MILLION, MILLION), "A1:G1000000"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("rows", "dimension"), [m[1:] for m in MILLION_ROWS], ids=[m[0] for m in MILLION_ROWS]
)
def test_a_million_rows_read_in_bounded_time_and_memory(
    tmp_path: Path,
    seed_package: dict[str, bytes],
    seed: Evaluation,
    rows: Callable[[], Iterator[bytes]] | None,
    dimension: str | None,
) -> None:
    """openpyxl's max_row says a million; the reader takes 5000 rows at most and stops
    openpyxl there (before: 35 s and 956 MB for styled rows, 130 s and 2.8 GB for cells)."""
    path = package(
        seed_package,
        tmp_path / "million.xlsx",
        sheet=seed_sheet_with(seed_package, rows, dimension),
    )
    report = probe(path)
    assert report["errors"] == []
    assert report["evaluations"] == [as_json(content(seed))]


def test_many_rows_without_a_dimension_are_refused(
    tmp_path: Path, seed_package: dict[str, bytes]
) -> None:
    """No <dimension>: openpyxl would parse the whole sheet just to size it."""
    rows = rows_of(STYLED_ROW, 32, 200_000)
    path = package(
        seed_package, tmp_path / "nodim.xlsx", sheet=seed_sheet_with(seed_package, rows, None)
    )
    error = refused(path)
    assert error.sheet == "自评表" and "dimension" in str(error)


def test_a_large_workbook_within_the_bounds_reads(
    tmp_path: Path, seed_package: dict[str, bytes], seed: Evaluation
) -> None:
    """A data sheet of 20,000 rows × 20 numbers beside the form: its first 5000 rows are
    read, the form is found, and the rest of the sheet is never parsed."""
    body = rows_of(
        b'<row r="%(r)d">' + b"".join(b"<c><v>%d</v></c>" % n for n in range(20)) + b"</row>",
        1,
        20_000,
    )
    data = sheet_xml("", head='<dimension ref="A1:T20000"/>').split(b"</sheetData>")
    data_sheet = [data[0], *body(), b"</sheetData>" + data[1]]
    path = package(seed_package, tmp_path / "large.xlsx", more_sheets=[("数据", data_sheet)])
    report = probe(path)
    assert report["evaluations"] == [as_json(content(seed))]
    grid = sheets.read_sheets(path)[1]
    assert len(grid.rows) == sheets.MAX_ROWS and len(grid.rows[0]) == 20


def test_a_row_of_too_many_cells_is_refused(tmp_path: Path, seed_package: dict[str, bytes]) -> None:
    giant = sheet_xml('<row r="1">' + "<c/>" * (xlsxscan.MAX_HELD_TAGS + 1) + "</row>")
    path = package(seed_package, tmp_path / "wide.xlsx", more_sheets=[("宽", giant)])
    outcome, peak = peak_of(lambda: read_form(path))
    assert isinstance(outcome, UnsupportedFileError)
    assert outcome.sheet == "宽" and "第 1 行" in str(outcome)
    assert peak < 20


def test_too_much_xml_outside_the_rows_is_refused(
    tmp_path: Path, seed_package: dict[str, bytes]
) -> None:
    cols = "<cols>" + '<col min="1" max="1" width="9"/>' * (xlsxscan.MAX_HELD_TAGS + 1) + "</cols>"
    path = package(
        seed_package,
        tmp_path / "cols.xlsx",
        more_sheets=[("列", sheet_xml("", head='<dimension ref="A1"/>' + cols))],
    )
    error = refused(path)
    assert error.sheet == "列" and "行以外" in str(error)


def test_too_many_shared_strings_are_refused(
    tmp_path: Path, seed_package: dict[str, bytes]
) -> None:
    strings = (
        f'<sst xmlns="{MAIN}">' + "<si><t>x</t></si>" * (xlsxscan.MAX_XML_TAGS // 4 + 1) + "</sst>"
    )
    members = bomb_members(seed_package, "shared-strings")
    members["xl/sharedStrings.xml"] = strings.encode()
    path = package(seed_package, tmp_path / "strings.xlsx", replace=members)
    assert "XML 元素超过" in str(refused(path))


def test_a_merge_over_the_whole_sheet_reads_quickly(
    tmp_path: Path, seed_package: dict[str, bytes], seed: Evaluation
) -> None:
    """A1:XFD1048576 is 17 billion cells; openpyxl's normal mode makes one object each."""
    whole = sheet_xml(
        '<row r="1"><c r="A1" t="inlineStr"><is><t>全表</t></is></c></row>',
        tail='<mergeCells count="1"><mergeCell ref="A1:XFD1048576"/></mergeCells>',
    )
    path = package(seed_package, tmp_path / "merged.xlsx", more_sheets=[("合并", whole)])
    report = probe(path, timeout=60)
    assert report["evaluations"] == [as_json(content(seed))]
    grid = sheets.read_sheets(path)[1]
    assert (len(grid.rows), len(grid.rows[0])) == (1, sheets.MAX_COLUMNS)
    assert {cell.value for cell in grid.rows[0]} == {"全表"}


def test_overlapping_merges_are_refused(tmp_path: Path, seed_package: dict[str, bytes]) -> None:
    """A thousand merges of the whole grid would take a billion steps to fill."""
    overlapping = sheet_xml(
        "", tail="<mergeCells>" + '<mergeCell ref="A1:GR5000"/>' * 1000 + "</mergeCells>"
    )
    path = package(seed_package, tmp_path / "overlap.xlsx", more_sheets=[("重叠", overlapping)])
    assert "重叠" in str(refused(path))


def test_an_xls_with_cells_in_opposite_corners_reads_in_bounded_memory(
    tmp_path: Path, seed: Evaluation
) -> None:
    """A1 and IV65536: before ``ragged_rows``, xlrd padded 65,536 rows to 256 cells each."""
    corners: fg.Rows = [["x"], *([[]] * 65534), [*[""] * 255, "y"]]
    path = fg.write_xls({"自评表": fg.seed_rows(), "角落": corners}, tmp_path / "corners.xls")
    assert path.stat().st_size < 100_000
    report = probe(path)
    assert report["evaluations"] == [as_json(content(seed))]


def test_an_xls_with_too_many_cells_is_refused_before_xlrd_loads_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import xlwt

    workbook = xlwt.Workbook()
    worksheet = workbook.add_sheet("S")
    style = xlwt.easyxf("pattern: pattern solid, fore_colour yellow")
    for r in range(100):
        row = worksheet.row(r)
        for c in range(50):
            row.set_cell_blank(c, style)  # MULBLANK records: 5000 styled empty cells
    path = tmp_path / "blank.xls"
    workbook.save(str(path))
    monkeypatch.setattr(sheets, "MAX_XLS_CELLS", 4000)
    assert "单元格记录超过 4000 个" in str(refused(path))
    monkeypatch.setattr(sheets, "MAX_XLS_CELLS", 6000)
    refused(path, NoFormError)  # within the bound: read, and no form in it


# --- folders ----------------------------------------------------------------------------


def test_symlink_loops_end_and_each_form_is_read_once(tmp_path: Path, seed: Evaluation) -> None:
    folder = tmp_path / "unit"
    (folder / "sub" / "deeper").mkdir(parents=True)
    text = fg.write_tsv(fg.seed_rows(), folder / "a_form.txt")
    book = fg.write_xlsx(
        fg.set_cell(fg.seed_rows(), "项目名称", "B", "另一个项目"), folder / "sub" / "b_form.xlsx"
    )
    (folder / "sub" / "deeper" / "up").symlink_to(folder, target_is_directory=True)  # a loop
    (folder / "sub" / "here").symlink_to(".", target_is_directory=True)  # a loop of one
    (folder / "sibling").symlink_to(
        folder / "sub", target_is_directory=True
    )  # the same folder again
    (folder / "sub" / "alias.txt").symlink_to(text)  # the same form again
    (folder / "sub" / "dangling.csv").symlink_to(folder / "gone.csv")
    (folder / "ring1.txt").symlink_to(folder / "ring2.txt")
    (folder / "ring2.txt").symlink_to(folder / "ring1.txt")

    report = probe(folder, text, folder / "sibling", timeout=60)  # and given three times over
    found = sorted(Path(s.removesuffix(" [自评表]")).resolve() for s in report["sources"])
    assert found == sorted([text.resolve(), book.resolve()])
    assert [e["project"]["name"] for e in report["evaluations"]].count(seed.project.name) == 1
    errors = report["errors"]
    assert len(errors) == 3, errors
    assert any("dangling.csv" in e and "无法读取文件" in e for e in errors)
    assert sum("ring" in e and "无法读取文件" in e for e in errors) == 2


# --- a hostile disk under the store ---------------------------------------------------

REASON = "合计 96.00 与各行之和 89 相差 7，按合计推定政策知晓率自评 7 分"


@pytest.fixture
def saved(tmp_path: Path, seed: Evaluation) -> tuple[AdjustmentStore, Path, bytes]:
    """A store with one saved change, its file and the file's bytes."""
    store = AdjustmentStore(tmp_path / "params")
    store.adjust(seed, "政策知晓率", "7", REASON, "张三")
    path = store.path_for(seed)
    return store, path, path.read_bytes()


def oserror(code: int) -> OSError:
    return OSError(code, os.strerror(code))


class FullDiskFile(io.BytesIO):
    """What ``os.fdopen`` gives on a full disk: the bytes do not fit."""

    def __init__(self, fd: int, *args: object, **kwargs: object) -> None:
        super().__init__()
        os.close(fd)

    def write(self, data: Any) -> int:
        raise oserror(errno.ENOSPC)


def raising(code: int) -> Callable[..., Any]:
    def fail(*args: object, **kwargs: object) -> Any:
        raise oserror(code)

    return fail


FAULTS: list[tuple[str, str, Callable[..., Any], str]] = [
    ("disk-full-writing", "fdopen", FullDiskFile, "磁盘已满"),
    ("disk-full-creating-temp", "mkstemp", raising(errno.ENOSPC), "磁盘已满"),
    ("quota-exceeded", "mkstemp", raising(errno.EDQUOT), "磁盘已满"),
    ("read-only-filesystem", "mkstemp", raising(errno.EROFS), "写权限"),
    ("read-only-folder", "mkstemp", raising(errno.EACCES), "写权限"),
]


@pytest.mark.parametrize(
    ("target", "fault", "hint"), [f[1:] for f in FAULTS], ids=[f[0] for f in FAULTS]
)
def test_a_failed_save_says_why_and_keeps_the_old_file(
    saved: tuple[AdjustmentStore, Path, bytes],
    seed: Evaluation,
    monkeypatch: pytest.MonkeyPatch,
    target: str,
    fault: Callable[..., Any],
    hint: str,
) -> None:
    """Complements test_store's failing fsync and replace: the write itself, and the
    temp file that cannot be made (full disk, quota, read-only filesystem or folder)."""
    import tempfile

    store, path, before = saved
    monkeypatch.setattr(os if target == "fdopen" else tempfile, target, fault)
    with pytest.raises(AdjustmentError) as caught:
        store.adjust(seed, "预算执行率", "7", "分档重叠", "李四")
    monkeypatch.undo()
    message = str(caught.value)
    assert str(path) in message and "原文件未改动" in message and hint in message
    assert path.read_bytes() == before
    assert not list(store.folder.glob("*.tmp"))
    assert len(store.load(seed).history) == 1


def test_a_read_only_params_folder_is_refused_before_anything_is_written(
    saved: tuple[AdjustmentStore, Path, bytes], seed: Evaluation, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not even the lock file can be made; reading still works."""
    store, path, before = saved
    lock = store.folder / f".{seed.key}.lock"
    lock.unlink()

    def read_only(file: object, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if "r" not in mode:
            raise oserror(errno.EROFS)
        return open(file, mode, *args, **kwargs)

    def no_lock_file(path: Path, **_: Any) -> Any:
        raise oserror(errno.EROFS)

    monkeypatch.setattr("perfeval.review.store.open", read_only, raising=False)
    monkeypatch.setattr("perfeval.review.store.exclusive_lock", no_lock_file)
    assert len(store.load(seed).history) == 1
    with pytest.raises(AdjustmentError, match=r"无法写入复核调整文件夹.*Read-only file system"):
        store.set_opinion(seed, "意见", "李四")
    assert path.read_bytes() == before and not lock.exists()


def test_a_folder_that_cannot_be_synced_after_the_replace_is_saved_not_refused(
    saved: tuple[AdjustmentStore, Path, bytes],
    seed: Evaluation,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Once replaced, the change is what every reader sees: refusing it as "原文件未改动"
    would be false, and the retry would record the change twice."""
    store, path, before = saved
    real_fsync, calls = os.fsync, []

    def fsync(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 2:  # the folder's, after the file's
            raise oserror(errno.EIO)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    with caplog.at_level(logging.WARNING, logger="perfeval"):
        record = store.adjust(seed, "预算执行率", "7", "分档重叠", "李四")
    assert len(calls) == 2
    assert [c.reason for c in record.history] == [REASON, "分档重叠"]
    assert len(store.load(seed).history) == 2 and path.read_bytes() != before
    assert "断电可能丢失" in caplog.text
