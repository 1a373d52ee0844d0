"""Forms units really published, and forms of our own in each real layout.

``fixtures/real/`` holds three forms transcribed from units' web pages (01 and 03 stop
before their last rows: their weight totals fall short because of the cut, so
``weights.total`` is set aside there). Each test pins what a careful reviewer sees in
the form — and that nothing else is called wrong at the form's own precision.
``realforms`` makes forms in each layout of the family, clean and with one defect, as
text exports and as workbooks; both must read the same and give the same findings.
"""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

import pytest
import realforms as rf

from perfeval.check.catalogue import run_checks
from perfeval.exceptions import FormError
from perfeval.findings import Finding
from perfeval.model import Evaluation
from perfeval.read.forms import read_form

REAL = Path(__file__).resolve().parent / "fixtures" / "real"


def read(path: Path) -> Evaluation:
    [evaluation], _ = read_form(path)
    return evaluation


def findings(evaluation: Evaluation, *, cut: bool = False) -> list[Finding]:
    """The findings; for a form cut short, without the weight total the cut explains."""
    return [f for f in run_checks(evaluation) if not (cut and f.check == "weights.total")]


def ids(found: list[Finding]) -> list[str]:
    return sorted(f.check for f in found)


def one(found: list[Finding], check: str) -> Finding:
    [finding] = [f for f in found if f.check == check]
    return finding


# --- 01 廊坊: template leftovers, whole-percent rate ------------------------------------------


def test_langfang_reads_past_the_template_rows() -> None:
    evaluation = read(REAL / "01-langfang-nuantong.tsv")
    assert evaluation.layout == "national"
    assert [i.name for i in evaluation.indicators][:3] == [
        "工程资金金额",
        "工程完工率",
        "工程验收合格率",
    ]
    assert len(evaluation.indicators) == 9
    assert len(evaluation.leftovers) == 17
    assert {left.text for left in evaluation.leftovers} >= {"指标2", "……"}
    block = evaluation.budget_block
    assert block is not None and block.rate == D("0.86") and block.score == 9
    assert evaluation.project.goal == "43.2" and evaluation.project.performance == "37.24"


def test_langfang_findings_are_what_a_reviewer_sees() -> None:
    found = findings(read(REAL / "01-langfang-nuantong.tsv"), cut=True)
    assert ids(found) == [
        "budget.score",
        "goal.figures",
        "indicator.expected_score",
        "template.leftover",
    ]
    # 86% for 37.24 ÷ 43.2 = 86.20% is right at whole percents: no budget.rate
    score = one(found, "budget.score")
    assert score.evidence["expected"] == 8.62 and score.evidence["self_score"] == 9
    assert "8.62" in score.message
    assert "只填了数字" in one(found, "goal.figures").message
    assert one(found, "template.leftover").severity == "info"
    assert one(found, "indicator.expected_score").indicator == "工程资金金额"


# --- 03 棠溪: the total row left at 0 ----------------------------------------------------------


def test_tangxi_reads_the_money_from_the_breakdown() -> None:
    evaluation = read(REAL / "03-tangxi-weituo.tsv")
    block = evaluation.budget_block
    assert block is not None and block.total_blank
    assert block.money() == (D(900000), D(899740), D(899740))
    assert evaluation.project.budget == D(899740)


def test_tangxi_findings_are_what_a_reviewer_sees() -> None:
    found = findings(read(REAL / "03-tangxi-weituo.tsv"), cut=True)
    assert ids(found) == [
        "budget.breakdown",  # once: the total row was left blank
        "budget.rate",
        "budget.score",
        "budget.trimmed",
        "goal.figures",
        "template.leftover",
    ]
    blank = one(found, "budget.breakdown")
    assert blank.message.startswith("年度资金总额行未填写")
    for sums in ("年初预算数90.00万元", "全年预算数89.974万元", "全年执行数89.974万元"):
        assert sums in blank.message
    score = one(found, "budget.score")
    assert score.evidence["expected"] == 10 and score.evidence["self_score"] == 0
    assert "年度资金总额行未填" in score.message and "100.00%" in score.message
    goal = one(found, "goal.figures")
    assert "89.99万元" in goal.message and "89.97万元" in goal.message
    trimmed = one(found, "budget.trimmed")
    assert "90.00万元" in trimmed.message and "89.974万元" in trimmed.message


# --- 05 青神: the Sichuan layout ------------------------------------------------------------------


def test_qingshen_reads_the_sichuan_layout() -> None:
    evaluation = read(REAL / "05-qingshen-gongzi.tsv")
    assert evaluation.layout == "national-sichuan"
    block = evaluation.budget_block
    assert block is not None
    assert (block.initial, block.adjusted, block.executed) == (
        D("2389300"),
        D("2518900"),
        D("2518900"),
    )
    assert block.weight == 10 and block.points == 10 and block.score is None
    assert [i.weight for i in evaluation.indicators] == [60, 30]
    target = evaluation.indicators[0].target
    assert target is not None and (target.text, target.operator, target.unit) == ("=100%", "=", "%")
    assert evaluation.project.goal is not None and evaluation.project.goal.startswith("严格执行")
    assert (
        evaluation.project.conclusion is not None and "200字以内" in evaluation.project.conclusion
    )


def test_qingshen_findings_are_what_a_reviewer_sees() -> None:
    found = findings(read(REAL / "05-qingshen-gongzi.tsv"))
    assert ids(found) == [
        "budget.score",
        "score.missing",
        "score.missing",
        "text.prompt",
        "text.prompt",
        "text.prompt",
        "text.prompt",
    ]  # 10 + 60 + 30 = 100: no weights.total
    assert "未填写" in one(found, "budget.score").message


# --- our own forms in each layout ------------------------------------------------------------

LAYOUTS = {
    "standard": (rf.standard, "national", ["template.leftover"]),
    "zero_total": (
        rf.zero_total,
        "national",
        ["budget.breakdown", "budget.rate", "budget.trimmed", "template.leftover"],
    ),
    "sichuan": (rf.sichuan, "national-sichuan", []),
    "chongqing": (rf.chongqing, "national-chongqing", []),
    "yinchuan": (rf.yinchuan, "national-yinchuan", []),
    "beijing": (rf.beijing, "national-initial-budget", []),
    "one_decimal": (rf.one_decimal, "national", []),
}


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_each_layout_reads_alike_as_text_and_workbook(name: str, tmp_path: Path) -> None:
    make, layout, expected = LAYOUTS[name]
    text = read(rf.write(make(), tmp_path / f"{name}.txt"))
    book = read(rf.write(make(), tmp_path / f"{name}.xlsx"))
    assert text.layout == book.layout == layout
    assert text.indicators == book.indicators and text.project == book.project
    assert text.budget_block == book.budget_block
    assert ids(findings(text)) == ids(findings(book)) == sorted(expected)


# (layout, change, the finding it must give, what follows from it too)
DEFECTS = [
    ("standard", {"budget_score": "9"}, "budget.score", []),
    ("standard", {"rate": "85%"}, "budget.rate", []),
    ("standard", {"first_score": "9"}, "indicator.expected_score", []),
    ("standard", {"lax_actual": "150"}, "target.lax", []),
    ("standard", {"goal": "43.2", "performance": "37.24"}, "goal.figures", []),
    ("zero_total", {"score": "0"}, "budget.score", ["total.mismatch"]),
    (
        "zero_total",
        {"performance": "本项目共完成89.97万元。其中：30万元；30万元；29.99万元。"},
        "goal.figures",
        [],
    ),
    ("sichuan", {"score": ""}, "budget.score", ["total.mismatch"]),
    ("sichuan", {"coverage": "90"}, "indicator.expected_score", ["deviation.unexplained"]),
    ("sichuan", {"filled": False}, "text.prompt", ["score.missing", "score.missing"]),
    ("chongqing", {"score": "30"}, "indicator.expected_score", []),
    ("beijing", {"score": "8"}, "budget.score", []),
    ("one_decimal", {"second": "1.5"}, "indicator.expected_score", ["total.mismatch"]),
]


@pytest.mark.parametrize(("name", "change", "check", "also"), DEFECTS)
@pytest.mark.parametrize("suffix", [".txt", ".xlsx"])
def test_each_defect_is_found_in_each_layout(
    name: str, change: dict[str, object], check: str, also: list[str], suffix: str, tmp_path: Path
) -> None:
    make, _, clean = LAYOUTS[name]
    found = findings(read(rf.write(make(**change), tmp_path / f"form{suffix}")))
    assert [f for f in found if f.check == check], ids(found)
    rest = ids([f for f in found if f.check != check])
    assert rest == sorted([c for c in clean if c != check] + also)


def test_precision_rounded_or_cut_is_right_and_one_step_more_is_not(tmp_path: Path) -> None:
    # 27.8 ÷ 29 = 0.95862: "0.958" (cut) and "0.959" (rounded) are right, "0.957" is not
    for rate, wrong in (("0.958", False), ("0.959", False), ("0.957", True), ("95.9%", False)):
        rows = rf.one_decimal()
        rows[5][7] = rate
        found = findings(read(rf.write(rows, tmp_path / "f.txt")))
        assert ("budget.rate" in ids(found)) is wrong, rate
    # a form scoring to one decimal: 1.9 stands for 1.946 (rounded or cut); 2.0 and 1.8 do not
    for second, total, wrong in (
        ("1.9", "99.5", False),
        ("2.0", "99.6", True),
        ("1.8", "99.4", True),
    ):
        rows = rf.one_decimal(second=second)
        rows[-1][7] = total
        found = findings(read(rf.write(rows, tmp_path / "f.txt")))
        assert ("indicator.expected_score" in ids(found)) is wrong, second


def test_whole_scores_do_not_excuse_a_wrong_budget_score(tmp_path: Path) -> None:
    # every score whole: 9 for 8.62 is still wrong, 8.6 for 10 × "86%" is right
    assert "budget.score" in ids(
        findings(read(rf.write(rf.standard(budget_score="9"), tmp_path / "a.txt")))
    )
    assert "budget.score" not in ids(
        findings(read(rf.write(rf.standard(budget_score="8.6"), tmp_path / "b.txt")))
    )


def test_a_real_indicator_without_points_is_still_an_error(tmp_path: Path) -> None:
    rows = rf.standard()
    rows[11][6] = ""  # 工程资金金额 loses its 分值 but keeps its target and score
    with pytest.raises(FormError, match=r"第12行.*工程资金金额.*没有分值"):
        read(rf.write(rows, tmp_path / "f.txt"))


def test_the_district_rate_rule_uses_the_figures_not_only_the_declared_rate() -> None:
    from dataclasses import replace

    from perfeval.read.forms import read_form as read_district

    [seed], _ = read_district(
        Path(__file__).resolve().parents[1] / "examples" / "000_81c9c1dad6fba498.txt"
    )
    spent = replace(seed.project, executed=seed.project.budget * D("0.75"), execution_rate=D(1))
    found = [f for f in run_checks(replace(seed, project=spent)) if f.check == "rule.auto_score"]
    [finding] = found
    assert "填报预算执行率100%" in finding.message and "75.00%" in finding.message
    assert finding.evidence["allowed"] != [8, 8]


def test_the_decision_management_framework_is_not_held_to_50_30_10_10(tmp_path: Path) -> None:
    rows = rf.yinchuan()
    rows[7][5] = rows[7][6] = "70"  # 项目产出 70, 项目效益 −20: far from any usual shape
    rows[8][5] = rows[8][6] = "0"
    evaluation = read(rf.write(rows, tmp_path / "f.txt"))
    assert evaluation.layout == "national-yinchuan"
    assert "weights.structure" not in ids(findings(evaluation))


def test_a_table_that_cannot_be_read_names_the_row_and_the_headings(tmp_path: Path) -> None:
    rows = rf.standard()
    rows[10][6] = "满分"  # 分值 renamed: no weight column
    with pytest.raises(FormError, match=r"第11行.*缺少“分值”列.*不认识的表头：“满分”"):
        read(rf.write(rows, tmp_path / "f.txt"))
