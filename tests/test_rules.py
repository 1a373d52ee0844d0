"""Reading scoring rules: itemised points, rate bands and what is wrong with them."""

from __future__ import annotations

from bisect import bisect_right
from decimal import Decimal
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from perfeval.check.rules import (
    Band,
    Bound,
    band_problems,
    itemised_points,
    parse_bands,
    score_range,
    suggest_fix,
)

D = Decimal

# The 预算执行率 rule of the seed form, verbatim: "78" is a typo for 80, and 70% is
# claimed by both "70%以上…" and "70%以下".
SEED_BANDS = (
    "（参考分值区间，按实际完成情况打分）①预算执行率在90%及以上上得8分；"
    "②预算执行率在78%以上不到90%得6-8分；③预算执行率在70%以上不到80%得4-6分；"
    "④预算执行率在70%以下，不得分。"
)
SEED_COMPLIANCE = (
    "①是否已制定或具有相应的项目资金（资产）管理办法；（1分）"
    "②项目资金管理方法是否符合相关财务会计制度的规定（1分）"
    "③是否已制定或具有相应的控制措施（1分）"
    "④是否采取相应财务检查等必要的控制措施或手段；（1分）"
    "⑤是否按项目进行成本核算，开展必要的项目成本控制。（1分）"
)
SEED_TARGETS = (
    "①是否同项目预算同时设置和报批绩效目标（1分）"
    "②绩效目标是否与项目预算或资金量相匹配；（2分）"
    "③是否将绩效目标细化分解为具体的绩效指标和指标值；（1分）"
    "④项目预算编制是否细化量化和量化的（主体视为依据充分、流程合理、数量合适、单价合理。）（4分）"
    "其中：科学量化指标的得分，基本量化指标的得2分，未细化量化的不得分。"
)
CLEAN_RULES = [
    "90%（含）以上得8分；80%（含）至90%得6-8分；70%（含）至80%得4-6分；70%以下(不含70%)不得分",
    "90%及以上得8分；80%以上不到90%得6-8分；70%以上不到80%得4-6分；不到70%不得分",
    "≥90%得8分；80%(含)-90%得6分；70%(含)~80%得4分；<70%得0分",
    "①执行率达到100%得10分；②90%(含)至100%得8分；③不足90%不得分",
]


def bounds(band: Band) -> tuple[tuple[Decimal, bool] | None, tuple[Decimal, bool] | None]:
    """A band's bounds as plain tuples, for compact expectations."""
    low = (band.lower.value, band.lower.inclusive) if band.lower else None
    up = (band.upper.value, band.upper.inclusive) if band.upper else None
    return low, up


def test_seed_rule_bands() -> None:
    bands = parse_bands(SEED_BANDS)
    assert [(bounds(b), b.points_min, b.points_max) for b in bands] == [
        (((D(90), True), None), D(8), D(8)),
        (((D(78), True), (D(90), False)), D(6), D(8)),
        (((D(70), True), (D(80), False)), D(4), D(6)),
        ((None, (D(70), True)), D(0), D(0)),
    ]
    assert bands[1].text == "预算执行率在78%以上不到90%得6-8分"
    assert [b.condition for b in bands] == [
        "90%及以上",
        "78%以上不到90%",
        "70%以上不到80%",
        "70%以下",
    ]


def test_seed_rule_overlaps_and_fixes() -> None:
    bands = parse_bands(SEED_BANDS)
    typo, double_claim = band_problems(bands, weight=D(8))
    assert typo.kind == "overlap"
    assert typo.bands == (bands[1], bands[2])
    assert (typo.lower, typo.upper) == (Bound(D(78), True), Bound(D(80), False))
    assert typo.description == "“78%以上不到90%”与“70%以上不到80%”在[78%, 80%)重叠"
    assert suggest_fix(bands, typo) == (
        "“78%”很可能是“80%”之误：改为“80%以上不到90%”后与“70%以上不到80%”不再重叠。"
    )
    assert double_claim.kind == "overlap"
    assert double_claim.bands == (bands[2], bands[3])
    assert double_claim.lower == double_claim.upper == Bound(D(70), True)
    assert double_claim.description == "70%同时被“70%以上不到80%”和“70%以下”两档覆盖"
    assert suggest_fix(bands, double_claim) == "将“70%以下”改为“不到70%”（低于70%）。"


def test_seed_rule_fixed_as_suggested_is_clean() -> None:
    fixed = SEED_BANDS.replace("78%", "80%").replace("70%以下", "不到70%")
    assert band_problems(parse_bands(fixed), weight=D(8)) == []


@pytest.mark.parametrize(
    ("rate", "expected"),
    [
        ("100", (D(8), D(8))),
        ("90", (D(8), D(8))),
        ("85", (D(6), D(8))),
        ("79", (D(4), D(8))),  # claimed by 78%以上不到90% and 70%以上不到80%
        ("70", (D(0), D(6))),  # claimed by 70%以上不到80% and 70%以下
        ("50", (D(0), D(0))),
    ],
)
def test_seed_rule_score_range(rate: str, expected: tuple[Decimal, Decimal]) -> None:
    assert score_range(parse_bands(SEED_BANDS), D(rate)) == expected


def test_score_range_outside_every_band_is_none() -> None:
    assert score_range(parse_bands("90%以上得8分；80%以上不到90%得6分"), D(50)) is None


@pytest.mark.parametrize(
    ("phrase", "lower", "upper"),
    [
        # 以上, 以下, 以内, 届满, 及以上, 及以下, (含), 含, 达到, 不低于, 不少于, ≥, ≤ include
        ("90%以上", (D(90), True), None),
        ("90%及以上", (D(90), True), None),
        ("90%(含)以上", (D(90), True), None),
        ("90%含以上", (D(90), True), None),
        ("90%届满", (D(90), True), None),
        ("达到90%", (D(90), True), None),
        ("不低于90%", (D(90), True), None),
        ("不少于90%", (D(90), True), None),
        ("≥90%", (D(90), True), None),
        ("60%以下", None, (D(60), True)),
        ("60%及以下", None, (D(60), True)),
        ("60%(含)以下", None, (D(60), True)),
        ("60%以内", None, (D(60), True)),
        ("≤60%", None, (D(60), True)),
        # 不满, 超过, 以外, 不到, 不足, 低于, 少于, 未达到, 高于, 大于, 小于, >, < exclude
        ("不满60%", None, (D(60), False)),
        ("超过90%", (D(90), False), None),
        ("90%以外", (D(90), False), None),
        ("不到60%", None, (D(60), False)),
        ("不足60%", None, (D(60), False)),
        ("低于60%", None, (D(60), False)),
        ("少于60%", None, (D(60), False)),
        ("未达到60%", None, (D(60), False)),
        ("高于90%", (D(90), False), None),
        ("大于90%", (D(90), False), None),
        ("小于60%", None, (D(60), False)),
        (">90%", (D(90), False), None),
        ("<60%", None, (D(60), False)),
        # an explicit (不含) overrides the word
        ("90%(不含)以上", (D(90), False), None),
        ("60%以下(不含60%)", None, (D(60), False)),
        # two one-sided bounds make a band
        ("78%以上不到90%", (D(78), True), (D(90), False)),
        ("80%以上90%以下", (D(80), True), (D(90), True)),
        ("超过80%、不超过90%", (D(80), False), (D(90), True)),
        ("：80%≤执行率<90%", (D(80), True), (D(90), False)),
        ("：90%>执行率≥80%", (D(80), True), (D(90), False)),
        # a number alone, or 达到100%, is that very rate
        ("为100%", (D(100), True), (D(100), True)),
        ("达到100%", (D(100), True), (D(100), True)),
    ],
)
def test_bound_words(
    phrase: str, lower: tuple[Decimal, bool] | None, upper: tuple[Decimal, bool] | None
) -> None:
    (band,) = parse_bands(f"预算执行率{phrase}得5分")
    assert bounds(band) == (lower, upper)


@pytest.mark.parametrize(
    ("phrase", "lower", "upper"),
    [
        ("80%(含)至90%", (D(80), True), (D(90), False)),
        ("80%（含）至90%", (D(80), True), (D(90), False)),
        ("80%(含)-90%", (D(80), True), (D(90), False)),
        ("80%-90%(含)", (D(80), False), (D(90), True)),
        ("80%至90%(含)", (D(80), False), (D(90), True)),
        ("80%(含)至90%(含)", (D(80), True), (D(90), True)),
        ("80%(不含)至90%(含)", (D(80), False), (D(90), True)),
        ("80%至90%", (D(80), True), (D(90), False)),
        ("80%-90%", (D(80), True), (D(90), False)),
        ("80%~90%", (D(80), True), (D(90), False)),
        ("80%～90%之间", (D(80), True), (D(90), False)),
        ("80-90%", (D(80), True), (D(90), False)),
        ("８０％（含）～９０％", (D(80), True), (D(90), False)),
        ("８５．５％（含）以上", (D("85.5"), True), None),
        ("达到１００％", (D(100), True), (D(100), True)),
    ],
)
def test_ranges_and_full_width(
    phrase: str, lower: tuple[Decimal, bool] | None, upper: tuple[Decimal, bool] | None
) -> None:
    (band,) = parse_bands(f"执行率{phrase}得5分")
    assert bounds(band) == (lower, upper)


@pytest.mark.parametrize(
    ("award", "points"),
    [
        ("得8分", (D(8), D(8))),
        ("得6-8分", (D(6), D(8))),
        ("得6~8分", (D(6), D(8))),
        ("得6至8分", (D(6), D(8))),
        ("得6分-8分", (D(6), D(8))),
        ("得0.5分", (D("0.5"), D("0.5"))),
        ("计5分", (D(5), D(5))),
        ("得0分", (D(0), D(0))),
        ("，不得分", (D(0), D(0))),
    ],
)
def test_awards(award: str, points: tuple[Decimal, Decimal]) -> None:
    (band,) = parse_bands(f"执行率90%以上{award}")
    assert (band.points_min, band.points_max) == points


@pytest.mark.parametrize(
    "rule",
    [
        "执行率低于90%的扣2分",  # a deduction is not an award
        "执行率90%以上得满分，每降低1%扣0.5分",  # no number awarded
        "受益人群是否满意（5分）",  # prose
        "资料齐全得2分",  # no percentage
        "",
    ],
)
def test_clauses_that_are_not_bands(rule: str) -> None:
    assert parse_bands(rule) == []


def test_several_awards_in_one_clause() -> None:
    bands = parse_bands("执行率90%以上得8分，80%以上不到90%得6分，不到80%不得分")
    assert [bounds(b) for b in bands] == [
        ((D(90), True), None),
        ((D(80), True), (D(90), False)),
        (None, (D(80), False)),
    ]


def test_subject_skips_clauses_about_another_rate() -> None:
    rule = "①预算执行率90%以上得4分；②项目完成率90%以上得4分；③执行率不到90%不得分"
    assert len(parse_bands(rule)) == 3
    assert [b.condition for b in parse_bands(rule, subject="预算执行率")] == ["90%以上", "不到90%"]


@pytest.mark.parametrize("rule", CLEAN_RULES)
def test_clean_rules_have_no_problems(rule: str) -> None:
    bands = parse_bands(rule)
    assert len(bands) >= 3
    assert band_problems(bands, weight=D(10)) == []


@pytest.mark.parametrize(
    ("rule", "lower", "upper", "description"),
    [
        (
            "90%以上得8分；80%以上不到85%得6分；不到80%不得分",
            Bound(D(85), True),
            Bound(D(90), False),
            "[85%, 90%)没有任何档次覆盖",
        ),
        (
            "不到80%得0分；超过80%得5分",
            Bound(D(80), True),
            Bound(D(80), True),
            "80%没有任何档次覆盖",
        ),
        (
            "90%以上得8分；50%至90%得4分",
            Bound(D(0), True),
            Bound(D(50), False),
            "[0%, 50%)没有任何档次覆盖",
        ),
    ],
)
def test_gaps(rule: str, lower: Bound, upper: Bound, description: str) -> None:
    (gap,) = band_problems(parse_bands(rule))
    assert (gap.kind, gap.lower, gap.upper, gap.description) == ("gap", lower, upper, description)


def test_gap_and_double_claim_together() -> None:
    problems = band_problems(parse_bands("90%以上得8分；80%以上不到85%得6分；80%以下不得分"))
    assert [p.kind for p in problems] == ["overlap", "gap"]
    assert problems[0].description == "80%同时被“80%以上不到85%”和“80%以下”两档覆盖"


def test_over_weight() -> None:
    bands = parse_bands("90%以上得10分；不到90%得6-8分")
    (problem,) = band_problems(bands, weight=D(8))
    assert problem.kind == "over_weight"
    assert problem.bands == (bands[0],)
    assert problem.description == "“90%以上”最高可得10分，超过该指标权重8分"
    assert band_problems(bands, weight=D(10)) == []


def test_no_suggestion_when_not_a_typo() -> None:
    bands = parse_bands("60%以上得8分；70%以上不到80%得4分；不到60%不得分")
    (overlap,) = (p for p in band_problems(bands) if p.kind == "overlap")
    assert suggest_fix(bands, overlap) is None  # [70, 80) lies inside [60, ∞)


@pytest.mark.parametrize(
    ("text", "points"),
    [
        (SEED_COMPLIANCE, [D(1)] * 5),
        (SEED_TARGETS, [D(1), D(2), D(1), D(4)]),
        (SEED_BANDS, []),
        ("①资料完整(0.5分)②归档及时（１．５分）", [D("0.5"), D("1.5")]),
        ("执行率90%以上得8分；80%至90%得6-8分；其余不得分", []),
        (None, []),
        ("", []),
    ],
)
def test_itemised_points(text: str | None, points: list[Decimal]) -> None:
    assert itemised_points(text) == points


def _percent(value: Decimal, full_width: bool) -> str:
    text = f"{format(value, 'f')}%"
    return (
        text.translate(str.maketrans("0123456789.%", "０１２３４５６７８９．％"))
        if full_width
        else text
    )


@given(
    cuts=st.sets(
        st.decimals(min_value=D("0.1"), max_value=D("99.9"), places=1), min_size=1, max_size=6
    ).map(sorted),
    rate=st.decimals(min_value=0, max_value=100, places=2),
    full_width=st.booleans(),
    below=st.sampled_from(["不到{}", "低于{}", "{}以下（不含{}）", "<{}"]),
)
def test_generated_clean_rules(
    cuts: list[Decimal], rate: Decimal, full_width: bool, below: str
) -> None:
    def pct(value: Decimal) -> str:
        return _percent(value, full_width)

    clauses = [f"{below.format(pct(cuts[0]), pct(cuts[0]))}得0分"]
    clauses += [f"{pct(a)}（含）至{pct(b)}得{i}分" for i, (a, b) in enumerate(pairwise(cuts), 1)]
    clauses.append(f"{pct(cuts[-1])}（含）以上得{len(cuts)}分")
    bands = parse_bands("；".join(reversed(clauses)))

    assert len(bands) == len(cuts) + 1
    assert band_problems(bands) == []
    points = D(bisect_right(cuts, rate))  # the band holding the rate awards its index
    assert score_range(bands, rate) == (points, points)


def test_an_unmarked_top_of_100_percent_is_included() -> None:
    bands = parse_bands("90%（含）-100%得8分；80%（含）-90%得6分；不到80%不得分")
    assert bands[0].upper == Bound(Decimal(100), True)
    assert band_problems(bands, Decimal(8)) == []
    assert score_range(bands, Decimal(100)) == (Decimal(8), Decimal(8))
