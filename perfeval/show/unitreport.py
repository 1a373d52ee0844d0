"""复核报告: a unit's review report as a Word document, what a review firm hands to a finance
bureau.

One ``.docx`` per 预算单位, in ``复核报告/`` beside ``index.html`` (each linked from the
index's units table), made from the portfolio's rows — the same figures the index and
``summary.xlsx`` show, a project sent twice counted once:

1. the unit, the number of projects, their self and reviewed grades and how far the
   self-scores sit above the reviewed ones;
2. 一、复核结果汇总 — a table: 项目名称 | 自评得分 | 复核得分 | 偏差 | 主要偏差原因
   (偏差 = 自评 − 复核 with 偏离度; the reasons are a 合计 the rows do not add up to
   and the adjustments that moved most points, each with the reviewer's reason);
3. 二、各项目复核结论 — each project's conclusion: the three totals and grades, the
   review status and who reviewed, the findings by severity, every adjustment that moved
   a score and why, the 复核意见; a project that could not be reviewed says why;
4. lines for the reviewer and the lead to sign.

Set on A4 in 宋体 (headings 黑体), named for East Asian text as Word needs them, so it opens
in Chinese on any machine. Form text is text: characters XML cannot carry are dropped,
nothing becomes a field or a formula, and a unit's name only ever becomes one safe file
name (``report_name``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import fmt
from ..atomic import write_atomic
from ..findings import counts_text
from ..names import inside, safe_name
from ..review.portfolio import (
    NO_UNIT,
    RUN_STATES,
    PortfolioRow,
    grades_text,
    href,
    unit_summaries,
)
from ..stamp import now, office_bytes

if TYPE_CHECKING:
    from docx.document import Document

__all__ = [
    "REPORTS_DIR",
    "STYLES",
    "SUMMARY_HEADINGS",
    "TABLE_STYLE",
    "report_href",
    "report_name",
    "write_unit_reports",
]

REPORTS_DIR = "复核报告"
SUMMARY_HEADINGS = ("项目名称", "自评得分", "复核得分", "偏差", "主要偏差原因")
BODY_FONT, HEADING_FONT = "宋体", "黑体"
TABLE_STYLE = "表格文字"


def report_name(unit: str) -> str:
    """The report's file name: the unit's name made safe, and a hash of the whole name so
    two units whose safe names coincide never share a file."""
    digest = hashlib.sha256(unit.encode("utf-8")).hexdigest()[:6]
    return f"{safe_name(unit, 40, 120) or '未填单位'}-{digest}.docx"


def report_href(unit: str) -> str:
    """The link from ``index.html`` to the unit's report."""
    return href(REPORTS_DIR, report_name(unit))


def _text(value: object) -> str:
    return fmt.xml_text(str(value))


def _font(style: Any, name: str, size: float) -> None:
    """Set a style's font for Latin and East Asian text alike (Word picks the East Asian
    font for Chinese from ``w:eastAsia``, which python-docx's ``font.name`` does not set).
    The text itself sets no font: it takes its style's."""
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    style.font.name, style.font.size = name, Pt(size)
    style.font.color.rgb = RGBColor(0, 0, 0)  # headings print black, not the theme's blue
    style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


#: The styles the report uses, with their font and size in points.
STYLES = {
    "Normal": (BODY_FONT, 10.5),
    "Title": (HEADING_FONT, 16),
    "Heading 1": (HEADING_FONT, 13),
    "Heading 2": (HEADING_FONT, 11),
    TABLE_STYLE: (BODY_FONT, 9),
}


class _Writer:
    """Adds the report's parts to a document, each in its style. Styles are set by their id:
    python-docx looks a style's name up among all the styles each time, which was most of
    a report's cost."""

    def __init__(self, document: Document) -> None:
        self.document = document
        self._ids = {name: document.styles[name].style_id for name in STYLES}

    def paragraph(self, text: str, style: str = "Normal") -> None:
        paragraph = self.document.add_paragraph(_text(text))
        if style != "Normal":
            paragraph._p.style = self._ids[style]

    def heading(self, text: str, level: int) -> None:
        self.paragraph(text, "Title" if level == 0 else f"Heading {level}")

    def cell(self, cell: Any, text: str, *, bold: bool = False, right: bool = False) -> None:
        from docx.enum.text import WD_ALIGN_PARAGRAPH

        paragraph = cell.paragraphs[0]
        paragraph._p.style = self._ids[TABLE_STYLE]
        paragraph.add_run(_text(text)).bold = bold or None
        if right:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT


def _keep_whole(row: Any, *, heading: bool = False) -> None:
    """A table row never split across pages; the heading row repeated on each page."""
    from docx.oxml import OxmlElement

    properties = row._tr.get_or_add_trPr()
    properties.append(OxmlElement("w:cantSplit"))
    if heading:
        properties.append(OxmlElement("w:tblHeader"))


def _gap(row: PortfolioRow) -> str:
    f = row.figures
    if f is None:
        return "—"
    return f"{fmt.score(f.gap)} 分（{fmt.rate(f.deviation)}）"


def _reasons(row: PortfolioRow) -> str:
    f = row.figures
    if f is None:
        return f"未能复核：{row.error or RUN_STATES.get(row.state, row.state)}"
    return "；".join(f.deviation_reasons()) or ("无偏差" if f.gap == 0 else "—")


def _graded(total: Any, grade: str | None) -> str:
    return f"{fmt.score(total)} 分（{grade or '无等级'}）"


def _conclusion(out: _Writer, number: int, row: PortfolioRow) -> None:
    """One project's conclusion, as its review page opens."""
    out.heading(f"{number}. {row.name}", 2)
    if row.copies:
        sources = "、".join(copy.source for copy in row.copies)
        out.paragraph(f"{row.resubmission_note}：以 {row.source} 为准，另见 {sources}。")
    elif row.resubmission_note:
        out.paragraph(f"{row.resubmission_note}。")
    f = row.figures
    if f is None:
        out.paragraph(f"未能复核（{row.source}）：{row.error or '没有复核结果'}。")
        return
    out.paragraph(
        f"自评（填报）{_graded(f.declared, f.declared_grade)}，各项相加 "
        f"{_graded(f.computed, f.computed_grade)}，复核 {_graded(f.reviewed, f.reviewed_grade)}；"
        f"偏离度 {fmt.rate(f.deviation)}。复核状态：{f.status or '—'}。",
    )
    found = counts_text({"error": f.errors, "warning": f.warnings, "info": f.infos})
    out.paragraph(f"检查发现：{found or '未发现问题'}。")
    if f.total_mismatch:
        out.paragraph(f"{f.total_mismatch}，复核以各项相加为基础。")
    if f.moves:
        out.paragraph("改变得分的复核调整：")
        for number, move in enumerate(f.moves, start=1):  # numbered anew for each project
            out.paragraph(f"{number}. {move.text}")
    else:
        out.paragraph("复核未调整任何指标的得分。")
    if f.opinion:
        out.paragraph(f"复核意见：{f.opinion}")


def _set_up(document: Document, title: str) -> None:
    from docx.shared import Mm

    for section in document.sections:
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.left_margin = section.right_margin = Mm(25)
        section.top_margin = section.bottom_margin = Mm(20)
    from docx.enum.style import WD_STYLE_TYPE

    table = document.styles.add_style(TABLE_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    table.base_style = document.styles["Normal"]
    for name, (font, size) in STYLES.items():
        _font(document.styles[name], font, size)
    properties = document.core_properties
    properties.title, properties.author = fmt.property_text(title), "perfeval"
    moment = now().astimezone(UTC).replace(tzinfo=None)  # python-docx writes it as UTC
    properties.created = properties.modified = moment


def unit_report(unit: str, rows: list[PortfolioRow], generated_at: str = "") -> Document:
    """The 复核报告 of one unit's projects (``rows``: one per project, ``one_per_project``)."""
    import docx

    summary = unit_summaries(rows)[0]  # the rows are one unit's
    document = docx.Document()
    title = f"{unit}项目绩效自评复核报告" if unit != NO_UNIT else "项目绩效自评复核报告（未填单位）"
    _set_up(document, title)
    out = _Writer(document)
    out.heading(title, 0)
    copies = sum(len(row.copies) for row in rows)
    out.paragraph(
        f"本报告汇总预算单位“{unit}”{summary.projects} 个项目的绩效自评复核结果"
        + (f"（另有 {copies} 份重复报送，只计一次）" if copies else "")
        + f"。自评等级：{grades_text(summary.self_grades)}；复核等级："
        f"{grades_text(summary.reviewed_grades)}；自评 − 复核平均 {fmt.score(summary.gap_mean)} 分，"
        f"平均偏离度 {fmt.rate(summary.deviation_mean)}。"
        + (f"生成于 {generated_at}。" if generated_at else ""),
    )
    out.heading("一、复核结果汇总", 1)
    table = document.add_table(rows=1, cols=len(SUMMARY_HEADINGS))
    table.style = "Table Grid"
    for cell, heading in zip(table.rows[0].cells, SUMMARY_HEADINGS, strict=True):
        out.cell(cell, heading, bold=True)
    _keep_whole(table.rows[0], heading=True)
    for row in rows:
        f = row.figures
        line = table.add_row()
        _keep_whole(line)
        cells = line.cells
        out.cell(cells[0], "\n".join(filter(None, (row.name, row.resubmission_note))))
        out.cell(cells[1], fmt.score(f.self_total) if f else "—", right=True)
        out.cell(cells[2], fmt.score(f.reviewed) if f else "—", right=True)
        out.cell(cells[3], _gap(row), right=True)
        out.cell(cells[4], _reasons(row))
    out.paragraph(
        "自评得分以填报合计为准（未填合计时为各项相加）；偏差 = 自评 − 复核，括号内为偏离度。",
    )
    out.heading("二、各项目复核结论", 1)
    for number, row in enumerate(rows, start=1):
        _conclusion(out, number, row)
    out.heading("三、签署", 1)
    for line in ("复核人（签字）：____________　　日期：____________",
                 "审核人（签字）：____________　　日期：____________"):  # fmt: skip
        out.paragraph(line)
    return document


def write_unit_reports(
    rows: Iterable[PortfolioRow], out_dir: Path, generated_at: str = ""
) -> tuple[dict[str, Path], list[str]]:
    """A 复核报告 per unit in ``out_dir/复核报告/``, each written atomically, and the
    reports of units no longer in the run removed. Returns the reports written, by unit,
    and why python-docx refused the others (one line a unit; their old reports are gone
    too, so nothing stale is linked).

    Raises OSError when the folder cannot be made or a report cannot be written (the
    writing stops there)."""
    by_unit: dict[str, list[PortfolioRow]] = {}
    for row in rows:
        by_unit.setdefault(row.unit_name, []).append(row)
    folder = out_dir / REPORTS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    refused = []
    for unit, members in by_unit.items():
        path = inside(folder, report_name(unit))
        try:
            document = office_bytes(unit_report(unit, members, generated_at))
        except ValueError as error:  # python-docx's word for a value it cannot store
            refused.append(f"{folder}：单位“{unit[:40]}”的复核报告未能生成：{error}")
            continue
        write_atomic(path, document)
        written[unit] = path
    names = {path.name for path in written.values()}
    for old in folder.glob("*.docx"):  # a report from an earlier run, of a unit not in this one
        if old.name not in names:
            old.unlink()
    return written, refused
