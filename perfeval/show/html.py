"""HTML fragments of a review: the project card, the score table, the findings by
severity and the totals, and the stylesheet they share.

Forms are untrusted: every string that comes from a form (names, remarks, rules,
the messages and evidence that quote them, the file name) goes through
``html.escape``, so a remark ``<script>`` shows as text. The fragments are plain
HTML tables and lists inside ``<div class="pe-review tex2jax_ignore mathjax_ignore">``, styled by ``stylesheet()``
(print-friendly, A4, no external fonts or files), so an executed notebook exported
by nbconvert opens offline and prints.

``html`` wraps fragments as an
``IPython.display.HTML`` output, so the notebook needs to import nothing but perfeval.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from html import escape
from typing import TYPE_CHECKING

from .. import fmt
from ..check.catalogue import catalogue
from ..exceptions import PerfevalError
from ..findings import SEVERITIES, SEVERITY_LABELS, Finding
from ..model import BudgetBlock
from ..review.build import IndicatorReview, Review, Totals
from .labels import evidence_items, layout_label

if TYPE_CHECKING:
    from IPython.display import HTML

__all__ = [
    "adjustment_note",
    "finding_html",
    "findings_section",
    "html",
    "project_card",
    "score_table",
    "stylesheet",
    "totals_section",
]

FONT_STACK = '"Noto Sans CJK SC", "WenQuanYi Micro Hei", "Microsoft YaHei", sans-serif'
_STYLE = """
.pe-review { font-family: FONTS; font-size: 10.5pt; line-height: 1.5; color: #1a1a1a;
  background: #fff; max-width: 1100px; }
.pe-review h2 { font-size: 13pt; margin: 0.6em 0 0.3em; }
.pe-review h3 { font-size: 11pt; margin: 0.8em 0 0.3em; padding-left: 6px; border-left: 4px solid #888; }
.pe-review table { border-collapse: collapse; width: 100%; margin: 0.4em 0 0.8em; }
.pe-review th, .pe-review td { border: 1px solid #b5b5b5; padding: 3px 6px; text-align: left;
  vertical-align: top; overflow-wrap: anywhere; }
.pe-review th { background: #eef1f5; font-weight: 600; white-space: nowrap; }
.pe-review table.pe-scores { table-layout: fixed; }
.pe-review table.pe-scores th { white-space: normal; }
.pe-review .pe-num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.pe-review .pe-muted { color: #666; font-size: 9pt; }
.pe-review tr.pe-row-error td { background: #fdecea; }
.pe-review tr.pe-row-warning td { background: #fff6dc; }
.pe-review tr.pe-row-total td { font-weight: 700; border-top: 2px solid #555; }
.pe-review .pe-changed { font-weight: 700; color: #0b4f8a; }
.pe-review .pe-stale { color: #b3261e; }
.pe-review .pe-badge { display: inline-block; padding: 0 4px; margin-right: 4px; border-radius: 3px;
  color: #fff; font-size: 8.5pt; white-space: nowrap; }
.pe-review .pe-badge-error { background: #b3261e; }
.pe-review .pe-badge-warning { background: #a15c00; }
.pe-review .pe-badge-info { background: #1f5fa8; }
.pe-review .pe-severity-error h3 { border-left-color: #b3261e; color: #b3261e; }
.pe-review .pe-severity-warning h3 { border-left-color: #a15c00; color: #a15c00; }
.pe-review .pe-severity-info h3 { border-left-color: #1f5fa8; color: #1f5fa8; }
.pe-review ol.pe-findings { margin: 0.2em 0; padding-left: 1.8em; }
.pe-review li.pe-finding { margin: 0.2em 0 0.6em; break-inside: avoid; page-break-inside: avoid; }
.pe-review ul.pe-evidence { margin: 0.1em 0; padding-left: 1.2em; color: #444; font-size: 9pt; }
.pe-review .pe-suggestion { color: #1d5e20; }
@page { size: A4; margin: 15mm 12mm; }
@media print {
  .pe-review { font-size: 9.5pt; max-width: none; }
  .pe-review tr, .pe-review li { break-inside: avoid; page-break-inside: avoid; }
  .pe-review thead { display: table-header-group; }
  .pe-review * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
""".replace("FONTS", FONT_STACK)


def stylesheet() -> str:
    """The inline ``<style>`` block every fragment relies on (no external fonts or files)."""
    return f"<style>{_STYLE}</style>"


def html(*fragments: str) -> HTML:
    """Fragments joined as one ``IPython.display.HTML`` output (what a notebook cell shows)."""
    from IPython.display import HTML

    return HTML("".join(fragments))


# --- pieces ---------------------------------------------------------------------


def _text(value: object) -> str:
    """A form-derived value as escaped text; blank as '—'."""
    if value is None or value == "":
        return "—"
    return escape(str(value))


def _multiline(value: str | None) -> str:
    """Escaped text keeping the form's line breaks."""
    return "<br>".join(escape(line) for line in value.splitlines()) if value else "—"


def _wrap(*parts: str) -> str:
    return f'<div class="pe-review tex2jax_ignore mathjax_ignore">{"".join(parts)}</div>'


def _badge(severity: str) -> str:
    return f'<span class="pe-badge pe-badge-{severity}">{SEVERITY_LABELS[severity]}</span>'


def _check_title(check_id: str) -> str:
    try:
        return catalogue().get(check_id).title
    except PerfevalError:
        return check_id


def finding_html(finding: Finding, *, place: bool = True) -> str:
    """One finding: severity, place, message, check, evidence and suggestion."""
    head = _badge(finding.severity)
    if place:
        head += escape(finding.place) + " "
    head += escape(finding.message)
    check = f"{escape(_check_title(finding.check))} · {escape(finding.check)}"
    parts = [f'<div>{head} <span class="pe-muted">（{check}）</span></div>']
    if finding.evidence:
        items = "".join(
            f"<li>{escape(label)}：{escape(value)}</li>"
            for label, value in evidence_items(finding.evidence, finding.check)
        )
        parts.append(f'<ul class="pe-evidence">{items}</ul>')
    if finding.suggestion:
        parts.append(f'<div class="pe-suggestion">建议：{escape(finding.suggestion)}</div>')
    return "".join(parts)


def adjustment_note(item: IndicatorReview) -> str:
    """The reviewer's reason, who and when, and a stale mark with its reason."""
    adjustment = item.adjustment
    if adjustment is None:
        return ""
    note = (
        f"{_multiline(adjustment.reason)}"
        f'<div class="pe-muted">{escape(adjustment.reviewer)}，'
        f"{adjustment.at.strftime('%Y-%m-%d %H:%M')}</div>"
    )
    if adjustment.stale:
        note += f'<div class="pe-stale">⚠ 调整已过期：{escape(adjustment.stale_reason or "")}</div>'
    return note


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
        (unit, _text(project.unit), "年度", _text(evaluation.year)),
        ("预算数（元）", fmt.money(budget), "执行数（元）", fmt.money(executed)),
        ("预算执行率", fmt.rate(rate), "自评等级", _text(project.grade)),
        (department, _text(project.department), "自评时间", _text(evaluated_on)),
        (
            "复核状态",
            escape(review.status),
            "表样",
            escape(layout_label(evaluation.layout, evaluation.format)),
        ),
    ]
    body = "".join(
        f"<tr><th>{a}</th><td>{b}</td><th>{c}</th><td>{d}</td></tr>" for a, b, c, d in rows
    )
    body += f'<tr><th>来源文件</th><td colspan="3">{_text(evaluation.source)}</td></tr>'
    title = escape(project.name) if project.name else "（未填项目名称）"
    return _wrap(f"<h2>{title}</h2>", f'<table class="pe-card">{body}</table>')


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


def _indicator_cell(item: IndicatorReview) -> str:
    """The indicator's name; on the national form with its 二级指标, target and actual."""
    indicator = item.indicator
    cell = escape(indicator.name)
    if indicator.level2:
        cell = f'<span class="pe-muted">{escape(indicator.level2)} · </span>{cell}'
    if indicator.target is not None or indicator.actual is not None:
        target = indicator.target.text if indicator.target else None
        actual = indicator.actual.text if indicator.actual else None
        cell += f'<div class="pe-muted">指标值 {_text(target)}，完成 {_text(actual)}</div>'
    if indicator.deviation_reason:
        cell += f'<div class="pe-muted">偏差原因：{escape(indicator.deviation_reason)}</div>'
    return cell


def _category_label(item: IndicatorReview) -> str:
    indicator = item.indicator
    label = _text(indicator.category)
    if indicator.category_points is not None:
        label += f"（{fmt.score(indicator.category_points)}分）"
    return label


def score_table(review: Review, totals: Totals | None = None) -> str:
    """Every indicator: weight, self-score, reviewed score, 偏离度, findings and reasons."""
    totals = totals or review.totals()
    items = review.indicators
    head = (
        "<colgroup><col style='width:10%'><col style='width:17%'><col style='width:6%'>"
        "<col style='width:7%'><col style='width:7%'><col style='width:8%'>"
        "<col style='width:27%'><col style='width:18%'></colgroup>"
        "<thead><tr><th>一级指标</th><th>指标名称</th><th class='pe-num'>权重</th>"
        "<th class='pe-num'>自评分</th><th class='pe-num'>复核得分</th>"
        "<th class='pe-num'>偏离度</th><th>检查发现</th><th>调整理由</th></tr></thead>"
    )
    rows: list[str] = []
    for item, span in zip(items, _category_runs(items), strict=True):
        indicator = item.indicator
        worst = item.worst
        css = f' class="pe-row-{worst}"' if worst in ("error", "warning") else ""
        category = f'<td rowspan="{span}">{_category_label(item)}</td>' if span else ""
        changed = item.adjustment is not None and item.reviewed_score != indicator.self_score
        reviewed = fmt.score(item.reviewed_score)
        if changed:
            reviewed = f'<span class="pe-changed">{reviewed}</span>'
        found = "".join(
            f"<div>{_badge(f.severity)}{escape(f.message)}</div>" for f in item.findings
        )
        rows.append(
            f"<tr{css}>{category}<td>{_indicator_cell(item)}</td>"
            f"<td class='pe-num'>{fmt.score(indicator.weight)}</td>"
            f"<td class='pe-num'>{fmt.score(indicator.self_score)}</td>"
            f"<td class='pe-num'>{reviewed}</td>"
            f"<td class='pe-num'>{fmt.rate(item.deviation)}</td>"
            f"<td>{found}</td><td>{adjustment_note(item)}</td></tr>"
        )
    block = review.evaluation.budget_block
    weights = sum((item.indicator.weight for item in items), Decimal(0))
    if block is not None and block.score is not None:
        weights += block.weight or Decimal(0)
        rows.append(
            "<tr><td>项目资金</td><td>预算执行率（"
            f"{fmt.rate(block.rate)}）</td><td class='pe-num'>{fmt.score(block.weight)}</td>"
            f"<td class='pe-num'>{fmt.score(block.score)}</td>"
            f"<td class='pe-num'>{fmt.score(block.score)}</td><td class='pe-num'>—</td>"
            "<td></td><td></td></tr>"
        )
    declared = totals.declared
    self_total = fmt.score(totals.computed)
    if declared is not None and declared != totals.computed:
        self_total += f'<div class="pe-muted">填报 {fmt.score(declared)}</div>'
    rows.append(
        f"<tr class='pe-row-total'><td colspan='2'>合计</td>"
        f"<td class='pe-num'>{fmt.score(weights)}</td><td class='pe-num'>{self_total}</td>"
        f"<td class='pe-num'>{fmt.score(totals.reviewed)}</td>"
        f"<td class='pe-num'>{fmt.rate(totals.deviation)}</td><td></td><td></td></tr>"
    )
    table = f'<table class="pe-scores">{head}<tbody>{"".join(rows)}</tbody></table>'
    return _wrap(table, _orphaned(review))


def _orphaned(review: Review) -> str:
    record = review.record
    if not record.orphaned:
        return ""
    items = []
    for name in record.orphaned:
        adjustment = record.adjustments[name]
        items.append(
            f"<li>“{escape(name)}”：复核得分 {fmt.score(adjustment.score)} 分，"
            f"理由：{escape(adjustment.reason)}（{escape(adjustment.reviewer)}）</li>"
        )
    return (
        '<div class="pe-stale"><p>⚠ 以下调整所对应的指标已不在表中，保留备查，'
        "请核对指标是否改名：</p>"
        f"<ul>{''.join(items)}</ul></div>"
    )


def findings_section(findings: Iterable[Finding] | Review) -> str:
    """The findings grouped by severity, most serious first, each with evidence and suggestion."""
    found = list(findings.findings if isinstance(findings, Review) else findings)
    if not found:
        return _wrap("<p>未发现问题。</p>")
    parts: list[str] = []
    counts = {s: sum(1 for f in found if f.severity == s) for s in SEVERITIES}
    summary = "，".join(f"{SEVERITY_LABELS[s]} {counts[s]} 项" for s in SEVERITIES if counts[s])
    parts.append(f"<p>检查发现：{summary}。</p>")
    for severity in SEVERITIES:
        group = [f for f in found if f.severity == severity]
        if not group:
            continue
        items = "".join(f'<li class="pe-finding">{finding_html(f)}</li>' for f in group)
        parts.append(
            f'<section class="pe-severity pe-severity-{severity}">'
            f"<h3>{SEVERITY_LABELS[severity]}（{len(group)}）</h3>"
            f'<ol class="pe-findings">{items}</ol></section>'
        )
    return _wrap(*parts)


def totals_section(review: Review, totals: Totals | None = None) -> str:
    """Totals and grades as declared, as the rows add up and as reviewed, with 偏离度."""
    totals = totals or review.totals()
    written = review.evaluation.project.grade
    declared_grade = _text(totals.declared_grade or written)
    if written and totals.declared_grade and written != totals.declared_grade:
        declared_grade += f'<span class="pe-muted">（表中写作“{escape(written)}”）</span>'
    rows = [
        ("自评填报", fmt.score(totals.declared), declared_grade),
        ("各项自评分相加", fmt.score(totals.computed), _text(totals.computed_grade)),
        ("复核", fmt.score(totals.reviewed), _text(totals.reviewed_grade)),
    ]
    body = "".join(
        f"<tr><th>{label}</th><td class='pe-num'>{total}</td><td>{grade}</td></tr>"
        for label, total, grade in rows
    )
    base = "填报合计" if totals.declared is not None else "各项相加"
    body += (
        f"<tr><th>偏离度</th><td class='pe-num'>{fmt.rate(totals.deviation)}</td>"
        f'<td class="pe-muted">（自评 − 复核）/ 自评，自评取{base}</td></tr>'
    )
    table = (
        "<table class='pe-totals'><thead><tr><th>口径</th><th class='pe-num'>合计</th>"
        f"<th>等级</th></tr></thead><tbody>{body}</tbody></table>"
    )
    record = review.record
    status = f"复核状态：{escape(record.status)}"
    if record.completed_by and record.completed_at:
        status += (
            f"（{escape(record.completed_by)} 于 {record.completed_at.strftime('%Y-%m-%d %H:%M')}）"
        )
    opinion = f"<p>复核意见：{_multiline(record.opinion)}</p>"
    return _wrap(table, f"<p>{status}</p>", opinion)
