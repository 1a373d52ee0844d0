"""The arithmetic and scoring-rule checks: do the form's figures add up and obey its rules?

Each check is a small function over one evaluation that yields findings and never
stops at the first; ``perfeval.catalogue`` collects them by id.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from itertools import combinations

from .. import fmt
from ..findings import Finding
from ..grades import normalise_grade
from ..model import Evaluation, Indicator, json_number
from ..scoring import (
    RATE_TOLERANCE,
    SCORE_TOLERANCE,
    computed_total,
    differs,
    grade_of,
    rate_places,
    score_places,
    stands_for,
)
from . import rules
from .base import CheckList, Context

__all__ = ["CHECKS", "Group", "groups", "num", "regroupings"]

CHECKS = CheckList()


def num(value: Decimal | None) -> int | float | None:
    """A figure for a finding's evidence."""
    return json_number(value)


# --- weights and groups -------------------------------------------------------


def expected_weight_total(evaluation: Evaluation) -> Decimal:
    """100, less the points the national form gives its budget row outside the table."""
    block = evaluation.budget_block
    if evaluation.format == "national" and block and block.weight is not None:
        return Decimal(100) - block.weight
    return Decimal(100)


def budget_score(evaluation: Evaluation) -> Decimal:
    """The national form's budget score, which its 总分 counts beside the indicators (else 0)."""
    block = evaluation.budget_block
    if evaluation.format == "national" and block and block.score is not None:
        return block.score
    return Decimal(0)


@CHECKS.add("weights.total", "权重合计", "error", arithmetic=True)
def check_weights_total(evaluation: Evaluation, context: Context) -> Iterator[Finding]:
    """各项指标权重之和应为100（国家表样扣除预算执行率的分值），并与合计行的权重一致。"""
    total = computed_total(i.weight for i in evaluation.indicators)
    expected = expected_weight_total(evaluation)
    if differs(total, expected):
        yield Finding(
            "weights.total",
            "error",
            f"各项指标权重合计{fmt.score(total)}分，应为{fmt.score(expected)}分。",
            evidence={"weights": num(total), "expected": num(expected)},
        )
    declared = evaluation.declared_total.weight
    outside = Decimal(100) - expected  # the national form's budget weight; 0 on district forms
    if declared is not None and differs(total + outside, declared):
        what = f"各项指标权重之和为{fmt.score(total)}分"
        if outside:
            what = f"各项指标分值与预算执行分值{fmt.score(outside)}分之和为{fmt.score(total + outside)}分"
        yield Finding(
            "weights.total",
            "error",
            f"合计行权重为{fmt.score(declared)}分，而{what}。",
            evidence={"declared": num(declared), "weights": num(total + outside)},
            suggestion=f"合计行权重应为{fmt.score(total + outside)}。",
        )


@dataclass(frozen=True, eq=False)
class Group:
    """A run of rows under one 一级指标 label as the form writes it (compared by identity)."""

    name: str
    points: Decimal | None
    indicators: tuple[Indicator, ...]

    @property
    def weight(self) -> Decimal:
        return computed_total(i.weight for i in self.indicators)


def groups(evaluation: Evaluation) -> list[Group]:
    """Consecutive indicators sharing a 一级指标 label."""
    found: list[Group] = []
    for indicator in evaluation.indicators:
        label = (indicator.category or "", indicator.category_points)
        if found and (found[-1].name, found[-1].points) == label:
            last = found[-1]
            found[-1] = Group(last.name, last.points, (*last.indicators, indicator))
        else:
            found.append(Group(label[0], label[1], (indicator,)))
    return found


def regroupings(
    indicators: list[Indicator], declared: list[Group]
) -> list[list[tuple[Group, int, int]]]:
    """Contiguous regroupings of the rows that make every kept label's points hold.

    Labels may be dropped (a label that is really an indicator name, say), kept ones
    stay in order; each answer lists (label, first row index, last row index).
    """
    weights = [i.weight for i in indicators]
    prefix = [Decimal(0)]
    for weight in weights:
        prefix.append(prefix[-1] + weight)
    total = prefix[-1]
    answers: list[list[tuple[Group, int, int]]] = []
    labelled = [g for g in declared if g.points is not None]
    for size in range(len(labelled), 0, -1):
        for kept in combinations(labelled, size):
            if sum((g.points or Decimal(0) for g in kept), Decimal(0)) != total:
                continue
            answer: list[tuple[Group, int, int]] = []
            start, running = 0, Decimal(0)
            for group in kept:
                running += group.points or Decimal(0)
                if running not in prefix[start + 1 :]:
                    break
                end = prefix.index(running, start + 1)
                answer.append((group, start, end - 1))
                start = end
            else:
                answers.append(answer)
        if answers:
            return answers
    return answers


@CHECKS.add("category.subtotal", "一级指标分值", "error", arithmetic=True)
def check_category_subtotal(evaluation: Evaluation, context: Context) -> Iterator[Finding]:
    """一级指标标注的分值（如“投入与管理（36分）”）应等于其下各行权重之和；若连续重新分组能使全部标注成立，给出该分组。"""
    declared = groups(evaluation)
    wrong = [g for g in declared if g.points is not None and differs(g.weight, g.points)]
    if not wrong:
        return
    answers = regroupings(evaluation.indicators, declared)
    plan: dict[Group, tuple[int, int]] = {}
    if len(answers) == 1:
        plan = {group: (first, last) for group, first, last in answers[0]}
    shape = "/".join(fmt.score(group.points) for group in plan)
    names = [i.name for i in evaluation.indicators]
    indicator_names = set(names)
    for group in wrong:
        note = "（该标注与指标名称相同，不像一级指标）" if group.name in indicator_names else ""
        suggestion = None
        if group in plan:
            first, last = plan[group]
            suggestion = (
                f"按唯一可使各一级指标分值全部成立的连续分组（{shape}），“{group.name}”"
                f"（{fmt.score(group.points)}分）应包括“{names[first]}”至“{names[last]}”"
                f"共{last - first + 1}项。"
            )
        elif plan:
            suggestion = (
                f"“{group.name}（{fmt.score(group.points)}分）”不是一级指标；按唯一可使各一级指标分值"
                f"全部成立的连续分组（{shape}），其下各行应归入相邻的一级指标。"
            )
        yield Finding(
            "category.subtotal",
            "error",
            f"一级指标“{group.name}”标注{fmt.score(group.points)}分{note}，"
            f"但其下{len(group.indicators)}项指标权重合计{fmt.score(group.weight)}分。",
            category=group.name,
            evidence={
                "declared": num(group.points),
                "weights": num(group.weight),
                "indicators": [i.name for i in group.indicators],
                "regrouping": [
                    {"category": g.name, "points": num(g.points), "from": names[a], "to": names[b]}
                    for g, (a, b) in plan.items()
                ],
            },
            suggestion=suggestion,
        )


# --- scores and totals ----------------------------------------------------------


@CHECKS.add("read.notice", "读取说明", "warning")
def check_read_notice(evaluation: Evaluation, context: Context) -> Iterator[Finding]:
    """读取文件时有内容未能读入或按空白读入（超过行数上限的行、没有保存计算结果的公式）：复核前应核实这些内容。"""
    for notice in evaluation.notices:
        yield Finding(
            "read.notice",
            "warning",
            f"读取原表时：{notice}。",
            evidence={"text": notice},
            suggestion="核实未读入的内容；必要时请单位重新报送完整、已保存计算结果的表格。",
        )


@CHECKS.add("indicator.duplicate", "指标重名", "warning")
def check_indicator_duplicate(evaluation: Evaluation, context: Context) -> Iterator[Finding]:
    """两项指标名称相同（常见的复制粘贴疏漏）：核实是否重复填列；复核调整按“名称（第N行）”分别记录，不会落到另一项上。"""
    refs = evaluation.refs()
    names: dict[str, list[str]] = {}
    for indicator, ref in zip(evaluation.indicators, refs, strict=True):
        names.setdefault(indicator.name, []).append(ref)
    for name, alike in names.items():
        if len(alike) < 2:
            continue
        yield Finding(
            "indicator.duplicate",
            "warning",
            f"表中有{len(alike)}项指标都名为“{name}”：{'、'.join(alike)}。",
            indicator=name,
            evidence={"indicators": alike},
            suggestion="核实是否重复填列或名称填错；复核调整时请指明是哪一项。",
        )


@CHECKS.add("score.missing", "缺少自评分", "error")
def check_score_missing(evaluation: Evaluation, context: Context) -> Iterator[Finding]:
    """每项指标都应有自评分；空白不等于0分。"""
    for indicator in evaluation.indicators:
        if indicator.self_score is None:
            yield Finding(
                "score.missing",
                "error",
                f"指标“{indicator.name}”（权重{fmt.score(indicator.weight)}分）没有自评分。",
                indicator=indicator.name,
                evidence={"weight": num(indicator.weight), "row": indicator.row},
            )


@CHECKS.add("score.range", "自评分超出范围", "error", arithmetic=True)
def check_score_range(evaluation: Evaluation, context: Context) -> Iterator[Finding]:
    """自评分应在0到该项权重之间。"""
    for indicator in evaluation.indicators:
        score = indicator.self_score
        if score is None or Decimal(0) <= score <= indicator.weight:
            continue
        limit = Decimal(0) if score < 0 else indicator.weight
        yield Finding(
            "score.range",
            "error",
            f"指标“{indicator.name}”自评{fmt.score(score)}分，超出0至{fmt.score(indicator.weight)}分的范围。",
            indicator=indicator.name,
            evidence={"self_score": num(score), "weight": num(indicator.weight)},
            suggestion=f"自评分不应超过{fmt.score(limit)}分。"
            if score > 0
            else "自评分不应为负数。",
        )


@CHECKS.add("total.mismatch", "合计与各项得分不符", "error", arithmetic=True)
def check_total_mismatch(evaluation: Evaluation, context: Context) -> Iterator[Finding]:
    """合计行的自评总分应等于各项自评分之和；恰有一项空白且差额不超过其权重时，指出合计所隐含的该项得分。"""
    declared = evaluation.declared_total.self_score
    if declared is None:
        return
    scores = [i.self_score for i in evaluation.indicators]
    budget = budget_score(evaluation)
    computed = computed_total(scores) + budget
    if stands_for(declared, computed, score_places(evaluation), SCORE_TOLERANCE):
        return
    gap = declared - computed
    blanks = [i for i in evaluation.indicators if i.self_score is None]
    total_label = "总分" if evaluation.format == "national" else "合计"
    suggestion = f"{total_label}应为{fmt.score(computed)}分。"
    implied = None
    if len(blanks) == 1 and Decimal(0) <= gap <= blanks[0].weight:
        implied = blanks[0]
        suggestion = (
            f"合计{fmt.score(declared)}分意味着空白的“{implied.name}”得{fmt.score(gap)}分；"
            f"若该项未得分，{total_label}应为{fmt.score(computed)}分。"
        )
    yield Finding(
        "total.mismatch",
        "error",
        f"{'总分' if evaluation.format == 'national' else '合计自评分'}为{fmt.score(declared)}分，但各项自评分"
        f"{f'与预算执行得分{fmt.score(budget)}分' if budget else ''}相加为{fmt.score(computed)}分，"
        f"相差{fmt.score(abs(gap))}分。",
        evidence={
            "declared": num(declared),
            "computed": num(computed),
            "difference": num(gap),
            "implied_indicator": implied.name if implied else None,
            "implied_score": num(gap) if implied else None,
        },
        suggestion=suggestion,
    )


@CHECKS.add("grade.mismatch", "绩效等级不符", "error", arithmetic=True)
def check_grade_mismatch(evaluation: Evaluation, context: Context) -> Iterator[Finding]:
    """自评等级应与合计分按本表等级区间（表中说明，缺省为区县标准90/75/60）所得等级一致，也应与各项得分实际相加的等级一致。"""
    written = evaluation.project.grade
    if written is None:
        return
    bands = context.bands(evaluation)
    declared_grade = normalise_grade(written, evaluation.format)
    if declared_grade is None:
        yield Finding(
            "grade.mismatch",
            "warning",
            f"自评等级“{written}”不是本表样的等级名称。",
            evidence={"grade": written, "grades": [band.grade for band in bands]},
        )
        return
    declared_total = evaluation.declared_total.self_score
    computed = computed_total(i.self_score for i in evaluation.indicators)
    computed += budget_score(evaluation)
    by_declared = grade_of(declared_total, evaluation, bands)
    by_computed = grade_of(computed, evaluation, bands)
    if by_declared is not None and by_declared != declared_grade:
        yield Finding(
            "grade.mismatch",
            "error",
            f"合计{fmt.score(declared_total)}分对应等级为“{by_declared}”，但自评等级为“{written}”。",
            evidence={
                "grade": written,
                "declared_total": num(declared_total),
                "grade_of_total": by_declared,
            },
            suggestion=f"等级应为“{by_declared}”。",
        )
    if by_computed is not None and by_computed != declared_grade and by_computed != by_declared:
        yield Finding(
            "grade.mismatch",
            "error",
            f"各项自评分实际合计{fmt.score(computed)}分，对应等级为“{by_computed}”，而非自评的“{written}”。",
            evidence={
                "grade": written,
                "computed_total": num(computed),
                "grade_of_computed": by_computed,
            },
            suggestion=f"按各项得分，等级应为“{by_computed}”。",
        )


# --- budget -----------------------------------------------------------------------


def _rate_as_written(rate: Decimal) -> str:
    """A declared rate as the form wrote it: 0.86 → 86%, 0.8620 → 86.20%."""
    return f"{(rate * 100).quantize(Decimal(1).scaleb(2 - rate_places(rate)))}%"


def _rate_precision(rate: Decimal) -> str:
    """Which precision a rate was judged at, for the evidence."""
    decimals = rate_places(rate) - 2
    shown = "整数百分比" if decimals == 0 else f"百分比{decimals}位小数"
    return f"按填报的{shown}判断（四舍五入或截去后一致即为正确）"


@CHECKS.add("budget.rate", "预算执行率", "error", arithmetic=True)
def check_budget_rate(evaluation: Evaluation, context: Context) -> Iterator[Finding]:
    """填报的预算执行率应等于执行数÷预算数（误差0.01个百分点）；执行数不应超过预算数。"""
    project = evaluation.project
    budget, executed, declared = project.budget, project.executed, project.execution_rate
    if evaluation.budget_block is not None:
        block = evaluation.budget_block
        initial, adjusted, executed = block.money()
        budget = adjusted if adjusted is not None else initial
        declared = block.rate
    if budget is None or executed is None or budget == 0:
        return
    rate = executed / budget
    if declared is not None and not stands_for(
        declared, rate, rate_places(declared), RATE_TOLERANCE
    ):
        yield Finding(
            "budget.rate",
            "error",
            f"预算执行率填报为{_rate_as_written(declared)}，但执行数{fmt.money(executed)}元÷"
            f"预算数{fmt.money(budget)}元={fmt.rate(rate)}。",
            evidence={
                "declared": num(declared),
                "budget": num(budget),
                "executed": num(executed),
                "computed": float(rate),
                "precision": _rate_precision(declared),
            },
            suggestion=f"预算执行率应为{fmt.rate(rate)}。",
        )
    if executed > budget:
        yield Finding(
            "budget.rate",
            "warning",
            f"执行数{fmt.money(executed)}元超过预算数{fmt.money(budget)}元。",
            evidence={"budget": num(budget), "executed": num(executed)},
        )


# --- scoring rules --------------------------------------------------------------------


@CHECKS.add("rule.points", "评分规则分值", "error", arithmetic=True)
def check_rule_points(evaluation: Evaluation, context: Context) -> Iterator[Finding]:
    """评分规则中逐项列出的分值（如“（1分）”）之和应等于权重；评分规则栏为空而规则写在指标解释栏时也提示。"""
    for indicator in evaluation.indicators:
        text, where = indicator.rule, "评分规则"
        if not indicator.rule and rules.itemised_points(indicator.explanation):
            text, where = indicator.explanation, "指标解释"
            yield Finding(
                "rule.points",
                "warning",
                f"指标“{indicator.name}”的评分规则栏为空，评分规则写在了指标解释栏。",
                indicator=indicator.name,
                evidence={"explanation": indicator.explanation},
                suggestion="将评分规则移至评分规则栏。",
            )
        items = rules.itemised_points(text)
        if not items:
            continue
        total = sum(items, Decimal(0))
        if differs(total, indicator.weight):
            yield Finding(
                "rule.points",
                "error",
                f"指标“{indicator.name}”{where}中逐项分值合计{fmt.score(total)}分"
                f"（{'+'.join(fmt.score(i) for i in items)}），与权重{fmt.score(indicator.weight)}分不符。",
                indicator=indicator.name,
                evidence={
                    "items": [num(i) for i in items],
                    "total": num(total),
                    "weight": num(indicator.weight),
                    "text": text,
                },
                suggestion=f"补足或调整各项分值，使其合计为{fmt.score(indicator.weight)}分。",
            )


def _bands(indicator: Indicator) -> list[rules.Band]:
    found = rules.parse_bands(indicator.rule, indicator.name)
    return found if len(found) >= 2 else []


@CHECKS.add("rule.bands", "评分档次", "error", arithmetic=True)
def check_rule_bands(evaluation: Evaluation, context: Context) -> Iterator[Finding]:
    """按比率分档的评分规则，各档区间不应重叠、不应留有空档，所给分值不应超过权重。边界按《民法典》第一千二百五十九条读：以上、以下含本数，不到、不足、低于不含本数，（含）含本数。"""
    for indicator in evaluation.indicators:
        bands = _bands(indicator)
        for problem in rules.band_problems(bands, indicator.weight):
            severity = "warning" if problem.kind == "gap" else "error"
            yield Finding(
                "rule.bands",
                severity,
                f"指标“{indicator.name}”的评分档次：{problem.description}。",
                indicator=indicator.name,
                evidence={"kind": problem.kind, "bands": [band.text for band in problem.bands]},
                suggestion=rules.suggest_fix(bands, problem),
            )


def _rate_indicator(indicator: Indicator) -> bool:
    return "执行率" in indicator.name or "执行率" in (indicator.rule or "")


@CHECKS.add("rule.auto_score", "按规则可算得分", "error", arithmetic=True)
def check_rule_auto_score(evaluation: Evaluation, context: Context) -> Iterator[Finding]:
    """评分规则可由表中数据直接计算时（至少是预算执行率分档），自评分应落在规则允许的范围内；执行率按表中执行数÷预算数计算，不只看填报的执行率。"""
    project = evaluation.project
    declared = project.execution_rate
    rate = declared
    if project.budget and project.executed is not None:
        rate = project.executed / project.budget
    if rate is None:
        return
    misstated = declared is not None and not stands_for(
        declared, rate, rate_places(declared), RATE_TOLERANCE
    )
    basis = (
        f"填报预算执行率{_rate_as_written(declared)}，但执行数÷预算数为{fmt.rate(rate)}"
        if misstated and declared is not None
        else f"预算执行率为{fmt.rate(rate)}"
    )
    for indicator in evaluation.indicators:
        if indicator.self_score is None or not _rate_indicator(indicator):
            continue
        bands = _bands(indicator)
        if not bands:
            continue
        allowed = rules.score_range(bands, rate * 100)
        if allowed is None:
            continue
        low, high = allowed
        if low <= indicator.self_score <= high:
            continue
        span = fmt.score(low) if low == high else f"{fmt.score(low)}–{fmt.score(high)}"
        allowed_text = f"应为{span}分" if low == high else f"应在{span}分之间"
        yield Finding(
            "rule.auto_score",
            "error",
            f"{basis}，按“{indicator.name}”的评分规则应得{span}分，自评{fmt.score(indicator.self_score)}分。",
            indicator=indicator.name,
            evidence={
                "rate": float(rate),
                "declared": num(declared) if misstated else None,
                "allowed": [num(low), num(high)],
                "self_score": num(indicator.self_score),
            },
            suggestion=f"得分{allowed_text}。",
        )


@CHECKS.add("rule.missing", "缺少评分规则", "warning")
def check_rule_missing(evaluation: Evaluation, context: Context) -> Iterator[Finding]:
    """每项指标都应有评分规则（国家表样以指标值代替，不检查）。"""
    if evaluation.format != "district":
        return
    for indicator in evaluation.indicators:
        if not indicator.rule and not rules.itemised_points(indicator.explanation):
            yield Finding(
                "rule.missing",
                "warning",
                f"指标“{indicator.name}”没有评分规则，无法核对得分依据。",
                indicator=indicator.name,
            )
