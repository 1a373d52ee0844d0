"""The seed form as a parsed model, the seed with every defect repaired, and mutators.

``seed()`` is ``examples/000_81c9c1dad6fba498.txt`` as perfeval reads it (a fresh copy
each call: tests may change it). ``fixed_seed()`` is the same form as a careful unit
would have filled it in: every defect DOMAIN.md lists is repaired, so the check
catalogue finds nothing at all. Variants are made with the small mutators below,
which never change the form they are given::

    with_indicator(fixed_seed(), "政策知晓率", self_score=None)   # add a defect
    with_indicator(seed(), "政策知晓率", self_score=D(7))         # fix one

``fixed_seed_rows()`` is the repaired form as rows of a text export, for the tests that
go through a file (the CLI); ``tests/test_checks.py`` checks that reading those rows
gives ``fixed_seed()`` back.
"""

from __future__ import annotations

import copy
import functools
from dataclasses import replace
from decimal import Decimal
from typing import Any

import formgen as fg

from perfeval.model import Evaluation
from perfeval.read.forms import read_form

__all__ = [
    "CLEAN_BANDS_RULE",
    "FIXED_GROUPS",
    "SEED_BANDS_RULE",
    "fixed_seed",
    "fixed_seed_rows",
    "regrouped",
    "seed",
    "with_evaluation",
    "with_indicator",
    "with_project",
    "with_total",
]

D = Decimal

#: The regrouping that makes every 一级指标 label hold: (label, points, rows in it).
FIXED_GROUPS: tuple[tuple[str, Decimal, int], ...] = (
    ("投入与管理", D(36), 6),
    ("产出目标", D(34), 3),
    ("效果目标", D(15), 2),
    ("影响力目标", D(15), 2),
)

#: The seed's 预算执行率 rule, verbatim: "78" is a typo for 80, 70% is claimed twice.
SEED_BANDS_RULE = (
    "（参考分值区间，按实际完成情况打分）①预算执行率在90%及以上上得8分；"
    "②预算执行率在78%以上不到90%得6-8分；③预算执行率在70%以上不到80%得4-6分；"
    "④预算执行率在70%以下，不得分。"
)
#: The same rule repaired: 78 → 80, "在70%以下" → "不到70%".
CLEAN_BANDS_RULE = (
    "（参考分值区间，按实际完成情况打分）①预算执行率在90%及以上上得8分；"
    "②预算执行率在80%以上不到90%得6-8分；③预算执行率在70%以上不到80%得4-6分；"
    "④预算执行率不到70%，不得分。"
)
_COMPLIANCE_EXPLANATION = (
    "项目资金使用是否符合国家财经法规、财政管理改革要求、财务管理规定，以及有关项目资金"
    "管理方法的规定。（包括公务卡“三公”经费、政府采购等制度）"
)
_COMPLIANCE_RULE = "①资金的使用拨付是否有完整的审批程序和手续；（3分）②是否符合项目预算批复或合同规定的用途。（3分）"
#: Distinct rules for the three rows that shared one boilerplate text.
_OUTPUT_RULES = {
    "项目完成率": "各项走访联系服务群众工作任务全部按年度计划完成得10分，每有一项未完成扣2分，扣完为止。",
    "项目完成合格率": "工作成果经街道党建办检查验收全部达到质量要求得10分，每有一项不合格扣2分，扣完为止。",
    "项目完成及时率": "各项工作均在计划时间节点内完成得14分，每有一项延期完成扣3分，扣完为止。",
}
#: The planning indicators the 主要问题 admission concerns, scored down with a reason.
_PLANNING_DEDUCTIONS = {
    "项目设立的规范性": (D(4), "前期排摸调研不足，部分工作未纳入年度计划，扣1分。"),
    "绩效目标合理性": (D(7), "工作计划制定的有效性存在欠缺，绩效目标细化不足，扣1分。"),
}
_REPEATS = {
    "居民区党组织沟通居民区党组织沟通": "居民区党组织沟通",
    "和收集群众诉求，妥善解决和收集群众诉求，妥善解决": "和收集群众诉求，妥善解决",
}


@functools.cache
def _parsed_seed() -> Evaluation:
    evaluations, _ = read_form(fg.SEED_TSV)
    return evaluations[0]


def seed() -> Evaluation:
    """A fresh copy of the seed form as perfeval reads it."""
    return copy.deepcopy(_parsed_seed())


# --- mutators: each returns a changed deep copy ---------------------------------------------


def with_indicator(evaluation: Evaluation, name: str, /, **changes: Any) -> Evaluation:
    """A copy with the fields of the indicator called ``name`` changed."""
    changed = copy.deepcopy(evaluation)
    for index, indicator in enumerate(changed.indicators):
        if indicator.name == name:
            changed.indicators[index] = replace(indicator, **changes)
            return changed
    raise KeyError(f"no indicator {name!r}")


def with_project(evaluation: Evaluation, **changes: Any) -> Evaluation:
    """A copy with header fields changed (``grade="良好"``, ``recurring=True``, …)."""
    changed = copy.deepcopy(evaluation)
    changed.project = replace(changed.project, **changes)
    return changed


def with_total(evaluation: Evaluation, **changes: Any) -> Evaluation:
    """A copy with the 合计 row changed (``self_score=…``, ``weight=…``)."""
    changed = copy.deepcopy(evaluation)
    changed.declared_total = replace(changed.declared_total, **changes)
    return changed


def with_evaluation(evaluation: Evaluation, **changes: Any) -> Evaluation:
    """A copy with top-level fields changed (``grade_bands=[…]``, ``notes=[…]``, …)."""
    return replace(copy.deepcopy(evaluation), **changes)


def regrouped(
    evaluation: Evaluation, groups: tuple[tuple[str, Decimal | None, int], ...]
) -> Evaluation:
    """A copy with the 一级指标 labels rewritten: (label, points, how many rows) in order."""
    if sum(size for _, _, size in groups) != len(evaluation.indicators):
        raise ValueError("the groups must cover every row")
    changed = copy.deepcopy(evaluation)
    rows = iter(range(len(changed.indicators)))
    for label, points, size in groups:
        for _ in range(size):
            index = next(rows)
            changed.indicators[index] = replace(
                changed.indicators[index], category=label, category_points=points
            )
    return changed


def _replace_all(text: str | None, replacements: dict[str, str]) -> str | None:
    if text is None:
        return None
    for old, new in replacements.items():
        text = text.replace(old, new)
    return text


# --- the seed with every defect repaired ------------------------------------------------------


def fixed_seed() -> Evaluation:
    """The seed with every defect DOMAIN.md lists repaired; no check finds anything.

    Categories regrouped 36/34/15/15; 政策知晓率 scored 7; the 资金使用的合规性 rule
    moved to the rule column with points adding to 6; the 预算执行率 bands mended
    (78 → 80, "70%以下" → "不到70%"); distinct rules for the three output rows;
    是否为经常性项目 = 是 and a prior-year rate of 98%; the repeated phrases in 主要绩效
    removed; and, since 主要问题 admits that planning fell short, the two planning
    indicators scored one point down each with a remark (total 94, still 优).
    """
    evaluation = regrouped(seed(), FIXED_GROUPS)
    evaluation = with_indicator(evaluation, "政策知晓率", self_score=D(7))
    evaluation = with_indicator(
        evaluation, "资金使用的合规性", explanation=_COMPLIANCE_EXPLANATION, rule=_COMPLIANCE_RULE
    )
    evaluation = with_indicator(evaluation, "预算执行率", rule=CLEAN_BANDS_RULE)
    for name, rule in _OUTPUT_RULES.items():
        evaluation = with_indicator(evaluation, name, rule=rule)
    for name, (score, remark) in _PLANNING_DEDUCTIONS.items():
        evaluation = with_indicator(evaluation, name, self_score=score, remark=remark)
    evaluation = with_project(
        evaluation,
        recurring=True,
        prior_year_rate=D("0.98"),
        performance=_replace_all(evaluation.project.performance, _REPEATS),
    )
    return with_total(evaluation, self_score=D(94))


def fixed_seed_rows() -> fg.Rows:
    """``fixed_seed()`` as rows of the seed's text export (write them with ``fg.write_tsv``)."""
    rows = fg.seed_rows()
    header = next(i for i, row in enumerate(rows) if "指标名称" in row)
    name_column = rows[header].index("指标名称")
    columns = {label: rows[header].index(label) for label in fg.TABLE_LABELS}

    def table_row(name: str) -> list[str]:
        return next(r for r in rows[header + 1 :] if r[name_column] == name)

    def put(name: str, column: str, value: str) -> None:
        table_row(name)[columns[column]] = value

    first = 0
    for label, points, size in FIXED_GROUPS:
        names = [row[name_column] for row in rows[header + 1 :]][first : first + size]
        for position, name in enumerate(names):
            put(name, "一级指标", f"{label} ({points}分)" if position == 0 else "")
        first += size
    put("政策知晓率", "自评分", "7")
    put("资金使用的合规性", "指标解释", _COMPLIANCE_EXPLANATION)
    put("资金使用的合规性", "评分规则", _COMPLIANCE_RULE)
    put("预算执行率", "评分规则", CLEAN_BANDS_RULE)
    for name, rule in _OUTPUT_RULES.items():
        put(name, "评分规则", rule)
    for name, (score, remark) in _PLANNING_DEDUCTIONS.items():
        put(name, "自评分", str(score))
        put(name, "备注", remark)
    total = next(r for r in rows if "合计" in r)
    total[columns["自评分"]] = "94.00"
    rows = fg.set_cell(rows, "是否为经常性项目", "G", "是")
    rows = fg.set_cell(rows, "上年预算完成率", "G", "98.00")
    performance = fg.find_row(rows, "主要绩效")
    rows[performance] = [_replace_all(cell, _REPEATS) or "" for cell in rows[performance]]
    return rows
