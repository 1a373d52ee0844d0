"""Plain-text reports for the terminal: findings grouped by severity, and the review table."""

from __future__ import annotations

from .. import fmt
from ..findings import SEVERITIES, SEVERITY_LABELS, Finding, counts_text
from ..review.build import Review
from .labels import layout_label

__all__ = ["check_text", "finding_lines", "findings_lines", "review_text"]


def finding_lines(finding: Finding) -> list[str]:
    lines = [f"  · {finding.place} {finding.message}（{finding.check}）"]
    if finding.suggestion:
        lines.append(f"      建议：{finding.suggestion}")
    return lines


def _heading(review: Review) -> list[str]:
    evaluation = review.evaluation
    project = evaluation.project
    totals = review.totals()
    return [
        f"━━ {project.name or '（未填项目名称）'}",
        f"   单位：{project.unit or '—'}    来源：{evaluation.source}",
        f"   表样：{layout_label(evaluation.layout, evaluation.format)}",
        f"   预算 {fmt.money(project.budget)} 元，执行 {fmt.money(project.executed)} 元，"
        f"执行率 {fmt.rate(project.execution_rate)}",
        f"   合计：填报 {fmt.score(totals.declared)} 分（自评等级 {project.grade or '—'}），"
        f"各项相加 {fmt.score(totals.computed)} 分（{totals.computed_grade or '—'}），"
        f"复核 {fmt.score(totals.reviewed)} 分（{totals.reviewed_grade or '—'}）",
    ]


def check_text(review: Review) -> str:
    """The findings of one form, most serious first."""
    return "\n".join([*_heading(review), *findings_lines(review)])


def findings_lines(review: Review) -> list[str]:
    """A count of the findings, then each one under its severity."""
    lines: list[str] = []
    counts = review.counts()
    if not review.findings:
        lines.append("   未发现问题。")
    else:
        lines.append(f"   检查发现：{counts_text(counts)}")
    for severity in SEVERITIES:
        group = [f for f in review.findings if f.severity == severity]
        if not group:
            continue
        lines.append(f"\n  {SEVERITY_LABELS[severity]}（{len(group)}）")
        for finding in group:
            lines.extend(finding_lines(finding))
    return lines


def review_text(review: Review) -> str:
    """The score table with reviewed scores and reasons, then the findings."""
    lines = _heading(review)
    lines.append(
        f"   复核状态：{review.status}"
        + (f"    复核意见：{review.opinion}" if review.opinion else "")
    )
    lines.append(f"\n  {'指标名称':<22}{'权重':>5}{'自评':>6}{'复核':>6}  调整理由")
    for item in review.indicators:
        adjustment = item.adjustment
        reason = ""
        if adjustment is not None:
            reason = f"{adjustment.reason}（{adjustment.reviewer}）"
            if adjustment.stale:
                reason += f" [已过期：{adjustment.stale_reason}]"
        lines.append(
            f"  {item.indicator.name[:20]:<22}{fmt.score(item.indicator.weight):>5}"
            f"{fmt.score(item.indicator.self_score):>6}{fmt.score(item.reviewed_score):>6}  {reason}"
        )
    for name in review.record.orphaned:
        adjustment = review.record.adjustments[name]
        lines.append(
            f"  ！指标“{name}”已不在表中，其调整（{fmt.score(adjustment.score)} 分）保留备查"
        )
    lines.append("")
    lines.extend(findings_lines(review))
    return "\n".join(lines)
