"""The check catalogue on the seed form and on variants of it.

The seed's findings are pinned: every defect DOMAIN.md lists, and nothing else. The
repaired seed (``seedforms.fixed_seed``) gives no finding at all. Every check id has
variants that must trigger it and variants that must not; a new check without both
fails ``test_every_check_has_cases``.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import formgen as fg
import nationalforms as nf
import pytest
from seedforms import (
    FIXED_GROUPS,
    SEED_BANDS_RULE,
    fixed_seed,
    fixed_seed_rows,
    regrouped,
    seed,
    with_evaluation,
    with_indicator,
    with_project,
    with_total,
)

from perfeval.check.base import CheckSettings
from perfeval.check.catalogue import catalogue, read_settings, run_checks
from perfeval.exceptions import ParamsError
from perfeval.findings import SEVERITIES, Finding
from perfeval.model import Evaluation, GradeBand, Leftover
from perfeval.read.forms import read_form
from perfeval.review.build import load_settings

D = Decimal
REPO = Path(__file__).resolve().parents[1]

FINANCE = "财务（资产）管理制度健全性和执行的有效性"
SETUP = "项目设立的规范性"
TARGETS = "绩效目标合理性"
BUDGET = "预算执行率"
COMPLIANCE = "资金使用的合规性"
MANAGEMENT = "项目管理制度健全性和执行的有效性"
COMPLETION = "项目完成率"
QUALITY = "项目完成合格率"
TIMELINESS = "项目完成及时率"
COVERAGE = "受益人群覆盖率"
AWARENESS = "政策知晓率"
LONG_TERM = "长效管理机制健全性"
SATISFACTION = "受益人群满意度"

Place = tuple[str, str, str | None]


def place(finding: Finding) -> str | None:
    """The indicator a finding concerns, else its 一级指标, else None (the whole form)."""
    return finding.indicator or finding.category


def places(findings: list[Finding]) -> list[Place]:
    return sorted((f.check, f.severity, place(f)) for f in findings)


def of(check: str, evaluation: Evaluation, settings: CheckSettings | None = None) -> list[Finding]:
    """The findings one check makes in a full run."""
    return [f for f in run_checks(evaluation, settings) if f.check == check]


# --- the seed, pinned -------------------------------------------------------------------------

SEED_FINDINGS: list[Place] = sorted(
    [
        # The group labels do not match their rows; 项目完成率 (14分) is no group at all.
        ("category.subtotal", "error", "投入与管理"),
        ("category.subtotal", "error", "项目完成率"),
        ("category.subtotal", "error", "产出目标"),
        ("category.subtotal", "error", "效果目标"),
        ("category.subtotal", "error", "影响力目标"),
        # 政策知晓率 has no score, yet the 合计 says 96; at 89 the grade is 良好.
        ("score.missing", "error", AWARENESS),
        ("total.mismatch", "error", None),
        ("grade.mismatch", "error", None),
        # 资金使用的合规性: points 3 of 6, and the rule sits in the 指标解释 column.
        ("rule.points", "error", COMPLIANCE),
        ("rule.points", "warning", COMPLIANCE),
        # 预算执行率: 78 for 80, and 70% claimed twice.
        ("rule.bands", "error", BUDGET),
        ("rule.bands", "error", BUDGET),
        # One boilerplate rule for three indicators.
        ("rule.boilerplate", "warning", COMPLETION),
        ("rule.boilerplate", "warning", QUALITY),
        ("rule.boilerplate", "warning", TIMELINESS),
        # 是否为经常性项目 blank though 改进措施 says it is; 上年预算完成率 0.00.
        ("header.inconsistent", "warning", None),
        ("header.inconsistent", "warning", None),
        # 主要绩效 repeats two phrases back to back.
        ("text.repeated", "warning", None),
        ("text.repeated", "warning", None),
        # 主要问题 admits planning fell short; the planning indicators have full marks.
        ("fullmarks.contradicted", "warning", SETUP),
        ("fullmarks.contradicted", "warning", TARGETS),
    ]
)


def test_seed_findings_are_pinned() -> None:
    assert places(run_checks(seed())) == SEED_FINDINGS


def test_seed_regrouping_is_36_34_15_15() -> None:
    findings = of("category.subtotal", seed())
    expected = [
        {"category": "投入与管理", "points": 36, "from": FINANCE, "to": MANAGEMENT},
        {"category": "产出目标", "points": 34, "from": COMPLETION, "to": TIMELINESS},
        {"category": "效果目标", "points": 15, "from": COVERAGE, "to": AWARENESS},
        {"category": "影响力目标", "points": 15, "from": LONG_TERM, "to": SATISFACTION},
    ]
    assert all(f.evidence["regrouping"] == expected for f in findings)
    by_group = {f.category: f for f in findings}
    first = by_group["投入与管理"]
    assert (first.evidence["declared"], first.evidence["weights"]) == (36, 32)
    assert first.suggestion is not None
    assert "36/34/15/15" in first.suggestion
    assert f"“{FINANCE}”至“{MANAGEMENT}”共6项" in first.suggestion
    assert f"“{COMPLETION}”至“{TIMELINESS}”共3项" in str(by_group["产出目标"].suggestion)
    not_a_group = by_group["项目完成率"]
    assert "不像一级指标" in not_a_group.message
    assert "不是一级指标" in str(not_a_group.suggestion)


def test_seed_total_implies_policy_awareness_seven() -> None:
    [finding] = of("total.mismatch", seed())
    assert finding.evidence == {
        "declared": 96,
        "computed": 89,
        "difference": 7,
        "implied_indicator": AWARENESS,
        "implied_score": 7,
    }
    assert f"空白的“{AWARENESS}”得7分" in str(finding.suggestion)
    [missing] = of("score.missing", seed())
    assert missing.evidence["weight"] == 7


def test_a_moved_blank_moves_the_implied_score() -> None:
    moved = with_indicator(seed(), AWARENESS, self_score=D(7))
    moved = with_indicator(moved, SATISFACTION, self_score=None)
    [finding] = of("total.mismatch", moved)
    assert (finding.evidence["implied_indicator"], finding.evidence["implied_score"]) == (
        SATISFACTION,
        5,
    )
    assert [f.indicator for f in of("score.missing", moved)] == [SATISFACTION]
    # A gap larger than the blank row's weight implies nothing.
    [finding] = of("total.mismatch", with_total(moved, self_score=D(97)))
    assert finding.evidence["implied_indicator"] is None
    assert finding.suggestion == "合计应为91分。"


def test_seed_grade_is_good_not_excellent_on_the_scores() -> None:
    [finding] = of("grade.mismatch", seed())
    assert finding.evidence["grade_of_computed"] == "良好"
    assert finding.evidence["computed_total"] == 89
    assert "良好" in finding.message
    assert finding.suggestion == "按各项得分，等级应为“良好”。"


def test_seed_budget_bands_overlap_and_claim_seventy_twice() -> None:
    overlap, double = of("rule.bands", seed())
    assert overlap.evidence["kind"] == "overlap"
    assert "[78%, 80%)" in overlap.message
    assert "“78%”很可能是“80%”之误" in str(overlap.suggestion)
    assert "80%以上不到90%" in str(overlap.suggestion)
    assert double.message.startswith("指标“预算执行率”的评分档次：70%同时被")
    assert "不到70%" in str(double.suggestion)
    # At 100% execution the rule gives 8, which is the self-score.
    assert of("rule.auto_score", seed()) == []


def test_seed_compliance_points_and_column() -> None:
    error, warning = of("rule.points", seed())
    assert (error.severity, warning.severity) == ("error", "warning")
    assert error.evidence["items"] == [1, 2]
    assert (error.evidence["total"], error.evidence["weight"]) == (3, 6)
    assert "指标解释中逐项分值合计3分（1+2），与权重6分不符" in error.message
    assert "评分规则栏为空，评分规则写在了指标解释栏" in warning.message


def test_seed_boilerplate_trio() -> None:
    findings = of("rule.boilerplate", seed())
    trio = [COMPLETION, QUALITY, TIMELINESS]
    assert [f.indicator for f in findings] == trio
    assert all(f.evidence["indicators"] == trio for f in findings)


def test_seed_header_contradictions() -> None:
    recurring, prior = of("header.inconsistent", seed())
    assert recurring.evidence["quote"] == "项目为经常性项目"
    assert recurring.suggestion == "“是否为经常性项目”应填“是”。"
    assert prior.evidence["field"] == "上年预算完成率"
    assert of("header.missing", seed()) == []


def test_seed_repeated_phrases() -> None:
    findings = of("text.repeated", seed())
    assert [(f.evidence["field"], f.evidence["phrase"]) for f in findings] == [
        ("主要绩效", "居民区党组织沟通"),
        ("主要绩效", "和收集群众诉求，妥善解决"),
    ]


def test_seed_full_marks_contradicted_quotes_the_admission() -> None:
    findings = of("fullmarks.contradicted", seed())
    assert [f.indicator for f in findings] == [SETUP, TARGETS]
    for finding in findings:
        assert "工作计划制定的有效性存在欠缺" in finding.message
        assert "工作计划制定的有效性存在欠缺" in finding.evidence["quote"]


def test_seed_deductions_carry_remarks() -> None:
    assert of("deduction.unexplained", seed()) == []


def test_fixed_seed_has_no_findings() -> None:
    assert run_checks(fixed_seed()) == []


def test_fixed_seed_rows_read_back_as_fixed_seed(tmp_path: Path) -> None:
    path = fg.write_tsv(fixed_seed_rows(), tmp_path / "fixed.txt")
    [read], _ = read_form(path)
    fixed = fixed_seed()
    assert read.project == fixed.project
    assert read.indicators == fixed.indicators
    assert read.declared_total == fixed.declared_total
    assert read.grade_bands == fixed.grade_bands


# --- fix one defect of the seed: exactly its findings go -----------------------------------

SEED_GROUPS = (
    ("投入与管理", D(36), 5),
    ("项目完成率", D(14), 3),
    ("产出目标", D(34), 2),
    ("效果目标", D(15), 2),
    ("影响力目标", D(15), 1),
)


def _fixed_compliance(evaluation: Evaluation) -> Evaluation:
    rule = "①资金的使用拨付是否有完整的审批程序和手续；（3分）②是否符合项目预算批复或合同规定的用途。（3分）"
    return with_indicator(evaluation, COMPLIANCE, explanation="项目资金使用是否合规。", rule=rule)


def _fixed_arithmetic(evaluation: Evaluation) -> Evaluation:
    evaluation = regrouped(evaluation, FIXED_GROUPS)
    evaluation = with_indicator(evaluation, AWARENESS, self_score=D(7))
    evaluation = _fixed_compliance(evaluation)
    return with_indicator(evaluation, BUDGET, rule=_rule(BUDGET))


FIXES: list[tuple[str, Callable[[Evaluation], Evaluation], set[str]]] = [
    ("regrouped", lambda e: regrouped(e, FIXED_GROUPS), {"category.subtotal"}),
    (
        "policy awareness scored 7",
        lambda e: with_indicator(e, AWARENESS, self_score=D(7)),
        {"score.missing", "total.mismatch", "grade.mismatch"},
    ),
    ("compliance rule moved and completed", _fixed_compliance, {"rule.points"}),
    (
        "budget bands mended",
        lambda e: with_indicator(e, BUDGET, rule=_rule(BUDGET)),
        {"rule.bands"},
    ),
    (
        "recurring and prior-year rate filled in",
        lambda e: with_project(e, recurring=True, prior_year_rate=D("0.98")),
        {"header.inconsistent"},
    ),
    (
        "repeats removed",
        lambda e: with_project(e, performance=fixed_seed().project.performance),
        {"text.repeated"},
    ),
    (
        "admission removed from 主要问题",
        lambda e: with_project(e, problems="应提升群众精神文明建设，增强群众满意度。"),
        {"fullmarks.contradicted"},
    ),
]


@pytest.mark.parametrize(("fix", "gone"), [(f, g) for _, f, g in FIXES], ids=[n for n, *_ in FIXES])
def test_fixing_one_defect_removes_exactly_its_findings(
    fix: Callable[[Evaluation], Evaluation], gone: set[str]
) -> None:
    assert places(run_checks(fix(seed()))) == [p for p in SEED_FINDINGS if p[0] not in gone]


def test_arithmetic_checks_are_silent_when_the_figures_add_up() -> None:
    arithmetic = {check.id for check in catalogue() if check.arithmetic}
    assert {"weights.total", "category.subtotal", "total.mismatch", "rule.bands"} <= arithmetic
    findings = run_checks(_fixed_arithmetic(seed()))
    assert [f for f in findings if f.check in arithmetic] == []
    # What the text says is still wrong.
    assert {f.check for f in findings} == {
        "rule.boilerplate",
        "header.inconsistent",
        "text.repeated",
        "fullmarks.contradicted",
    }


# --- every check: variants that trigger it, variants that must not ---------------------------


@dataclass(frozen=True)
class Case:
    """A variant and what one check must find on it ([] = nothing).

    District variants are made from the fixed seed as models; national ones from
    ``nationalforms.clean_form()`` as forms, written out and read back.
    """

    check: str
    name: str
    make: Callable[[], Evaluation | nf.NationalForm]
    expected: list[tuple[str, str | None]]

    @property
    def id(self) -> str:
        return f"{self.check}:{self.name}"


def F() -> Evaluation:
    return fixed_seed()


def _rule(name: str) -> str:
    indicator = fixed_seed().indicator(name)
    assert indicator is not None and indicator.rule is not None
    return indicator.rule


def _with_rate(rate: str, **budget_changes: Any) -> Evaluation:
    """The fixed seed executing ``rate`` of its budget, figures consistent."""
    executed = D(242400) * D(rate)
    evaluation = with_project(F(), executed=executed, execution_rate=D(rate))
    return with_indicator(evaluation, BUDGET, **budget_changes) if budget_changes else evaluation


def _seed_rules(evaluation: Evaluation) -> Evaluation:
    for name in (COMPLETION, QUALITY, TIMELINESS):
        original = seed().indicator(name)
        assert original is not None
        evaluation = with_indicator(evaluation, name, rule=original.rule)
    return evaluation


_EXCELLENT_BANDS_RULE = (
    "90%（含）以上得8分；80%（含）至90%得6-8分；70%（含）至80%得4-6分；70%以下(不含70%)不得分"
)
_MEASURES = "建议在后续年度项目实施前，加强排摸调研工作，明确工作安排及时间节点。"

CASES: list[Case] = [
    # weights.total
    Case(
        "weights.total",
        "a weight raised to 101 in all",
        lambda: with_indicator(F(), SATISFACTION, weight=D(6)),
        [("error", None), ("error", None)],
    ),
    Case(
        "weights.total",
        "合计 row says 99",
        lambda: with_total(F(), weight=D(99)),
        [("error", None)],
    ),
    Case(
        "weights.total",
        "weights moved between two rows of a group",
        lambda: with_indicator(with_indicator(F(), COVERAGE, weight=D(9)), AWARENESS, weight=D(6)),
        [],
    ),
    Case("weights.total", "合计 row without a weight", lambda: with_total(F(), weight=None), []),
    # category.subtotal
    Case(
        "category.subtotal",
        "one row moved into the next group",
        lambda: regrouped(
            F(),
            (("投入与管理", D(36), 5), ("产出目标", D(34), 4), *FIXED_GROUPS[2:]),
        ),
        [("error", "投入与管理"), ("error", "产出目标")],
    ),
    Case(
        "category.subtotal",
        "the seed's labels",
        lambda: regrouped(F(), SEED_GROUPS),
        [
            ("error", "投入与管理"),
            ("error", "项目完成率"),
            ("error", "产出目标"),
            ("error", "效果目标"),
            ("error", "影响力目标"),
        ],
    ),
    Case(
        "category.subtotal",
        "labels without points",
        lambda: regrouped(F(), tuple((name, None, size) for name, _, size in FIXED_GROUPS)),
        [],
    ),
    Case(
        "category.subtotal",
        "weights moved between two rows of a group",
        lambda: with_indicator(with_indicator(F(), COVERAGE, weight=D(9)), AWARENESS, weight=D(6)),
        [],
    ),
    # score.missing
    Case(
        "score.missing",
        "a blank score",
        lambda: with_indicator(F(), SATISFACTION, self_score=None),
        [("error", SATISFACTION)],
    ),
    Case(
        "score.missing",
        "a zero is a score",
        lambda: with_indicator(F(), SATISFACTION, self_score=D(0), remark="未开展满意度调查。"),
        [],
    ),
    # score.range
    Case(
        "score.range",
        "6 of 5",
        lambda: with_indicator(F(), SATISFACTION, self_score=D(6)),
        [("error", SATISFACTION)],
    ),
    Case(
        "score.range",
        "negative",
        lambda: with_indicator(F(), SATISFACTION, self_score=D(-1), remark="x"),
        [("error", SATISFACTION)],
    ),
    Case(
        "score.range",
        "0 and full marks are in range",
        lambda: with_indicator(F(), SATISFACTION, self_score=D(0), remark="未开展满意度调查。"),
        [],
    ),
    # total.mismatch
    Case(
        "total.mismatch",
        "合计 one point high",
        lambda: with_total(F(), self_score=D(95)),
        [("error", None)],
    ),
    Case(
        "total.mismatch",
        "a blank score the 合计 counts",
        lambda: with_indicator(F(), SATISFACTION, self_score=None),
        [("error", None)],
    ),
    Case("total.mismatch", "合计 blank", lambda: with_total(F(), self_score=None), []),
    Case(
        "total.mismatch",
        "0.005 off, inside the tolerance",
        lambda: with_total(F(), self_score=D("94.005")),
        [],
    ),
    # grade.mismatch
    Case(
        "grade.mismatch",
        "良好 declared on 94",
        lambda: with_project(F(), grade="良好"),
        [("error", None)],
    ),
    Case(
        "grade.mismatch",
        "88 declared and scored, grade 优",
        lambda: with_total(
            with_indicator(F(), LONG_TERM, self_score=D(2), remark="机制未建立。"),
            self_score=D(88),
        ),
        [("error", None)],
    ),
    Case(
        "grade.mismatch",
        "a grade that is none of the form's",
        lambda: with_project(F(), grade="A"),
        [("warning", None)],
    ),
    Case("grade.mismatch", "优秀 written out", lambda: with_project(F(), grade="优秀"), []),
    Case("grade.mismatch", "grade blank", lambda: with_project(F(), grade=None), []),
    # budget.rate
    Case(
        "budget.rate",
        "rate 95% declared for 100%",
        lambda: with_project(F(), execution_rate=D("0.95")),
        [("error", None)],
    ),
    Case(
        "budget.rate",
        "executed above budget",
        lambda: with_project(F(), executed=D(250000), execution_rate=D(250000) / D(242400)),
        [("warning", None)],
    ),
    Case("budget.rate", "consistent at 85%", lambda: _with_rate("0.85", self_score=D(7)), []),
    Case(
        "budget.rate",
        "0.005 pp off, inside the tolerance",
        lambda: with_project(F(), execution_rate=D("0.99995")),
        [],
    ),
    # rule.points
    Case(
        "rule.points",
        "itemised points add to 6 of 5",
        lambda: with_indicator(F(), FINANCE, rule=_rule(FINANCE).replace("（1分）", "（2分）", 1)),
        [("error", FINANCE)],
    ),
    Case(
        "rule.points",
        "rule in the explanation column",
        lambda: with_indicator(
            F(), COMPLIANCE, explanation="项目资金使用是否合规。" + _rule(COMPLIANCE), rule=None
        ),
        [("warning", COMPLIANCE)],
    ),
    Case(
        "rule.points",
        "itemised points in both columns",
        lambda: with_indicator(
            F(), COMPLIANCE, explanation="资金使用是否合规。" + _rule(COMPLIANCE)
        ),
        [],
    ),
    Case(
        "rule.points",
        "full-width points still add up",
        lambda: with_indicator(F(), FINANCE, rule=_rule(FINANCE).replace("1分", "１分")),
        [],
    ),
    # rule.bands
    Case(
        "rule.bands",
        "the seed's bands",
        lambda: with_indicator(F(), BUDGET, rule=SEED_BANDS_RULE),
        [("error", BUDGET), ("error", BUDGET)],
    ),
    Case(
        "rule.bands",
        "a band above the weight",
        lambda: with_indicator(
            F(), BUDGET, rule="90%（含）以上得10分；80%（含）至90%得6-8分；不到80%不得分。"
        ),
        [("error", BUDGET)],
    ),
    Case(
        "rule.bands",
        "a gap from 70% to 80%",
        lambda: with_indicator(
            F(), BUDGET, rule="90%（含）以上得8分；80%（含）至90%得6-8分；不到70%不得分。"
        ),
        [("warning", BUDGET)],
    ),
    Case(
        "rule.bands",
        "bounds closed with (含)",
        lambda: with_indicator(F(), BUDGET, rule=_EXCELLENT_BANDS_RULE),
        [],
    ),
    Case(
        "rule.bands",
        "a single condition is no band rule",
        lambda: with_indicator(F(), BUDGET, rule="预算执行率达到100%得8分，否则按比例计分。"),
        [],
    ),
    # rule.auto_score
    Case(
        "rule.auto_score",
        "6 where 100% earns 8",
        lambda: with_indicator(F(), BUDGET, self_score=D(6), remark="执行进度偏慢。"),
        [("error", BUDGET)],
    ),
    Case(
        "rule.auto_score",
        "8 where 75% earns 4-6",
        lambda: _with_rate("0.75"),
        [("error", BUDGET)],
    ),
    Case(
        "rule.auto_score",
        "7 where 85% earns 6-8",
        lambda: _with_rate("0.85", self_score=D(7), remark="执行率85%。"),
        [],
    ),
    Case(
        "rule.auto_score",
        "overlapping bands allow their union (79%: 4-8)",
        lambda: _with_rate("0.79", rule=SEED_BANDS_RULE),
        [],
    ),
    # rule.missing
    Case(
        "rule.missing",
        "no rule",
        lambda: with_indicator(F(), SATISFACTION, rule=None),
        [("warning", SATISFACTION)],
    ),
    Case(
        "rule.missing",
        "rule in the explanation column (rule.points says so)",
        lambda: with_indicator(
            F(), COMPLIANCE, explanation="项目资金使用是否合规。" + _rule(COMPLIANCE), rule=None
        ),
        [],
    ),
    # rule.boilerplate
    Case(
        "rule.boilerplate",
        "one rule copied to another row",
        lambda: with_indicator(F(), QUALITY, rule=_rule(COMPLETION)),
        [("warning", COMPLETION), ("warning", QUALITY)],
    ),
    Case(
        "rule.boilerplate",
        "the seed's three rules",
        lambda: _seed_rules(F()),
        [("warning", COMPLETION), ("warning", QUALITY), ("warning", TIMELINESS)],
    ),
    Case(
        "rule.boilerplate",
        "rules sharing a frame but not a standard",
        lambda: with_indicator(
            F(),
            QUALITY,
            rule="工作成果经检查验收全部达到质量要求得10分，每有一项未完成扣2分，扣完为止。",
        ),
        [],
    ),
    # deduction.unexplained
    Case(
        "deduction.unexplained",
        "a deduction without a remark",
        lambda: with_indicator(F(), LONG_TERM, remark=None),
        [("warning", LONG_TERM)],
    ),
    Case(
        "deduction.unexplained",
        "the reason given as 偏差原因",
        lambda: with_indicator(F(), LONG_TERM, remark=None, deviation_reason="机制建设滞后。"),
        [],
    ),
    # fullmarks.contradicted
    Case(
        "fullmarks.contradicted",
        "planning admitted, planning indicators at full marks",
        lambda: with_indicator(
            with_indicator(F(), SETUP, self_score=D(5)), TARGETS, self_score=D(8)
        ),
        [("warning", SETUP), ("warning", TARGETS)],
    ),
    Case(
        "fullmarks.contradicted",
        "low awareness admitted, awareness at full marks",
        lambda: with_project(F(), problems="居民对相关政策的知晓率偏低。"),
        [("warning", AWARENESS)],
    ),
    Case(
        "fullmarks.contradicted",
        "a problem denied",
        lambda: with_project(F(), problems="本项目不存在预算执行进度滞后的问题。"),
        [],
    ),
    Case(
        "fullmarks.contradicted",
        "a wish, not an admission",
        lambda: with_project(F(), problems="应进一步提升群众满意度，加强宣传，提高政策知晓率。"),
        [],
    ),
    # text.repeated
    Case(
        "text.repeated",
        "a phrase doubled in 改进措施",
        lambda: with_project(
            F(), measures=_MEASURES.replace("加强排摸调研工作，", "加强排摸调研工作，" * 2)
        ),
        [("warning", None)],
    ),
    Case(
        "text.repeated",
        "short and numeric repeats",
        lambda: with_project(F(), measures="热情热情服务群众；2020年2020年度；100%100%完成。"),
        [],
    ),
    # header.missing
    Case(
        "header.missing",
        "no 自评时间",
        lambda: with_project(F(), evaluated_on=None),
        [("warning", None)],
    ),
    Case(
        "header.missing",
        "是否为经常性项目 blank and nothing says",
        lambda: with_project(F(), recurring=None, measures=_MEASURES),
        [("warning", None)],
    ),
    Case(
        "header.missing",
        "具体实施处 is not required",
        lambda: with_project(F(), department=None),
        [],
    ),
    Case(
        "header.missing",
        "是否为经常性项目 blank but the text says (header.inconsistent's case)",
        lambda: with_project(F(), recurring=None),
        [],
    ),
    # header.inconsistent
    Case(
        "header.inconsistent",
        "否 though the text says recurring",
        lambda: with_project(F(), recurring=False),
        [("warning", None)],
    ),
    Case(
        "header.inconsistent",
        "recurring with a prior-year rate of 0",
        lambda: with_project(F(), prior_year_rate=D(0)),
        [("warning", None)],
    ),
    Case(
        "header.inconsistent",
        "否, and the text says 非经常性项目",
        lambda: with_project(
            F(),
            recurring=False,
            prior_year_rate=D(0),
            measures="本项目为非经常性项目，今后不再安排。",
        ),
        [],
    ),
    Case(
        "header.inconsistent",
        "否, and the text says 不属于经常性项目",
        lambda: with_project(F(), recurring=False, measures="本项目不属于经常性项目。"),
        [],
    ),
]


# --- the national form's checks, on variants of nationalforms.clean_form() -------------------

N = nf.clean_form
TOTAL_ROW = "年度资金总额"
MEALS = "新建社区助餐点数量"
OPERATION = "社区助餐长效运营机制"
MEAL_COST = "每客餐补贴标准"
ELDERLY = "老年人助餐服务满意度"


def _recategorised(count: int) -> nf.NationalForm:
    """The first ``count`` 效益 rows (10 points each) filed under 产出 instead."""
    form = N()
    rows = list(form.indicators)
    first = next(i for i, row in enumerate(rows) if row.category == "效益指标")
    for index in range(first, first + count):
        rows[index] = replace(rows[index], category="产出指标")
    return replace(form, indicators=tuple(rows))


CASES += [
    # budget.score
    Case(
        "budget.score",
        "9.00 where 10 × 97% is 9.70",
        lambda: nf.with_budget(N(), TOTAL_ROW, score="9.00"),
        [("error", None)],
    ),
    Case(
        "budget.score",
        "9.71, one rounding step off",
        lambda: nf.with_budget(N(), TOTAL_ROW, score="9.71"),
        [],
    ),
    # budget.breakdown
    Case(
        "budget.breakdown",
        "其中 rows short of the total",
        lambda: nf.with_budget(N(), "其中：当年财政拨款", adjusted="270.00"),
        [("error", None)],
    ),
    Case(
        "budget.breakdown",
        "其他资金 written as —",
        lambda: nf.with_budget(N(), "其他资金", initial="—", adjusted="—", executed="—"),
        [],
    ),
    # budget.unit
    Case("budget.unit", "a 万元 block filled in yuan", nf.yuan_form, [("warning", None)]),
    Case("budget.unit", "a 万元 block in 万元", N, []),
    # indicator.expected_score
    Case(
        "indicator.expected_score",
        "full marks at 5 of 6",
        lambda: nf.with_indicator(N(), MEALS, score="5"),
        [("warning", MEALS)],
    ),
    Case(
        "indicator.expected_score",
        "4.16 for 5 × 5 ÷ 6 = 4.1667, cut to two decimals",
        lambda: nf.with_indicator(N(), MEALS, score="4.16"),
        [],
    ),
    # indicator.tier
    Case(
        "indicator.tier",
        "基本建立 scored as 达成",
        lambda: nf.with_indicator(N(), OPERATION, score="10"),
        [("warning", OPERATION)],
    ),
    Case(
        "indicator.tier",
        "基本建立 at 80%, the bound of both tiers",
        lambda: nf.with_indicator(N(), OPERATION, score="8"),
        [],
    ),
    # deviation.unexplained
    Case(
        "deviation.unexplained",
        "a shortfall without 偏差原因",
        lambda: nf.with_indicator(N(), MEALS, reason=""),
        [("warning", MEALS)],
    ),
    Case(
        "deviation.unexplained",
        "target exceeded, full marks, no reason needed",
        lambda: nf.with_indicator(N(), MEALS, actual="7个", score="5", reason=""),
        [],
    ),
    # indicator.direction
    Case(
        "indicator.direction",
        "a cost written ≥",
        lambda: nf.with_indicator(N(), MEAL_COST, target="≥8元/客"),
        [("warning", MEAL_COST)],
    ),
    Case(
        "indicator.direction",
        "a cost without an operator",
        lambda: nf.with_indicator(N(), MEAL_COST, target="8元/客"),
        [],
    ),
    # satisfaction.evidence
    Case(
        "satisfaction.evidence",
        "未收到投诉 for a survey",
        lambda: nf.with_indicator(N(), ELDERLY, actual="未收到投诉"),
        [("warning", ELDERLY)],
    ),
    Case(
        "satisfaction.evidence",
        "a survey in words",
        lambda: nf.with_indicator(N(), ELDERLY, actual="问卷调查显示满意"),
        [],
    ),
    # weights.structure
    Case(
        "weights.structure",
        "产出 70 / 效益 10",
        lambda: _recategorised(2),
        [("info", None)],
    ),
    Case("weights.structure", "产出 60 / 效益 20, 10 off at most", lambda: _recategorised(1), []),
]


def _evaluation(made: Evaluation | nf.NationalForm, folder: Path) -> Evaluation:
    if isinstance(made, Evaluation):
        return made
    [evaluation], _ = read_form(nf.write_form_tsv(made, folder / "national.txt"))
    assert evaluation.format == "national"
    return evaluation


def test_every_check_has_cases() -> None:
    ids = set(catalogue().ids())
    assert {case.check for case in CASES if case.expected} == ids, "a check without a trigger"
    assert {case.check for case in CASES if not case.expected} == ids, "a check without a miss"
    assert len({case.id for case in CASES}) == len(CASES)


def _left(evaluation: Evaluation) -> Evaluation:
    changed = copy.deepcopy(evaluation)
    changed.leftovers = [Leftover(20, "指标2"), Leftover(21, "……")]
    return changed


CASES += [
    # budget.weight
    Case(
        "budget.weight",
        "预算执行 worth 20 points",
        lambda: nf.with_budget(N(), TOTAL_ROW, weight="20", score="19.40"),
        [("warning", None)],
    ),
    Case("budget.weight", "预算执行 worth 10 points", N, []),
    # budget.trimmed
    Case(
        "budget.trimmed",
        "全年预算数 cut from 320 to the 291 spent",
        lambda: nf.with_budget(
            nf.with_budget(N(), TOTAL_ROW, adjusted="291.00", rate="100.00%", score="10"),
            "其中：当年财政拨款",
            adjusted="271.00",
        ),
        [("warning", None)],
    ),
    Case("budget.trimmed", "全年预算数 300, 291 spent", N, []),
    # target.lax
    Case(
        "target.lax",
        "6 planned, 150 done",
        lambda: nf.with_indicator(N(), MEALS, target="6个", actual="150个", score="5"),
        [("warning", MEALS)],
    ),
    Case(
        "target.lax",
        "6 planned, 17 done (under three times)",
        lambda: nf.with_indicator(N(), MEALS, target="6个", actual="17个", score="5"),
        [],
    ),
    # goal.figures
    Case(
        "goal.figures",
        "goals written as bare amounts",
        lambda: replace(N(), goal="320", performance="291"),
        [("warning", None)],
    ),
    Case(
        "goal.figures",
        "amounts that add up",
        lambda: replace(N(), goal="共申请资金320万元。其中：补贴300万元，结转20万元。"),
        [],
    ),
    # template.leftover
    Case("template.leftover", "rows 指标2 and …… left", lambda: _left(F()), [("info", None)]),
    Case("template.leftover", "no template rows", F, []),
    # read.notice
    Case(
        "read.notice",
        "rows past the bound not read",
        lambda: with_evaluation(F(), notices=["表格超过 5000 行，只读取了前 5000 行"]),
        [("warning", None)],
    ),
    Case("read.notice", "read whole", F, []),
    # indicator.duplicate
    Case(
        "indicator.duplicate",
        "项目完成合格率 misnamed 项目完成率",
        lambda: with_indicator(F(), "项目完成合格率", name="项目完成率"),
        [("warning", "项目完成率")],
    ),
    Case("indicator.duplicate", "every name once", F, []),
    # text.prompt
    Case(
        "text.prompt",
        "the template's prompt as 主要问题",
        lambda: with_project(F(), problems="结合自评情况，分析存在的问题及原因。（200字以内）"),
        [("warning", None)],
    ),
    Case("text.prompt", "the unit's own words", F, []),
]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_check_on_variant(case: Case, tmp_path: Path) -> None:
    found = [(f.severity, place(f)) for f in of(case.check, _evaluation(case.make(), tmp_path))]
    assert found == case.expected


# --- exactness --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("declared", "reported"),
    [
        ("94.005", False),
        ("93.995", False),
        ("94.01", False),  # one hundredth is still rounding
        ("93.99", False),
        ("94.02", True),
        ("93.98", True),
        ("94.00", False),
    ],
)
def test_total_tolerance_is_one_hundredth(declared: str, reported: bool) -> None:
    assert bool(of("total.mismatch", with_total(F(), self_score=D(declared)))) is reported


@pytest.mark.parametrize(
    ("weight", "reported"), [("5.005", False), ("5.01", False), ("5.02", True)]
)
def test_weight_tolerance_is_one_hundredth(weight: str, reported: bool) -> None:
    evaluation = with_indicator(F(), SATISFACTION, weight=D(weight))
    assert bool(of("weights.total", evaluation)) is reported


@pytest.mark.parametrize(
    ("rate", "reported"),
    [
        ("0.99995", False),
        ("1.00005", False),
        ("0.9999", False),
        ("1.0001", False),
        ("0.9998", True),
        ("1.0002", True),
    ],
)
def test_rate_tolerance_is_one_hundredth_of_a_point(rate: str, reported: bool) -> None:
    evaluation = with_project(F(), execution_rate=D(rate))
    assert bool([f for f in of("budget.rate", evaluation) if f.severity == "error"]) is reported


def test_arithmetic_is_exact() -> None:
    # In binary floating point 93.03 − 93.02 comes out just over 0.01 and would be
    # reported; in Decimal it is 0.01 exactly, one rounding step, which is not.
    evaluation = with_indicator(F(), SATISFACTION, self_score=D("4.02"), remark="满意度93%。")
    scores = [i.self_score for i in evaluation.indicators]
    assert sum(float(s or 0) for s in scores) == pytest.approx(93.02)
    assert float(D("93.03")) - sum(float(s or 0) for s in scores) > 0.01
    assert of("total.mismatch", with_total(evaluation, self_score=D("93.03"))) == []
    [finding] = of("total.mismatch", with_total(evaluation, self_score=D("93.04")))
    assert finding.evidence["difference"] == 0.02


def test_total_mismatch_message_states_the_difference_unsigned() -> None:
    [finding] = of("total.mismatch", with_total(F(), self_score=D(93)))
    assert finding.message == "合计自评分为93分，但各项自评分相加为94分，相差1分。"
    assert finding.evidence["difference"] == -1


# --- settings ---------------------------------------------------------------------------------


def _settings(tmp_path: Path, data: Any) -> CheckSettings:
    path = tmp_path / "checks.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return read_settings(path)


def test_disabled_check_says_nothing(tmp_path: Path) -> None:
    settings = _settings(tmp_path, {"disabled": ["rule.boilerplate", "text.repeated"]})
    expected = [p for p in SEED_FINDINGS if p[0] not in {"rule.boilerplate", "text.repeated"}]
    assert places(run_checks(seed(), settings)) == expected


def test_severity_is_reweighted_and_resorted(tmp_path: Path) -> None:
    settings = _settings(
        tmp_path, {"severity": {"score.missing": "info", "text.repeated": "error"}}
    )
    findings = run_checks(seed(), settings)
    assert [f.severity for f in findings if f.check == "score.missing"] == ["info"]
    assert [f.severity for f in findings if f.check == "text.repeated"] == ["error", "error"]
    assert findings[-1].check == "score.missing"
    assert _severity_ranks(findings) == sorted(_severity_ranks(findings))


DISTRICT_85 = [
    {"grade": "优秀", "min": 85, "max": 100, "max_inclusive": True},
    {"grade": "良好", "min": 75, "max": 85},
    {"grade": "合格", "min": 60, "max": 75},
    {"grade": "不合格", "min": 0, "max": 60},
]


def _scored_88(grade: str) -> Evaluation:
    evaluation = with_indicator(F(), LONG_TERM, self_score=D(2), remark="机制未建立。")
    return with_project(with_total(evaluation, self_score=D(88)), grade=grade)


def test_other_grade_bands_from_settings(tmp_path: Path) -> None:
    settings = _settings(tmp_path, {"grade_bands": DISTRICT_85})
    assert settings.grade_bands[0] == GradeBand("优秀", D(85), D(100), True, True)
    # On the form's own bands (90 for 优秀) 88 is 良好; from 85 it is 优秀.
    assert [f.suggestion for f in of("grade.mismatch", _scored_88("优"))] == ["等级应为“良好”。"]
    assert of("grade.mismatch", _scored_88("优"), settings) == []
    [finding] = of("grade.mismatch", _scored_88("良"), settings)
    assert finding.suggestion == "等级应为“优秀”。"
    assert of("grade.mismatch", _scored_88("良")) == []


def test_boilerplate_similarity_from_settings(tmp_path: Path) -> None:
    rule = _rule(COMPLETION)
    evaluation = with_indicator(F(), QUALITY, rule=rule.replace("走访联系服务群众", "走访服务群众"))
    assert len(of("rule.boilerplate", evaluation)) == 2
    strict = _settings(tmp_path, {"boilerplate_similarity": 1.0})
    assert of("rule.boilerplate", evaluation, strict) == []


def test_the_example_settings_file_is_the_defaults() -> None:
    settings = load_settings(REPO / "params")
    assert settings == CheckSettings()
    assert settings.grade_bands == []
    assert places(run_checks(seed(), settings)) == SEED_FINDINGS


def test_load_settings_without_a_file_gives_the_defaults(tmp_path: Path) -> None:
    assert load_settings(tmp_path) == CheckSettings()
    (tmp_path / "checks.json").write_text('{"disabled": ["rule.missing"]}', encoding="utf-8")
    assert load_settings(tmp_path).disabled == frozenset({"rule.missing"})


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('{"disabled": ["rule.boilerplate",]}', "JSON 格式错误"),
        ('["rule.boilerplate"]', "应为 JSON 对象"),
        ('{"disabled": ["rule.nonsense"]}', "rule.nonsense"),
        ('{"severity": {"rule.nonsense": "info"}}', "rule.nonsense"),
        ('{"severity": {"rule.missing": "fatal"}}', "fatal"),
        ('{"grade_bands": [{"grade": "优秀", "max": 100}]}', "等级区间"),
        ('{"grade_bands": [{"grade": "优秀", "min": "九十"}]}', "等级区间"),
        ('{"boilerplate_similarity": "high"}', "相似度"),
        ('{"boilerplate_similarity": 1.5}', "0 到 1"),
        ('{"disabled": "rule.missing"}', "disabled 应为"),
        ('{"disabled": 3}', "disabled 应为"),
        ('{"severity": ["rule.missing"]}', "severity 应为"),
        ('{"grade_bands": {"grade": "优秀"}}', "grade_bands 应为"),
        ('{"disable": ["rule.missing"]}', "不认识的设置项“disable”"),
    ],
)
def test_bad_settings_file_raises_params_error_naming_it(
    tmp_path: Path, text: str, says: str
) -> None:
    path = tmp_path / "my-checks.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ParamsError) as raised:
        read_settings(path)
    assert str(path) in str(raised.value)
    assert says in str(raised.value)


def test_missing_settings_file_raises_params_error(tmp_path: Path) -> None:
    with pytest.raises(ParamsError, match=r"nowhere\.json"):
        read_settings(tmp_path / "nowhere.json")


# --- order ------------------------------------------------------------------------------------


def _severity_ranks(findings: list[Finding]) -> list[int]:
    return [SEVERITIES.index(f.severity) for f in findings]


def test_findings_come_most_severe_first_then_in_form_order() -> None:
    evaluation = seed()
    findings = run_checks(evaluation)
    assert _severity_ranks(findings) == sorted(_severity_ranks(findings))
    rows = {indicator.name: index for index, indicator in enumerate(evaluation.indicators)}
    for severity in SEVERITIES:
        group = [f for f in findings if f.severity == severity]
        order = [rows.get(f.indicator or "", -1) for f in group]
        assert order == sorted(order), severity
    assert findings[0].check == "category.subtotal"  # the whole form before its rows


# --- rule.boilerplate at scale ---------------------------------------------------------------


def _every_pair(texts: list[str], threshold: float) -> set[frozenset[int]]:
    """The groups difflib gives comparing every pair: the reference the index must equal."""
    from difflib import SequenceMatcher

    parent = list(range(len(texts)))

    def root(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for a in range(len(texts)):
        for b in range(a + 1, len(texts)):
            if min(len(texts[a]), len(texts[b])) < 20:
                continue
            if SequenceMatcher(None, texts[a], texts[b], autojunk=False).ratio() >= threshold:
                parent[root(b)] = root(a)
    groups: dict[int, set[int]] = {}
    for i in range(len(texts)):
        groups.setdefault(root(i), set()).add(i)
    return {frozenset(g) for g in groups.values() if len(g) > 1}


@pytest.mark.parametrize("seed_value", range(6))
@pytest.mark.parametrize("threshold", [0.6, 0.9, 1.0])
def test_similar_rules_are_exactly_those_of_comparing_every_pair(
    seed_value: int, threshold: float
) -> None:
    import random

    from perfeval.check.narrative import similar_rules
    from perfeval.model import Indicator

    rng = random.Random(seed_value)
    words = ["预算", "执行率", "完成", "得分", "满意度", "达到", "以上", "不得分", "按比例", "扣"]
    bases = ["".join(rng.choice(words) for _ in range(rng.randint(5, 20))) for _ in range(6)]
    texts = []
    for _ in range(40):
        text = list(rng.choice(bases))
        for _ in range(rng.randint(0, 6)):  # a few edits: some stay alike, some drift apart
            text.insert(rng.randrange(len(text) + 1), rng.choice("的了和或及与"))
        texts.append("".join(text))
    indicators = [Indicator(f"指标{i}", Decimal(5), None, rule=t) for i, t in enumerate(texts)]
    got = {
        frozenset(int(m.name[2:]) for m in group) for group in similar_rules(indicators, threshold)
    }
    assert got == _every_pair(texts, threshold)
