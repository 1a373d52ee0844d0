"""Bringing a review workbook back: the scores and reasons a reviewer filled in Excel.

``import_review`` reads a workbook written by ``perfeval.workbook``, finds its form
(the path recorded in the workbook, or one given), and records every changed row
through ``AdjustmentStore.adjust_many`` — one locked write, the store's rules.

A row is a change when its 复核得分 differs from the one written, or its 调整理由
does (the same score with a new reason is recorded as a confirmation). Unchanged
rows and blank scores are skipped. A row is refused, with the reason, when:

- someone changed the indicator's reviewed score since the workbook was written
  (a conflict: the reviewer's edit would overwrite theirs);
- the score changed but the reason is empty or still the old one;
- the store refuses it (not a number, outside [0, weight], more than 2 decimals);
- its indicator name is not one the workbook was written with, or appears twice.

A row whose score and reason are already in the store (the same workbook imported
again) is skipped.

The conflict check is made just before the locked write, not inside it: two saves
within the same instant can both pass it.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from .. import fmt
from ..check.base import CheckSettings
from ..exceptions import FormError, PerfevalError
from ..model import Evaluation
from .build import Review, evaluation_in, load_review
from .store import AdjustmentStore
from .workbook import EditedRow, ReviewWorkbook, WrittenScore, read_review_workbook

__all__ = ["ImportResult", "Refused", "Taken", "import_review", "parse_score"]


@dataclass(frozen=True)
class Taken:
    """A change recorded from the workbook."""

    row: int
    indicator: str
    old: Decimal | None
    new: Decimal
    reason: str


@dataclass(frozen=True)
class Refused:
    """A row not recorded: what was typed, and why."""

    row: int
    indicator: str
    typed: str
    why: str


@dataclass
class ImportResult:
    """What ``import_review`` recorded and refused, and the review as it now stands."""

    workbook: Path
    form: Path
    review: Review
    saved_to: Path
    taken: list[Taken] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)

    def report(self) -> str:
        """The report, in Chinese, that ``perfeval import-review`` prints."""
        evaluation = self.review.evaluation
        lines = [
            f"导入复核表 {self.workbook}",
            f"项目：{evaluation.project.name or '（空）'}    原表：{evaluation.source}",
        ]
        if not self.taken and not self.refused:
            lines.append("复核表中没有新的改动，未记录任何调整。")
        if self.taken:
            lines.append(f"已记录 {len(self.taken)} 项：")
        for t in self.taken:
            if t.old == t.new:
                move = f"{fmt.score(t.new)} 分（确认原分数）"
            else:
                move = f"{fmt.score(t.old)} → {fmt.score(t.new)} 分"
            lines.append(f"  · 第{t.row}行 {t.indicator}：{move}；理由：{t.reason}")
        if self.refused:
            lines.append(f"未记录 {len(self.refused)} 项：")
        for r in self.refused:
            typed = f"（填写“{r.typed}”）" if r.typed else ""
            lines.append(f"  · 第{r.row}行 {r.indicator or '（无指标名称）'}{typed}：{r.why}")
        if self.refused:
            lines.append("请在复核表中改正以上各行后重新导入，或用 perfeval adjust 逐项调整。")
        totals = self.review.totals()
        saved = f"已保存到 {self.saved_to}" if self.taken else ""
        lines.append(
            f"复核合计 {fmt.score(totals.reviewed)} 分，等级 {totals.reviewed_grade or '—'}。{saved}"
        )
        return "\n".join(lines)


def parse_score(value: object) -> Decimal | str | None:
    """A typed 复核得分: a number ("7", "７", "6.5分", 7.0), the text when it is not one,
    None when blank."""
    if value is None:
        return None
    if isinstance(value, bool | date | datetime):
        return str(value)
    if isinstance(value, int | float):
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        return number if number.is_finite() else str(value)
    raw = str(value).strip()
    text = unicodedata.normalize("NFKC", raw).strip().removesuffix("分").strip()
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return raw
    return number if number.is_finite() else raw


def _find_evaluation(book: ReviewWorkbook, form: Path | None) -> tuple[Path, Evaluation]:
    """The workbook's project, from the form it recorded or the one given."""
    project = book.get("project") or "（未命名项目）"
    if form is None:
        form = Path(book.get("source_path"))
        if not form.is_file():
            raise PerfevalError(
                f"找不到原表 {form}（生成复核表时记录的位置，项目“{project}”）；"
                "原表已移动或改名时，请用 --form 指定原表文件"
            )
    elif not form.is_file():
        raise PerfevalError(f"找不到 --form 指定的原表 {form}")
    try:
        return form, evaluation_in(form, book.get("sheet") or None, book.get("key"))
    except FormError:
        raise
    except PerfevalError:
        raise PerfevalError(
            f"{form} 中没有与复核表对应的项目（{project}，{book.get('unit') or '单位未填'}，"
            f"{book.get('year') or '年度未填'}年）；请用 --form 指定该项目的原表"
        ) from None


def _check_row(
    row: EditedRow, written: WrittenScore, evaluation: Evaluation, current: Review
) -> Decimal | str | Refused | None:
    """The score to submit for a row, a refusal, or None when there is nothing to record."""
    score = parse_score(row.score)
    if (
        isinstance(row.score, Decimal | float)
        and written.score is not None
        and float(row.score) == float(written.score)
    ):
        score = written.score  # a spreadsheet keeps 15 digits: the cell as it was written
    typed = str(row.score).strip() if row.score is not None else ""
    reason_changed = bool(row.reason) and row.reason != written.reason
    if score is None:
        if reason_changed:
            return Refused(
                row.row, row.indicator, "", "填写了调整理由，但复核得分为空；请填写复核得分"
            )
        return None
    if score == written.score and not reason_changed:
        return None
    indicator = evaluation.indicator(row.indicator)
    if indicator is None:
        return Refused(row.row, row.indicator, typed, "原表中已没有这一指标")
    adjustment = current.item(row.indicator).adjustment
    now = adjustment.score if adjustment is not None else indicator.self_score
    if now != written.score:
        if adjustment is not None and score == now and row.reason == adjustment.reason:
            return None  # recorded already: the same workbook imported again
        who = f"（{adjustment.reviewer}，{adjustment.at:%Y-%m-%d %H:%M}）" if adjustment else ""
        return Refused(
            row.row,
            row.indicator,
            typed,
            f"冲突：本表生成时复核得分为 {fmt.score(written.score)}，现已是 {fmt.score(now)}{who}；"
            "为免覆盖，未记录此行，请重新生成复核表后再改",
        )
    if score != written.score and written.reason and row.reason == written.reason:
        return Refused(
            row.row,
            row.indicator,
            typed,
            "复核得分已改，但调整理由仍是原来的理由；请写明本次调整的理由",
        )
    return score


def import_review(
    workbook: Path,
    reviewer: str,
    *,
    form: Path | None = None,
    params_dir: Path | str = "params",
    settings: CheckSettings | None = None,
) -> ImportResult:
    """Record the scores and reasons a reviewer filled into a review workbook.

    Raises PerfevalError when the workbook or its form cannot be read; refused rows
    are in the result, never raised.
    """
    book = read_review_workbook(Path(workbook))
    form, evaluation = _find_evaluation(book, form)
    current = load_review(evaluation, params_dir, settings)
    refused: list[Refused] = []
    submitted: list[tuple[EditedRow, Decimal | None, Decimal | str]] = []
    seen: set[str] = set()
    for row in book.rows:
        typed = str(row.score).strip() if row.score is not None else ""
        written = book.written.get(row.indicator)
        if written is None:
            if parse_score(row.score) is not None:
                why = "生成本表时没有这一指标；请勿修改指标名称或增加行"
                refused.append(Refused(row.row, row.indicator, typed, why))
            continue
        if row.indicator in seen:
            why = "该指标在表中出现了不止一次，只导入第一次出现的行"
            refused.append(Refused(row.row, row.indicator, typed, why))
            continue
        seen.add(row.indicator)
        outcome = _check_row(row, written, evaluation, current)
        if isinstance(outcome, Refused):
            refused.append(outcome)
        elif outcome is not None:
            submitted.append((row, written.score, outcome))
    store = AdjustmentStore(params_dir)
    taken: list[Taken] = []
    if submitted:
        moment = datetime.now().astimezone().replace(microsecond=0)
        changes = [(row.indicator, score, row.reason) for row, _, score in submitted]
        record, errors = store.adjust_many(evaluation, changes, reviewer, at=moment)
        # Which rows the store took: their changes carry this moment and reviewer; the
        # errors come in the order of the rows it refused.
        recorded = {
            c.indicator: c
            for c in record.history
            if c.kind == "score" and c.at == moment and c.reviewer == reviewer.strip()
        }
        errors_left = iter(errors)
        for row, old, _ in submitted:
            change = recorded.get(row.indicator)
            if change is not None and change.new is not None:
                taken.append(Taken(row.row, row.indicator, old, change.new, change.reason or ""))
            else:
                why = str(next(errors_left, "未记录"))
                refused.append(Refused(row.row, row.indicator, str(row.score).strip(), why))
    refused.sort(key=lambda r: r.row)
    review = load_review(evaluation, params_dir, settings)
    return ImportResult(Path(workbook), form, review, store.path_for(evaluation), taken, refused)
