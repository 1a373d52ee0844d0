"""Forms are hostile: what ``perfeval run`` and the review workbook make of them stays inert.

Every field a form carries (project, unit, department, the four narratives, the
category labels, indicator names, explanations, rules and remarks, and the grade)
is filled with markup and formulas: ``<script>``, an ``<img onerror>``, a
``javascript:`` link, CSS that would hide the page, Jinja ``{{ }}``, and the Excel
starts ``=``, ``+``, ``-``, ``@`` with DDE and ``HYPERLINK`` payloads. The file
name and the sheet name are hostile too (they become the notebook's parameters).

* review.html, index.html and the executed notebook's HTML outputs contain no tag,
  attribute or stylesheet that came from the form; the form's text shows verbatim;
* in a real, offline Chromium no script of the form runs and nothing is requested;
* review.xlsx and summary.xlsx have no formula, DDE or external link: every form
  string is a string cell, quote-prefixed where Excel would evaluate it;
* project names built to escape (``../``, ``/``, ``\\``, CON/NUL/COM1/LPT1, 300
  characters, leading dots, control characters, astral characters, the same name
  three times) give folders inside the output folder, one per form.

The first group runs the real notebook on two forms; the folder-name test runs the
stand-in notebook of ``test_batch.py``. Two workers.
"""

from __future__ import annotations

import ast
import os
import re
import unicodedata
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import formgen as fg
import nbformat
import openpyxl
import pytest
from browser_support import launch_browser, open_offline
from test_batch import standin_notebook

from outputs import project_folders
from perfeval import cli
from perfeval.model import Evaluation
from perfeval.names import MAX_NAME
from perfeval.read.forms import read_form
from perfeval.review.build import load_review
from perfeval.run.batch import RunOptions, run_batch
from perfeval.run.export import external_references
from perfeval.run.manifest import MANIFEST_NAME, Manifest
from perfeval.show.xlsx import write_review_workbook

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
REAL_NOTEBOOK = ROOT / "notebooks" / "review.ipynb"

EXCEL = (
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("http://evil.example/x","点我")',
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1,1)*cmd|' /C calc'!A0",
)
#: Header fields: label in the form, column of its value, and the model attribute.
HEADER = (
    ("项目名称", "B", "name"),
    ("预算单位", "G", "unit"),
    ("具体实施处", "B", "department"),
    ("项目年度总目标", "B", "goal"),
    ("主要绩效", "B", "performance"),
    ("主要问题", "B", "problems"),
    ("改进措施", "B", "measures"),
)
NARRATIVES = ("goal", "performance", "problems", "measures")
#: What a live payload would do; none of it may be seen.
PWNED = "__pwned"
JINJA = '{{ "jinja" ~ "已执行" }}{% if true %}{{ 7 * 191 }}{% endif %}'  # 1337 if evaluated
HOSTILE_FILE = 'a"; __import__("os").system("touch PWNED"); x="<b>\\'
HOSTILE_SHEET = """<i onclick="x">表"';x=1#"""  # Excel forbids / in sheet names
BOOK = "b_workbook.xlsx"
#: The tags perfeval's pages, charts and outputs are made of. Any other came from a form:
#: the payloads bring script, img, a, style, and the <b>/<i> of names and sheet names.
_PAGE_TAGS = """
    html head meta title style body main section header footer nav div h1 h2 h3 h4 p a
    table caption colgroup col thead tbody tfoot tr th td span strong em small code sup sub
    ol ul li dl dt dd br hr pre button label select option details summary figure figcaption input template mark
    svg g rect line polyline polygon path circle text tspan desc
"""
PAGE_TAGS = frozenset(_PAGE_TAGS.split())


def payload(field: str, index: int = 0) -> str:
    """Markup, script, CSS and Jinja, after an Excel formula start; ``field`` marks whose."""
    return (
        f"{EXCEL[index % len(EXCEL)]}【{field}】"
        f"<script>window.{PWNED}='{field}';document.title='pwned'</script>"
        f"<img src=x onerror=\"window.{PWNED}='{field}'\">"
        f"<a href=\"javascript:window.{PWNED}='{field}'\">点我</a>"
        "</style><style>body{display:none}</style>"
        f"{JINJA}"
    )


def hostile_rows() -> fg.Rows:
    """The seed with a payload in every field (narratives twice, so a check quotes them)."""
    rows = fg.seed_rows()
    for index, (label, column, attr) in enumerate(HEADER):
        text = payload(label, index)
        rows = fg.set_cell(rows, label, column, text * 2 if attr in NARRATIVES else text)
    rows = fg.set_cell(rows, "绩效等级", "B", EXCEL[0])
    header = fg.find_row(rows, "指标名称")
    total = fg.find_row(rows, "合计")
    for index, row in enumerate(rows[header + 1 : total]):
        if row[0]:  # the first row of a category: keep its points, so the groups hold
            points = re.search(r"\(\d+分\)$", " ".join(row[0].split()))
            row[0] = payload("一级指标", index) + (points[0] if points else "")
        row[1] = f"{payload('指标名称', index)}{row[1]}"
        row[2] = payload("指标解释", index + 1)
        row[4] = payload("评分规则", index + 2) + row[4]
        row[6] = payload("备注", index + 3)
    # An empty rule column with points in the explanation: a check quotes the explanation.
    first = rows[header + 1]
    first[2], first[4] = f"{first[2]}（5分）", ""
    return rows


def string_cells_xlsx(rows: fg.Rows, path: Path, sheet: str) -> Path:
    """The rows as a workbook whose texts are string cells (as Excel keeps ``'=…``)."""
    fg.write_xlsx(rows, path, sheet=sheet)
    workbook = openpyxl.load_workbook(path)
    for cells in workbook[sheet].iter_rows():
        for cell in cells:
            if cell.data_type == "f":  # openpyxl took a text starting with "=" for a formula
                cell.data_type = "s"
    # A real formula a sender's workbook might carry, outside the form's cells.
    workbook[sheet]["H1"] = '=HYPERLINK("http://evil.example/","点我")'
    workbook.save(path)
    return path


# --- what the pages and outputs are made of ---------------------------------------------


class Markup(HTMLParser):
    """A page's tags with their attributes, its script and style texts, and its text."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.code: list[tuple[str, str]] = []  # (script|style, text)
        self.texts: list[str] = []
        self._code: str | None = None
        self.feed(page)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {name: value or "" for name, value in attrs}))
        if tag in ("script", "style"):
            self._code = tag

    def handle_endtag(self, tag: str) -> None:
        if tag == self._code:
            self._code = None

    def handle_data(self, data: str) -> None:
        if self._code:
            self.code.append((self._code, data))
        else:
            self.texts.append(data)

    @property
    def text(self) -> str:
        return "".join(self.texts)


def live_markup(page: str, *, scripts: int = 0, own: frozenset[str] = frozenset()) -> list[str]:
    """What in ``page`` a browser would act on that perfeval did not write; [] when inert.

    ``scripts``: how many ``<script>`` elements the page has of its own; ``own``: more
    tags perfeval writes there. A form's text may sit in a ``data-`` or ``title``
    attribute (the index filters by unit), never in a link, a style or a handler.
    """
    markup = Markup(page)
    problems: list[str] = []
    for tag, attrs in markup.tags:
        if tag not in PAGE_TAGS | own and not (tag == "script" and scripts):
            problems.append(f"<{tag}>")
        for name, value in attrs.items():
            if name.startswith("on"):
                problems.append(f"<{tag} {name}=…>")
            if re.match(r"\s*(javascript|vbscript|data):", value, re.IGNORECASE):
                problems.append(f"<{tag} {name}={value[:40]!r}>")
            # A link's target is checked above; text may sit in data-, title, … attributes.
            inert = name.startswith("data-") or name in ("href", "title", "aria-label", "value")
            if not inert and (PWNED in value or "display:none" in value.replace(" ", "")):
                problems.append(f"<{tag} {name}={value[:40]!r}>")
    if sum(1 for tag, _ in markup.tags if tag == "script") > scripts:
        problems.append("more <script> elements than the page's own")
    for kind, text in markup.code:
        if PWNED in text or "body{display:none}" in text.replace(" ", ""):
            problems.append(f"<{kind}> with a form's text: {text[:60]!r}")
    if "jinja已执行" in markup.text or "1337" in markup.text:
        problems.append("a form's Jinja was evaluated")
    return problems


def evaluations(forms: Path) -> list[Evaluation]:
    found: list[Evaluation] = []
    for path in sorted(forms.iterdir()):
        found += read_form(path)[0]
    return found


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run of the real notebook over the hostile form, as text export and workbook."""
    root = tmp_path_factory.mktemp("hostile")
    forms = root / "forms"
    forms.mkdir()
    fg.write_tsv(hostile_rows(), forms / f"{HOSTILE_FILE}.txt")
    string_cells_xlsx(hostile_rows(), forms / BOOK, HOSTILE_SHEET)
    options = RunOptions(
        out_dir=root / "out", params_dir=root / "params", jobs=2, notebook=REAL_NOTEBOOK
    )
    report = run_batch([forms], options)
    assert report.count("done") == 2, report.summary_text()
    return root


def test_every_field_carries_its_payload(hostile: Path) -> None:
    for evaluation in evaluations(hostile / "forms"):
        project = evaluation.project
        for index, (label, _, attr) in enumerate(HEADER):
            text = payload(label, index)
            assert getattr(project, attr) == (text * 2 if attr in NARRATIVES else text)
        assert project.grade == EXCEL[0]
        for indicator in evaluation.indicators:
            assert indicator.name.startswith(EXCEL) and "<script>" in indicator.name
            category = indicator.category or ""  # read without its white space
            assert category.startswith(tuple("".join(start.split()) for start in EXCEL))
            assert "<script>" in category
            for text in (indicator.explanation, indicator.remark):
                assert text is not None and "<script>" in text
        first, *others = evaluation.indicators
        assert first.rule is None  # its explanation holds its rule
        assert all("<script>" in (indicator.rule or "") for indicator in others)
    for where in (hostile, Path.cwd(), REAL_NOTEBOOK.parent):  # the kernel's folder
        assert not (where / "PWNED").exists()


def review_pages(out: Path) -> list[Path]:
    pages = sorted(out.glob("*/review.html"))
    assert len(pages) == 2
    return pages


def test_review_pages_show_the_form_as_text(hostile: Path) -> None:
    for path in review_pages(hostile / "out"):
        page = path.read_text(encoding="utf-8")
        assert live_markup(page) == []
        assert external_references(page) == []  # the text of a link is not a link
        text = Markup(page).text
        # Shown verbatim: the project, unit, department, a narrative (quoted by the
        # repeated-text check), category labels, indicator names, rules, explanations.
        for label in ("项目名称", "预算单位", "具体实施处", "主要绩效", "主要问题", "改进措施"):
            index = next(i for i, (name, _, _) in enumerate(HEADER) if name == label)
            assert payload(label, index) in text, label
        assert payload("项目年度总目标", 3) in text
        for field in ("一级指标", "指标名称", "评分规则", "指标解释"):
            assert f"【{field}】<script>window.{PWNED}='{field}'" in text, field
        assert f"<title>{payload('项目名称')}" not in page  # the title is escaped too
        assert Markup(page).text.count(JINJA) >= 10


def test_the_units_own_account_shows_every_narrative_as_text(hostile: Path) -> None:
    for path in review_pages(hostile / "out"):
        page = path.read_text(encoding="utf-8")
        section = re.search(r'<section class="pe-narrative">.*?</section>', page, re.S)
        assert section is not None
        assert live_markup(section.group(0)) == []
        text = Markup(section.group(0)).text
        for index, (label, _, attr) in enumerate(HEADER):
            if attr in NARRATIVES:  # each written twice: as the form has it, whole
                assert payload(label, index) * 2 in text, label
        # The passage text.repeated quotes is marked, and stays text inside its mark.
        marks = re.findall(r'<mark class="pe-quoted"[^>]*>(.*?)</mark>', section.group(0), re.S)
        assert marks and all("<script>" not in mark and "&lt;script&gt;" in mark for mark in marks)


def docx_texts(path: Path) -> list[str]:
    import docx

    document = docx.Document(str(path))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return [paragraph.text for paragraph in document.paragraphs] + cells


def test_the_units_reports_carry_the_form_as_text(hostile: Path) -> None:
    folder = hostile / "out" / "复核报告"
    [report] = list(folder.iterdir())  # both forms are one unit's
    assert report.suffix == ".docx" and report.parent == folder
    assert report.name.startswith("=cmd") is False and "<" not in report.name
    with zipfile.ZipFile(report) as package:
        names = package.namelist()
        body = package.read("word/document.xml").decode("utf-8")
        relations = package.read("word/_rels/document.xml.rels").decode("utf-8")
    # No field, no hyperlink, no external relation, no macro: nothing Word would act on.
    for live in ("<w:fldSimple", "<w:instrText", "<w:hyperlink", "<w:fldChar"):
        assert live not in body, live
    assert 'TargetMode="External"' not in relations
    assert not any(name.endswith((".bin", "vbaProject.bin")) for name in names)
    texts = "\n".join(docx_texts(report))
    assert payload("项目名称") in texts and payload("预算单位", 1) in texts
    # The two files are one project sent twice: one row, flagged, counted once.
    assert "重复报送（2 份）" in texts and "2 个项目" not in texts
    index = (hostile / "out" / "index.html").read_text(encoding="utf-8")
    assert f'href="{quote("复核报告")}/{quote(report.name)}"' in index


def test_index_shows_the_form_as_text(hostile: Path) -> None:
    page = (hostile / "out" / "index.html").read_text(encoding="utf-8")
    assert live_markup(page, scripts=1) == []  # the sorter is the index's only script
    assert external_references(page) == []
    text = Markup(page).text
    assert text.count(payload("项目名称")) >= 2 and text.count(payload("预算单位", 1)) >= 2
    assert HOSTILE_FILE in text and HOSTILE_SHEET in text


def test_notebook_outputs_have_no_live_markup(hostile: Path) -> None:
    for path in sorted((hostile / "out").glob("*/review.ipynb")):
        nb = nbformat.read(path, as_version=4)
        assert not nb.metadata.papermill.get("exception")
        shown = 0
        for cell in nb.cells:
            for output in cell.get("outputs", []):
                html = output.get("data", {}).get("text/html")
                if html is not None:
                    assert live_markup(html) == [], (cell.source, live_markup(html))
                    shown += payload("项目名称") in Markup(html).text
        assert shown == 2  # the conclusion and the project card
        # The batch leaves the reviewer's panel for JupyterLab: no widget ran.
        assert "widgets" not in nb.metadata
        panel = [c for c in nb.cells if "interactive" in c.metadata.get("tags", [])]
        assert panel and all(not c.get("outputs") for c in panel if c.cell_type == "code")
        # The file and sheet names reached the kernel as string literals, nothing more.
        [injected] = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
        values = {}
        for node in ast.parse(injected.source).body:
            assert isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
            values[node.targets[0].id] = ast.literal_eval(node.value)
        assert values == dict(nb.metadata.papermill.parameters)
        assert values["sheet"] in (None, HOSTILE_SHEET)
        assert Path(values["form_path"]).name in (f"{HOSTILE_FILE}.txt", BOOK)


def html_widgets(widget: Any) -> list[str]:
    """The values of the HTML widgets under ``widget`` (JupyterLab renders them as HTML)."""
    import ipywidgets

    found = [widget.value] if isinstance(widget, ipywidgets.HTML) else []
    for child in getattr(widget, "children", ()):
        found += html_widgets(child)
    return found


def test_the_panel_shows_the_form_as_text(hostile: Path) -> None:
    from perfeval.review.build import open_review
    from perfeval.show.widgets import ReviewPanel

    review = open_review(hostile / "forms" / f"{HOSTILE_FILE}.txt", None, hostile / "params")
    panel = ReviewPanel(review, hostile / "params")
    values = []
    for _ in review.indicators:  # every indicator the panel can show
        values += html_widgets(panel.widget)
        panel.next.click()
    assert any(PWNED in value for value in values)
    for value in values:  # the panel's own markup: the total in bold, a rule
        assert live_markup(value, own=frozenset({"b", "hr"})) == [], value


def test_no_form_script_runs_in_a_browser(hostile: Path) -> None:
    out = hostile / "out"
    probe = """() => ({
        pwned: window.__pwned === undefined ? null : String(window.__pwned),
        title: document.title,
        hidden: getComputedStyle(document.body).display === "none",
        foreign: document.querySelectorAll(
            "img, iframe, object, embed, b, a[href^='javascript:' i], [onerror]").length,
        scripts: document.scripts.length,
    })"""
    with launch_browser() as browser:
        for path in review_pages(out):
            with open_offline(browser, path) as (page, requested):
                found = page.evaluate(probe)
                assert requested == []
                assert found == {
                    "pwned": None,
                    "title": f"{payload('项目名称')} - 绩效自评复核",
                    "hidden": False,
                    "foreign": 0,
                    "scripts": 0,
                }
                heading = page.locator(".pe-review h2").first  # the conclusion's, first
                assert heading.is_visible()
                assert heading.inner_text() == f"复核结论：{payload('项目名称')}"
                narrative = page.locator(".pe-narrative")  # the unit's own account, as text
                assert narrative.is_visible() and payload("主要问题", 5) in narrative.inner_text()
                assert page.locator("table.pe-scores").is_visible()
        with open_offline(browser, out / "index.html") as (page, requested):
            page.locator("#projects th button", has_text="项目名称").click()  # sorts: re-renders
            found = page.evaluate(probe)
            assert requested == [] and "pwned" not in found.pop("title")
            assert found == {"pwned": None, "hidden": False, "foreign": 0, "scripts": 1}
            link = page.locator("#projects tbody a", has_text="【项目名称】").first
            assert link.inner_text() == payload("项目名称")


# --- workbooks ------------------------------------------------------------------------


def assert_plain_workbook(path: Path, expected: list[str]) -> None:
    """No formula, DDE or external workbook anywhere, links only to files beside it;
    every form text a string cell, verbatim."""
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        assert not [n for n in names if "externalLink" in n or "connections" in n]
        for name in names:
            xml = archive.read(name).decode("utf-8")
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                assert not re.search(r"<f[ >/]", xml), f"{path.name}:{name} has a formula"
                assert "ddeLink" not in xml
            if name.startswith("xl/worksheets/_rels/"):
                links = re.findall(r'<Relationship [^>]*Type="[^"]*/hyperlink"[^>]*>', xml)
                for target in (re.sub(r'.*Target="([^"]*)".*', r"\1", link) for link in links):
                    linked = (path.parent / unquote(target)).resolve()
                    assert not re.match(r"[a-z][a-z0-9+.-]*:|/", target, re.IGNORECASE), target
                    assert linked.is_relative_to(path.parent.resolve()) and linked.is_file()
    workbook = openpyxl.load_workbook(path)  # formulas as written, not cached values
    seen: set[str] = set()
    for sheet in workbook.worksheets:
        for cells in sheet.iter_rows():
            for cell in cells:
                if isinstance(cell.value, str):
                    assert cell.data_type == "s", f"{sheet.title}!{cell.coordinate}"
                    seen.add(cell.value)
                    if cell.value.startswith(("=", "+", "-", "@")):
                        assert cell.quotePrefix, f"{sheet.title}!{cell.coordinate}"
    missing = [text for text in expected if not any(text in value for value in seen)]
    assert missing == []


def test_review_workbooks_are_plain_text(hostile: Path, tmp_path: Path) -> None:
    written = sorted((hostile / "out").glob("*/review.xlsx"))  # by the run, one a project
    assert len(written) == 2
    for evaluation in evaluations(hostile / "forms"):
        review = load_review(evaluation, hostile / "params")
        path = write_review_workbook(review, tmp_path / f"{Path(evaluation.source.path).stem}.xlsx")
        expected = [payload(label, index) for index, (label, _, _) in enumerate(HEADER)]
        expected += [i.name for i in evaluation.indicators] + [EXCEL[0]]
        expected += [i.category or "" for i in evaluation.indicators]
        expected += [i.remark or "" for i in evaluation.indicators]  # in 原表
        for book in (path, *written):
            assert_plain_workbook(book, expected if book == path else expected[:2])


def test_summary_workbook_is_plain_text(hostile: Path) -> None:
    path = hostile / "out" / "summary.xlsx"
    if not path.exists():
        pytest.skip("perfeval run does not write summary.xlsx yet: nothing to check")
    assert_plain_workbook(path, [payload("项目名称"), payload("预算单位", 1)])


# --- folder names -------------------------------------------------------------------

ESCAPING_NAMES = {
    "../../../../逃逸/../x": None,
    "/etc/passwd": None,
    "..\\..\\windows\\system32\\cmd": None,
    "CON": "CON",
    "NUL.txt": "NUL",
    "COM1": "COM1",
    "lpt1.tar.gz": "LPT1",
    "长" * 300: None,
    "...隐藏项目": None,
    "..": None,
    ".": None,
    "a\x01b\x1b[31mc\x7fd\u202ee\u200bf\ng\th": None,  # (a NUL makes the file binary)
    "𠜎" * 300: "𠜎" * 30,  # four UTF-8 bytes a character, in the unit too
}
SAME_NAME = "同名项目"
SAME_NAME_SCORES = ("7", "6", "5")  # 政策知晓率: the forms differ, so do their totals


def names_ok(name: str) -> list[str]:
    problems = []
    if len(name) > MAX_NAME or len(name.encode("utf-8")) > 255:
        problems.append("too long")
    if name.startswith(".") or name in ("", ".", ".."):
        problems.append("dot")
    if any(unicodedata.category(c).startswith("C") or c in '/\\:*?"<>|' for c in name):
        problems.append("character")
    if name.split(".")[0].upper() in {"CON", "PRN", "AUX", "NUL"} | {
        f"{p}{n}" for p in ("COM", "LPT") for n in range(10)
    }:
        problems.append("reserved")
    return problems


def test_project_names_cannot_leave_the_output_folder(tmp_path: Path) -> None:
    forms, out = tmp_path / "forms", tmp_path / "out"
    forms.mkdir()
    expected: dict[str, int] = {}  # form file → its 各项相加
    for number, (name, unit) in enumerate(ESCAPING_NAMES.items()):
        rows = fg.set_cell(fg.seed_rows(), "项目名称", "B", name)
        if unit is not None:
            rows = fg.set_cell(rows, "预算单位", "G", unit)
        fg.write_tsv(rows, forms / f"{number:02d}.txt")
        expected[f"{number:02d}.txt"] = 89
    for copy, score in enumerate(SAME_NAME_SCORES):
        rows = fg.set_cell(fg.seed_rows(), "项目名称", "B", SAME_NAME)
        fg.write_tsv(fg.set_cell(rows, "政策知晓率", "自评分", score), forms / f"same{copy}.txt")
        expected[f"same{copy}.txt"] = 89 + int(score)
    # The astral name twice: the second copy's folder gets a suffix on top of 255 bytes.
    (forms / "astral2.txt").write_bytes((forms / f"{len(ESCAPING_NAMES) - 1:02d}.txt").read_bytes())
    expected["astral2.txt"] = 89
    notebook = standin_notebook(tmp_path / "review.ipynb")
    around = sorted(os.listdir(tmp_path.parent))
    beside = sorted(os.listdir(tmp_path))

    code = cli.main(
        ["run", str(forms), "--out", str(out), "--params", str(tmp_path / "params"),
         "--jobs", "2", "--notebook", str(notebook)]
    )  # fmt: skip

    assert sorted(os.listdir(tmp_path.parent)) == around  # nothing written beside tmp_path
    assert set(os.listdir(tmp_path)) - set(beside) <= {"out", "params"}
    root = out.resolve()
    for dirpath, dirnames, filenames in os.walk(out, followlinks=False):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            assert not path.is_symlink(), path
            assert path.resolve().is_relative_to(root), path
    entries = Manifest.load(out / MANIFEST_NAME).projects
    failed = {k: v["error"] for k, v in entries.items() if v["result"] != "ok"}
    assert code == 0 and failed == {}
    folders = project_folders(out)
    assert len(folders) == len(expected) == len(entries)  # one folder a form, no collision
    assert {p.name: names_ok(p.name) for p in folders} == {p.name: [] for p in folders}
    computed = {}
    for folder in folders:
        entry = entries[folder.name]
        assert (folder / "review.ipynb").is_file()
        page = (folder / "review.html").read_text(encoding="utf-8")
        assert 'class="pe-scores"' in page and live_markup(page) == []
        computed[Path(entry["source"]).name] = entry["summary"]["computed"]
    assert computed == expected  # each folder holds its own form's review
    index = (out / "index.html").read_text(encoding="utf-8")
    assert live_markup(index, scripts=1) == []
    for folder in folders:
        assert f'href="{quote(folder.name)}/review.html"' in index
