"""HTML fragments of a review: the project card, the score table, the findings by
severity and the totals, and the stylesheet they share.

The markup is in ``templates/review.html.j2``, rendered by Jinja2 with autoescaping:
forms are untrusted, and every string that comes from a form (names, remarks, rules,
the messages and evidence that quote them, the file name) is escaped there, so a remark
``<script>`` shows as text. The fragments are plain HTML tables and lists inside
``<div class="pe-review tex2jax_ignore mathjax_ignore">`` (never typeset as LaTeX in
JupyterLab), styled by ``stylesheet()``
(print-friendly, A4, no external fonts or files), so an executed notebook exported
by nbconvert opens offline and prints.

``html`` wraps fragments as an
``IPython.display.HTML`` output, so the notebook needs to import nothing but perfeval.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .. import fmt
from ..check.catalogue import catalogue
from ..check.narrative import NARRATIVE_FIELDS, NATIONAL_FIELD_LABELS
from ..exceptions import PerfevalError
from ..findings import SEVERITIES, SEVERITY_LABELS, Finding, counts_text
from ..model import BudgetBlock
from ..review.build import IndicatorReview, Review, Totals
from .labels import evidence_items, layout_label
from .templating import environment

if TYPE_CHECKING:
    from IPython.display import HTML

__all__ = [
    "adjustment_note",
    "conclusion_section",
    "finding_html",
    "findings_section",
    "history_section",
    "html",
    "live",
    "narrative_section",
    "project_card",
    "refresh",
    "score_table",
    "stylesheet",
    "totals_section",
]

FONT_STACK = '"Noto Sans CJK SC", "WenQuanYi Micro Hei", "Microsoft YaHei", sans-serif'
_STYLE = """
.pe-review.pe-review { font-family: FONTS; font-size: 10.5pt; line-height: 1.5; color: #1a1a1a;
  background: #fff; max-width: 1100px; }
.pe-review.pe-review h2 { font-size: 13pt; margin: 0.6em 0 0.3em; }
.pe-review.pe-review h3 { font-size: 11pt; margin: 0.8em 0 0.3em; padding-left: 6px; border-left: 4px solid #888; }
.pe-review.pe-review table { border-collapse: collapse; width: 100%; margin: 0.4em 0 0.8em; }
.pe-review.pe-review th, .pe-review.pe-review td { border: 1px solid #b5b5b5; padding: 3px 6px; text-align: left;
  vertical-align: top; overflow-wrap: anywhere; }
.pe-review.pe-review th { background: #eef1f5; font-weight: 600; white-space: nowrap; }
.pe-review.pe-review tbody tr, .pe-review.pe-review tbody tr:nth-child(odd), .pe-review.pe-review tbody tr:nth-child(even),
.pe-review.pe-review tbody tr:hover { background: transparent; }
.pe-review.pe-review td, .pe-review.pe-review th { line-height: 1.5; max-width: none; }
.pe-review.pe-review table.pe-scores { table-layout: fixed; }
.pe-review.pe-review table.pe-scores th { white-space: normal; }
.pe-review.pe-review .pe-num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.pe-review.pe-review .pe-muted { color: #666; font-size: 9pt; }
.pe-review.pe-review tr.pe-row-error td { background: #fdecea; }
.pe-review.pe-review tr.pe-row-warning td { background: #fff6dc; }
.pe-review.pe-review tr.pe-row-total td { font-weight: 700; border-top: 2px solid #555; }
.pe-review.pe-review .pe-changed { font-weight: 700; color: #0b4f8a; }
.pe-review.pe-review .pe-stale { color: #b3261e; }
.pe-review.pe-review .pe-badge { display: inline-block; padding: 0 4px; margin-right: 4px; border-radius: 3px;
  color: #fff; font-size: 8.5pt; white-space: nowrap; }
.pe-review.pe-review .pe-badge-error { background: #b3261e; }
.pe-review.pe-review .pe-badge-warning { background: #a15c00; }
.pe-review.pe-review .pe-badge-info { background: #1f5fa8; }
.pe-review.pe-review .pe-severity-error h3 { border-left-color: #b3261e; color: #b3261e; }
.pe-review.pe-review .pe-severity-warning h3 { border-left-color: #a15c00; color: #a15c00; }
.pe-review.pe-review .pe-severity-info h3 { border-left-color: #1f5fa8; color: #1f5fa8; }
.pe-review.pe-review ol.pe-findings { margin: 0.2em 0; padding-left: 1.8em; }
.pe-review.pe-review li.pe-finding { margin: 0.2em 0 0.6em; break-inside: avoid; page-break-inside: avoid; }
.pe-review.pe-review ul.pe-evidence { margin: 0.1em 0; padding-left: 1.2em; color: #444; font-size: 9pt; }
.pe-review.pe-review .pe-suggestion { color: #1d5e20; }
.pe-review.pe-review mark.pe-quoted { background: #fff0a8; padding: 0 1px; }
.pe-review.pe-review .pe-clamp { display: -webkit-box; -webkit-line-clamp: 2; line-clamp: 2;
  -webkit-box-orient: vertical; overflow: hidden; }
.pe-review.pe-review .pe-narrative p { white-space: pre-wrap; margin: 0.2em 0 0.6em; }
.pe-review.pe-review table.pe-signoff td { height: 2.4em; width: 30%; }
.pe-review.pe-review .pe-num .pe-muted { white-space: normal; }
@page { size: A4; margin: 15mm 12mm; }
@media print {
  .pe-review.pe-review { font-size: 9.5pt; max-width: none; }
  .pe-review.pe-review tr, .pe-review.pe-review li { break-inside: avoid; page-break-inside: avoid; }
  .pe-review.pe-review thead { display: table-header-group; }
  .pe-review.pe-review * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  .pe-review.pe-review .pe-clamp { overflow: hidden !important; }
  .pe-review.pe-review > p:first-child { break-after: avoid; page-break-after: avoid; }
  .pe-review.pe-review tr.pe-row-total { break-before: avoid; page-break-before: avoid; }
  .pe-review.pe-review:has(> table.pe-totals), .pe-review.pe-review .pe-history {
    break-inside: avoid; break-after: avoid; }
  .pe-review.pe-review mark.pe-quoted { text-decoration: underline 1.5px; text-underline-offset: 2px; }
  .pe-review.pe-review mark.pe-quoted::after { content: "［" attr(title) "］"; font-size: 8pt;
    color: #444; text-decoration: none; display: inline; }
  .pe-review.pe-review table.pe-signoff td { height: 3.2em; }
}
@media screen and (max-width: 640px) {
  .pe-review.pe-review:has(> table.pe-scores) { overflow-x: auto; }
  .pe-review.pe-review table.pe-scores { min-width: 800px; }
  .pe-review.pe-review table.pe-card th { white-space: normal; }
  .pe-review.pe-review table.pe-card td:not([colspan]) { overflow-wrap: break-word; }
}
""".replace("FONTS", FONT_STACK)
# Every rule names .pe-review twice: JupyterLab styles rendered tables with
# ":not(.jp-RenderedMarkdown).jp-RenderedHTMLCommon td" (right-aligned, striped rows), and
# only a selector as specific as that, and later, keeps the review's own layout there.


def stylesheet() -> str:
    """The inline ``<style>`` block every fragment relies on (no external fonts or files)."""
    return f"<style>{_STYLE}</style>"


def html(*fragments: str) -> HTML:
    """Fragments joined as one ``IPython.display.HTML`` output (what a notebook cell shows)."""
    from IPython.display import HTML

    return HTML("".join(fragments))


#: The notebook's live displays by fragment: (its display handle, the fragment, with the
#: stylesheet or not). A notebook run again replaces its own.
_LIVE: dict[str, tuple[Any, Callable[[Review], str], bool]] = {}


def live(review: Review, fragment: Callable[[Review], str], *, style: bool = False) -> None:
    """Show ``fragment(review)`` in the cell, where :func:`refresh` can redraw it in place
    (the reviewer's panel does after a save, so the tables never show an old review)."""
    from IPython.display import display

    handle = display(html(stylesheet() if style else "", fragment(review)), display_id=True)
    _LIVE[fragment.__name__] = (handle, fragment, style)


def refresh(review: Review) -> None:
    """Redraw every live display of this kernel with ``review``."""
    for handle, fragment, style in list(_LIVE.values()):
        handle.update(html(stylesheet() if style else "", fragment(review)))


# --- pieces ---------------------------------------------------------------------


def _check_title(check_id: str) -> str:
    try:
        return catalogue().get(check_id).title
    except PerfevalError:
        return check_id


@functools.cache
def _macros() -> Any:
    """The fragments' macros (``templates/review.html.j2``), loaded once."""
    helpers = {
        "severity_labels": SEVERITY_LABELS,
        "evidence_items": evidence_items,
        "check_title": _check_title,
        "score": fmt.score,
    }
    return environment.get_template("review.html.j2", globals=helpers).module


def finding_html(finding: Finding, *, place: bool = True) -> str:
    """One finding: severity, place, message, check, evidence and suggestion."""
    return str(_macros().finding(finding, place))


def adjustment_note(item: IndicatorReview) -> str:
    """The reviewer's reason, who and when, and a stale mark with its reason."""
    return str(_macros().adjustment_note(item))


# --- fragments ------------------------------------------------------------------


def project_card(review: Review) -> str:
    """The project: name, unit, year, budget, execution, grade, date, status and source."""
    evaluation = review.evaluation
    project = evaluation.project
    block = evaluation.budget_block or BudgetBlock()
    # The national form states its money in the 项目资金 block (全年预算数 is the budget).
    budget = project.budget if project.budget is not None else block.adjusted
    executed = project.executed if project.executed is not None else block.executed
    rate = project.execution_rate if project.execution_rate is not None else block.rate
    evaluated_on = project.evaluated_on.isoformat() if project.evaluated_on else None
    national = evaluation.format == "national"
    unit, department = ("主管部门", "实施单位") if national else ("预算单位", "实施科室")
    rows = [
        (unit, project.unit, "年度", evaluation.year),
        ("预算数（元）", fmt.money(budget), "执行数（元）", fmt.money(executed)),
        ("预算执行率", fmt.rate(rate), "自评等级", project.grade),
        (department, project.department, "自评时间", evaluated_on),
        ("复核状态", review.status, "表样", layout_label(evaluation.layout, evaluation.format)),
    ]
    title = project.name or "（未填项目名称）"
    return str(_macros().project_card(title, rows, evaluation.source.label))


def _category_runs(items: list[IndicatorReview]) -> list[int]:
    """For each row, how many rows its category cell spans (0: covered by the row above)."""
    spans = [0] * len(items)
    start = 0
    for index in range(1, len(items) + 1):
        if (
            index == len(items)
            or items[index].indicator.category != items[start].indicator.category
        ):
            spans[start] = index - start
            start = index
    return spans


def score_table(review: Review, totals: Totals | None = None) -> str:
    """Every indicator: its 评分规则 and 备注 (two lines, the whole text on hover; review.xlsx
    and 原表 keep it whole), the
    national form's 指标值 and 实际完成值 in columns of their own, weight, self-score,
    reviewed score, 偏离度, findings and reasons."""
    totals = totals or review.totals()
    items = review.indicators
    rows = [
        {
            "item": item,
            "span": span,
            "worst": item.worst,
            "points": fmt.score(item.indicator.category_points),
            "weight": fmt.score(item.indicator.weight),
            "self_score": fmt.score(item.indicator.self_score),
            "reviewed": fmt.score(item.reviewed_score),
            "changed": item.adjustment is not None
            and item.reviewed_score != item.indicator.self_score,
            "deviation": fmt.rate(item.deviation),
        }
        for item, span in zip(items, _category_runs(items), strict=True)
    ]
    block = review.evaluation.budget_block
    weights = sum((item.indicator.weight for item in items), Decimal(0))
    budget = None
    if block is not None and block.score is not None:
        weights += block.weight or Decimal(0)
        budget = {
            "rate": fmt.rate(block.rate),
            "weight": fmt.score(block.weight),
            "score": fmt.score(block.score),
        }
    declared = totals.declared
    total = {
        "weights": fmt.score(weights),
        "computed": fmt.score(totals.computed),
        "declared": fmt.score(declared)
        if declared is not None and declared != totals.computed
        else None,
        "reviewed": fmt.score(totals.reviewed),
        "deviation": fmt.rate(totals.deviation),
    }
    record = review.record
    orphaned = [(name, record.adjustments[name]) for name in record.orphaned]
    national = review.evaluation.format == "national"
    return str(_macros().score_table(rows, budget, total, orphaned, national))


def conclusion_section(review: Review) -> str:
    """复核结论, what a lead reads before signing: the project, the three totals and grades,
    the status, who reviewed and when, the findings by severity, and each adjustment that
    moved a score, with its reason."""
    totals, record = review.totals(), review.record
    moves = []
    for item in review.indicators:
        adjustment = item.adjustment
        if adjustment is not None and item.moved:
            before = fmt.score(item.indicator.self_score)
            moves.append((item.ref, before, fmt.score(adjustment.score), adjustment.reason,
                          f"{adjustment.reviewer}，{adjustment.at:%Y-%m-%d}"))  # fmt: skip
    people = dict.fromkeys(change.reviewer for change in review.history)
    last = review.history[-1].at if review.history else None
    if record.completed_by and record.completed_at:
        status = f"{record.status}（{record.completed_by}，{record.completed_at:%Y-%m-%d %H:%M}）"
    else:
        status = record.status
    counts = counts_text(review.counts())

    def graded(total: Decimal | None, grade: str | None) -> str:
        return f"{fmt.score(total)} 分（{grade or '无等级'}）"

    conclusion = {
        "title": review.evaluation.project.name or "（未填项目名称）",
        "unit": review.evaluation.project.unit,
        "status": status,
        "declared": graded(totals.declared, totals.declared_grade),
        "computed": graded(totals.computed, totals.computed_grade),
        "reviewed": graded(totals.reviewed, totals.reviewed_grade),
        "deviation": fmt.rate(totals.deviation),
        "reviewers": "、".join(people),
        "when": f"{last:%Y-%m-%d %H:%M}" if last else None,
        "counts": counts,
        "moves": moves,
        "opinion": record.opinion,
    }
    return str(_macros().conclusion_section(conclusion))


def narrative_section(review: Review) -> str:
    """The unit's own account, as written (its goal, results, problems and measures; the
    national form's 预期目标 and 实际完成情况, and 评价结论 where a variant has it), with the
    passages that findings quote marked."""
    project, national = review.evaluation.project, review.evaluation.format == "national"
    quoted: list[tuple[str, str]] = []  # (passage, the finding that quotes it)
    for finding in review.findings:
        passage = finding.evidence.get("quote") or finding.evidence.get("phrase")
        if finding.check in _QUOTING and isinstance(passage, str) and passage.strip():
            quoted.append((passage, finding.message))
    labels = {**NARRATIVE_FIELDS, **(NATIONAL_FIELD_LABELS if national else {})}
    if project.conclusion:
        labels = {**labels, "conclusion": "评价结论"}
    fields = [(label, _marked(getattr(project, attr), quoted)) for attr, label in labels.items()]
    return str(_macros().narrative_section(fields))


#: The checks whose findings quote the narrative (their passages are marked in it).
_QUOTING = ("fullmarks.contradicted", "text.repeated", "text.prompt")


def _marked(text: str | None, quoted: list[tuple[str, str]]) -> list[tuple[str, str | None]]:
    """``text`` cut into pieces, each quoted passage its own piece with the finding's message."""
    if not text:
        return []
    pieces: list[tuple[str, str | None]] = [(text, None)]
    for passage, note in quoted:
        cut: list[tuple[str, str | None]] = []
        for piece, marked in pieces:
            if marked is not None or passage not in piece:
                cut.append((piece, marked))
                continue
            before, _, after = piece.partition(passage)
            cut += [(before, None), (passage, note), (after, None)]
        pieces = [(piece, marked) for piece, marked in cut if piece]
    return pieces


def history_section(review: Review) -> str:
    """Every change of the review, oldest first (when, who, what, from → to, why, stale
    marks), and the sign-off lines a printed review is signed on."""
    record = review.record
    self_scores = {item.ref: item.indicator.self_score for item in review.indicators}
    changes = []
    for change in review.history:
        when = f"{change.at:%Y-%m-%d %H:%M}"
        if change.kind == "score":
            name = change.indicator or ""
            current = record.adjustments.get(name)
            stale = (
                current.stale_reason
                if current is not None and current.stale and current.at == change.at
                else None
            )
            # The first change of an indicator moves it from its self-score.
            before = (
                fmt.score(change.old)
                if change.old is not None or name not in self_scores
                else f"{fmt.score(self_scores[name])}（自评）"
            )
            move = f"{before} → {fmt.score(change.new)} 分"
            changes.append((when, change.reviewer, name, move, change.reason, stale))
        elif change.kind == "opinion":
            changes.append((when, change.reviewer, "复核意见", "修改", change.text, None))
        else:
            changes.append((when, change.reviewer, "复核状态", change.status or "", None, None))
    return str(_macros().history_section(changes))


def findings_section(findings: Iterable[Finding] | Review) -> str:
    """The findings grouped by severity, most serious first, each with evidence and suggestion."""
    found = list(findings.findings if isinstance(findings, Review) else findings)
    groups = [(s, [f for f in found if f.severity == s]) for s in SEVERITIES]
    return str(_macros().findings_section(found, groups))


def totals_section(review: Review, totals: Totals | None = None) -> str:
    """Totals and grades as declared, as the rows add up and as reviewed, with 偏离度."""
    totals = totals or review.totals()
    written = review.evaluation.project.grade
    shown = (
        written if written and totals.declared_grade and written != totals.declared_grade else None
    )
    rows = [
        ("自评填报", fmt.score(totals.declared), totals.declared_grade or written),
        ("各项自评分相加", fmt.score(totals.computed), totals.computed_grade),
        ("复核", fmt.score(totals.reviewed), totals.reviewed_grade),
    ]
    base = "填报合计" if totals.declared is not None else "各项相加"
    return str(
        _macros().totals_section(rows, shown, fmt.rate(totals.deviation), base, review.record)
    )
