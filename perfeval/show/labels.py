"""The vocabulary a reviewer reads: what each evidence key is called, and how its value is written.

Checks put figures in a finding's evidence under short English keys (they are also the
``--json`` output); every page, workbook and report shows them through ``evidence_items``
here, so the review page and review.xlsx say the same thing in the same words: money as
"242,400.00元", rates as "90.00%", scores as "8.62分", never a raw key.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .. import fmt

__all__ = [
    "EVIDENCE",
    "FORMAT_LABELS",
    "LAYOUT_LABELS",
    "evidence_items",
    "evidence_text",
    "layout_label",
]

FORMAT_LABELS = {"district": "上海区级自评表", "national": "财政部项目支出绩效自评表"}
#: The layouts within a format that perfeval recognises (docs/forms.md describes each).
LAYOUT_LABELS = {
    "district": "上海区级自评表",
    "national": "财政部项目支出绩效自评表",
    "national-sichuan": "财政部表样·四川部门预算项目支出绩效自评表",
    "national-chongqing": "财政部表样·重庆（得分系数×指标权重）",
    "national-yinchuan": "财政部表样·银川（项目决策/管理/产出/效益，参考分值）",
    "national-initial-budget": "财政部表样（项目资金无全年预算数）",
}


def layout_label(layout: str, form_format: str) -> str:
    """The layout a form was read as, in a reviewer's words."""
    if layout.split("-")[0] == form_format and layout in LAYOUT_LABELS:
        return LAYOUT_LABELS[layout]
    return FORMAT_LABELS.get(form_format, "—")


# key -> (label, kind); kind says how a value is written: money (yuan), rate (a fraction),
# score (points), points (a pair [low, high] of points), row (a form row), text.
EVIDENCE: dict[str, tuple[str, str]] = {
    "actual": ("实际完成值", "text"),
    "adjusted": ("全年预算数", "money"),
    "allowed": ("允许得分", "points"),
    "bands": ("评分档次", "text"),
    "budget": ("预算数", "money"),
    "by_initial": ("按年初预算数计算应得", "score"),
    "category": ("一级指标", "text"),
    "column": ("栏目", "text"),
    "computed": ("各项相加", "score"),
    "computed_total": ("各项相加", "score"),
    "context": ("上下文", "text"),
    "declared": ("填报", "score"),
    "declared_total": ("填报合计", "score"),
    "difference": ("相差", "score"),
    "direction": ("计分方向", "text"),
    "executed": ("执行数", "money"),
    "expected": ("应为", "score"),
    "explanation": ("指标解释", "text"),
    "factor": ("得分系数", "text"),
    "field": ("栏目", "text"),
    "from": ("起", "text"),
    "grade": ("自评等级", "text"),
    "grade_of_computed": ("各项相加对应等级", "text"),
    "grade_of_total": ("合计对应等级", "text"),
    "grades": ("可用等级", "text"),
    "heading_unit": ("表头标注单位", "text"),
    "implied_indicator": ("空白指标", "text"),
    "implied_score": ("合计隐含得分", "score"),
    "indicators": ("涉及指标", "text"),
    "initial": ("年初预算数", "money"),
    "items": ("逐项分值", "score"),
    "kind": ("问题", "text"),
    "level2": ("二级指标", "text"),
    "operator": ("符号", "text"),
    "others": ("其他一级指标", "score"),
    "phrase": ("重复文字", "text"),
    "points": ("分值", "score"),
    "precision": ("按填报精度判断", "text"),
    "quote": ("原文", "text"),
    "rate": ("执行率", "rate"),
    "read_as": ("实际读取单位", "text"),
    "recurring": ("经常性项目", "text"),
    "regrouping": ("建议分组", "text"),
    "row": ("原表行号", "row"),
    "rows": ("其中各项", "money"),
    "rule": ("评分规则", "text"),
    "self_score": ("自评得分", "score"),
    "target": ("年度指标值", "text"),
    "text": ("原文", "text"),
    "tier": ("完成档次", "text"),
    "to": ("止", "text"),
    "topic": ("涉及方面", "text"),
    "total": ("合计", "score"),
    "usual": ("通常分值", "score"),
    "value": ("填报值", "text"),
    "weight": ("权重", "score"),
    "weights": ("权重合计", "score"),
}
# Where a check uses a key for a figure of another kind than usual.
_CHECK_KINDS: dict[tuple[str, str], tuple[str, str]] = {
    ("budget.rate", "declared"): ("填报执行率", "rate"),
    ("budget.rate", "computed"): ("执行数÷预算数", "rate"),
    ("rule.auto_score", "declared"): ("填报执行率", "rate"),
    ("goal.figures", "total"): ("所称总额", "money"),
    ("template.leftover", "rows"): ("原表行号", "text"),
    ("budget.trimmed", "rate"): ("按年初预算数计算的执行率", "rate"),
    ("budget.breakdown", "total"): ("年度资金总额", "money"),
    ("budget.breakdown", "computed"): ("其中各项合计", "money"),
    ("category.subtotal", "declared"): ("标注分值", "score"),
    ("weights.structure", "weights"): ("一级指标分值", "score"),
}
_VALUES = {"overlap": "档次重叠", "gap": "档次空档", "over_weight": "分值超过权重"}


def _empty(value: object) -> bool:
    return value is None or value == "" or (isinstance(value, list | tuple | dict) and not value)


def _number(value: Any) -> Decimal:
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def _written(value: Any, kind: str) -> str:
    """One value as a reviewer writes it."""
    if value is None:
        return "（空白）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float | Decimal):
        number = _number(value)
        if kind == "money":
            return f"{fmt.money(number)}元"
        if kind == "rate":
            return fmt.rate(number)
        if kind in ("score", "points"):
            return f"{fmt.plain(number)}分"
        if kind == "row":
            return f"第{number}行"
        return fmt.plain(number)
    if isinstance(value, str):
        return _VALUES.get(value, value)
    if isinstance(value, list | tuple):
        if kind == "points" and len(value) == 2:
            low, high = (_number(v) for v in value)
            return f"{fmt.plain(low)}分" if low == high else f"{fmt.plain(low)}–{fmt.plain(high)}分"
        if value and all(isinstance(v, dict) for v in value):
            return "；".join(_written(v, kind) for v in value)
        return "、".join(_written(v, kind) for v in value if not _empty(v)) or "（无）"
    if isinstance(value, dict):
        if {"category", "points", "from", "to"} <= value.keys():  # a suggested regrouping
            return (
                f"{value['category']}（{_written(value['points'], 'score')}）："
                f"{value['from']}至{value['to']}"
            )
        pairs = [f"{k}{_written(v, kind)}" for k, v in value.items() if not _empty(v)]
        return "，".join(pairs) or "（无）"
    return str(value)


def evidence_items(evidence: dict[str, Any], check: str = "") -> list[tuple[str, str]]:
    """A finding's evidence as (label, value) pairs in Chinese, plain text; blanks left out."""
    items = []
    for key, value in evidence.items():
        if _empty(value):
            continue
        label, kind = _CHECK_KINDS.get((check, key)) or EVIDENCE.get(key, (key, "text"))
        items.append((label, _written(value, kind)))
    return items


def evidence_text(evidence: dict[str, Any], check: str = "") -> str:
    """A finding's evidence as lines of 'label：value'."""
    return "\n".join(f"{label}：{value}" for label, value in evidence_items(evidence, check))
