"""A reviewer's work stays with its own project and its own indicator.

Two projects never share a review; one indicator's adjustment never lands on another;
a review saved by an older perfeval is still found.
"""

from __future__ import annotations

import json
from decimal import Decimal as D
from pathlib import Path

import formgen as fg
import openpyxl
import pytest
from seedforms import seed, with_project

from perfeval.check.catalogue import run_checks
from perfeval.cli import main
from perfeval.exceptions import AdjustmentError
from perfeval.read.forms import read_form
from perfeval.review.build import load_review
from perfeval.review.importing import import_review
from perfeval.review.store import AdjustmentStore
from perfeval.show.xlsx import write_review_workbook

REASON = "核对项目台账，完成率不足"


# --- two projects, one name ------------------------------------------------------------------


def test_two_projects_with_one_name_and_no_unit_never_share_a_review(tmp_path: Path) -> None:
    first = with_project(seed(), unit=None, department="党建办", budget=D(242400))
    second = with_project(seed(), unit=None, department="自治办", budget=D(120000))
    assert first.key != second.key
    store = AdjustmentStore(tmp_path)
    store.adjust(first, "长效管理机制健全性", "6", REASON, "王复核")
    assert load_review(second, tmp_path).record.adjustments == {}
    assert load_review(first, tmp_path).item("长效管理机制健全性").reviewed_score == 6


def test_a_resent_copy_finds_its_review(tmp_path: Path) -> None:
    [text], _ = read_form(fg.SEED_TSV)
    [book], _ = read_form(fg.SEED_XLSX)
    assert text.key == book.key
    AdjustmentStore(tmp_path).adjust(text, "长效管理机制健全性", "6", REASON, "王复核")
    assert load_review(book, tmp_path).item("长效管理机制健全性").reviewed_score == 6


def test_a_review_saved_under_the_older_key_is_found_and_moved(tmp_path: Path) -> None:
    evaluation = seed()
    store = AdjustmentStore(tmp_path)
    store.adjust(evaluation, "长效管理机制健全性", "6", REASON, "王复核")
    path = store.path_for(evaluation)
    data = json.loads(path.read_text(encoding="utf-8"))
    data["key"] = evaluation.legacy_key  # as perfeval 0.1 saved it
    old = path.with_name(path.name.replace(evaluation.key, evaluation.legacy_key))
    old.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    path.unlink()
    assert load_review(evaluation, tmp_path).item("长效管理机制健全性").reviewed_score == 6
    store.adjust(evaluation, "受益人群满意度", "4", "问卷样本不足", "王复核")
    assert not old.exists() and store.path_for(evaluation).exists()
    adjustments = load_review(evaluation, tmp_path).record.adjustments
    assert set(adjustments) == {"长效管理机制健全性", "受益人群满意度"}


# --- two indicators, one name ----------------------------------------------------------------


def twin_rows() -> fg.Rows:
    """The seed with 项目完成合格率 misnamed 项目完成率: two rows of one name, 10 points each."""
    return fg.set_cell(fg.seed_rows(), "项目完成合格率", "指标名称", "项目完成率")


def twins(tmp_path: Path) -> Path:
    return fg.write_tsv(twin_rows(), tmp_path / "twins.txt")


def test_a_repeated_name_is_reported(tmp_path: Path) -> None:
    [evaluation], _ = read_form(twins(tmp_path))
    [finding] = [f for f in run_checks(evaluation) if f.check == "indicator.duplicate"]
    assert finding.evidence["indicators"] == ["项目完成率（第21行）", "项目完成率（第22行）"]


def test_an_ambiguous_name_is_refused_and_a_row_names_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    form, params = twins(tmp_path), tmp_path / "params"
    args = ["adjust", str(form), "--score", "1", "--reason", REASON, "--reviewer", "王复核"]
    assert main([*args, "--indicator", "项目完成率", "--params", str(params)]) == 2
    err = capsys.readouterr().err
    assert "2 项指标都名为“项目完成率”" in err and "项目完成率（第22行）" in err
    assert not params.exists() or not any(params.rglob("*.json"))
    assert main([*args, "--indicator", "项目完成率（第22行）", "--params", str(params)]) == 0
    [evaluation], _ = read_form(form)
    review = load_review(evaluation, params)
    assert review.totals().reviewed == 80  # 89 − 9 once, not 71
    assert [item.reviewed_score for item in review.indicators][6:8] == [10, 1]


def test_the_store_refuses_a_name_that_means_two_rows(tmp_path: Path) -> None:
    [evaluation], _ = read_form(twins(tmp_path))
    with pytest.raises(AdjustmentError, match="请指明调整哪一项"):
        AdjustmentStore(tmp_path).adjust(evaluation, "项目完成率", "1", REASON, "王复核")


def test_a_workbook_row_lands_on_its_own_indicator(tmp_path: Path) -> None:
    [evaluation], _ = read_form(twins(tmp_path))
    params = tmp_path / "params"
    workbook = write_review_workbook(load_review(evaluation, params), tmp_path / "review.xlsx")
    book = openpyxl.load_workbook(workbook)
    sheet = book["复核表"]
    rows = {sheet.cell(r, 3).value: r for r in range(7, sheet.max_row + 1)}  # 三级指标
    second = rows["项目完成率（第22行）"]
    sheet.cell(second, 9).value = 1  # 复核得分
    sheet.cell(second, 11).value = REASON  # 调整理由
    book.save(workbook)
    result = import_review(workbook, "王复核", params_dir=params)
    assert [t.indicator for t in result.taken] == ["项目完成率（第22行）"] and not result.refused
    assert result.review.totals().reviewed == 80


def test_the_panel_saves_to_the_row_it_shows(tmp_path: Path) -> None:
    from perfeval.show.widgets import ReviewPanel

    [evaluation], _ = read_form(twins(tmp_path))
    params = tmp_path / "params"
    panel = ReviewPanel(load_review(evaluation, params), params)
    panel.go(7)  # the second 项目完成率
    panel.score.value = 1
    panel.reason.value = REASON
    panel.reviewer.value = "王复核"
    panel.save.click()
    review = load_review(evaluation, params)
    assert set(review.record.adjustments) == {"项目完成率（第22行）"}
    assert review.totals().reviewed == 80


# --- the round trip through review.xlsx, exactly -----------------------------------------------


def test_an_untouched_workbook_changes_nothing_even_with_long_decimals(tmp_path: Path) -> None:
    rows = fg.set_cell(fg.seed_rows(), "受益人群满意度", "自评分", "4.1234567890123456789")
    [evaluation], _ = read_form(fg.write_tsv(rows, tmp_path / "long.txt"))
    params = tmp_path / "params"
    workbook = write_review_workbook(load_review(evaluation, params), tmp_path / "review.xlsx")
    result = import_review(workbook, "王复核", params_dir=params)
    assert result.taken == [] and result.refused == []
    assert "没有新的改动" in result.report()
    assert not params.exists() or not any(params.rglob("*.json"))


# --- the store's own file, damaged or linked ---------------------------------------------------


def saved(tmp_path: Path) -> tuple[AdjustmentStore, Path]:
    store = AdjustmentStore(tmp_path)
    store.adjust(seed(), "长效管理机制健全性", "6", REASON, "王复核")
    return store, store.path_for(seed())


@pytest.mark.parametrize(
    ("damage", "says"),
    [
        (lambda h: h[0].update(new=1000), "超过当时的权重"),
        (lambda h: h[0].update(new=-5), "超出 0 到 1000 的范围"),
        (lambda h: h[0].update(new="1E+400"), "超出 0 到 1000 的范围"),
        (lambda h: h[0].update(new=6.123), "超过两位小数"),
        (lambda h: h[0].update(weight=[]), "不是数字"),
        (lambda h: h.append(7), "不是一个对象"),
        (lambda h: h[0].update(at=None), "at 应为"),
        (lambda h: h[0].update(reviewer={"x": 1}), "reviewer"),
    ],
)
def test_a_damaged_history_is_refused_with_its_entry_and_field(
    tmp_path: Path, damage: object, says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _, path = saved(tmp_path)
    data = json.loads(path.read_text(encoding="utf-8"))
    damage(data["history"])  # type: ignore[operator]
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    before = path.read_bytes()
    args = ["adjust", str(fg.SEED_TSV), "--indicator", "受益人群满意度", "--score", "4"]
    code = main([*args, "--reason", "样本不足", "--reviewer", "王复核", "--params", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "第1条" in err or "第2条" in err
    assert says in err
    assert path.read_bytes() == before  # nothing saved, so a retry records nothing twice


def test_a_linked_review_file_is_refused_not_replaced(tmp_path: Path) -> None:
    store, path = saved(tmp_path / "params")
    target = tmp_path / "elsewhere.json"
    path.rename(target)
    path.symlink_to(target)
    with pytest.raises(Exception, match="符号链接"):
        store.adjust(seed(), "受益人群满意度", "4", "样本不足", "王复核")
    assert path.is_symlink() and "受益人群满意度" not in target.read_text(encoding="utf-8")


# --- words typed in a GBK terminal ------------------------------------------------------------


def test_gbk_arguments_are_read_as_gbk(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def typed(text: str) -> str:  # what Python makes of GBK bytes under a UTF-8 locale
        return text.encode("gbk").decode("utf-8", "surrogateescape")

    params = tmp_path / "params"
    args = ["adjust", str(fg.SEED_TSV), "--indicator", typed("受益人群满意度"), "--score", "4"]
    assert (
        main(
            [
                *args,
                "--reason",
                typed("样本不足"),
                "--reviewer",
                typed("王复核"),
                "--params",
                str(params),
            ]
        )
        == 0
    )
    adjustment = load_review(seed(), params).item("受益人群满意度").adjustment
    assert adjustment is not None and (adjustment.reason, adjustment.reviewer) == (
        "样本不足",
        "王复核",
    )
    garbage = "\udcff\udcfe"
    code = main([*args[:-1], "4", "--reason", garbage, "--reviewer", "王", "--params", str(params)])
    assert code == 2 and "终端编码" in capsys.readouterr().err


# --- a read-only params folder, as a user without rights to it ---------------------------------


def test_a_read_only_params_folder_for_another_user_is_refused_cleanly(tmp_path: Path) -> None:
    """As root, every folder is writable; a reviewer is not root. The check runs in a forked
    child that drops to ``nobody`` (everything it needs is imported already)."""
    import io
    import os
    import shutil
    import sys
    import tempfile

    if os.geteuid() != 0:
        pytest.skip("dropping to another user needs root")
    shared = Path(tempfile.mkdtemp(prefix="perfeval-ro-"))  # pytest's own folders are private
    params = shared / "params"
    AdjustmentStore(params).adjust(seed(), "长效管理机制健全性", "6", REASON, "王复核")
    for path in [shared, params, *params.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)  # readable by all, writable by root only
    before = {p: p.read_bytes() for p in params.rglob("*.json")}
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child reports through the pipe
        os.close(read_end)
        try:
            os.setgid(65534)
            os.setuid(65534)
            sys.stderr = io.StringIO()
            review = load_review(seed(), params)  # reading still works
            args = ["adjust", str(fg.SEED_TSV), "--indicator", "受益人群满意度", "--score", "4"]
            code = main(
                [*args, "--reason", "样本不足", "--reviewer", "王复核", "--params", str(params)]
            )
            report = json.dumps(
                {
                    "read": str(review.item("长效管理机制健全性").reviewed_score),
                    "code": code,
                    "err": sys.stderr.getvalue(),
                },
                ensure_ascii=False,
            )
        except BaseException as error:
            report = json.dumps({"crash": repr(error)}, ensure_ascii=False)
        os.write(write_end, report.encode("utf-8"))
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        data = json.loads(pipe.read().decode("utf-8"))
    os.waitpid(child, 0)
    assert "crash" not in data, data
    assert data["read"] == "6" and data["code"] == 2
    assert "Traceback" not in data["err"] and "无法写入复核调整文件夹" in data["err"]
    assert {p: p.read_bytes() for p in params.rglob("*.json")} == before
    shutil.rmtree(shared)
