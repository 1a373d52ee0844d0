"""Checks for the Ministry of Finance form (项目支出绩效自评表, 财预〔2020〕10号).

The conventions checked are the form's own (see DOMAIN.md, format 2):

- budget score = 分值 × 执行率, the rate = 全年执行数 ÷ 全年预算数 (not 年初预算数),
  capped at 100%, kept to 2 decimals; a difference up to 0.01 (one rounding step) passes;
- quantitative indicators: 正向 (≥ target) full marks when reached, else
  分值 × 实际 ÷ 目标; 反向 (≤ target) full marks when kept to, else 分值 × 目标 ÷ 实际;
  a target with no operator is 正向, except on a 成本 indicator (反向);
- qualitative indicators in three tiers — 达成 80–100% of the 分值, 部分达成 60–80%,
  未达成 0–60% — with the bounds accepted for either neighbouring tier;
- usual weights 产出 50 / 效益 30 / 满意度 10 / 预算执行 10; "far" is more than 10 points.

Which tier an actual falls in is read with :data:`TIER_WORDS` (see :func:`tier_of`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from .. import fmt
from ..findings import Finding
from ..model import BudgetBlock, Evaluation, Indicator, Measure, json_number
from ..scoring import (
    SCORE_TOLERANCE,
    computed_total,
    half_unit,
    quantize,
    rate_places,
    score_places,
    stands_for,
)
from .base import CheckList, Context

__all__ = [
    "CHECKS",
    "TIERS",
    "TIER_WORDS",
    "USUAL_WEIGHTS",
    "Quantity",
    "direction_problem",
    "expected_budget_score",
    "expected_score",
    "quantity",
    "tier_of",
]

CHECKS = CheckList()
NATIONAL = ("national",)

#: Tiers of a qualitative indicator: name → (lowest, highest) share of the 分值.
TIERS: dict[str, tuple[Decimal, Decimal]] = {
    "达成": (Decimal("0.8"), Decimal(1)),
    "部分达成": (Decimal("0.6"), Decimal("0.8")),
    "未达成": (Decimal(0), Decimal("0.6")),
}

#: How an actual is read into a tier: (tier, whole texts, words contained), tried in this
#: order, so that 未完成 is 未达成 before 完成 could make it 达成. 基本/初步/有所 mean
#: not quite there (部分达成); 较好 is the second grade of 好/较好/一般/差, which is
#: still 达成 (80–100% leaves room for it); 一般 is 部分达成; 差/较差 are 未达成.
TIER_WORDS: tuple[tuple[str, frozenset[str], tuple[str, ...]], ...] = (
    (
        "未达成",
        frozenset({"差", "否", "未达成", "未完成", "无成效"}),
        (
            "未达成",
            "未达到",
            "未达标",
            "未完成",
            "未实现",
            "未建立",
            "未落实",
            "未开展",
            "没有完成",
            "较差",
            "无明显",
            "不满意",
        ),
    ),
    (
        "部分达成",
        frozenset({"中", "一般", "基本", "部分"}),
        (
            "部分达成",
            "部分完成",
            "部分实现",
            "部分达到",
            "基本",
            "初步",
            "有所",
            "一般",
            "尚需",
            "有待",
            "逐步",
        ),
    ),
    (
        "达成",
        frozenset({"好", "优", "良", "是", "有"}),
        (
            "达成",
            "达到",
            "完成",
            "实现",
            "达标",
            "建立",
            "健全",
            "显著",
            "明显",
            "有效",
            "良好",
            "较好",
            "优秀",
            "提升",
            "提高",
            "改善",
            "满意",
            "符合",
        ),
    ),
)

#: The usual 一级 weights (and the budget's), and how far off counts as far.
USUAL_WEIGHTS: dict[str, Decimal] = {
    "产出": Decimal(50),
    "效益": Decimal(30),
    "满意度": Decimal(10),
    "预算执行": Decimal(10),
}
STRUCTURE_TOLERANCE = Decimal(10)

_POSITIVE, _NEGATIVE = "正向", "反向"
_COST_WORDS = ("成本", "费用", "单价", "造价", "经费标准", "补贴标准", "单位投入")
#: What a name measures, by the words it ends with: a bad thing (to keep low) or a good one.
_BAD_WORDS = (
    "投诉",
    "投诉率",
    "投诉量",
    "事故",
    "差错",
    "差错率",
    "失误",
    "违规",
    "违法",
    "不合格",
    "不合格率",
    "故障率",
    "返工",
    "超支",
    "逾期",
    "延误",
    "发生率",
    "损失",
    "空置率",
    "误差",
    "伤亡",
    "死亡率",
    "流失率",
)
_GOOD_WORDS = (
    "完成率",
    "合格率",
    "达标率",
    "覆盖率",
    "满意度",
    "满意率",
    "知晓率",
    "及时率",
    "到位率",
    "使用率",
    "利用率",
    "通过率",
    "办结率",
    "解决率",
    "处置率",
    "回访率",
    "参与率",
    "签约率",
    "执行率",
    "入住率",
    "验收率",
)
_TIME_UNITS = frozenset({"天", "日", "个工作日", "工作日", "小时", "分钟", "周", "个月", "月"})
_TIME_NAMES = ("时限", "时间", "周期", "用时", "耗时", "天数", "期限")
_SURVEY_WORDS = ("问卷", "调查", "测评", "抽样", "抽查", "回访", "样本", "访谈")
_NOT_SURVEY_WORDS = ("投诉", "表扬", "锦旗", "感谢信", "反映良好")


def num(value: Decimal | None) -> int | float | None:
    return json_number(value)


def _wan(value: Decimal) -> str:
    """Yuan shown as the form writes it: 4050000 → '405.00万元', 899740 → '89.974万元'."""
    wan = value / 10000
    if wan == wan.quantize(Decimal("0.01")):
        return f"{fmt.money(wan)}万元"
    return f"{fmt.plain(wan)}万元"


def _compact(text: str | None) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


# --- budget ------------------------------------------------------------------------


def expected_budget_score(block: BudgetBlock) -> tuple[Decimal, Decimal] | None:
    """(score, rate), exact: 分值 × min(全年执行数 ÷ 全年预算数, 100%); the 年初预算数 where
    the block has no 全年预算数; the 其中 rows' sums where the total row was left at 0."""
    if block.weight is None:
        return None
    initial, adjusted, executed = block.money()
    budget = adjusted if adjusted is not None else initial
    if budget and executed is not None:
        rate = executed / budget
    elif block.rate is not None:
        rate = block.rate
    else:
        return None
    return block.weight * min(rate, Decimal(1)), rate


def budget_floor(block: BudgetBlock) -> Decimal:
    """The least tolerance of a budget score: 0.01, or what the written rate's own precision
    allows (10 × "86%" may be 8.6 as well as 8.62)."""
    if block.rate is None or block.weight is None:
        return SCORE_TOLERANCE
    return max(SCORE_TOLERANCE, block.weight * half_unit(rate_places(block.rate)))


def score_precision(decimals: int) -> str:
    """Which precision a score was judged at, for the evidence."""
    return f"按表中得分的{decimals}位小数判断（四舍五入或截去后一致即为正确）"


@CHECKS.add("budget.score", "预算执行得分", "error", formats=NATIONAL, arithmetic=True)
def check_budget_score(evaluation: Evaluation, context: Context) -> Iterator[Finding]:
    """项目资金的得分应等于分值×执行率，执行率=全年执行数÷全年预算数（不是年初预算数；表中没有全年预算数时按年初预算数；年度资金总额行未填时按其中各行合计），超过100%按100%计；按表中得分的精度判断（至少0.01分）。"""
    block = evaluation.budget_block
    if block is None:
        return
    expected = expected_budget_score(block)
    if expected is None:
        return
    exact, rate = expected
    score = quantize(exact)
    initial, adjusted, executed = block.money()
    decimals, floor = score_places(evaluation), budget_floor(block)
    evidence = {
        "weight": num(block.weight),
        "initial": num(initial),
        "adjusted": num(adjusted),
        "executed": num(executed),
        "rate": float(rate),
        "expected": num(score),
        "self_score": num(block.score),
        "precision": score_precision(decimals),
    }
    basis = f"执行率{fmt.rate(rate)}"
    budget_label = "全年预算数" if adjusted is not None else "年初预算数（表中无全年预算数）"
    budget = adjusted if adjusted is not None else initial
    if budget and executed is not None:
        basis = f"全年执行数{_wan(executed)}÷{budget_label}{_wan(budget)}={fmt.rate(rate)}"
    # How the expected score was worked out, as the sentence after the form's own score.
    reckoned, turn = f"按{basis}", "，但"
    if block.total_blank:
        reckoned, turn = f"年度资金总额行未填（均为0或空白），按其中各行合计，{basis}", "；"
    capped = "（超过100%按100%计）" if rate > 1 else ""
    if block.score is None:
        yield Finding(
            "budget.score",
            "error",
            f"项目资金的得分未填写；{reckoned}{capped}，应得{fmt.score(score)}分。",
            evidence=evidence,
            suggestion=f"预算执行得分应为{fmt.score(score)}分。",
        )
        return
    if stands_for(block.score, exact, decimals, floor):
        return
    note = ""
    if initial and executed is not None and block.weight is not None and adjusted is not None:
        by_initial = block.weight * min(executed / initial, Decimal(1))
        if stands_for(block.score, by_initial, decimals, floor) and not stands_for(
            quantize(by_initial), exact, decimals, floor
        ):
            note = "；填报得分与按年初预算数计算的结果一致，而执行率应以全年预算数为分母"
            evidence["by_initial"] = num(quantize(by_initial))
    yield Finding(
        "budget.score",
        "error",
        f"项目资金得分填报{fmt.score(block.score)}分{turn}{reckoned}{capped}，"
        f"应得{fmt.score(score)}分（{fmt.score(block.weight)}×{fmt.rate(min(rate, Decimal(1)))}）{note}。",
        evidence=evidence,
        suggestion=f"预算执行得分应为{fmt.score(score)}分，总分相应调整。",
    )


#: The national form's budget points.
BUDGET_WEIGHT = Decimal(10)


@CHECKS.add("budget.weight", "预算执行分值", "warning", formats=NATIONAL)
def check_budget_weight(evaluation: Evaluation, context: Context) -> Iterator[Finding]:
    """国家表样中预算执行（项目资金）的分值按惯例为10分；分值不是10分，或与栏目标注的分值不一致时提示核实。"""
    block = evaluation.budget_block
    if block is None or block.weight is None:
        return
    if block.weight != BUDGET_WEIGHT:
        yield Finding(
            "budget.weight",
            "warning",
            f"预算执行的分值为{fmt.score(block.weight)}分，不是惯例的{fmt.score(BUDGET_WEIGHT)}分。",
            evidence={"weight": num(block.weight), "usual": num(BUDGET_WEIGHT)},
            suggestion="核实预算执行分值的设置依据；无特殊理由的，按10分设置，其他指标分值相应调整。",
        )
    if block.points is not None and block.points != block.weight:
        yield Finding(
            "budget.weight",
            "warning",
            f"“{block.label}”标注{fmt.score(block.points)}分，但分值栏填{fmt.score(block.weight)}分。",
            evidence={"declared": num(block.points), "weight": num(block.weight)},
            suggestion="统一栏目标注与分值栏。",
        )


#: An adjusted budget within this share of the amount spent was cut to it.
TRIMMED_WITHIN = Decimal("0.005")


@CHECKS.add("budget.trimmed", "预算调减至执行数", "warning", formats=NATIONAL)
def check_budget_trimmed(evaluation: Evaluation, context: Context) -> Iterator[Finding]:
    """全年预算数（调整后预算）调减到与执行数相差不到0.5%，而年初预算数更高：这样的调整使执行率成为100%，应核实调整依据。"""
    block = evaluation.budget_block
    if block is None:
        return
    initial, adjusted, executed = block.money()
    if initial is None or adjusted is None or executed is None or adjusted <= 0:
        return
    if initial <= adjusted or abs(adjusted - executed) > adjusted * TRIMMED_WITHIN:
        return
    yield Finding(
        "budget.trimmed",
        "warning",
        f"年初预算数{_wan(initial)}，全年预算数调减为{_wan(adjusted)}，"
        + (
            f"与全年执行数{_wan(executed)}相同"
            if adjusted == executed
            else f"与全年执行数{_wan(executed)}仅差{_wan(abs(adjusted - executed))}"
        )
        + f"，执行率因此为{fmt.rate(executed / adjusted)}；按年初预算数计为{fmt.rate(executed / initial)}。",
        evidence={
            "initial": num(initial),
            "adjusted": num(adjusted),
            "executed": num(executed),
            "rate": float(executed / initial),
        },
        suggestion="核实年中调减预算的依据（调整批复）；未按程序调整的，执行率应按年初预算数计算。",
    )


_BUDGET_COLUMNS = {"initial": "年初预算数", "adjusted": "全年预算数", "executed": "全年执行数"}


@CHECKS.add("budget.breakdown", "资金来源明细", "error", formats=NATIONAL, arithmetic=True)
def check_budget_breakdown(evaluation: Evaluation, context: Context) -> Iterator[Finding]:
    """“其中”各行（当年财政拨款、上年结转资金、其他资金）之和应等于年度资金总额，逐列核对年初预算数、全年预算数、全年执行数；误差不超过0.01（按表中金额单位）。"""
    block = evaluation.budget_block
    if block is None or not block.breakdown:
        return
    if block.total_blank:  # one omission, not three sums that "differ" by the whole amount
        sums = {label: computed_total([getattr(row, attr) for row in block.breakdown])
                for attr, label in _BUDGET_COLUMNS.items()}  # fmt: skip
        yield Finding(
            "budget.breakdown",
            "error",
            "年度资金总额行未填写（均为0或空白），其中各项合计为"
            + "、".join(f"{label}{_wan(total)}" for label, total in sums.items())
            + "；本表按其中各项合计核对执行率与得分。",
            evidence={"total": None, "computed": {k: num(v) for k, v in sums.items()}},
            suggestion="在年度资金总额行填写各列合计。",
        )
        return
    tolerance = Decimal("0.01") if block.unit == "元" else Decimal(100)  # 0.01 of the unit written
    for attr, label in _BUDGET_COLUMNS.items():
        total = getattr(block, attr)
        parts = [getattr(row, attr) for row in block.breakdown]
        if total is None or all(part is None for part in parts):
            continue
        computed = computed_total(parts)
        if abs(computed - total) <= tolerance:
            continue
        items = "+".join(
            f"{row.label}{_wan(getattr(row, attr)) if getattr(row, attr) is not None else '—'}"
            for row in block.breakdown
        )
        yield Finding(
            "budget.breakdown",
            "error",
            f"{label}：其中各项合计{_wan(computed)}（{items}），与年度资金总额{_wan(total)}相差"
            f"{_wan(total - computed)}。",
            evidence={
                "column": label,
                "total": num(total),
                "computed": num(computed),
                "rows": {row.label: num(getattr(row, attr)) for row in block.breakdown},
            },
            suggestion=f"核对{label}的资金来源明细，使其合计等于年度资金总额。",
        )


@CHECKS.add("budget.unit", "金额单位", "warning", formats=NATIONAL)
def check_budget_unit(evaluation: Evaluation, context: Context) -> Iterator[Finding]:
    """项目资金标注为万元，但年度资金总额超过100000（按万元计超过10亿元），明显是以元填列：已按元读取，提请核实。"""
    block = evaluation.budget_block
    if block is None or block.heading_unit == block.unit:
        return
    largest = max(v for v in (block.initial, block.adjusted, block.executed) if v is not None)
    yield Finding(
        "budget.unit",
        "warning",
        f"项目资金标注单位为万元，但年度资金总额填列{fmt.money(largest)}，"
        f"按万元计将达{fmt.money(largest / 10000)}亿元，明显是以元填列，"
        f"已按元读取（即{fmt.money(largest / 10000)}万元）。",
        evidence={"heading_unit": block.heading_unit, "read_as": block.unit},
        suggestion="将项目资金改按万元填列，或把表头单位改为“元”。",
    )


# --- quantitative indicators -----------------------------------------------------


def _is_cost(indicator: Indicator) -> bool:
    return "成本" in (indicator.level2 or "") or any(w in indicator.name for w in _COST_WORDS)


def _measured(name: str) -> str | None:
    """'bad' or 'good': what the name measures, by the word nearest its end."""
    best: tuple[int, int, str] | None = None
    for kind, words in (("bad", _BAD_WORDS), ("good", _GOOD_WORDS)):
        for word in words:
            position = name.rfind(word)
            if position < 0:
                continue
            candidate = (position + len(word), len(word), kind)
            if best is None or candidate[:2] > best[:2]:
                best = candidate
    return best[2] if best else None


def direction_problem(indicator: Indicator) -> str | None:
    """Why the target's operator contradicts what the indicator measures, if it does."""
    target = indicator.target
    if target is None or target.number is None or target.operator is None:
        return None
    upward = target.operator in ("≥", ">")
    downward = target.operator in ("≤", "<")
    if upward and _is_cost(indicator):
        return "成本指标应设上限（≤），而不是下限"
    measured = _measured(indicator.name)
    if upward and measured == "bad":
        return "该指标衡量的是应当越少越好的事项，应设上限（≤）"
    if downward and measured == "good":
        return "该指标衡量的是应当越高越好的事项，应设下限（≥）"
    if (
        upward
        and "时效" in (indicator.level2 or "")
        and target.unit in _TIME_UNITS
        and any(word in indicator.name for word in _TIME_NAMES)
    ):
        return "时限类指标应设上限（≤），而不是下限"
    return None


@dataclass(frozen=True)
class Quantity:
    """A quantitative indicator: its direction, target and actual as numbers."""

    direction: str
    target: Decimal
    actual: Decimal
    unit: str | None

    @property
    def short(self) -> bool:
        """Whether the actual falls short of the target."""
        if self.direction == _POSITIVE:
            return self.actual < self.target
        return self.actual > self.target


def quantity(indicator: Indicator) -> Quantity | None:
    """The indicator as numbers when both the target and the actual have one in the same
    unit (or the actual none; a bare fraction ≤ 1 against a % target is read as a
    percentage), else None (a qualitative indicator)."""
    target, actual = indicator.target, indicator.actual
    if target is None or actual is None or target.number is None or actual.number is None:
        return None
    if actual.unit is not None and actual.unit != target.unit:
        return None
    number = actual.number
    if target.unit == "%" and actual.unit is None and number <= 1 < target.number:
        number *= 100  # "0.985" against "≥95%": a fraction typed without its %
    if target.operator in ("≥", ">"):
        direction = _POSITIVE
    elif target.operator in ("≤", "<"):
        direction = _NEGATIVE
    else:
        direction = _NEGATIVE if _is_cost(indicator) else _POSITIVE
    return Quantity(direction, target.number, number, target.unit)


def expected_score(weight: Decimal, q: Quantity) -> Decimal | None:
    """The score the 正向/反向 formula gives, exact; None when it is undefined."""
    if not q.short:
        return weight
    if q.direction == _POSITIVE:
        if q.target <= 0 or q.actual < 0:
            return None
        return weight * q.actual / q.target
    if q.actual <= 0 or q.target < 0:
        return None
    return weight * q.target / q.actual


@CHECKS.add(
    "indicator.expected_score", "定量指标得分", "warning", formats=NATIONAL, arithmetic=True
)
def check_expected_score(evaluation: Evaluation, context: Context) -> Iterator[Finding]:
    """定量指标的得分应符合计分办法：正向指标（≥）实际值达到目标得满分，否则按分值×实际值÷目标值；反向指标（≤）不超过目标得满分，否则按分值×目标值÷实际值；按表中得分的精度判断（至少0.01分）。"""
    decimals = score_places(evaluation)
    for indicator in evaluation.indicators:
        if indicator.factor is not None and indicator.self_score is not None:
            yield from _factor_score(indicator, decimals)
            continue
        q = quantity(indicator)
        if q is None or indicator.self_score is None or direction_problem(indicator):
            continue
        exact = expected_score(indicator.weight, q)
        if exact is None or stands_for(indicator.self_score, exact, decimals, SCORE_TOLERANCE):
            continue
        expected = quantize(exact)
        weight = fmt.score(indicator.weight)
        if not q.short:
            how = f"已达到目标，应得满分{fmt.score(expected)}分"
        elif q.direction == _POSITIVE:
            how = f"按正向指标计分，应得{weight}×{fmt.plain(q.actual)}÷{fmt.plain(q.target)}={fmt.score(expected)}分"
        else:
            how = f"按反向指标计分，应得{weight}×{fmt.plain(q.target)}÷{fmt.plain(q.actual)}={fmt.score(expected)}分"
        target, actual = _text(indicator.target), _text(indicator.actual)
        yield Finding(
            "indicator.expected_score",
            "warning",
            f"指标“{indicator.name}”年度指标值“{target}”、实际完成值“{actual}”，{how}，"
            f"自评{fmt.score(indicator.self_score)}分。",
            indicator=indicator.name,
            evidence={
                "target": target,
                "actual": actual,
                "direction": q.direction,
                "weight": num(indicator.weight),
                "expected": num(expected),
                "self_score": num(indicator.self_score),
                "precision": score_precision(decimals),
            },
            suggestion=f"得分应为{fmt.score(expected)}分（自评{fmt.score(indicator.self_score)}分）；"
            "如另有计分依据，请在偏差原因中说明。",
        )


def _factor_score(indicator: Indicator, decimals: int) -> Iterator[Finding]:
    """重庆's forms score 得分系数 × 指标权重."""
    assert indicator.factor is not None and indicator.self_score is not None
    exact = indicator.factor * indicator.weight
    if stands_for(indicator.self_score, exact, decimals, SCORE_TOLERANCE):
        return
    expected = quantize(exact)
    yield Finding(
        "indicator.expected_score",
        "warning",
        f"指标“{indicator.name}”得分系数{fmt.plain(indicator.factor)}、权重{fmt.score(indicator.weight)}分，"
        f"应得{fmt.plain(indicator.factor)}×{fmt.score(indicator.weight)}={fmt.score(expected)}分，"
        f"自评{fmt.score(indicator.self_score)}分。",
        indicator=indicator.name,
        evidence={
            "factor": num(indicator.factor),
            "weight": num(indicator.weight),
            "expected": num(expected),
            "self_score": num(indicator.self_score),
            "precision": score_precision(decimals),
        },
        suggestion=f"得分应为{fmt.score(expected)}分（得分系数×指标权重）。",
    )


@CHECKS.add("target.lax", "目标值偏低", "warning", formats=NATIONAL)
def check_target_lax(evaluation: Evaluation, context: Context) -> Iterator[Finding]:
    """正向定量指标的实际完成值数倍于年度指标值（默认3倍，可在 params/checks.json 设置 lax_target_ratio），说明目标定得过低、失去约束意义。"""
    ratio = context.settings.lax_target_ratio
    for indicator in evaluation.indicators:
        q = quantity(indicator)
        if q is None or q.direction != _POSITIVE or q.target <= 0 or q.unit == "%":
            continue
        if q.actual < q.target * ratio:
            continue
        yield Finding(
            "target.lax",
            "warning",
            f"指标“{indicator.name}”年度指标值“{_text(indicator.target)}”，实际完成"
            f"“{_text(indicator.actual)}”，是目标的{fmt.plain((q.actual / q.target).quantize(Decimal('0.1')))}倍：目标定得过低。",
            indicator=indicator.name,
            evidence={
                "target": _text(indicator.target),
                "actual": _text(indicator.actual),
            },
            suggestion="核实年度指标值是否依据批复的绩效目标、历史数据或计划标准设定；下一年度按实际能力设定目标。",
        )


def _text(measure: Measure | None) -> str:
    return (measure.text if measure else None) or "（空白）"


# --- qualitative indicators -----------------------------------------------------------


def tier_of(indicator: Indicator) -> str | None:
    """The tier the actual reaches: its text against the target, then :data:`TIER_WORDS`."""
    actual = _compact(indicator.actual.text if indicator.actual else None)
    if not actual or actual.strip("—-－/") == "":
        return None
    target = _compact(indicator.target.text if indicator.target else None)
    if target and actual == target:
        return "达成"
    for tier, whole, words in TIER_WORDS:
        if actual in whole or any(word in actual for word in words):
            return tier
    return None


def _qualitative_tier(indicator: Indicator) -> str | None:
    return None if quantity(indicator) is not None else tier_of(indicator)


@CHECKS.add("indicator.tier", "定性指标分档", "warning", formats=NATIONAL, arithmetic=True)
def check_tier(evaluation: Evaluation, context: Context) -> Iterator[Finding]:
    """定性指标按实际完成情况分三档计分：达成年度指标得分值的80%–100%，部分达成60%–80%，未达成0–60%（边界分值两档均可）；得分不应落在实际完成值所属档次之外。"""
    for indicator in evaluation.indicators:
        score = indicator.self_score
        tier = _qualitative_tier(indicator)
        if tier is None or score is None:
            continue
        low_share, high_share = TIERS[tier]
        low, high = indicator.weight * low_share, indicator.weight * high_share
        if low - SCORE_TOLERANCE < score < high + SCORE_TOLERANCE:
            continue
        span = f"{fmt.score(low)}–{fmt.score(high)}分"
        shares = f"分值的{fmt.plain(low_share * 100)}%–{fmt.plain(high_share * 100)}%"
        yield Finding(
            "indicator.tier",
            "warning",
            f"定性指标“{indicator.name}”实际完成值为“{_text(indicator.actual)}”"
            f"（年度指标值“{_text(indicator.target)}”），属{tier}，应得{span}（{shares}），"
            f"自评{fmt.score(score)}分。",
            indicator=indicator.name,
            evidence={
                "target": _text(indicator.target),
                "actual": _text(indicator.actual),
                "tier": tier,
                "allowed": [num(low), num(high)],
                "self_score": num(score),
                "weight": num(indicator.weight),
            },
            suggestion=f"得分应在{span}之间；如认为实际完成情况不属{tier}，请补充佐证材料。",
        )


# --- deviation reasons ---------------------------------------------------------------------


@CHECKS.add("deviation.unexplained", "偏差未说明原因", "warning", formats=NATIONAL)
def check_deviation_unexplained(evaluation: Evaluation, context: Context) -> Iterator[Finding]:
    """实际完成值未达到年度指标值（定量指标未达目标、定性指标未完全达成），或得分低于分值时，应填写偏差原因分析及改进措施。"""
    for indicator in evaluation.indicators:
        if indicator.deviation_reason:
            continue
        reasons: list[str] = []
        q = quantity(indicator)
        if q is not None and q.short and not direction_problem(indicator):
            reasons.append(
                f"实际完成值“{_text(indicator.actual)}”未达到年度指标值“{_text(indicator.target)}”"
            )
        elif q is None and _qualitative_tier(indicator) in ("部分达成", "未达成"):
            reasons.append(
                f"实际完成值“{_text(indicator.actual)}”未完全达到年度指标值“{_text(indicator.target)}”"
            )
        score = indicator.self_score
        if score is not None and score < indicator.weight:
            reasons.append(f"得分{fmt.score(score)}分低于分值{fmt.score(indicator.weight)}分")
        if not reasons:
            continue
        yield Finding(
            "deviation.unexplained",
            "warning",
            f"指标“{indicator.name}”{'，'.join(reasons)}，但未填写偏差原因分析及改进措施。",
            indicator=indicator.name,
            evidence={
                "target": _text(indicator.target),
                "actual": _text(indicator.actual),
                "self_score": num(score),
                "weight": num(indicator.weight),
            },
            suggestion="在“偏差原因分析及改进措施”栏说明未达成的原因和改进措施。",
        )


# --- what the indicators measure -------------------------------------------------------------


@CHECKS.add("indicator.direction", "指标方向", "warning", formats=NATIONAL)
def check_direction(evaluation: Evaluation, context: Context) -> Iterator[Finding]:
    """指标值的方向应与指标性质一致：成本指标、投诉率等应越少越好的指标设上限（≤），完成率、满意度等越高越好的指标设下限（≥），时限设上限。"""
    flip = {"≥": "≤", ">": "<", "≤": "≥", "<": ">"}
    for indicator in evaluation.indicators:
        problem = direction_problem(indicator)
        if problem is None or indicator.target is None:
            continue
        target = indicator.target
        operator = target.operator or ""
        fixed = f"{flip[operator]}{fmt.plain(target.number or Decimal(0))}{target.unit or ''}"
        yield Finding(
            "indicator.direction",
            "warning",
            f"指标“{indicator.name}”的年度指标值写为“{target.text}”，{problem}。",
            indicator=indicator.name,
            evidence={
                "target": target.text,
                "operator": operator,
                "level2": indicator.level2,
            },
            suggestion=f"年度指标值应为“{fixed}”，并按{'反向' if flip[operator] in '≤<' else '正向'}指标重新计分。",
        )


def _is_satisfaction(indicator: Indicator) -> bool:
    return "满意" in indicator.name or "满意度" in (indicator.category or "")


@CHECKS.add("satisfaction.evidence", "满意度依据", "warning", formats=NATIONAL)
def check_satisfaction_evidence(evaluation: Evaluation, context: Context) -> Iterator[Finding]:
    """满意度指标的实际完成值应是满意度调查（问卷、测评、回访）的结果；“未收到投诉”“无投诉”“群众满意”不能证明满意度。"""
    for indicator in evaluation.indicators:
        if not _is_satisfaction(indicator):
            continue
        if indicator.self_score is not None and indicator.self_score == 0:
            continue
        actual = indicator.actual
        text = _compact(actual.text if actual else None)
        blank = not text or text.strip("—-－/") == "" or text in ("无",)
        complaints = any(word in text for word in _NOT_SURVEY_WORDS)
        survey = any(word in text for word in _SURVEY_WORDS)
        figure = actual is not None and actual.number is not None
        if not blank and not complaints and (figure or survey):
            continue
        if blank:
            what = "实际完成值未填写"
        else:
            what = f"实际完成值为“{actual.text if actual else ''}”，不是满意度调查结果"
        target = f"年度指标值“{_text(indicator.target)}”" if indicator.target else "满意度目标"
        yield Finding(
            "satisfaction.evidence",
            "warning",
            f"满意度指标“{indicator.name}”{what}，不能证明达到{target}，"
            f"却得{fmt.score(indicator.self_score)}分。",
            indicator=indicator.name,
            evidence={
                "actual": _text(actual),
                "target": _text(indicator.target),
                "self_score": num(indicator.self_score),
            },
            suggestion="补充问卷调查等满意度测评结果（样本量、满意度比例）；"
            "没有调查依据的，按未达成确定得分。",
        )


# --- the goal's figures ---------------------------------------------------------------------

# Money only, in 万元 or 元: 38.6万人次 is no amount.
_AMOUNT = re.compile(r"(\d+(?:\.\d+)?)\s*(万元|元)")
_TOTAL_WORDS = re.compile(
    r"(?:共|总计|合计|总额|累计|总共)[^\d。;；]{0,12}?(\d+(?:\.\d+)?)\s*(万元|元)"
)
_ONLY_FIGURES = re.compile(r"[\d.,，、。;；:：%\s\-—/万元]+")


@dataclass(frozen=True)
class Amount:
    yuan: Decimal
    written: str  # as the text writes it, with its unit

    @classmethod
    def of(cls, number: str, unit: str) -> Amount:
        scale = Decimal(1) if unit == "元" else Decimal(10000)
        return cls(Decimal(number) * scale, f"{number}{unit}")

    @property
    def places(self) -> int:
        """Decimals written: 89.97万元 → 2."""
        number = self.written.rstrip("万元")
        return len(number.partition(".")[2])

    def tolerance(self, places: int) -> Decimal:
        """Half a unit at ``places`` decimals of the unit written, in yuan (2, 万元 → 50元)."""
        scale = (
            Decimal(1)
            if self.written.endswith("元") and "万" not in self.written
            else Decimal(10000)
        )
        return Decimal(5).scaleb(-places - 1) * scale


def goal_amounts(text: str) -> tuple[Amount | None, list[Amount]]:
    """The total a goal text states (共…万元) and the amounts it lists after 其中."""
    normal = unicodedata.normalize("NFKC", text)
    match = _TOTAL_WORDS.search(normal)
    total = Amount.of(match.group(1), match.group(2)) if match else None
    at = normal.find("其中")
    parts = [Amount.of(n, u) for n, u in _AMOUNT.findall(normal[at:])] if at >= 0 else []
    return total, parts


@CHECKS.add("goal.figures", "目标中的金额", "warning", formats=NATIONAL)
def check_goal_figures(evaluation: Evaluation, context: Context) -> Iterator[Finding]:
    """年度总体目标（预期目标、实际完成情况）应写明目标与完成情况，不能只填数字；其中列明的金额应与所称总额、与预算数（预期目标）或执行数（实际完成情况）相符，按文字所写的精度判断。"""
    project = evaluation.project
    fields = {"预期目标": project.goal, "实际完成情况": project.performance}
    bare = {label: text for label, text in fields.items() if text and _ONLY_FIGURES.fullmatch(text)}
    if bare:
        shown = "，".join(f"{label}“{text}”" for label, text in bare.items())
        yield Finding(
            "goal.figures",
            "warning",
            f"年度总体目标只填了数字（{shown}），没有写明目标和完成情况。",
            evidence={"field": "、".join(bare), "text": " / ".join(bare.values())},
            suggestion="写明项目年度要达到的产出和效果（做什么、做多少、达到什么标准），以及实际完成情况。",
        )
    block = evaluation.budget_block
    initial, adjusted, executed = block.money() if block else (None, None, None)
    budgets = {
        "预期目标": [("年初预算数", initial), ("全年预算数", adjusted)],
        "实际完成情况": [("全年执行数", executed)],
    }
    for label, text in fields.items():
        if not text or label in bare:
            continue
        total, parts = goal_amounts(text)
        if total is not None and len(parts) >= 2:
            summed = sum((a.yuan for a in parts), Decimal(0))
            # whole numbers (30万元) claim no coarser precision than the finest figure written
            tolerance = total.tolerance(max(a.places for a in [total, *parts]))
            if abs(summed - total.yuan) > tolerance:
                items = "+".join(a.written for a in parts)
                yield Finding(
                    "goal.figures",
                    "warning",
                    f"{label}称共{total.written}，但其中列明的金额{items}={_wan(summed)}，与之不符"
                    f"（相差{_wan(abs(summed - total.yuan))}）。",
                    evidence={"field": label, "quote": text, "total": num(total.yuan)},
                    suggestion="核对文字中的金额，使其中各项之和等于所称总额，并与项目资金表一致。",
                )
                continue
        figures = [(name, value) for name, value in budgets[label] if value is not None]
        stated = total if total is not None else None
        if stated is None or not figures:
            continue
        if all(abs(stated.yuan - value) > stated.tolerance(stated.places) for _, value in figures):
            against = "、".join(f"{name}{_wan(value)}" for name, value in figures)
            yield Finding(
                "goal.figures",
                "warning",
                f"{label}称共{stated.written}，与项目资金表的{against}不符。",
                evidence={"field": label, "quote": text, "total": num(stated.yuan)},
                suggestion="核对文字中的金额与项目资金表，二者应一致。",
            )


# --- weight structure -----------------------------------------------------------------------


def _family(category: str | None) -> str | None:
    text = category or ""
    if "产出" in text:
        return "产出"
    if "效益" in text or "效果" in text:
        return "效益"
    if "满意" in text:
        return "满意度"
    return None


@CHECKS.add("weights.structure", "一级指标权重结构", "info", formats=NATIONAL)
def check_weights_structure(evaluation: Evaluation, context: Context) -> Iterator[Finding]:
    """一级指标分值通常为产出50、效益30、满意度10、预算执行10；任一项相差超过10分时提示核实（按项目决策/管理/产出/效益框架评分的表样不适用）。"""
    if evaluation.layout == "national-yinchuan":
        return
    actual: dict[str, Decimal] = {name: Decimal(0) for name in USUAL_WEIGHTS}
    others: dict[str, Decimal] = {}
    for indicator in evaluation.indicators:
        family = _family(indicator.category)
        if family is None:
            label = indicator.category or "（未填一级指标）"
            others[label] = others.get(label, Decimal(0)) + indicator.weight
        else:
            actual[family] += indicator.weight
    block = evaluation.budget_block
    actual["预算执行"] = block.weight if block and block.weight is not None else Decimal(0)
    gaps = {name: actual[name] - usual for name, usual in USUAL_WEIGHTS.items()}
    if all(abs(gap) <= STRUCTURE_TOLERANCE for gap in gaps.values()):
        return
    shape = "、".join(f"{name}{fmt.score(actual[name])}分" for name in USUAL_WEIGHTS)
    if others:
        shape += "、" + "、".join(f"{name}{fmt.score(w)}分" for name, w in others.items())
    far = "、".join(
        f"{name}{'多' if gap > 0 else '少'}{fmt.score(abs(gap))}分"
        for name, gap in gaps.items()
        if abs(gap) > STRUCTURE_TOLERANCE
    )
    usual = "/".join(fmt.score(w) for w in USUAL_WEIGHTS.values())
    yield Finding(
        "weights.structure",
        "info",
        f"一级指标分值为{shape}，与通常的产出/效益/满意度/预算执行{usual}分相差较大（{far}）。",
        evidence={
            "weights": {name: num(value) for name, value in actual.items()},
            "usual": {name: num(value) for name, value in USUAL_WEIGHTS.items()},
            "others": {name: num(value) for name, value in others.items()},
        },
        suggestion="核实分值设置是否依据批复的绩效目标；无特殊理由的，按产出50、效益30、满意度10、预算执行10分设置。",
    )
