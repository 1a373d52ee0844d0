"""The Ministry of Finance form (项目支出绩效自评表): reading it, its checks, its review.

Fixtures come from ``tests/nationalforms.py``: ``clean_form()`` has nothing to find,
``defective_form()`` has the defects reviewers report, ``yuan_form()`` a 万元 block
filled in yuan; variants change one cell with ``with_indicator`` / ``with_budget``.
"""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import formgen as fg
import nationalforms as nf
import pytest

from perfeval.check.catalogue import catalogue, run_checks
from perfeval.check.national import TIERS, tier_of
from perfeval.cli import main
from perfeval.exceptions import FormError, NoFormError
from perfeval.findings import Finding
from perfeval.model import Evaluation, Indicator, Measure, Source
from perfeval.read.forms import read_form
from perfeval.read.national import parse_measure, recognise_national
from perfeval.read.sheets import read_sheets
from perfeval.review.build import load_review
from perfeval.review.store import AdjustmentStore

D = Decimal
NATIONAL_IDS = (
    "budget.score",
    "budget.breakdown",
    "budget.unit",
    "indicator.expected_score",
    "indicator.tier",
    "deviation.unexplained",
    "indicator.direction",
    "satisfaction.evidence",
    "weights.structure",
)


def read(form: nf.NationalForm, tmp_path: Path, kind: str = "tsv") -> Evaluation:
    """The form written as a text export ("tsv") or workbook ("xlsx") and read back."""
    path = tmp_path / f"form.{'txt' if kind == 'tsv' else 'xlsx'}"
    if kind == "tsv":
        nf.write_form_tsv(form, path)
    else:
        nf.write_form_xlsx(form, path)
    evaluations, _ = read_form(path)
    assert len(evaluations) == 1
    return evaluations[0]


def same_source(evaluation: Evaluation) -> Evaluation:
    return replace(evaluation, source=Source("form"))


def found(form: nf.NationalForm, tmp_path: Path, check: str) -> list[Finding]:
    return [f for f in run_checks(read(form, tmp_path)) if f.check == check]


# --- reading ---------------------------------------------------------------------------------


@pytest.mark.parametrize("make", [nf.clean_form, nf.defective_form, nf.yuan_form])
def test_workbook_and_text_export_read_the_same(make: Any, tmp_path: Path) -> None:
    form = make()
    from_xlsx = read(form, tmp_path, "xlsx")
    from_tsv = read(form, tmp_path, "tsv")
    assert from_xlsx.format == from_tsv.format == "national"
    assert same_source(from_xlsx) == same_source(from_tsv)
    assert from_xlsx.to_json() | {"source": None} == from_tsv.to_json() | {"source": None}


def test_merged_cells_unmerged_blanks_and_encodings_read_the_same(tmp_path: Path) -> None:
    form = nf.defective_form()
    expected = same_source(read(form, tmp_path, "xlsx"))
    unmerged = nf.write_form_xlsx(form, tmp_path / "unmerged.xlsx", merges=False)
    gbk = nf.write_form_tsv(form, tmp_path / "gbk.txt", encoding="gb18030")
    rows, _ = nf.form_rows(form)
    shifted = fg.write_tsv(fg.shift_columns(rows, 2), tmp_path / "shifted.txt")
    for path in (unmerged, gbk, shifted):
        [evaluation], _ = read_form(path)
        assert same_source(evaluation) == expected, path.name


def test_format_is_detected_from_the_labels(tmp_path: Path) -> None:
    path = nf.write_form_xlsx(nf.clean_form(), tmp_path / "named_like_anything.txt")
    [sheet] = read_sheets(path)
    assert recognise_national(sheet)
    [evaluation], _ = read_form(path)
    assert evaluation.format == "national"
    for seed in (fg.SEED_TSV, fg.SEED_XLSX):
        [sheet] = read_sheets(seed)
        assert not recognise_national(sheet)
        [district], _ = read_form(seed)
        assert district.format == "district"
        assert district.budget_block is None
        assert "budget_block" not in district.to_json()


def test_header_goal_and_total(tmp_path: Path) -> None:
    evaluation = read(nf.clean_form(), tmp_path, "xlsx")
    project = evaluation.project
    assert evaluation.title == "项目支出绩效自评表"
    assert evaluation.year == 2023
    assert project.name == "2023年度社区老年人助餐服务补贴项目"
    assert project.unit == "上海市东湖区民政局"  # 主管部门
    assert project.department == "上海市东湖区养老服务指导中心"  # 实施单位
    assert project.goal is not None and project.goal.startswith("全年为辖区内60周岁以上")
    assert project.performance is not None and project.performance.endswith("满意度为93.6%。")
    assert evaluation.declared_total.weight == 100
    assert evaluation.declared_total.self_score == D("95.87")
    assert evaluation.notes == []


def test_budget_block_in_yuan(tmp_path: Path) -> None:
    evaluation = read(nf.clean_form(), tmp_path)
    block = evaluation.budget_block
    assert block is not None
    assert (block.initial, block.adjusted, block.executed) == (D(3200000), D(3000000), D(2910000))
    assert (block.weight, block.rate, block.score) == (D(10), D("0.97"), D("9.70"))
    assert [row.label for row in block.breakdown] == ["当年财政拨款", "上年结转资金", "其他资金"]
    assert block.breakdown[0].adjusted == D(2800000)
    project = evaluation.project
    assert (project.budget, project.executed, project.execution_rate) == (
        D(3000000),
        D(2910000),
        D("0.97"),
    )
    blank = read(nf.defective_form(), tmp_path).budget_block
    assert blank is not None
    assert blank.breakdown[2].initial is None  # "—" is blank, never 0


def test_indicator_rows(tmp_path: Path) -> None:
    evaluation = read(nf.clean_form(), tmp_path)
    assert len(evaluation.indicators) == 12
    point = evaluation.indicator("新建社区助餐点数量")
    assert point is not None
    assert (point.category, point.level2) == ("产出指标", "数量指标")  # carried down
    assert (point.weight, point.self_score) == (D(5), D("4.17"))
    assert point.target == Measure("6个", None, D(6), "个")
    assert point.actual == Measure("5个", None, D(5), "个")
    assert point.deviation_reason is not None and "重新选址" in point.deviation_reason
    cost = evaluation.indicator("每客餐补贴标准")
    assert cost is not None and cost.level2 == "成本指标"
    assert cost.deviation_reason is None
    data = evaluation.to_json()["indicators"][3]
    assert data["level2"] == "数量指标"
    assert data["target"] == {"text": "6个", "operator": None, "number": 6, "unit": "个"}


def test_template_prefix_and_none_reason(tmp_path: Path) -> None:
    form = nf.with_indicator(
        nf.clean_form(), "助餐服务人次", name="指标1：助餐服务人次", reason="无"
    )
    indicator = read(form, tmp_path).indicators[0]
    assert indicator.name == "助餐服务人次"
    assert indicator.deviation_reason is None


@pytest.mark.parametrize(
    ("text", "operator", "number", "unit"),
    [
        ("≥95%", "≥", "95", "%"),
        ("≤30天", "≤", "30", "天"),
        ("100人次", None, "100", "人次"),
        ("=100%", "=", "100", "%"),
        ("95%以上", "≥", "95", "%"),
        ("不低于90%", "≥", "90", "%"),
        ("30个工作日内", "≤", "30", "个工作日"),
        ("3次及以上", "≥", "3", "次"),
        ("超过5家", ">", "5", "家"),
        ("＞＝９５％", "≥", "95", "%"),
        ("1,200人", None, "1200", "人"),
        ("≥36万人次", "≥", "36", "万人次"),
        ("—", None, None, None),
        ("达成预期指标", None, None, None),
        ("较好", None, None, None),
        ("12月底前", None, None, None),
        ("2023年底前完成", None, None, None),
        ("90%-100%", None, None, None),
        ("培训3期共150人次", None, None, None),
    ],
)
def test_measures_keep_their_text(
    text: str, operator: str | None, number: str | None, unit: str | None
) -> None:
    expected = Measure(text, operator, D(number) if number else None, unit)
    assert parse_measure(text) == expected


def test_measure_from_number_cells() -> None:
    assert parse_measure(D("0.985"), percent=True) == Measure("98.5%", None, D("98.5"), "%")
    assert parse_measure(D(120)) == Measure("120", None, D(120), None)
    assert parse_measure(None) is None
    assert parse_measure("  ") is None


@pytest.mark.parametrize(
    ("total", "unit", "scale", "note"),
    [
        ("100000.00", "万元", 10000, False),  # 10亿元: large, but possible
        ("100000.01", "万元", 1, True),  # above the threshold: plainly yuan
        ("1,850,000.00", "元", 1, False),  # the heading says 元
        ("300.00", "", 10000, False),  # no unit: the form's own, 万元
    ],
)
def test_money_unit_rule(tmp_path: Path, total: str, unit: str, scale: int, note: bool) -> None:
    form = replace(nf.clean_form(), budget_unit=unit)
    form = nf.with_budget(form, "年度资金总额", initial=total, adjusted=total, executed=total)
    evaluation = read(form, tmp_path)
    assert evaluation.budget_block is not None
    assert evaluation.budget_block.adjusted == D(total.replace(",", "")) * scale
    read_as = evaluation.budget_block.unit
    assert (evaluation.budget_block.heading_unit, read_as) == (
        (unit or "万元"),
        "元" if scale == 1 else "万元",
    )
    assert (read_as != evaluation.budget_block.heading_unit) is note


def test_yuan_form_is_read_as_yuan_and_says_so(tmp_path: Path) -> None:
    evaluation = read(nf.yuan_form(), tmp_path)
    assert evaluation.project.budget == D(1800000)
    assert evaluation.budget_block is not None
    assert (evaluation.budget_block.heading_unit, evaluation.budget_block.unit) == ("万元", "元")
    [finding] = [f for f in run_checks(evaluation) if f.check == "budget.unit"]
    assert "1,850,000.00" in finding.message
    assert not found(nf.clean_form(), tmp_path, "budget.unit")


def test_a_named_row_without_points_is_an_error(tmp_path: Path) -> None:
    form = nf.with_indicator(nf.clean_form(), "每客餐补贴标准", weight="")
    with pytest.raises(FormError) as raised:
        read(form, tmp_path)
    assert raised.value.field == "分值"
    assert raised.value.row == 20


def test_a_table_without_score_column_is_no_form(tmp_path: Path) -> None:
    rows, _ = nf.form_rows(nf.clean_form())
    header = next(row for row in rows if "三级指标" in row)
    header[7] = "说明"
    path = fg.write_tsv(rows, tmp_path / "form.txt")
    with pytest.raises(NoFormError, match="得分"):
        read_form(path)


def test_a_workbook_of_several_forms(tmp_path: Path) -> None:
    path = nf.write_form_xlsx(
        [("助餐", nf.clean_form()), ("污水", nf.defective_form())], tmp_path / "two.xlsx"
    )
    evaluations, _ = read_form(path)
    assert [e.source.sheet for e in evaluations] == ["助餐", "污水"]
    assert {e.format for e in evaluations} == {"national"}


# --- checks ---------------------------------------------------------------------------------


def test_new_checks_are_in_the_catalogue_for_national_forms_only() -> None:
    checks = {check.id: check for check in catalogue()}
    for check_id in NATIONAL_IDS:
        assert checks[check_id].formats == frozenset({"national"}), check_id
    assert "national" not in checks["deduction.unexplained"].formats


@pytest.mark.parametrize("kind", ["tsv", "xlsx"])
def test_a_clean_national_form_gives_no_findings(tmp_path: Path, kind: str) -> None:
    assert run_checks(read(nf.clean_form(), tmp_path, kind)) == []


def test_the_defective_form_gives_each_defect(tmp_path: Path) -> None:
    findings = run_checks(read(nf.defective_form(), tmp_path))
    got = sorted((f.check, f.indicator or "") for f in findings)
    assert got == sorted(
        [
            ("total.mismatch", ""),
            ("budget.score", ""),
            ("budget.breakdown", ""),
            ("indicator.expected_score", "管网巡查次数"),
            ("indicator.expected_score", "出水水质达标率"),
            ("deviation.unexplained", "管网巡查次数"),
            ("deviation.unexplained", "农村水环境改善情况"),
            ("indicator.direction", "单座设施年运维成本"),
            ("indicator.tier", "农村水环境改善情况"),
            ("satisfaction.evidence", "周边村民满意度"),
            ("weights.structure", ""),
        ]
    )
    for finding in findings:
        assert finding.message.endswith("。") and "\n" not in finding.message


# budget.score


def test_budget_score_against_initial_budget_is_reported(tmp_path: Path) -> None:
    [finding] = found(nf.defective_form(), tmp_path, "budget.score")
    assert finding.severity == "error"
    assert finding.evidence["expected"] == 9
    assert finding.evidence["by_initial"] == 8.1
    assert "年初预算数" in finding.message and "应得9分" in finding.message
    assert finding.suggestion == "预算执行得分应为9分，总分相应调整。"


@pytest.mark.parametrize(
    ("executed", "rate", "score", "reported"),
    [
        ("291.00", "97.00%", "9.70", False),
        ("291.00", "97.00%", "9.71", False),  # one rounding step: tolerated
        ("291.00", "97.00%", "9.72", True),
        ("291.00", "97.00%", "", True),  # blank score
        ("310.00", "103.33%", "10", False),  # over 100% counts as 100%
        ("310.00", "103.33%", "10.33", True),
    ],
)
def test_budget_score_rule(
    tmp_path: Path, executed: str, rate: str, score: str, reported: bool
) -> None:
    form = nf.with_budget(
        nf.clean_form(), "年度资金总额", executed=executed, rate=rate, score=score
    )
    assert bool(found(form, tmp_path, "budget.score")) is reported


# budget.breakdown


def test_breakdown_not_adding_up_is_reported_per_column(tmp_path: Path) -> None:
    form = nf.with_budget(nf.clean_form(), "上年结转资金", adjusted="10.00", executed="15.00")
    findings = found(form, tmp_path, "budget.breakdown")
    assert [f.evidence["column"] for f in findings] == ["全年预算数", "全年执行数"]
    assert "相差10.00万元" in findings[0].message


def test_breakdown_blank_or_adding_up_is_fine(tmp_path: Path) -> None:
    form = nf.clean_form()
    for label in ("其中：当年财政拨款", "上年结转资金", "其他资金"):
        form = nf.with_budget(form, label, initial="—", adjusted="—", executed="—")
    assert not found(form, tmp_path, "budget.breakdown")
    assert not found(nf.clean_form(), tmp_path, "budget.breakdown")


# indicator.expected_score


@pytest.mark.parametrize(
    ("name", "changes", "expected"),
    [
        ("新建社区助餐点数量", {"score": "5"}, D("4.17")),  # 正向: 5 × 5 ÷ 6
        ("每客餐补贴标准", {"actual": "10元/客"}, D(4)),  # 反向: 5 × 8 ÷ 10
        ("补贴资金拨付及时率", {"score": "4"}, D(5)),  # reached: full marks
        ("助餐服务人次", {"actual": "30万人次"}, D("8.33")),  # 10 × 30 ÷ 36
        ("补贴资金拨付及时率", {"actual": "0.9", "score": "5"}, D("4.74")),  # 0.9 read as 90%
    ],
)
def test_expected_score_is_reported(
    tmp_path: Path, name: str, changes: dict[str, str], expected: Decimal
) -> None:
    form = nf.with_indicator(nf.clean_form(), name, reason="说明", **changes)
    [finding] = found(form, tmp_path, "indicator.expected_score")
    assert finding.indicator == name
    assert finding.evidence["expected"] == float(expected)
    assert f"得分应为{expected.normalize():f}分" in (finding.suggestion or "")


@pytest.mark.parametrize(
    "changes",
    [
        {"score": "4.17"},  # the formula's own score
        {"score": "4.16"},  # 4.1667 cut to two decimals
        {"actual": "5家", "score": "3"},  # another unit: not comparable
        {"actual": "基本完成", "score": "3"},  # a qualitative actual
    ],
)
def test_expected_score_not_reported(tmp_path: Path, changes: dict[str, str]) -> None:
    form = nf.with_indicator(nf.clean_form(), "新建社区助餐点数量", **changes)
    assert not found(form, tmp_path, "indicator.expected_score")


# indicator.tier


@pytest.mark.parametrize(
    ("actual", "score", "tier"),
    [
        ("基本建立", "10", "部分达成"),
        ("建立健全", "5", "达成"),
        ("未建立", "7", "未达成"),
        ("较差", "7", "未达成"),
    ],
)
def test_score_outside_tier_is_reported(tmp_path: Path, actual: str, score: str, tier: str) -> None:
    form = nf.with_indicator(nf.clean_form(), "社区助餐长效运营机制", actual=actual, score=score)
    [finding] = found(form, tmp_path, "indicator.tier")
    assert finding.evidence["tier"] == tier
    low, high = TIERS[tier]
    assert finding.evidence["allowed"] == [low * 10, high * 10]


@pytest.mark.parametrize(
    ("actual", "score"),
    [
        ("基本建立", "7"),
        ("基本建立", "8"),  # a bound is accepted for either tier
        ("基本建立", "6"),
        ("建立健全", "8"),
        ("较好", "9"),
        ("无法判断的表述", "2"),  # outside the lexicon: no judgement
    ],
)
def test_score_inside_tier_is_fine(tmp_path: Path, actual: str, score: str) -> None:
    form = nf.with_indicator(
        nf.clean_form(), "社区助餐长效运营机制", actual=actual, score=score, reason="说明"
    )
    assert not found(form, tmp_path, "indicator.tier")


@pytest.mark.parametrize(
    ("target", "actual", "tier"),
    [
        ("有效缓解", "有效缓解", "达成"),  # the actual says the target
        ("≥95%", "达成预期指标", "达成"),
        ("明显提升", "已完成", "达成"),
        ("明显提升", "好", "达成"),
        ("明显提升", "较好", "达成"),
        ("明显提升", "显著提升", "达成"),
        ("明显提升", "有所提升", "部分达成"),
        ("明显提升", "基本达成", "部分达成"),
        ("明显提升", "部分完成", "部分达成"),
        ("明显提升", "一般", "部分达成"),
        ("明显提升", "未达成", "未达成"),
        ("明显提升", "未完成", "未达成"),
        ("明显提升", "差", "未达成"),
        ("明显提升", "—", None),
        ("明显提升", "未收到投诉", None),
    ],
)
def test_tier_lexicon(target: str, actual: str, tier: str | None) -> None:
    indicator = Indicator(
        "x", D(10), D(10), target=parse_measure(target), actual=parse_measure(actual)
    )
    assert tier_of(indicator) == tier


# deviation.unexplained


@pytest.mark.parametrize("reason", ["", "无", "—"])
def test_shortfall_without_reason_is_reported(tmp_path: Path, reason: str) -> None:
    form = nf.with_indicator(nf.clean_form(), "新建社区助餐点数量", reason=reason)
    [finding] = found(form, tmp_path, "deviation.unexplained")
    assert "未达到年度指标值“6个”" in finding.message
    assert "得分4.17分低于分值5分" in finding.message


def test_full_marks_short_of_target_without_reason_is_reported(tmp_path: Path) -> None:
    form = nf.with_indicator(nf.clean_form(), "助餐服务人次", actual="35万人次")
    [finding] = found(form, tmp_path, "deviation.unexplained")
    assert finding.indicator == "助餐服务人次"


def test_shortfall_with_reason_is_fine(tmp_path: Path) -> None:
    assert not found(nf.clean_form(), tmp_path, "deviation.unexplained")


# indicator.direction


@pytest.mark.parametrize(
    ("name", "level2", "target", "actual"),
    [
        ("每客餐补贴标准", "成本指标", "≥8元/客", "8元/客"),
        ("服务投诉率", "质量指标", "≥1%", "0.5%"),
        ("助餐服务满意率", "服务对象满意度指标", "≤90%", "93.6%"),
        ("补贴资金拨付时限", "时效指标", "≥30天", "25天"),
    ],
)
def test_direction_contradicted_is_reported(
    tmp_path: Path, name: str, level2: str, target: str, actual: str
) -> None:
    form = nf.with_indicator(
        nf.clean_form(), "每客餐补贴标准", name=name, level2=level2, target=target, actual=actual
    )
    [finding] = found(form, tmp_path, "indicator.direction")
    assert finding.indicator == name
    assert target in finding.message


@pytest.mark.parametrize(
    ("name", "level2", "target"),
    [
        ("补贴资金拨付时限", "时效指标", "≤30天"),
        ("投诉办结率", "质量指标", "≥95%"),
        ("服务投诉率", "质量指标", "≤1%"),
        ("食品安全事故发生次数", "质量指标", "0起"),
        ("每客餐补贴标准", "成本指标", "8元/客"),
    ],
)
def test_direction_consistent_is_fine(tmp_path: Path, name: str, level2: str, target: str) -> None:
    form = nf.with_indicator(
        nf.clean_form(), "每客餐补贴标准", name=name, level2=level2, target=target
    )
    assert not found(form, tmp_path, "indicator.direction")


# satisfaction.evidence


@pytest.mark.parametrize("actual", ["未收到投诉", "无投诉", "群众满意", "—", "投诉0起"])
def test_satisfaction_without_survey_is_reported(tmp_path: Path, actual: str) -> None:
    form = nf.with_indicator(nf.clean_form(), "老年人助餐服务满意度", actual=actual)
    [finding] = found(form, tmp_path, "satisfaction.evidence")
    assert finding.indicator == "老年人助餐服务满意度"


@pytest.mark.parametrize(
    ("actual", "score"),
    [("93.6%", "10"), ("问卷调查结果为满意", "10"), ("未收到投诉", "0")],
)
def test_satisfaction_from_a_survey_is_fine(tmp_path: Path, actual: str, score: str) -> None:
    form = nf.with_indicator(
        nf.clean_form(), "老年人助餐服务满意度", actual=actual, score=score, reason="说明"
    )
    assert not found(form, tmp_path, "satisfaction.evidence")


# weights.structure


def test_weights_far_from_usual_are_reported(tmp_path: Path) -> None:
    [finding] = found(nf.defective_form(), tmp_path, "weights.structure")
    assert finding.severity == "info"
    assert finding.evidence["weights"] == {"产出": 65, "效益": 15, "满意度": 10, "预算执行": 10}
    assert "产出多15分、效益少15分" in finding.message


def test_weights_within_ten_points_are_fine(tmp_path: Path) -> None:
    # 产出 60 / 效益 20: each exactly 10 off, which is not "far".
    form = nf.with_indicator(nf.clean_form(), "社区助餐长效运营机制", category="产出指标")
    assert not found(form, tmp_path, "weights.structure")
    assert not found(nf.clean_form(), tmp_path, "weights.structure")


# the catalogue's other checks on national forms


def test_total_counts_the_budget_score(tmp_path: Path) -> None:
    [finding] = found(replace(nf.clean_form(), total_score="86.17"), tmp_path, "total.mismatch")
    assert finding.evidence["computed"] == 95.87
    assert "预算执行得分9.7分" in finding.message


def test_weights_total_counts_the_budget_weight(tmp_path: Path) -> None:
    assert not found(nf.clean_form(), tmp_path, "weights.total")
    [finding] = found(replace(nf.clean_form(), total_weight="90"), tmp_path, "weights.total")
    assert finding.suggestion == "合计行权重应为100。"
    form = nf.with_indicator(nf.clean_form(), "老年人助餐服务满意度", weight="15")
    assert [f.evidence.get("expected") for f in found(form, tmp_path, "weights.total")] == [
        90,
        None,
    ]


def test_budget_rate_against_the_adjusted_budget(tmp_path: Path) -> None:
    form = nf.with_budget(nf.clean_form(), "年度资金总额", rate="90.94%")  # 291 ÷ 320 (年初)
    [finding] = found(form, tmp_path, "budget.rate")
    assert finding.evidence["computed"] == pytest.approx(0.97)


def test_full_marks_against_admitted_shortfall_in_performance(tmp_path: Path) -> None:
    form = replace(
        nf.clean_form(), performance="全年累计提供助餐服务38.6万人次，但补贴资金拨付进度滞后。"
    )
    [finding] = found(form, tmp_path, "fullmarks.contradicted")
    assert finding.indicator == "补贴资金拨付及时率"
    assert finding.message.startswith("实际完成情况承认")


def test_repeated_text_named_by_the_national_label(tmp_path: Path) -> None:
    form = replace(nf.clean_form(), goal="新建社区长者食堂新建社区长者食堂2家。")
    [finding] = found(form, tmp_path, "text.repeated")
    assert finding.message.startswith("“预期目标”")


# --- review ---------------------------------------------------------------------------------


def test_review_totals_include_the_budget_score(tmp_path: Path) -> None:
    evaluation = read(nf.clean_form(), tmp_path)
    review = load_review(evaluation, tmp_path / "params")
    totals = review.totals()
    assert totals.declared == totals.computed == totals.reviewed == D("95.87")
    assert totals.computed_grade == "优"
    assert review.findings == []
    assert json.loads(json.dumps(review.to_json()))["totals"]["computed"] == 95.87


def test_an_adjustment_moves_the_reviewed_total_and_grade(tmp_path: Path) -> None:
    evaluation = read(nf.clean_form(), tmp_path)
    AdjustmentStore(tmp_path / "params").adjust(
        evaluation, "助餐服务人次", "4", "复核：服务台账仅能核实15万人次", "复核人"
    )
    totals = load_review(evaluation, tmp_path / "params").totals()
    assert (totals.computed, totals.reviewed) == (D("95.87"), D("89.87"))
    assert (totals.computed_grade, totals.reviewed_grade) == ("优", "良")


@pytest.mark.parametrize(
    ("cut", "grade"), [(D(0), "优"), (D("6"), "良"), (D("16"), "中"), (D("36"), "差")]
)
def test_grades_are_you_liang_zhong_cha(tmp_path: Path, cut: Decimal, grade: str) -> None:
    evaluation = read(nf.clean_form(), tmp_path)
    review = load_review(evaluation, tmp_path / "params")
    # Take `cut` points off, spread over the indicators from the first.
    preview: dict[str, Decimal] = {}
    left = cut
    for indicator in evaluation.indicators:
        taken = min(left, indicator.self_score or D(0))
        preview[indicator.name] = (indicator.self_score or D(0)) - taken
        left -= taken
    totals = review.totals(preview)
    assert totals.reviewed == D("95.87") - cut
    assert totals.reviewed_grade == grade


# --- the examples and the command line --------------------------------------------------------


def test_bundled_examples_match_their_builders(tmp_path: Path) -> None:
    written = nf.write_examples(tmp_path)
    assert sorted(p.name for p in nf.EXAMPLES.iterdir()) == sorted(p.name for p in written)
    for path in written:
        [bundled], _ = read_form(nf.EXAMPLES / path.name)
        [rebuilt], _ = read_form(path)
        assert same_source(bundled) == same_source(rebuilt), path.name


def test_parse_json_on_the_examples(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parse", "--json", str(nf.EXAMPLES)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data) == 3
    for item in data:
        assert item["format"] == "national"
        block = item["budget_block"]
        assert set(block) == {
            "initial",
            "adjusted",
            "executed",
            "weight",
            "rate",
            "score",
            "breakdown",
            "heading_unit",
            "unit",
            "label",
            "points",
        }
        assert [row["label"] for row in block["breakdown"]] == [
            "当年财政拨款",
            "上年结转资金",
            "其他资金",
        ]
        for indicator in item["indicators"]:
            assert {"level2", "target", "actual", "deviation_reason"} <= set(indicator)
            assert set(indicator["target"]) == {"text", "operator", "number", "unit"}
    clean = next(i for i in data if "助餐" in i["project"]["name"])
    assert clean["budget_block"]["adjusted"] == 3000000
    assert clean["indicators"][0]["target"] == {
        "text": "≥36万人次",
        "operator": "≥",
        "number": 36,
        "unit": "万人次",
    }


def test_check_exit_codes_on_the_examples(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    params = str(tmp_path / "params")
    clean = str(nf.EXAMPLES / "2023_社区老年人助餐服务补贴.xlsx")
    defective = str(nf.EXAMPLES / "2023_农村生活污水处理设施运维.txt")
    assert main(["check", clean, "--params", params]) == 0
    assert "未发现问题" in capsys.readouterr().out
    assert main(["check", "--json", defective, "--params", params]) == 1
    [item] = json.loads(capsys.readouterr().out)
    assert {f["check"] for f in item["findings"]} >= set(NATIONAL_IDS) - {"budget.unit"}
