"""The reviewers' adjustments store: rules, the seed scenario, stale marks, the file on disk."""

from __future__ import annotations

import copy
import errno
import json
import os
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import perfeval.review.store
from perfeval.exceptions import AdjustmentError, ParamsError
from perfeval.model import Evaluation
from perfeval.read.forms import read_form
from perfeval.review.store import (
    Adjustment,
    AdjustmentStore,
    Change,
    ProjectRecord,
    ReviewState,
    replay,
)

D = Decimal
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SEED_TXT = EXAMPLES / "000_81c9c1dad6fba498.txt"
SEED_XLSX = EXAMPLES / "000_81c9c1dad6fba498.xlsx"
REASON = "合计 96.00 与各行之和 89 相差 7，按合计推定政策知晓率自评 7 分；已核对问卷"

_SEED: dict[Path, Evaluation] = {}


def seed(path: Path = SEED_TXT) -> Evaluation:
    """A fresh copy of the seed form (tests may change it)."""
    if path not in _SEED:
        _SEED[path] = read_form(path)[0][0]
    return copy.deepcopy(_SEED[path])


@pytest.fixture
def store(tmp_path: Path) -> AdjustmentStore:
    return AdjustmentStore(tmp_path / "params")


def store_files(store: AdjustmentStore) -> list[str]:
    return sorted(p.name for p in store.folder.iterdir()) if store.folder.exists() else []


def test_public_names() -> None:
    assert sorted(perfeval.review.store.__all__) == [
        "Adjustment",
        "AdjustmentStore",
        "Change",
        "DONE",
        "IN_REVIEW",
        "NOT_STARTED",
        "ProjectRecord",
        "ReviewState",
        "STATUSES",
        "mark_stale",
        "replay",
    ]


# --- the seed scenario --------------------------------------------------------------


def test_seed_adjustment_is_saved_and_reloads(store: AdjustmentStore, tmp_path: Path) -> None:
    evaluation = seed()
    at = datetime(2024, 5, 6, 9, 30, tzinfo=timezone(timedelta(hours=8)))
    record = store.adjust(evaluation, "政策知晓率", D(7), REASON, "张三", at=at)

    path = store.path_for(evaluation)
    assert path.parent == tmp_path / "params" / "adjustments"
    assert path.name == f"2020-(党建办)_组团式服务联系群众专项-{evaluation.key}.json"
    assert path.is_file()
    assert record.history == [
        Change(
            "score",
            at,
            "张三",
            indicator="政策知晓率",
            old=None,
            new=D(7),
            reason=REASON,
            weight=D(7),
            self_score=None,
        )
    ]
    assert record.status == "复核中"

    reloaded = AdjustmentStore(tmp_path / "params").load(seed())
    assert reloaded == record
    assert reloaded.adjustments["政策知晓率"] == Adjustment(
        "政策知晓率", D(7), REASON, "张三", at, stale=False, stale_reason=None
    )
    assert reloaded.adjustments["政策知晓率"].to_json() == {
        "score": 7,
        "reason": REASON,
        "reviewer": "张三",
        "at": "2024-05-06T09:30:00+08:00",
        "stale": False,
        "stale_reason": None,
    }


def test_no_file_gives_an_empty_record(store: AdjustmentStore) -> None:
    record = store.load(seed())
    assert record == ProjectRecord(seed().key)
    assert (record.adjustments, record.opinion, record.status) == ({}, None, "未开始")
    assert store_files(store) == []  # loading writes nothing


def test_xlsx_of_the_same_form_finds_the_same_record(store: AdjustmentStore) -> None:
    store.adjust(seed(SEED_TXT), "政策知晓率", "7", REASON, "张三")
    from_xlsx = seed(SEED_XLSX)
    assert from_xlsx.source.path != seed(SEED_TXT).source.path
    record = store.load(from_xlsx)
    assert record.adjustments["政策知晓率"].score == 7
    assert not record.adjustments["政策知晓率"].stale
    assert store.path_for(from_xlsx) == store.path_for(seed(SEED_TXT))


def test_renamed_file_is_found_by_its_key(store: AdjustmentStore) -> None:
    evaluation = seed()
    store.adjust(evaluation, "政策知晓率", "7", REASON, "张三")
    old = store.path_for(evaluation)
    renamed = old.with_name(f"复核-重命名-{evaluation.key}.json")
    old.rename(renamed)
    assert store.path_for(evaluation) == renamed
    record = store.adjust(evaluation, "预算执行率", "7", "分档重叠，按 80%-90% 档", "李四")
    assert len(record.history) == 2
    assert not old.exists()


def test_two_files_for_one_project_are_refused(store: AdjustmentStore) -> None:
    evaluation = seed()
    store.adjust(evaluation, "政策知晓率", "7", REASON, "张三")
    path = store.path_for(evaluation)
    (path.parent / f"副本-{evaluation.key}.json").write_bytes(path.read_bytes())
    with pytest.raises(ParamsError, match="多个文件属于同一项目"):
        store.load(evaluation)


def test_another_year_is_another_project(store: AdjustmentStore) -> None:
    store.adjust(seed(), "政策知晓率", "7", REASON, "张三")
    next_year = seed()
    next_year.year = 2021
    assert store.load(next_year).history == []
    store.adjust(next_year, "政策知晓率", "6", REASON, "张三")
    assert len([n for n in store_files(store) if n.endswith(".json")]) == 2


@pytest.mark.parametrize(
    "name",
    ["../../etc/passwd", "a/b\\c", "..", "项目\x00名\n称\t(测试)", "/绝对/路径", "", "...."],
)
def test_file_name_never_leaves_the_folder(store: AdjustmentStore, name: str) -> None:
    evaluation = seed()
    evaluation.project.name = name
    path = store.path_for(evaluation)
    assert path.parent == store.folder
    assert path.name.endswith(f"-{evaluation.key}.json")
    assert not any(c in path.name for c in "/\\\x00\n\t")
    assert ".." not in path.name
    store.adjust(evaluation, "政策知晓率", "7", REASON, "张三")
    assert path.is_file()


# --- the rules -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("indicator", "score", "reason", "reviewer", "message"),
    [
        ("政策知晓率", "7.01", REASON, "张三", "超出范围，应在 0 到权重 7 之间"),
        ("政策知晓率", "-0.01", REASON, "张三", "超出范围"),
        ("政策知晓率", 8, REASON, "张三", "超出范围"),
        ("政策知晓率", "7.005", REASON, "张三", "超出范围"),
        ("预算执行率", "7.005", REASON, "张三", "最多保留两位小数"),
        ("预算执行率", 6.125, REASON, "张三", "最多保留两位小数"),
        ("预算执行率", D("0.001"), REASON, "张三", "最多保留两位小数"),
        ("预算执行率", "七分", REASON, "张三", "不是数字"),
        ("预算执行率", "", REASON, "张三", "不是数字"),
        ("预算执行率", "NaN", REASON, "张三", "不是有限的数字"),
        ("预算执行率", float("inf"), REASON, "张三", "不是有限的数字"),
        ("预算执行率", True, REASON, "张三", "不是数字"),
        ("预算执行率", "6", "", "张三", "调整理由不能为空"),
        ("预算执行率", "6", " \n\t", "张三", "调整理由不能为空"),
        ("预算执行率", "6", REASON, "", "复核人不能为空"),
        ("预算执行率", "6", REASON, "   ", "复核人不能为空"),
        ("政策知晓度", "6", REASON, "张三", "没有名为“政策知晓度”的指标；最接近的是：政策知晓率"),
        ("完全无关", "6", REASON, "张三", "表中的指标有：财务（资产）管理制度"),
    ],
)
def test_refused_changes_say_why_and_write_nothing(
    store: AdjustmentStore,
    indicator: str,
    score: Decimal | str | float,
    reason: str,
    reviewer: str,
    message: str,
) -> None:
    with pytest.raises(AdjustmentError, match=message):
        store.adjust(seed(), indicator, score, reason, reviewer)
    assert store.load(seed()).history == []
    assert not list(store.folder.glob("*.json"))


@pytest.mark.parametrize(
    ("score", "stored"),
    [
        ("7", D(7)),
        ("6.5", D("6.5")),
        ("6.50", D("6.5")),
        (6.75, D("6.75")),
        (D("0.01"), D("0.01")),
        (0, D(0)),
        ("７", D(7)),  # a full-width digit typed with a Chinese input method
        (" 7.00 ", D(7)),
    ],
)
def test_accepted_scores(
    store: AdjustmentStore, score: Decimal | str | float, stored: Decimal
) -> None:
    record = store.adjust(seed(), "政策知晓率", score, REASON, "张三")
    assert record.adjustments["政策知晓率"].score == stored
    assert str(store.load(seed()).adjustments["政策知晓率"].score) == str(stored)


def test_the_same_score_again_is_recorded_as_a_confirmation(store: AdjustmentStore) -> None:
    store.adjust(seed(), "政策知晓率", "7", REASON, "张三")
    record = store.adjust(seed(), "政策知晓率", "7.00", "复核组长确认", "李四")
    assert [(c.old, c.new, c.reviewer) for c in record.history] == [
        (None, D(7), "张三"),
        (D(7), D(7), "李四"),
    ]
    assert record.adjustments["政策知晓率"].reason == "复核组长确认"


def test_old_is_the_previous_reviewed_score(store: AdjustmentStore) -> None:
    for score in ("5", "6.5", "4"):
        record = store.adjust(seed(), "长效管理机制健全性", score, "按机制文件复核", "张三")
    assert [(c.old, c.new, c.self_score) for c in record.history] == [
        (None, D(5), D(8)),
        (D(5), D("6.5"), D(8)),
        (D("6.5"), D(4), D(8)),
    ]


def test_adjust_many_keeps_the_good_and_reports_the_refused(
    store: AdjustmentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    replaced: list[str] = []
    real_replace = os.replace

    def counting_replace(source: str, target: str) -> None:
        replaced.append(target)
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", counting_replace)
    record, errors = store.adjust_many(
        seed(),
        [
            ("政策知晓率", D(7), REASON),
            ("预算执行率", D("8.5"), "超过权重"),
            ("长效管理机制健全性", D(7), "机制文件不全"),
            ("长效机制健全性", D(1), "名字写错"),
            ("受益人群满意度", D(4), " "),
        ],
        "张三",
    )
    assert len(replaced) == 1  # one write for the whole batch
    assert sorted(record.adjustments) == ["政策知晓率", "长效管理机制健全性"]
    assert [str(e) for e in errors] == [
        "指标“预算执行率”的复核得分 8.5 超出范围，应在 0 到权重 8 之间",
        "表中没有名为“长效机制健全性”的指标；最接近的是：长效管理机制健全性。请使用表中的指标名称",
        "指标“受益人群满意度”的调整理由不能为空，请填写后再保存",
    ]
    assert store.load(seed()) == record


def test_adjust_many_with_nothing_valid_writes_nothing(store: AdjustmentStore) -> None:
    record, errors = store.adjust_many(seed(), [("政策知晓率", D(9), REASON)], "张三")
    assert len(errors) == 1 and record.history == []
    assert not list(store.folder.glob("*.json"))


def test_status_and_opinion(store: AdjustmentStore) -> None:
    evaluation = seed()
    with pytest.raises(
        AdjustmentError, match="复核状态“完成”无效，请选择 未开始、复核中、已完成 之一"
    ):
        store.set_status(evaluation, "完成", "张三")
    with pytest.raises(AdjustmentError, match="复核人不能为空"):
        store.set_status(evaluation, "已完成", "")
    with pytest.raises(AdjustmentError, match="复核人不能为空"):
        store.set_opinion(evaluation, "意见", " ")

    record = store.set_opinion(evaluation, "  政策知晓率缺少自评分。 ", "张三")
    assert (record.opinion, record.status) == ("政策知晓率缺少自评分。", "复核中")
    assert len(store.set_opinion(evaluation, "政策知晓率缺少自评分。", "张三").history) == 1

    signed_at = datetime(2024, 5, 7, 18, 0, tzinfo=UTC)
    record = store.set_status(evaluation, "已完成", "李四", at=signed_at)
    assert (record.status, record.completed_by, record.completed_at) == (
        "已完成",
        "李四",
        signed_at,
    )
    assert len(store.set_status(evaluation, "已完成", "王五").history) == 2  # no-op
    assert store.load(evaluation).completed_by == "李四"

    # A change after the sign-off reopens the review; the sign-off stays in the history.
    record = store.adjust(evaluation, "政策知晓率", "6", REASON, "王五")
    assert (record.status, record.completed_by, record.completed_at) == ("复核中", None, None)
    assert [c.kind for c in record.history] == ["opinion", "status", "score"]

    record = store.set_opinion(evaluation, "", "王五")
    assert record.opinion is None and record.history[-1].text == ""
    record = store.set_status(evaluation, "未开始", "王五")
    assert record.status == "未开始"


# --- stale adjustments ------------------------------------------------------------------


def changed_weight(evaluation: Evaluation) -> None:
    indicator = evaluation.indicator("长效管理机制健全性")
    assert indicator is not None
    indicator.weight = D(12)


def changed_self_score(evaluation: Evaluation) -> None:
    indicator = evaluation.indicator("长效管理机制健全性")
    assert indicator is not None
    indicator.self_score = D("9.5")


def removed(evaluation: Evaluation) -> None:
    evaluation.indicators = [i for i in evaluation.indicators if i.name != "长效管理机制健全性"]


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (changed_weight, "调整后表格有变：权重由10变为12；请重新核定该指标的复核得分"),
        (changed_self_score, "调整后表格有变：自评分由8变为9.5；请重新核定该指标的复核得分"),
        (removed, "重新报送的表中已没有指标“长效管理机制健全性”；该调整保留备查"),
    ],
    ids=["weight", "self_score", "removed"],
)
def test_a_changed_indicator_marks_its_adjustment_stale(
    store: AdjustmentStore, change: Callable[[Evaluation], None], why: str
) -> None:
    store.adjust(seed(), "长效管理机制健全性", "6", "机制文件不全", "张三")
    store.adjust(seed(), "政策知晓率", "7", REASON, "张三")
    resent = seed()
    change(resent)

    record = store.load(resent)
    adjustment = record.adjustments["长效管理机制健全性"]
    assert adjustment.stale and adjustment.stale_reason is not None
    assert adjustment.stale_reason.startswith(why)
    assert adjustment.score == 6  # shown, never dropped
    assert not record.adjustments["政策知晓率"].stale
    assert record.orphaned == (["长效管理机制健全性"] if change is removed else [])
    assert record.history == store.load(seed()).history  # loading changed nothing
    assert not store.load(seed()).adjustments["长效管理机制健全性"].stale

    if change is not removed:  # adjusting against the new form makes it current again
        record = store.adjust(resent, "长效管理机制健全性", "6", "按新表复核", "张三")
        assert not record.adjustments["长效管理机制健全性"].stale
    else:
        with pytest.raises(AdjustmentError, match="没有名为“长效管理机制健全性”"):
            store.adjust(resent, "长效管理机制健全性", "6", "按新表复核", "张三")


def test_an_adjustment_made_before_a_change_and_after_it(store: AdjustmentStore) -> None:
    resent = seed()
    changed_self_score(resent)
    store.adjust(resent, "长效管理机制健全性", "9", "按新表", "张三")
    # Loaded against the old form, the newest adjustment's snapshot is what counts.
    assert store.load(seed()).adjustments["长效管理机制健全性"].stale_reason == (
        "调整后表格有变：自评分由9.5变为8；请重新核定该指标的复核得分"
    )


# --- the file on disk ---------------------------------------------------------------------


def test_the_file_is_pretty_stable_json(store: AdjustmentStore) -> None:
    evaluation = seed()
    store.adjust(evaluation, "政策知晓率", "7", REASON, "张三")
    store.adjust(evaluation, "预算执行率", "7.5", "分档重叠", "李四")
    store.set_opinion(evaluation, "总体规范。", "张三")
    store.set_status(evaluation, "已完成", "张三")
    text = store.path_for(evaluation).read_text(encoding="utf-8")
    data = json.loads(text)
    assert text == json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    assert "政策知晓率" in text and "\\u" not in text
    assert list(data) == ["version", "key", "year", "unit", "name", "history"]
    assert (data["key"], data["year"], data["unit"], data["name"]) == (
        evaluation.key,
        2020,
        "上海市闵行区人民政府古美路街道办事处",
        "(党建办) 组团式服务联系群众专项",
    )
    assert [list(entry) for entry in data["history"]] == [
        ["kind", "at", "reviewer", "indicator", "old", "new", "reason", "weight", "self_score"],
        ["kind", "at", "reviewer", "indicator", "old", "new", "reason", "weight", "self_score"],
        ["kind", "at", "reviewer", "text"],
        ["kind", "at", "reviewer", "status"],
    ]
    assert data["history"][1]["new"] == 7.5 and data["history"][1]["self_score"] == 8
    assert datetime.fromisoformat(data["history"][0]["at"]).tzinfo is not None
    # A save appends: the old text is a prefix of the new one, up to the closing brackets.
    store.adjust(evaluation, "政策知晓率", "6", "再核", "李四")
    longer = store.path_for(evaluation).read_text(encoding="utf-8")
    assert longer.startswith(text[: -len("    }\n  ]\n}\n")])


def test_change_json_round_trips() -> None:
    at = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=8)))
    changes = [
        Change("score", at, "张三", "甲", D("1.5"), D("2.25"), "因", D(10), D("9.99")),
        Change("score", at, "张三", "甲", None, D(0), "因", D("3.333333333333333333"), None),
        Change("opinion", at, "张三", text="意见"),
        Change("status", at, "张三", status="已完成"),
    ]
    for change in changes:
        again = Change.from_json(json.loads(json.dumps(change.to_json()), parse_float=D))
        assert again == change
        assert {k: str(v) for k, v in vars(again).items()} == {
            k: str(v) for k, v in vars(change).items()
        }


def test_a_corrupt_file_is_reported_and_left_untouched(store: AdjustmentStore) -> None:
    evaluation = seed()
    store.adjust(evaluation, "政策知晓率", "7", REASON, "张三")
    path = store.path_for(evaluation)
    broken = path.read_text(encoding="utf-8").replace('"new": 7,', '"new": 7', 1).encode()
    path.write_bytes(broken)
    line = broken.decode().splitlines().index('      "reason": "' + REASON + '",') + 1

    for attempt in (
        lambda: store.load(evaluation),
        lambda: store.adjust(evaluation, "预算执行率", "7", "再核", "李四"),
        lambda: store.set_status(evaluation, "已完成", "李四"),
    ):
        with pytest.raises(ParamsError) as caught:
            attempt()
        assert str(path) in str(caught.value)
        assert f"第{line}行第7列" in str(caught.value)
        assert path.read_bytes() == broken
    assert not list(store.folder.glob("*.tmp"))


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.pop("history"), "缺少 history 列表"),
        (lambda d: d.update(key="0000000000000000"), "项目键“0000000000000000”与文件名不符"),
        (lambda d: d["history"][0].update(kind="delete"), "history 第1条记录有误：kind 应为"),
        (lambda d: d["history"][0].update(new="七"), "history 第1条记录有误：“七”不是数字"),
        (lambda d: d["history"][0].update(new="Infinity"), "“Infinity”不是有限的数字"),
        (lambda d: d["history"][0].update(at="2024-05-06 09:30"), "at 应为带时区的 ISO 时间"),
        (lambda d: d["history"][0].update(reviewer=""), "缺少 reviewer"),
        (lambda d: d["history"].append([]), "history 第2条记录有误：不是一个对象"),
    ],
)
def test_a_badly_edited_file_is_reported(
    store: AdjustmentStore, edit: Callable[[dict[str, Any]], object], message: str
) -> None:
    evaluation = seed()
    store.adjust(evaluation, "政策知晓率", "7", REASON, "张三")
    path = store.path_for(evaluation)
    data = json.loads(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    before = path.read_bytes()
    with pytest.raises(ParamsError, match=message):
        store.adjust(evaluation, "政策知晓率", "6", REASON, "张三")
    assert path.read_bytes() == before


def test_a_folder_that_cannot_be_created_is_refused(tmp_path: Path) -> None:
    # We run as root, where chmod does not stop writes: a params "folder" that is a file does.
    params = tmp_path / "params"
    params.write_text("not a folder", encoding="utf-8")
    store = AdjustmentStore(params)
    assert store.load(seed()).history == []
    with pytest.raises(AdjustmentError, match=f"无法写入复核调整文件夹 {params / 'adjustments'}"):
        store.adjust(seed(), "政策知晓率", "7", REASON, "张三")
    assert params.read_text(encoding="utf-8") == "not a folder"


@pytest.mark.parametrize("failing", ["replace", "fsync"])
def test_a_full_disk_keeps_the_old_file(
    store: AdjustmentStore, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    evaluation = seed()
    store.adjust(evaluation, "政策知晓率", "7", REASON, "张三")
    path = store.path_for(evaluation)
    before = path.read_bytes()

    def full(*args: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, failing, full)
    with pytest.raises(AdjustmentError) as caught:
        store.adjust(evaluation, "预算执行率", "7", "分档重叠", "李四")
    monkeypatch.undo()
    assert str(path) in str(caught.value)
    assert "原文件未改动，磁盘已满" in str(caught.value)
    assert path.read_bytes() == before
    assert not list(store.folder.glob("*.tmp"))
    assert len(store.load(evaluation).history) == 1


def test_leftover_temp_files_are_ignored_then_cleaned(store: AdjustmentStore) -> None:
    evaluation = seed()
    store.adjust(evaluation, "政策知晓率", "7", REASON, "张三")
    leftover = store.folder / f".{evaluation.key}.killed.tmp"
    leftover.write_text('{"half a fi', encoding="utf-8")
    other = store.folder / ".0123456789abcdef.other.tmp"  # another project's save in flight
    other.write_text("{", encoding="utf-8")
    assert len(store.load(evaluation).history) == 1
    store.adjust(evaluation, "预算执行率", "7", "分档重叠", "李四")
    assert not leftover.exists()
    assert other.exists()


# --- replay ---------------------------------------------------------------------------------

NAMES = ["政策知晓率", "预算执行率", "长效管理机制健全性", "受益人群满意度"]
operations = st.one_of(
    st.tuples(
        st.just("score"),
        st.sampled_from([*NAMES, "政策知晓度"]),
        st.one_of(
            st.decimals(min_value=-1, max_value=12, places=2),
            st.decimals(min_value=0, max_value=8, places=3),
        ),
        st.sampled_from(["核对凭证", "问卷不足", " ", "确认"]),
        st.sampled_from(["张三", "李四", ""]),
    ),
    st.tuples(
        st.just("opinion"),
        st.sampled_from(["", "意见甲", " 意见乙 "]),
        st.sampled_from(["张三", ""]),
    ),
    st.tuples(
        st.just("status"), st.sampled_from(["未开始", "复核中", "已完成", "完成"]), st.just("张三")
    ),
)


class Model:
    """What the store should hold, kept the obvious way."""

    def __init__(self, evaluation: Evaluation) -> None:
        self.weights = {i.name: i.weight for i in evaluation.indicators}
        self.scores: dict[str, tuple[Decimal, str, str]] = {}
        self.opinion: str | None = None
        self.status = "未开始"
        self.entries = 0

    def apply(self, op: tuple[object, ...]) -> bool:
        """Apply an operation; False when the store must refuse it."""
        if op[0] == "score":
            _, name, score, reason, reviewer = op
            assert isinstance(name, str) and isinstance(score, Decimal)
            assert isinstance(reason, str) and isinstance(reviewer, str)
            weight = self.weights.get(name)
            if (
                not reviewer.strip()
                or weight is None
                or not 0 <= score <= weight
                or score != score.quantize(D("0.01"))
                or not reason.strip()
            ):
                return False
            self.scores[name] = (score, reason.strip(), reviewer)
            self.status, self.entries = "复核中", self.entries + 1
        elif op[0] == "opinion":
            _, text, reviewer = op
            assert isinstance(text, str) and isinstance(reviewer, str)
            if not reviewer.strip():
                return False
            if text.strip() != (self.opinion or ""):
                self.opinion = text.strip() or None
                self.status, self.entries = "复核中", self.entries + 1
        else:
            _, status, _ = op
            if status not in ("未开始", "复核中", "已完成"):
                return False
            if status != self.status:
                assert isinstance(status, str)
                self.status, self.entries = status, self.entries + 1
        return True


def run(store: AdjustmentStore, evaluation: Evaluation, op: tuple[object, ...]) -> None:
    if op[0] == "score":
        store.adjust(evaluation, *op[1:])  # type: ignore[arg-type]
    elif op[0] == "opinion":
        store.set_opinion(evaluation, *op[1:])  # type: ignore[arg-type]
    else:
        store.set_status(evaluation, *op[1:])  # type: ignore[arg-type]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(operations, max_size=20))
def test_replay_equals_the_loaded_state(ops: list[tuple[object, ...]]) -> None:
    evaluation = seed()
    model = Model(evaluation)
    with tempfile.TemporaryDirectory() as folder:
        store = AdjustmentStore(folder)
        for op in ops:
            accepted = model.apply(op)
            try:
                run(store, evaluation, op)
            except AdjustmentError:
                assert not accepted, op
            else:
                assert accepted, op
        record = store.load(evaluation)
        assert record.state == replay(record.history)
        assert record == AdjustmentStore(folder).load(copy.deepcopy(evaluation))
    assert len(record.history) == model.entries
    assert {
        name: (a.score, a.reason, a.reviewer) for name, a in record.adjustments.items()
    } == model.scores
    assert (record.opinion, record.status) == (model.opinion, model.status)
    assert not any(a.stale for a in record.adjustments.values())
    assert (record.completed_by is not None) == (record.status == "已完成")


def test_replay_of_nothing() -> None:
    assert replay([]) == ReviewState()
