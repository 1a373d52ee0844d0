"""The reviewers' adjustments: every change a person made, kept safe on disk.

One JSON file per project under ``params_dir / "adjustments"``, found by
``Evaluation.key`` (year, unit, project name), so a re-sent form — renamed,
re-exported, another format — finds its review again. The file name is
``<year>-<short project name>-<key>.json``; only the key suffix is used to find it.

The file holds the project's identity and an append-only ``history``: every
change ever made, oldest first. The current state is ``replay(history)``; nothing
else in the file is authoritative. Rules of the replay:

- ``score``: the indicator's reviewed score becomes ``new``. Setting the same
  score again with a reason is recorded too (a reviewer confirming a score).
- ``opinion``: the 复核意见 becomes ``text`` (an empty text clears it).
- ``status``: 未开始 / 复核中 / 已完成 as set. A score or opinion change moves
  未开始 to 复核中, and reopens an 已完成 review (复核中): a sign-off never covers a
  change made after it. The sign-off itself stays in the history.

An adjustment is *stale* when the form it is loaded against differs from the
snapshot taken when it was made (weight or self-score changed, or the indicator
is gone). Stale adjustments are kept and shown, never dropped.

Every save is read-modify-write under ``atomic.exclusive_lock`` on a sidecar lock file,
through a temp file in the same folder that is fsync'd and ``os.replace``d, then
the folder is fsync'd: a crash leaves the old file or the new one.
"""

from __future__ import annotations

import contextlib
import difflib
import errno
import json
import logging
import os
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ..atomic import exclusive_lock, write_atomic
from ..exceptions import AdjustmentError, ParamsError
from ..model import Evaluation
from ..names import safe_name

log = logging.getLogger("perfeval")

__all__ = [
    "DONE",
    "IN_REVIEW",
    "NOT_STARTED",
    "STATUSES",
    "Adjustment",
    "AdjustmentStore",
    "Change",
    "ProjectRecord",
    "ReviewState",
    "mark_stale",
    "replay",
]

NOT_STARTED, IN_REVIEW, DONE = "未开始", "复核中", "已完成"
STATUSES = (NOT_STARTED, IN_REVIEW, DONE)
FILE_VERSION = 1
_CENT = Decimal("0.01")
# The fields each kind of change carries in its JSON, after kind, at and reviewer.
_KIND_FIELDS = {
    "score": ("indicator", "old", "new", "reason", "weight", "self_score"),
    "opinion": ("text",),
    "status": ("status",),
}


# --- exact numbers in JSON ---------------------------------------------------


def _canonical(value: Decimal) -> Decimal:
    """7.00 → 7, 7.50 → 7.5: one spelling per number, so records compare and print alike."""
    if value.adjusted() > 20:  # no score is this large; leave a hand-typed 1E+30 alone
        return value
    if value == value.to_integral_value():
        return Decimal(int(value))
    return value.normalize()


def _dump_decimal(value: Decimal | None) -> int | float | str | None:
    """A JSON number when it reads back exactly, else a string (never a rounded float)."""
    if value is None:
        return None
    value = _canonical(value)
    if value.as_tuple().exponent == 0:
        return int(value)
    number = float(value)
    return number if Decimal(repr(number)) == value else str(value)


#: No weight or score on a form comes near this; a larger one in a history was typed by hand.
MAX_POINTS = Decimal(1000)


def _check_score_change(values: dict[str, Any]) -> None:
    """A recorded score within what a score can be: ValueError naming the field."""
    for name in ("old", "new", "weight", "self_score"):
        value = values[name]
        if value is not None and not Decimal(0) <= value <= MAX_POINTS:
            raise ValueError(f"{name} 为 {value}，超出 0 到 {MAX_POINTS} 的范围")
    new, weight = values["new"], values["weight"]
    if weight is not None and new > weight:
        raise ValueError(f"new（复核得分）{new} 超过当时的权重 {weight}")
    if new != new.quantize(_CENT):
        raise ValueError(f"new（复核得分）{new} 超过两位小数")


def _load_decimal(value: Any) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        raise ValueError(f"“{value}”不是数字")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"“{value}”不是数字") from None
    if not number.is_finite():
        raise ValueError(f"“{value}”不是有限的数字")
    return _canonical(number)


# --- the history ---------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One entry of a project's history: a score, an opinion or a status change."""

    kind: str
    at: datetime
    reviewer: str
    indicator: str | None = None
    old: Decimal | None = None
    new: Decimal | None = None
    reason: str | None = None
    weight: Decimal | None = None
    self_score: Decimal | None = None
    text: str | None = None
    status: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": self.kind,
            "at": self.at.isoformat(),
            "reviewer": self.reviewer,
        }
        for name in _KIND_FIELDS[self.kind]:
            value = getattr(self, name)
            data[name] = _dump_decimal(value) if isinstance(value, Decimal) else value
        return data

    @classmethod
    def from_json(cls, data: Any) -> Change:
        """A change from its JSON; ValueError says what is wrong with it."""
        if not isinstance(data, dict):
            raise ValueError("不是一个对象")
        kind = data.get("kind")
        if kind not in _KIND_FIELDS:
            raise ValueError(f"kind 应为 score、opinion 或 status，而不是“{kind}”")
        at = data.get("at")
        reviewer = data.get("reviewer")
        if not isinstance(reviewer, str) or not reviewer.strip():
            raise ValueError("缺少 reviewer（复核人）")
        try:
            when = datetime.fromisoformat(at) if isinstance(at, str) else None
        except ValueError:
            when = None
        if when is None or when.tzinfo is None:
            raise ValueError(f"at 应为带时区的 ISO 时间，而不是“{at}”")
        values: dict[str, Any] = {}
        for name in _KIND_FIELDS[kind]:
            value = data.get(name)
            if name in ("old", "new", "weight", "self_score"):
                values[name] = _load_decimal(value)
            elif value is not None and not isinstance(value, str):
                raise ValueError(f"{name} 应为文字")
            else:
                values[name] = value
        if kind == "score" and (values["indicator"] is None or values["new"] is None):
            raise ValueError("score 变更缺少 indicator 或 new")
        if kind == "score":
            _check_score_change(values)
        if kind == "status" and values["status"] not in STATUSES:
            raise ValueError(f"status 应为 {'、'.join(STATUSES)} 之一")
        return cls(kind=kind, at=when, reviewer=reviewer, **values)


@dataclass(frozen=True)
class Adjustment:
    """The current reviewed score of one indicator, and whether the form moved under it."""

    indicator: str
    score: Decimal
    reason: str
    reviewer: str
    at: datetime
    stale: bool = False
    stale_reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "score": _dump_decimal(self.score),
            "reason": self.reason,
            "reviewer": self.reviewer,
            "at": self.at.isoformat(),
            "stale": self.stale,
            "stale_reason": self.stale_reason,
        }


@dataclass
class ReviewState:
    """What a history adds up to (see ``replay``)."""

    adjustments: dict[str, Adjustment] = field(default_factory=dict)
    opinion: str | None = None
    status: str = NOT_STARTED
    completed_by: str | None = None
    completed_at: datetime | None = None
    # The snapshot each current adjustment was made against: (weight, self_score).
    snapshots: dict[str, tuple[Decimal | None, Decimal | None]] = field(default_factory=dict)


def replay(history: list[Change]) -> ReviewState:
    """The current state of a review: the history applied oldest first. No stale marks."""
    state = ReviewState()
    for change in history:
        _apply(state, change)
    return state


def _apply(state: ReviewState, change: Change) -> None:
    """One step of ``replay``."""
    if change.kind == "status":
        state.status = change.status or NOT_STARTED
    else:
        state.status = IN_REVIEW  # any change starts a review, or reopens a finished one
        if change.kind == "score" and change.indicator is not None and change.new is not None:
            state.adjustments[change.indicator] = Adjustment(
                change.indicator, change.new, change.reason or "", change.reviewer, change.at
            )
            state.snapshots[change.indicator] = (change.weight, change.self_score)
        elif change.kind == "opinion":
            state.opinion = change.text or None
    if state.status != DONE:
        state.completed_by = state.completed_at = None
    elif change.kind == "status":
        state.completed_by, state.completed_at = change.reviewer, change.at


def _changed(what: str, then: Decimal | None, now: Decimal | None) -> str | None:
    if then == now:
        return None
    show = ("空" if v is None else str(_canonical(v)) for v in (then, now))
    return "{}由{}变为{}".format(what, *show)


def mark_stale(state: ReviewState, evaluation: Evaluation) -> tuple[ReviewState, list[str]]:
    """The state with stale marks against this form, and the adjusted indicators it lacks."""
    marked = replace(state, adjustments=dict(state.adjustments))
    orphaned: list[str] = []
    for name, adjustment in state.adjustments.items():
        weight, self_score = state.snapshots.get(name, (None, None))
        indicator = evaluation.indicator(name)
        if indicator is None:
            orphaned.append(name)
            why = f"重新报送的表中已没有指标“{name}”；该调整保留备查，请核对指标是否改名"
        else:
            reasons = [
                r
                for r in (
                    _changed("权重", weight, indicator.weight),
                    _changed("自评分", self_score, indicator.self_score),
                )
                if r
            ]
            if not reasons:
                continue
            why = f"调整后表格有变：{'，'.join(reasons)}；请重新核定该指标的复核得分"
        marked.adjustments[name] = replace(adjustment, stale=True, stale_reason=why)
    return marked, orphaned


@dataclass
class ProjectRecord:
    """One project's review: its history and the state replayed from it."""

    key: str
    history: list[Change] = field(default_factory=list)
    state: ReviewState = field(default_factory=ReviewState)
    # Adjusted indicators the form this record was loaded against no longer has.
    orphaned: list[str] = field(default_factory=list)

    @property
    def adjustments(self) -> dict[str, Adjustment]:
        return self.state.adjustments

    @property
    def opinion(self) -> str | None:
        return self.state.opinion

    @property
    def status(self) -> str:
        return self.state.status

    @property
    def completed_by(self) -> str | None:
        return self.state.completed_by

    @property
    def completed_at(self) -> datetime | None:
        return self.state.completed_at


# --- checks on a change --------------------------------------------------------


def _text(value: str | None, what: str) -> str:
    text = (value or "").strip()
    if not text:
        raise AdjustmentError(f"{what}不能为空，请填写后再保存")
    return text


def _score(value: Decimal | str | float | int) -> Decimal:
    if isinstance(value, bool):
        raise AdjustmentError(f"复核得分“{value}”不是数字，请填写如 7 或 6.5 的分数")
    try:
        if isinstance(value, float):
            value = repr(value)
        if isinstance(value, str):
            value = unicodedata.normalize("NFKC", value).strip()
        number = Decimal(value)
    except (InvalidOperation, ValueError, TypeError):
        raise AdjustmentError(f"复核得分“{value}”不是数字，请填写如 7 或 6.5 的分数") from None
    if not number.is_finite():
        raise AdjustmentError(f"复核得分“{value}”不是有限的数字，请填写如 7 或 6.5 的分数")
    return number


def _score_change(
    evaluation: Evaluation,
    state: ReviewState,
    name: str,
    value: Decimal | str | float,
    reason: str,
    reviewer: str,
    at: datetime,
) -> Change:
    who = _text(reviewer, "复核人")
    indicator = evaluation.indicator(name)
    alike = evaluation.ambiguous(name)
    if indicator is None and alike:
        raise AdjustmentError(
            f"表中有 {len(alike)} 项指标都名为“{name}”，请指明调整哪一项：{'、'.join(alike)}"
        )
    if indicator is None:
        names = evaluation.refs()
        close = difflib.get_close_matches(name, names, n=3, cutoff=0.4)
        hint = f"最接近的是：{'、'.join(close)}" if close else f"表中的指标有：{'、'.join(names)}"
        raise AdjustmentError(f"表中没有名为“{name}”的指标；{hint}。请使用表中的指标名称")
    score = _score(value)
    if not Decimal(0) <= score <= indicator.weight:
        raise AdjustmentError(
            f"指标“{name}”的复核得分 {value} 超出范围，应在 0 到权重 {_canonical(indicator.weight)} 之间"
        )
    if score != score.quantize(_CENT):
        raise AdjustmentError(f"指标“{name}”的复核得分 {value} 最多保留两位小数，如 6.5 或 6.75")
    why = _text(reason, f"指标“{name}”的调整理由")
    current = state.adjustments.get(name)
    return Change(
        "score",
        at,
        who,
        indicator=name,
        old=current.score if current else None,
        new=_canonical(score),
        reason=why,
        weight=_canonical(indicator.weight),
        self_score=None if indicator.self_score is None else _canonical(indicator.self_score),
    )


def _now(at: datetime | None) -> datetime:
    """The time of a change, to the second, with a time zone (local when none is given)."""
    moment = at or datetime.now()
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return moment.replace(microsecond=0)


# --- the store -----------------------------------------------------------------


class AdjustmentStore:
    """The reviewers' adjustments under ``params_dir / "adjustments"``, one file a project."""

    def __init__(self, params_dir: Path | str) -> None:
        self.folder = Path(params_dir) / "adjustments"

    def files_by_key(self) -> dict[str, list[Path]]:
        """Every project file of the store by its key, from one listing of the folder — for
        a batch, whose projects would otherwise each list a folder of thousands."""
        files: dict[str, list[Path]] = {}
        if self.folder.is_dir():
            for path in sorted(self.folder.glob("*-*.json")):
                files.setdefault(path.stem.rsplit("-", 1)[1], []).append(path)
        return files

    def path_for(self, evaluation: Evaluation, files: dict[str, list[Path]] | None = None) -> Path:
        """The project's file: the existing one with its key, else a new readable name.

        ``files``: :meth:`files_by_key`, when the caller asks for many projects at once.
        """
        key = evaluation.key
        if files is not None:
            found = files.get(key, [])
        else:
            found = sorted(self.folder.glob(f"*-{key}.json")) if self.folder.is_dir() else []
        if len(found) > 1:
            names = "、".join(p.name for p in found)
            raise ParamsError(
                f"{self.folder} 中有多个文件属于同一项目（{key}）：{names}；请合并为一个"
            )
        if found:
            return found[0]
        year = str(evaluation.year) if evaluation.year else "无年度"
        name = safe_name(evaluation.project.name or "", 24, 72) or "未命名项目"
        return self.folder / f"{year}-{name}-{key}.json"

    def _legacy(self, evaluation: Evaluation) -> Path | None:
        """A review perfeval 0.1 saved for this project under its older, shorter key."""
        if not self.folder.is_dir() or self.path_for(evaluation).exists():
            return None
        found = sorted(self.folder.glob(f"*-{evaluation.legacy_key}.json"))
        return found[0] if len(found) == 1 else None

    def _history(self, evaluation: Evaluation) -> list[Change]:
        """The project's saved history: its own file, or the one an older perfeval saved."""
        path = self.path_for(evaluation)
        if path.exists():
            return self._read(path, evaluation.key)
        legacy = self._legacy(evaluation)
        return self._read(legacy, evaluation.legacy_key) if legacy is not None else []

    def load(self, evaluation: Evaluation) -> ProjectRecord:
        """The project's review, stale marks computed against this form; empty if none."""
        return self._record(evaluation, self._history(evaluation))

    def adjust(
        self,
        evaluation: Evaluation,
        indicator: str,
        score: Decimal | str | float,
        reason: str,
        reviewer: str,
        *,
        at: datetime | None = None,
    ) -> ProjectRecord:
        """Record a reviewed score for one indicator; AdjustmentError says why it is refused."""
        record, errors = self.adjust_many(evaluation, [(indicator, score, reason)], reviewer, at=at)
        if errors:
            raise errors[0]
        return record

    def adjust_many(
        self,
        evaluation: Evaluation,
        changes: Sequence[tuple[str, Decimal | str | float, str]],
        reviewer: str,
        *,
        at: datetime | None = None,
    ) -> tuple[ProjectRecord, list[AdjustmentError]]:
        """Record several scores in one locked write; refused ones are returned, others kept."""
        moment = _now(at)
        errors: list[AdjustmentError] = []

        def apply(history: list[Change]) -> None:
            state = replay(history)
            for name, score, reason in changes:
                try:
                    change = _score_change(evaluation, state, name, score, reason, reviewer, moment)
                except AdjustmentError as error:
                    errors.append(error)
                    continue
                history.append(change)
                _apply(state, change)

        return self._update(evaluation, apply), errors

    def set_opinion(
        self, evaluation: Evaluation, text: str, reviewer: str, *, at: datetime | None = None
    ) -> ProjectRecord:
        """Set the 复核意见 (an empty text clears it); the same text again records nothing."""
        who = _text(reviewer, "复核人")
        new = (text or "").strip()

        def apply(history: list[Change]) -> None:
            if (replay(history).opinion or "") != new:
                history.append(Change("opinion", _now(at), who, text=new))

        return self._update(evaluation, apply)

    def set_status(
        self, evaluation: Evaluation, status: str, reviewer: str, *, at: datetime | None = None
    ) -> ProjectRecord:
        """Set the review status; the status it already has records nothing."""
        who = _text(reviewer, "复核人")
        status = (status or "").strip()
        if status not in STATUSES:
            raise AdjustmentError(f"复核状态“{status}”无效，请选择 {'、'.join(STATUSES)} 之一")

        def apply(history: list[Change]) -> None:
            if replay(history).status != status:
                history.append(Change("status", _now(at), who, status=status))

        return self._update(evaluation, apply)

    # --- inside ---------------------------------------------------------------

    def _refuse_links(self, path: Path) -> None:
        """A review file that is a link would be replaced by a plain file at the next save,
        and the link's target would silently stop getting changes: refused instead."""
        if path.is_symlink():
            raise ParamsError(
                f"{path} 是一个符号链接（指向 {os.readlink(path)}）；perfeval 只读写普通文件，"
                "请把链接换成它所指的文件本身，或把整个 adjustments 文件夹链接到共享位置"
            )

    def _record(self, evaluation: Evaluation, history: list[Change]) -> ProjectRecord:
        state, orphaned = mark_stale(replay(history), evaluation)
        return ProjectRecord(evaluation.key, history, state, orphaned)

    def _read(self, path: Path, key: str) -> list[Change]:
        self._refuse_links(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise ParamsError(f"{path}: 无法读取复核调整文件（{error}）") from None
        try:
            data = json.loads(text, parse_float=Decimal)
        except json.JSONDecodeError as error:
            raise ParamsError(
                f"{path} 第{error.lineno}行第{error.colno}列: 复核调整文件不是有效的 JSON（{error.msg}）；"
                "请修正或从备份恢复该文件，perfeval 不会覆盖它"
            ) from None
        except (RecursionError, ValueError, ArithmeticError) as error:
            raise ParamsError(
                f"{path}: 复核调整文件无法解析（{type(error).__name__}）；请修正或从备份恢复该文件"
            ) from None
        if not isinstance(data, dict) or not isinstance(data.get("history"), list):
            raise ParamsError(f"{path}: 复核调整文件缺少 history 列表；请修正或从备份恢复该文件")
        if data.get("key") != key:
            raise ParamsError(
                f"{path}: 文件中的项目键“{data.get('key')}”与文件名不符（应为 {key}）"
            )
        history: list[Change] = []
        for number, entry in enumerate(data["history"], start=1):
            try:
                history.append(Change.from_json(entry))
            except (ValueError, TypeError, ArithmeticError) as error:
                raise ParamsError(
                    f"{path}: history 第{number}条记录有误：{error}；请修正该文件"
                ) from None
        return history

    def _update(
        self, evaluation: Evaluation, apply: Callable[[list[Change]], None]
    ) -> ProjectRecord:
        """Read-modify-write the project's file under its lock; write only if history grew."""
        key = evaluation.key
        with self._locked(key):
            path = self.path_for(evaluation)
            legacy = self._legacy(evaluation)
            history = self._history(evaluation)
            before = len(history)
            apply(history)
            # Every step that can fail comes before the write: a change is saved only when
            # the review it makes can be shown, so a retry never records it twice.
            record = self._record(evaluation, history)
            if len(history) > before:
                self._refuse_links(path)
                self._write(path, evaluation, history)
                if legacy is not None:  # moved under the project's own key: one file a project
                    legacy.unlink(missing_ok=True)
        return record

    @contextlib.contextmanager
    def _locked(self, key: str) -> Iterator[None]:
        with contextlib.ExitStack() as held:
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
                held.enter_context(exclusive_lock(self.folder / f".{key}.lock"))
            except OSError as error:
                raise AdjustmentError(
                    f"无法写入复核调整文件夹 {self.folder}（{error.strerror}）；请检查该路径是否为可写的文件夹"
                ) from None
            yield

    def _write(self, path: Path, evaluation: Evaluation, history: list[Change]) -> None:
        """Temp file, fsync, os.replace, fsync the folder. The caller holds the lock."""
        data = {
            "version": FILE_VERSION,
            "key": evaluation.key,
            "year": evaluation.year,
            "unit": evaluation.project.unit,
            "name": evaluation.project.name,
            "history": [change.to_json() for change in history],
        }
        payload = (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
        try:
            for leftover in self.folder.glob(f".{evaluation.key}.*.tmp"):
                leftover.unlink(missing_ok=True)  # left by a killed save; we hold the lock
            write_atomic(path, payload, prefix=f".{evaluation.key}.", suffix=".tmp")
        except OSError as error:
            full = error.errno in (errno.ENOSPC, errno.EDQUOT)
            hint = "磁盘已满，请腾出空间" if full else "请检查文件夹的写权限"
            raise AdjustmentError(
                f"无法保存复核调整到 {path}（{error.strerror}）；原文件未改动，{hint}后重试"
            ) from None
        # Replaced: every reader now sees the change, so it is saved — failing here must not
        # say "unchanged" (a retry would record the change twice). Only a power cut before
        # the folder reaches the disk could lose it; say so.
        try:
            folder = os.open(self.folder, os.O_RDONLY)
            try:
                os.fsync(folder)
            finally:
                os.close(folder)
        except OSError as error:
            log.warning(
                "已保存 %s，但无法将文件夹同步到磁盘（%s）；断电可能丢失这次保存", path, error
            )
