"""Reviews: the totals a reviewer sees before and after adjusting, and `perfeval review`/`adjust`."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from perfeval.cli import main
from perfeval.exceptions import FormError, PerfevalError
from perfeval.read.forms import read_form
from perfeval.review.build import evaluation_in, load_review, open_review
from perfeval.review.store import AdjustmentStore

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SEED_TSV = EXAMPLES / "000_81c9c1dad6fba498.txt"
SEED_XLSX = EXAMPLES / "000_81c9c1dad6fba498.xlsx"

REVIEW_KEYS = {
    "source", "key", "project", "unit", "indicators", "totals", "grades", "deviation",
    "history", "orphaned", "opinion", "status", "completed_by", "completed_at", "findings",
}  # fmt: skip
INDICATOR_KEYS = {
    "name", "ref", "category", "weight", "self_score", "reviewed_score", "deviation", "adjustment",
    "findings",
}  # fmt: skip


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def seed():
    return read_form(SEED_TSV)[0][0]


def test_seed_review_before_any_adjustment(tmp_path: Path) -> None:
    review = load_review(seed(), tmp_path)
    totals = review.totals()
    assert (totals.declared, totals.computed, totals.reviewed) == (96, 89, 89)
    assert (totals.declared_grade, totals.computed_grade, totals.reviewed_grade) == (
        "优秀",
        "良好",
        "良好",
    )
    assert review.status == "未开始"
    blank = review.item("政策知晓率")
    assert blank.indicator.self_score is None and blank.reviewed_score == 0
    assert {f.check for f in blank.findings} == {"score.missing"}


def test_adjusting_the_blank_score_moves_total_and_grade(capsys, tmp_path: Path) -> None:
    code, out, err = run(
        capsys, "adjust", str(SEED_XLSX), "--indicator", "政策知晓率", "--score", "7",
        "--reason", "抽样问卷知晓率92%", "--reviewer", "张三", "--params", str(tmp_path),
    )  # fmt: skip
    assert code == 0, err
    assert "复核合计 96 分" in out and "优秀" in out

    # The TSV export of the same form finds the adjustment: keyed by project, not file.
    code, out, err = run(capsys, "review", str(SEED_TSV), "--params", str(tmp_path), "--json")
    assert code == 1  # the seed still has error findings
    (data,) = json.loads(out)
    assert set(data) == REVIEW_KEYS
    assert data["totals"] == {"declared": 96, "computed": 89, "reviewed": 96}
    assert data["grades"] == {"declared": "优秀", "computed": "良好", "reviewed": "优秀"}
    assert data["status"] == "复核中"
    row = next(i for i in data["indicators"] if i["name"] == "政策知晓率")
    assert set(row) == INDICATOR_KEYS
    assert row["self_score"] is None and row["reviewed_score"] == 7
    assert row["adjustment"]["score"] == 7 and row["adjustment"]["stale"] is False
    assert (
        row["adjustment"]["reviewer"] == "张三"
        and row["adjustment"]["reason"] == "抽样问卷知晓率92%"
    )
    assert row["findings"] == ["score.missing"]
    (change,) = data["history"]
    assert (change["indicator"], change["old"], change["new"]) == ("政策知晓率", None, 7)
    assert {f["check"] for f in data["findings"]} >= {"total.mismatch", "grade.mismatch"}


@pytest.mark.parametrize(
    ("indicator", "score", "reason", "message"),
    [
        ("政策知晓率", "8", "超出权重", "超出范围"),
        ("政策知晓率", "6.005", "步长不对", "两位小数"),
        ("政策知晓率", "6", "  ", "理由"),
        ("不存在的指标", "1", "无此指标", "没有名为“不存在的指标”的指标"),
    ],
)
def test_refused_adjustments_say_why_and_change_nothing(
    capsys, tmp_path: Path, indicator: str, score: str, reason: str, message: str
) -> None:
    code, _out, err = run(
        capsys, "adjust", str(SEED_TSV), "--indicator", indicator, "--score", score,
        "--reason", reason, "--reviewer", "李四", "--params", str(tmp_path),
    )  # fmt: skip
    assert code == 2
    assert message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert not list((tmp_path / "adjustments").glob("*.json"))


def test_a_resent_form_with_a_changed_indicator_marks_the_adjustment_stale(tmp_path: Path) -> None:
    store = AdjustmentStore(tmp_path)
    store.adjust(seed(), "长效管理机制健全性", Decimal("6"), "长效机制未见制度文件", "王五")
    resent = tmp_path / "resent.txt"
    text = SEED_TSV.read_text(encoding="utf-8")
    # The unit re-sends the form with the self-score of that indicator raised from 8 to 9.
    resent.write_text(
        text.replace(
            "长效管理机制建设是否长远有效。（10分）\t8", "长效管理机制建设是否长远有效。（10分）\t9"
        ),
        encoding="utf-8",
    )
    review = load_review(read_form(resent)[0][0], tmp_path)
    item = review.item("长效管理机制健全性")
    assert item.adjustment is not None and item.adjustment.stale
    assert "自评分由8变为9" in (item.adjustment.stale_reason or "")
    assert item.reviewed_score == 6  # shown and still counted, never dropped


def test_review_text_shows_reasons_and_findings(capsys, tmp_path: Path) -> None:
    AdjustmentStore(tmp_path).adjust(seed(), "政策知晓率", "7", "问卷结果支持", "张三")
    code, out, _ = run(capsys, "review", str(SEED_TSV), "--params", str(tmp_path))
    assert code == 1
    assert "复核 96 分（优秀）" in out
    assert "问卷结果支持（张三）" in out
    assert "错误（11）" in out and "警告（10）" in out


def test_a_workbook_with_several_forms_needs_a_sheet(capsys, tmp_path: Path) -> None:
    import openpyxl

    workbook = openpyxl.load_workbook(SEED_XLSX)
    copy = workbook.copy_worksheet(workbook.worksheets[0])
    copy.title = "第二份"
    copy["B2"] = "另一个项目"
    path = tmp_path / "two.xlsx"
    workbook.save(path)
    args = [
        "adjust",
        str(path),
        "--indicator",
        "政策知晓率",
        "--score",
        "7",
        "--reason",
        "问卷",
        "--reviewer",
        "张三",
        "--params",
        str(tmp_path),
    ]
    code, _, err = run(capsys, *args)
    assert code == 2 and "--sheet" in err
    code, _out, err = run(capsys, *args, "--sheet", "第二份")
    assert code == 0, err


def test_check_settings_in_params_apply_to_review(capsys, tmp_path: Path) -> None:
    shutil.copy(SEED_TSV, tmp_path / "seed.txt")
    (tmp_path / "checks.json").write_text(
        json.dumps({"disabled": ["rule.boilerplate"], "severity": {"score.missing": "warning"}}),
        encoding="utf-8",
    )
    _code, out, _ = run(
        capsys, "review", str(tmp_path / "seed.txt"), "--params", str(tmp_path), "--json"
    )
    (data,) = json.loads(out)
    checks = {(f["check"], f["severity"]) for f in data["findings"]}
    assert ("score.missing", "warning") in checks
    assert not any(check == "rule.boilerplate" for check, _ in checks)


def test_a_national_form_states_no_grade_so_its_total_gives_the_declared_grade(
    tmp_path: Path,
) -> None:
    national = EXAMPLES / "national" / "2023_农村生活污水处理设施运维.txt"
    review = load_review(read_form(national)[0][0], tmp_path)
    totals = review.totals()
    assert review.evaluation.project.grade is None
    assert totals.declared is not None and totals.declared >= 90
    assert totals.declared_grade == "优"


def test_open_review_picks_the_sheet(tmp_path: Path) -> None:
    first = open_review(SEED_XLSX, None, tmp_path)
    assert first.evaluation.source.sheet == "自评表"
    named = open_review(str(SEED_XLSX), "自评表", str(tmp_path))
    assert named.evaluation.key == first.evaluation.key
    with pytest.raises(PerfevalError, match=r"没有名为“其他”的自评表.*“自评表”"):
        open_review(SEED_XLSX, "其他", tmp_path)


def test_open_review_says_where_a_relative_path_was_looked_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FormError, match=r"文件不存在（相对路径按当前工作目录 .* 解析）") as error:
        open_review("forms/自评表.xlsx")
    assert str(tmp_path) in str(error.value) and error.value.path == "forms/自评表.xlsx"


def test_a_file_of_several_forms_needs_the_sheet(tmp_path: Path) -> None:
    """Without a sheet, a workbook of two forms is refused, never read as its first."""
    import openpyxl

    book = openpyxl.load_workbook(SEED_XLSX)
    book.copy_worksheet(book["自评表"]).title = "副本"
    two = tmp_path / "two.xlsx"
    book.save(two)
    with pytest.raises(PerfevalError, match=r"有 2 份自评表.*请指定一份"):
        evaluation_in(two)
    assert evaluation_in(two, "副本").source.sheet == "副本"
    key = evaluation_in(two, "副本").key
    assert evaluation_in(two, "改过名的表", key).source.sheet == "自评表"
