"""Fuzzing the readers with hypothesis: the seed form mutated as text exports and as
workbooks. The only acceptable outcomes are a correct read or a ``FormError`` (a
``PerfevalError``) that names its file — and, for a bad cell, its sheet, row and column.
Never another exception, never a traceback, never a word printed.

The examples per test come from the hypothesis profile (``ci``: 60, derandomised;
``dev``: 300). ``benchmarks/fuzz_readers.py`` runs the same cases for longer and prints
how many were tried; this module prints its own count at the end.

The mutations: cells changed (numbers in every spelling, garbage, huge strings, control
characters, labels), rows dropped, duplicated, swapped and blanked, merges broken
(overlapping, outside the sheet, single cells), types swapped, files in mixed encodings
or with bytes flipped, and the sheet XML of a workbook edited tag by tag (row and cell
references, styles, types, shared-string indices, merges, truncation).
"""

from __future__ import annotations

import codecs
import re
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import formgen as fg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from perfeval import Evaluation, FormError, read_form, read_forms
from perfeval.read.district import TOTAL_LABELS
from perfeval.read.normalise import BLANK_MARKS, fold_text, label_key

Rows = fg.Rows

#: What the cases came to, by outcome: "read", or the error class (printed at the end).
OUTCOMES: Counter[str] = Counter()

WRITERS = ("tsv", "csv", "xlsx", "xls")
TABLE_COLUMNS = {"weight": 3, "self_score": 5, "remark": 6}  # 0-based: D, F, G
LABELS = ["权重", "自评分", "合计", "说明", "指标名称", "项目名称", "一级指标", "备注"]
# Characters a reviewer's file may carry: any of Unicode (Chinese, full-width forms, white
# space of every kind, controls, emoji beyond the BMP) but lone surrogates.
ALPHABET = st.characters(codec="utf-8", exclude_categories=["Cs"])


@pytest.fixture(scope="module", autouse=True)
def report_count(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    total = sum(OUTCOMES.values())
    detail = ", ".join(f"{name} {count}" for name, count in OUTCOMES.most_common())
    plugins = request.config.pluginmanager
    reporter, capture = plugins.get_plugin("terminalreporter"), plugins.get_plugin("capturemanager")
    if reporter is not None and capture is not None and total:
        with capture.global_and_fixture_disabled():
            reporter.write_line(f"\nfuzz_readers: {total} cases tried ({detail})")


class Context:
    """What every case needs: a folder to write in, the seed as read, the workbooks."""

    def __init__(self, folder: Path, seed: Evaluation, packages: list[Package]) -> None:
        self.folder, self.seed, self.packages = folder, seed, packages

    def __repr__(self) -> str:  # hypothesis prints it with a failing example: keep it short
        return f"Context({str(self.folder)!r})"

    @classmethod
    def make(cls, folder: Path) -> Context:
        evaluations, _ = read_form(fg.SEED_TSV)
        return cls(folder, evaluations[0], make_packages(folder))


@pytest.fixture(scope="module")
def context(tmp_path_factory: pytest.TempPathFactory) -> Context:
    return Context.make(tmp_path_factory.mktemp("fuzz"))


# --- the one check every case goes through ------------------------------------------


def outcome(path: Path) -> list[Evaluation] | FormError:
    """Read ``path``: the evaluations, or the FormError — which must name the file, fit
    on one line, and be what ``read_forms`` records too. Anything else fails the case."""
    try:
        evaluations, _ = read_form(path)
    except FormError as error:
        message = str(error)
        assert message.startswith(str(path)), message
        assert "\n" not in message and "Traceback" not in message, message
        assert error.path == str(path)
        result = read_forms([path])
        assert result.evaluations == [] and [str(e) for e in result.errors] == [message]
        OUTCOMES[type(error).__name__] += 1
        return error
    assert evaluations
    for evaluation in evaluations:
        assert evaluation.source.path == str(path)
        for indicator in evaluation.indicators:
            assert isinstance(indicator.weight, Decimal) and indicator.weight.is_finite()
            assert indicator.self_score is None or indicator.self_score.is_finite()
    OUTCOMES["read"] += 1
    return evaluations


def write(rows: Rows, path: Path, writer: str, merges: list[fg.Merge] | None = None) -> Path:
    if writer == "xlsx":
        return fg.write_xlsx(rows, path.with_suffix(".xlsx"), merges=merges)
    if writer == "xls":
        return fg.write_xls(rows, path.with_suffix(".xls"), merges=merges)
    return fg.write_tsv(rows, path.with_suffix(".txt"), delimiter="," if writer == "csv" else "\t")


def storable(text: str, writer: str) -> str:
    """Text as a writer can store it: XML 1.0 has no place for most control characters,
    and a BIFF string holds at most 32,767 characters (as an Excel cell does). The text
    writer quotes a cell with a line break, but not one with a bare carriage return
    (Excel quotes both): that one is written as a line break."""
    if writer in ("xlsx", "xls"):
        return re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", "", text)[:32767]
    return text.replace("\r", "\n")


# --- cell values ----------------------------------------------------------------------

spelled_numbers = st.tuples(
    st.decimals(min_value=0, max_value=100, places=2),
    st.sampled_from(["plain", "full-width", "points", "yuan-comma", "padded"]),
)


def spell(number: Decimal, how: str) -> str:
    text = f"{number:f}"
    if how == "full-width":
        return text.translate(str.maketrans("0123456789.", "０１２３４５６７８９．"))
    if how == "points":
        return text + "分"
    if how == "yuan-comma":
        return f"{number:,.2f}"
    if how == "padded":
        return f"  {text}\n"
    return text


garbage = st.one_of(
    st.text(ALPHABET, max_size=40),
    st.sampled_from(
        [
            "五",
            "NaN",
            "Infinity",
            "-inf",
            "1e5",
            "1,2,3",
            "１２%%",
            "--1",
            ".",
            "0x10",
            "七分",
            "满分",
        ]
    ),
    st.sampled_from(LABELS),
    st.integers(min_value=1, max_value=40_000).map(lambda n: "长" * n),  # huge strings
    st.binary(max_size=30).map(lambda b: b.decode("latin-1")),  # control characters
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
    st.floats().map(repr),
)


@dataclass
class RowEdit:
    """One change to the rows of a form (indices are taken modulo the row count)."""

    kind: str
    index: int
    other: int = 0
    column: int = 0
    value: str = ""

    def apply(self, rows: Rows) -> Rows:
        if not rows:
            return rows
        i, j = self.index % len(rows), self.other % len(rows)
        rows = [list(row) for row in rows]
        if self.kind == "drop":
            del rows[i]
        elif self.kind == "duplicate":
            rows.insert(i, list(rows[i]))
        elif self.kind == "swap":
            rows[i], rows[j] = rows[j], rows[i]
        elif self.kind == "blank":
            rows.insert(i, [])
        elif self.kind == "truncate":
            rows = rows[:i]
        elif self.kind == "cell":
            row = rows[i]
            row.extend([""] * (self.column + 1 - len(row)))
            row[self.column] = self.value
        return rows


row_edits = st.builds(
    RowEdit,
    kind=st.sampled_from(
        ["drop", "duplicate", "swap", "blank", "truncate", "cell", "cell", "cell"]
    ),
    index=st.integers(0, 60),
    other=st.integers(0, 60),
    column=st.integers(0, 9),
    value=garbage,
)

merges = st.lists(
    st.tuples(st.integers(1, 40), st.integers(1, 12), st.integers(1, 40), st.integers(1, 12)).map(
        lambda m: (min(m[0], m[2]), min(m[1], m[3]), max(m[0], m[2]), max(m[1], m[3]))
    ),
    max_size=6,
)


# --- text exports ---------------------------------------------------------------------

ENCODINGS = ["utf-8", "utf-8-sig", "gb18030", "utf-16", "mixed", "latin-1-tail"]


def encode(text: str, encoding: str) -> bytes:
    if encoding == "utf-8-sig":
        return codecs.BOM_UTF8 + text.encode("utf-8", "surrogatepass")
    if encoding == "mixed":  # the first half re-saved in one encoding, the rest in another
        half = len(text) // 2
        return text[:half].encode("utf-8", "replace") + text[half:].encode("gb18030", "replace")
    if encoding == "latin-1-tail":
        return text.encode("utf-8", "replace") + "Résumé\tÉté\n".encode("latin-1")
    return text.encode(encoding, "replace")


TEXT_EXPORTS = {
    "edits": st.lists(row_edits, max_size=5),
    "writer": st.sampled_from(["tsv", "csv"]),
    "encoding": st.sampled_from(ENCODINGS),
    "flips": st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=3),
}


def check_text_export(
    context: Context, edits: list[RowEdit], writer: str, encoding: str, flips: list[tuple[int, int]]
) -> None:
    rows = fg.seed_rows()
    for edit in edits:
        rows = edit.apply(rows)
    path = write(rows, context.folder / "text", writer)
    data = bytearray(encode(path.read_text(encoding="utf-8"), encoding))
    for position, byte in flips:
        if data:
            data[position % len(data)] = byte
    path.write_bytes(bytes(data))
    outcome(path)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(drawn=st.fixed_dictionaries(TEXT_EXPORTS))
def test_mutated_text_exports(context: Context, drawn: dict[str, Any]) -> None:
    check_text_export(context, **drawn)


# --- workbooks, cell by cell ----------------------------------------------------------


WORKBOOKS = {
    "edits": st.lists(row_edits, max_size=4),
    "writer": st.sampled_from(["xlsx", "xls"]),
    "broken": st.one_of(st.none(), merges),
    "formats": st.booleans(),
}


def check_workbook(
    context: Context,
    edits: list[RowEdit],
    writer: str,
    broken: list[fg.Merge] | None,
    formats: bool,
) -> None:
    """Rows dropped, duplicated and swapped, cells changed, merges broken (None: the
    seed's own merges), every cell stored as text or typed."""
    rows = fg.seed_rows()
    for edit in edits:
        rows = RowEdit(
            edit.kind, edit.index, edit.other, edit.column, storable(edit.value, writer)
        ).apply(rows)
    if not any(rows):
        rows = [["空"]]
    if writer == "xls" and broken:  # xlwt cannot write overlapping merges at all
        broken = [m for i, m in enumerate(broken) if not any(overlap(m, n) for n in broken[:i])]
    try:
        path = (fg.write_xlsx if writer == "xlsx" else fg.write_xls)(
            rows, context.folder / f"book.{writer}", merges=broken, formats=formats
        )
    except LookupError:
        return  # formgen needs an indicator table to work out the seed's merges
    outcome(path)


def overlap(a: fg.Merge, b: fg.Merge) -> bool:
    return not (a[2] < b[0] or b[2] < a[0] or a[3] < b[1] or b[3] < a[1])


@given(drawn=st.fixed_dictionaries(WORKBOOKS))
def test_mutated_workbooks(context: Context, drawn: dict[str, Any]) -> None:
    check_workbook(context, **drawn)


# --- correct reads --------------------------------------------------------------------


def table_row(rows: Rows, number: int) -> int:
    """0-based index of the ``number``-th indicator row (modulo the count)."""
    header = fg.find_row(rows, "指标名称")
    total = fg.find_row(rows, "合计")
    indicators = [i for i in range(header + 1, total) if rows[i][1].strip()]
    return indicators[number % len(indicators)]


SCORES = {
    "number": st.integers(0, 12),
    "spelled": spelled_numbers,
    "writer": st.sampled_from(WRITERS),
}


def check_score(context: Context, number: int, spelled: tuple[Decimal, str], writer: str) -> None:
    value, how = spelled
    rows = fg.seed_rows()
    index = table_row(rows, number)
    rows[index][TABLE_COLUMNS["self_score"]] = spell(value, how)
    read = outcome(write(rows, context.folder / "score", writer))
    assert not isinstance(read, FormError), read
    [evaluation] = read
    name = fold_text(rows[index][1])
    for indicator, before in zip(evaluation.indicators, context.seed.indicators, strict=True):
        if indicator.name == name:
            assert indicator.self_score == value, (spell(value, how), indicator.self_score)
        else:
            assert indicator == before


@given(drawn=st.fixed_dictionaries(SCORES))
def test_a_score_in_any_spelling_reads_exactly(context: Context, drawn: dict[str, Any]) -> None:
    check_score(context, **drawn)


def not_a_number(text: str) -> bool:
    """Text that is no number, no blank mark and no label that would end the table."""
    key = label_key(text)
    return key not in BLANK_MARKS and not any(label in key for label in TOTAL_LABELS)


BAD_NUMBERS = {
    "number": st.integers(0, 12),
    "column": st.sampled_from(["weight", "self_score"]),
    "text": st.one_of(
        st.sampled_from(["五", "七分", "满分", "1e5", "NaN", "1,2,3", "８.５.１", "--1", "0x10"]),
        st.text(st.characters(categories=["Lo"]), min_size=1, max_size=8).filter(not_a_number),
    ),
    "writer": st.sampled_from(WRITERS),
}


def check_bad_number(context: Context, number: int, column: str, text: str, writer: str) -> None:
    rows = fg.seed_rows()
    index = table_row(rows, number)
    rows[index][TABLE_COLUMNS[column]] = text
    path = write(rows, context.folder / "bad", writer)
    error = outcome(path)
    assert isinstance(error, FormError), f"{text!r} read as a number"
    where = (error.row, error.column, error.field)
    assert where == (
        index + 1,
        TABLE_COLUMNS[column] + 1,
        "权重" if column == "weight" else "自评分",
    )
    assert error.sheet == (None if writer in ("tsv", "csv") else "自评表")
    assert f"第{index + 1}行" in str(error)


@given(drawn=st.fixed_dictionaries(BAD_NUMBERS))
def test_a_bad_number_is_refused_at_its_cell(context: Context, drawn: dict[str, Any]) -> None:
    check_bad_number(context, **drawn)


REMARKS = {
    "number": st.integers(0, 12),
    "text": st.text(ALPHABET, max_size=300),
    "writer": st.sampled_from(WRITERS),
}


def check_remark(context: Context, number: int, text: str, writer: str) -> None:
    """Free text keeps its characters; only its white space is folded."""
    rows = fg.seed_rows()
    index = table_row(rows, number)
    remark = "注" + storable(text, writer)  # never a label such as 合计
    rows[index][TABLE_COLUMNS["remark"]] = remark
    read = outcome(write(rows, context.folder / "remark", writer))
    if isinstance(read, FormError):  # a NUL makes a text export binary; nothing else may
        assert writer in ("tsv", "csv") and "\x00" in remark, read
        return
    indicator = read[0].indicator(fold_text(rows[index][1]) or "")
    assert indicator is not None
    assert indicator.remark == fold_text(remark)


@given(drawn=st.fixed_dictionaries(REMARKS))
def test_a_remark_reads_as_written(context: Context, drawn: dict[str, Any]) -> None:
    check_remark(context, **drawn)


# --- sheet XML, tag by tag ------------------------------------------------------------


@dataclass
class Package:
    """A workbook as its members, with the first sheet's XML as text to edit."""

    members: dict[str, bytes]
    sheet: str = "xl/worksheets/sheet1.xml"
    notes: list[str] = field(default_factory=list)

    def write(self, path: Path, xml: bytes) -> Path:
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in self.members.items():
                archive.writestr(name, xml if name == self.sheet else data)
        return path


def shared_strings(members: dict[str, bytes]) -> dict[str, bytes]:
    """The same workbook with its inline strings moved to a shared-string table."""
    sheet = members["xl/worksheets/sheet1.xml"].decode()
    strings: list[str] = []

    def share(match: re.Match[str]) -> str:
        strings.append(match[2])
        return f'{match[1]} t="s"><v>{len(strings) - 1}</v></c>'

    sheet = re.sub(
        r'(<c r="[A-Z]+\d+"(?: s="\d+")?) t="inlineStr"><is><t>(.*?)</t></is></c>', share, sheet
    )
    table = "".join(f"<si><t>{s}</t></si>" for s in strings)
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
    changed = dict(members)
    changed["xl/worksheets/sheet1.xml"] = sheet.encode()
    changed["xl/sharedStrings.xml"] = f'<sst xmlns="{main}">{table}</sst>'.encode()
    changed["[Content_Types].xml"] = members["[Content_Types].xml"].replace(
        b"</Types>",
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="{kind}"/></Types>'.encode(),
    )
    changed["xl/_rels/workbook.xml.rels"] = members["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        f'<Relationship Id="rIdS" Type="{rel}" Target="sharedStrings.xml"/></Relationships>'.encode(),
    )
    return changed


def make_packages(folder: Path) -> list[Package]:
    """The seed as formgen writes it, as shipped, and with shared strings."""
    written = fg.write_xlsx(fg.seed_rows(), folder / "seed.xlsx")
    found = []
    for path in (written, fg.SEED_XLSX):
        with zipfile.ZipFile(path) as archive:
            found.append({n: archive.read(n) for n in archive.namelist()})
    return [Package(found[0]), Package(found[1]), Package(shared_strings(found[0]))]


XML_EDITS = {
    "row-number": (rb'(<row r=")(\d+)', lambda v: v),
    "cell-reference": (rb'(<c r=")([A-Z]+\d+)', lambda v: v),
    "style": (rb'(<c r="[A-Z]+\d+" s=")(\d+)', lambda v: v),
    "type": (rb'( t=")(\w+)', lambda v: v),
    "value": (rb"(<v>)([^<]*)", lambda v: v),
    "text": (rb"(<t>)([^<]*)", lambda v: v),
    "merge": (rb'(<mergeCell ref=")([^"]*)', lambda v: v),
    "dimension": (rb'(<dimension ref=")([^"]*)', lambda v: v),
}
xml_values = st.one_of(
    st.sampled_from(
        [
            b"0",
            b"-1",
            b"1048577",
            b"99999999999",
            b"2.5",
            b"",
            b"A",
            b"XFD1048576",
            b"ZZZZ1",
            b"A0",
            b"s",
            b"n",
            b"b",
            b"e",
            b"d",
            b"str",
            b"inlineStr",
            b"zzz",
            b"A1:XFD1048576",
            b"B2:A1",
            b"A1:A1",
            b"&#1;",
            b"&#xFFFF;",
            b"&amp;",
            b"&bogus;",
            b"1E+308",
            b"NaN",
        ]
    ),
    st.integers(-5, 10**7).map(lambda n: str(n).encode()),
    st.binary(max_size=12).map(lambda b: b.replace(b"<", b"").replace(b"&", b"")),
)
xml_edits = st.lists(
    st.one_of(
        st.tuples(st.sampled_from(sorted(XML_EDITS)), st.integers(0, 400), xml_values),
        st.tuples(st.sampled_from(["drop-element", "duplicate-row", "truncate"]), st.integers(0, 10**5), st.just(b"")),
    ),
    min_size=1,
    max_size=4,
)  # fmt: skip


def edit_xml(xml: bytes, kind: str, at: int, value: bytes) -> bytes:
    if kind == "truncate":
        return xml[: at % (len(xml) + 1)]
    if kind == "drop-element":
        cells = list(re.finditer(rb"<c [^>]*?(?:/>|>.*?</c>)", xml))
        if not cells:
            return xml
        cell = cells[at % len(cells)]
        return xml[: cell.start()] + xml[cell.end() :]
    if kind == "duplicate-row":
        rows = list(re.finditer(rb"<row [^>]*>.*?</row>", xml))
        if not rows:
            return xml
        row = rows[at % len(rows)]
        return xml[: row.end()] + row[0] + xml[row.end() :]
    pattern = XML_EDITS[kind][0]
    matches = list(re.finditer(pattern, xml))
    if not matches:
        return xml
    match = matches[at % len(matches)]
    return xml[: match.start(2)] + value + xml[match.end(2) :]


SHEET_XML = {"base": st.integers(0, 2), "edits": xml_edits}


def check_sheet_xml(context: Context, base: int, edits: list[tuple[str, int, bytes]]) -> None:
    package = context.packages[base]
    xml = package.members[package.sheet]
    for kind, at, value in edits:
        xml = edit_xml(xml, kind, at, value)
    outcome(package.write(context.folder / "edited.xlsx", xml))


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(drawn=st.fixed_dictionaries(SHEET_XML))
def test_edited_sheet_xml(context: Context, drawn: dict[str, Any]) -> None:
    check_sheet_xml(context, **drawn)


# --- what fuzzing found, kept as plain tests -----------------------------------------

MULTI_LINE_REMARKS = [
    ("commas-on-many-lines-in-tsv", "\t", "注" + ",\n" * 60),
    ("tabs-on-many-lines-in-csv", ",", "注" + "\t\n" * 60),
    ("quoted-commas-on-many-lines-in-tsv", "\t", '他说,"好",\n' * 40),
    ("quotes-and-tabs-in-csv", ",", '注"\t"\n,,' * 30),
    ("a-payload-of-quotes-in-tsv", "\t", 'a"; __import__("os"), x="<b>,\\'),
    ("only-quotes-then-commas-in-tsv", "\t", '"' * 50 + ",\n" * 50),
]


@pytest.mark.parametrize(
    ("delimiter", "remark"),
    [m[1:] for m in MULTI_LINE_REMARKS],
    ids=[m[0] for m in MULTI_LINE_REMARKS],
)
def test_a_cell_of_many_lines_does_not_change_the_delimiter(
    context: Context, delimiter: str, remark: str
) -> None:
    """The delimiter was guessed from lines, not records: a quoted cell of 60 lines with a
    comma each made a TSV export a one-column CSV, and the form unreadable."""
    rows = fg.seed_rows()
    index = table_row(rows, 0)
    rows[index][TABLE_COLUMNS["remark"]] = remark
    path = fg.write_tsv(rows, context.folder / "lines.txt", delimiter=delimiter)
    read = outcome(path)
    assert not isinstance(read, FormError), read
    indicator = read[0].indicator(fold_text(rows[index][1]) or "")
    assert indicator is not None and indicator.remark == fold_text(remark)


@pytest.mark.parametrize("text", ["1,2,3", "7,5", "12,34", "1,2345"])
def test_a_comma_off_the_thousands_places_is_not_a_number(context: Context, text: str) -> None:
    """ "1,2,3" read as 123 and "7,5" (a decimal comma) as 75: commas were dropped
    wherever they stood. Now only 1,234,567.89 is a number."""
    rows = fg.seed_rows()
    index = table_row(rows, 0)
    rows[index][TABLE_COLUMNS["weight"]] = text
    error = outcome(write(rows, context.folder / "comma", "tsv"))
    assert isinstance(error, FormError) and "千位分隔符" in str(error)
    assert (error.row, error.column) == (index + 1, TABLE_COLUMNS["weight"] + 1)


SHEET_XML_FOUND = [
    ("row-number-a-line-break", [("row-number", 0, b"\n")]),  # the message was two lines
    ("row-number-not-whole", [("row-number", 3, b"2.5")]),
    ("style-out-of-range", [("style", 1, b"500")]),
    ("cell-reference-past-xfd", [("cell-reference", 2, b"ZZZZ1")]),
    ("merge-over-everything", [("merge", 0, b"A1:XFD1048576")]),
]


@pytest.mark.parametrize(
    "edits", [f[1] for f in SHEET_XML_FOUND], ids=[f[0] for f in SHEET_XML_FOUND]
)
def test_sheet_xml_edits_found_by_fuzzing(
    context: Context, edits: list[tuple[str, int, bytes]]
) -> None:
    check_sheet_xml(context, 0, edits)


# --- nothing is printed -----------------------------------------------------------------


def test_fuzzing_prints_nothing(context: Context, capsys: pytest.CaptureFixture[str]) -> None:
    """A damaged workbook read again outside hypothesis: parsers stay silent."""
    package = context.packages[2]
    xml = edit_xml(package.members[package.sheet], "value", 3, b"99999")
    xml = edit_xml(xml, "style", 1, b"500")
    outcome(package.write(context.folder / "quiet.xlsx", xml))
    assert capsys.readouterr() == ("", "")


#: The cases by name, for ``benchmarks/fuzz_readers.py``: a check and what it draws.
CASES: dict[str, tuple[Callable[..., None], dict[str, Any]]] = {
    "text exports": (check_text_export, TEXT_EXPORTS),
    "workbooks": (check_workbook, WORKBOOKS),
    "scores": (check_score, SCORES),
    "bad numbers": (check_bad_number, BAD_NUMBERS),
    "remarks": (check_remark, REMARKS),
    "sheet xml": (check_sheet_xml, SHEET_XML),
}
