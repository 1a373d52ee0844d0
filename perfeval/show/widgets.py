"""The reviewer's panel in JupyterLab: step through the indicators, move a score, save it.

``ReviewPanel(review, params_dir)`` builds the ipywidgets; ``panel.widget`` is the
container a notebook cell shows. Its controls are plain attributes (``score``,
``score_entry``, ``reason``, ``reviewer``, ``save``, ``prev``, ``next``, ``next_finding``,
``opinion``, ``complete``, ``message``, ``total_label`` …) so tests drive it by setting
``.value`` and calling ``.click()``, as a reviewer would in the browser.

The navigation and the indicator sit on the left, the score, reason and save on the
right, so stepping through a form needs no scrolling. The slider moves in the form's own
steps (``scoring.score_step``: half points on a form of whole numbers); a score typed into
``score_entry`` is taken as typed or refused with the reason (above the weight, below 0,
more than two decimals) — never clamped. The reviewer's name is remembered for this user
(``perfeval.user``), and after a save the notebook's tables above are redrawn in place
(``show.html.refresh``).

A score move only recomputes the totals (``Review.totals(preview=…)``): no checks
run and nothing is read. Moves that are not saved yet are kept per indicator and
counted in the previewed total until they are saved or withdrawn. Saving goes
through ``AdjustmentStore`` (so the next notebook run or ``perfeval review`` sees
it) and then reloads the review. A refused change shows its message in red; stale
and orphaned adjustments are listed, never hidden.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from decimal import Decimal
from html import escape
from pathlib import Path
from typing import Any

import ipywidgets as w

from .. import fmt, root
from ..exceptions import PerfevalError
from ..review.build import IndicatorReview, Review, Totals, load_review
from ..review.importing import parse_score
from ..review.store import DONE, AdjustmentStore
from ..scoring import score_step
from ..user import remember_reviewer, remembered_reviewer
from .html import adjustment_note, finding_html, refresh, stylesheet

__all__ = ["ERROR_COLOUR", "OK_COLOUR", "ReviewPanel", "total_text"]

ERROR_COLOUR = "#b3261e"
OK_COLOUR = "#1d5e20"
_PENDING_COLOUR = "#a15c00"
_CENT = Decimal("0.01")
# A slider value this close to a cent is that cent (binary floats cannot hold 6.99).
_FLOAT_NOISE = Decimal("1e-9")
_WIDE = {"description_width": "6em"}


def total_text(totals: Totals) -> str:
    """'复核合计：96 分（优秀）', what the panel shows as the reviewed total."""
    return f"复核合计：{fmt.score(totals.reviewed)} 分（{totals.reviewed_grade or '无等级'}）"


def _slider_decimal(value: float) -> Decimal:
    number = Decimal(repr(value))
    cents = number.quantize(_CENT)
    return cents if abs(number - cents) < _FLOAT_NOISE else number


class ReviewPanel:
    """The reviewer's panel for one project.

    ``store`` is an ``AdjustmentStore`` or the params folder that holds the
    adjustments (resolved as ``perfeval.root.params_dir`` resolves it: the project's store).
    """

    def __init__(
        self,
        review: Review,
        store: AdjustmentStore | Path | str | None = None,
        *,
        reviewer: str | None = None,
    ) -> None:
        self.review = review
        if not isinstance(store, AdjustmentStore):  # the same store the review was loaded from
            store = AdjustmentStore(root.params_dir(store))
        self.store = store
        self.index = 0
        #: Unsaved score moves by indicator name, counted in the previewed total.
        self.pending: dict[str, Decimal] = {}
        self._drafts: dict[str, str] = {}
        self._quiet_depth = 0

        self.header = w.HTML()
        self.reviewer = w.Text(
            value=remembered_reviewer() if reviewer is None else reviewer,
            description="复核人",
            placeholder="必填：您的姓名",
            style=_WIDE,
        )
        self.notices = w.HTML()
        self.prev = w.Button(description="上一项", tooltip="上一个指标")
        self.next = w.Button(description="下一项", tooltip="下一个指标")
        self.next_finding = w.Button(
            description="下一个有问题的指标",
            tooltip="跳到下一个有检查发现或调整已过期的指标",
            layout=w.Layout(width="auto"),
        )
        self.indicator = w.Dropdown(description="指标", style=_WIDE, layout=w.Layout(width="98%"))
        self.position = w.Label()
        self.details = w.HTML()
        step = score_step(review.evaluation)
        self.score = w.FloatSlider(
            description="复核得分",
            min=0,
            max=1,
            step=float(step),
            readout=False,  # typed scores go through ``score_entry``, which refuses, never clamps
            style=_WIDE,
            layout=w.Layout(flex="1 1 auto", min_width="12em"),
        )
        self.score_entry = w.Text(
            description="", placeholder="输入分值", layout=w.Layout(width="7em")
        )
        self.score_entry.continuous_update = False
        self.change_label = w.HTML()
        self.revert = w.Button(description="撤回未保存的改动", layout=w.Layout(width="auto"))
        self.reason = w.Textarea(
            description="调整理由",
            placeholder="必填：说明调整的依据，如所依据的评分规则和证据",
            style=_WIDE,
            layout=w.Layout(width="98%", height="6em"),
        )
        self.save = w.Button(description="保存调整", button_style="primary")
        self.total_label = w.HTML()
        self.message = w.HTML()
        self.opinion = w.Textarea(
            description="复核意见",
            placeholder="对本项目自评的总体复核意见",
            style=_WIDE,
            layout=w.Layout(width="98%", height="6em"),
        )
        self.save_opinion = w.Button(description="保存复核意见", layout=w.Layout(width="auto"))
        self.complete = w.Button(description="完成复核", button_style="success")
        self.status_label = w.HTML()
        self.total_label.add_class("perfeval-total")
        self.message.add_class("perfeval-message")

        self.prev.on_click(lambda _: self.go(self.index - 1))
        self.next.on_click(lambda _: self.go(self.index + 1))
        self.next_finding.on_click(self._on_next_finding)
        self.indicator.observe(self._on_indicator, names="value")
        self.score.observe(self._on_score, names="value")
        self.score_entry.observe(self._on_entry, names="value")
        self.reason.observe(self._on_reason, names="value")
        self.revert.on_click(self._on_revert)
        self.save.on_click(self._on_save)
        self.save_opinion.on_click(self._on_save_opinion)
        self.complete.on_click(self._on_complete)

        # Navigation and the indicator on the left, the reviewer's score, reason and save on
        # the right: a reviewer steps through the indicators without scrolling (1366×768).
        navigation = w.VBox(
            [
                w.HBox([self.prev, self.next, self.next_finding, self.position]),
                self.indicator,
                self.details,
            ],
            layout=w.Layout(flex="3 1 0%", min_width="24em"),
        )
        decision = w.VBox(
            [
                w.HBox([self.score, self.score_entry]),
                self.change_label,
                self.reason,
                w.HBox([self.save, self.revert]),
                self.total_label,
                self.message,
            ],
            layout=w.Layout(flex="2 1 0%", min_width="22em"),
        )
        decision.add_class("perfeval-decision")
        self.widget = w.VBox(
            [
                self.header,
                self.reviewer,
                self.notices,
                w.HBox([navigation, decision], layout=w.Layout(align_items="flex-start")),
                w.HTML("<hr>"),
                self.opinion,
                w.HBox([self.save_opinion, self.complete]),
                self.status_label,
            ]
        )
        self.widget.add_class("perfeval-panel")
        self.opinion.value = review.opinion or ""
        self._show_review()
        self.go(0)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    # --- what is shown --------------------------------------------------------

    @property
    def item(self) -> IndicatorReview:
        """The indicator on screen."""
        return self.review.indicators[self.index]

    @contextlib.contextmanager
    def _quiet(self) -> Iterator[None]:
        """Set controls without treating the change as the reviewer's move."""
        self._quiet_depth += 1
        try:
            yield
        finally:
            self._quiet_depth -= 1

    def go(self, index: int) -> None:
        """Show the indicator at ``index`` (clamped to the list)."""
        items = self.review.indicators
        if not items:
            self.details.value = "<p>表中没有指标。</p>"
            for control in (self.prev, self.next, self.next_finding, self.save, self.score):
                control.disabled = True
            return
        self.index = max(0, min(index, len(items) - 1))
        item = self.item
        name = item.ref
        with self._quiet():
            self.indicator.value = self.index
            self.score.max = float(item.indicator.weight)
            self.score.value = float(self.pending.get(name, item.reviewed_score))
            self.score_entry.value = fmt.score(self.pending.get(name, item.reviewed_score))
            self.reason.value = self._drafts.get(name, "")
        self.prev.disabled = self.index == 0
        self.next.disabled = self.index == len(items) - 1
        self.position.value = f"第 {self.index + 1} 项，共 {len(items)} 项"
        self.details.value = self._details(item)
        self._show_change()

    def recompute(self) -> Totals:
        """The totals with the unsaved moves, shown in ``total_label``; cheap (no checks)."""
        totals = self.review.totals(preview=self.pending)
        text = escape(total_text(totals))
        if self.pending:
            names = "、".join(f"“{escape(n)}”" for n in self.pending)
            text += f' <span style="color:{_PENDING_COLOUR}">（含未保存的改动：{names}）</span>'
        others = [
            f"各项自评分相加 {fmt.score(totals.computed)} 分（{totals.computed_grade or '无等级'}）"
        ]
        if totals.declared is not None:
            others.append(f"填报 {fmt.score(totals.declared)} 分（{totals.declared_grade or '—'}）")
        others.append(f"偏离度 {fmt.rate(totals.deviation)}")
        text += f'<span style="color:#666">　{escape("，".join(others))}</span>'
        self.total_label.value = f"<b>{text}</b>" if not self.pending else text
        return totals

    def _details(self, item: IndicatorReview) -> str:
        indicator = item.indicator
        category = escape(indicator.category or "—")
        rows = [
            ("一级指标", category),
            ("权重", fmt.score(indicator.weight)),
            ("指标解释", _lines(indicator.explanation)),
            ("评分规则", _lines(indicator.rule)),
            ("自评分", fmt.score(indicator.self_score)),
            ("备注", _lines(indicator.remark)),
        ]
        if indicator.target is not None or indicator.actual is not None:
            target = indicator.target.text if indicator.target else None
            actual = indicator.actual.text if indicator.actual else None
            rows.insert(2, ("年度指标值", escape(target or "—")))
            rows.insert(3, ("实际完成值", escape(actual or "—")))
        if indicator.deviation_reason:
            rows.append(("偏差原因", _lines(indicator.deviation_reason)))
        if item.adjustment is not None:
            adjusted = f"{fmt.score(item.adjustment.score)} 分。{adjustment_note(item)}"
            rows.append(("已保存的复核", adjusted))
        found = "".join(
            f'<li class="pe-finding">{finding_html(f, place=False)}</li>' for f in item.findings
        )
        rows.append(("检查发现", f'<ol class="pe-findings">{found}</ol>' if found else "无"))
        body = "".join(f"<tr><th>{label}</th><td>{value}</td></tr>" for label, value in rows)
        return f'<div class="pe-review tex2jax_ignore mathjax_ignore"><h3>{escape(indicator.name)}</h3><table>{body}</table></div>'

    def _show_change(self) -> None:
        item = self.item
        name = item.ref
        if name in self.pending:
            self.change_label.value = (
                f'<span style="color:{_PENDING_COLOUR}">自评 {fmt.score(item.indicator.self_score)}'
                f" → 复核 {fmt.score(self.pending[name])}（未保存）</span>"
            )
        else:
            self.change_label.value = (
                f"自评 {fmt.score(item.indicator.self_score)}，"
                f"复核 {fmt.score(item.reviewed_score)}"
            )
        self.revert.disabled = name not in self.pending
        self.recompute()

    def _show_review(self) -> None:
        """What depends on the saved review: header, notices, choices, status."""
        review = self.review
        project = review.evaluation.project
        self.header.value = (
            f"{stylesheet()}<div class='pe-review tex2jax_ignore mathjax_ignore'><h2>逐项复核："
            f"{escape(project.name or '（未填项目名称）')}</h2>"
            f"<div class='pe-muted'>{escape(project.unit or '')}"
            f"　{escape(review.evaluation.source.label)}</div>"
            f"<div class='pe-muted'>调整保存在 {escape(str(self.store.folder.resolve()))}</div></div>"
        )
        with self._quiet():
            self.indicator.options = [
                (f"{number}. {item.ref}" + (" ⚠" if item.findings else ""), number - 1)
                for number, item in enumerate(review.indicators, start=1)
            ]
        self.notices.value = self._notices()
        record = review.record
        status = f"复核状态：{escape(record.status)}"
        if record.completed_by and record.completed_at:
            status += (
                f"（{escape(record.completed_by)} 于 "
                f"{record.completed_at.strftime('%Y-%m-%d %H:%M')} 完成）"
            )
        self.status_label.value = status

    def _notices(self) -> str:
        record = self.review.record
        lines: list[str] = []
        for name, adjustment in record.adjustments.items():
            if adjustment.stale and name not in record.orphaned:
                lines.append(
                    f"“{escape(name)}”的调整已过期：{escape(adjustment.stale_reason or '')}"
                )
        for name in record.orphaned:
            adjustment = record.adjustments[name]
            lines.append(
                f"指标“{escape(name)}”已不在表中，其调整（{fmt.score(adjustment.score)} 分，"
                f"理由：{escape(adjustment.reason)}，{escape(adjustment.reviewer)}）保留备查，"
                "请核对指标是否改名"
            )
        if not lines:
            return ""
        items = "".join(f"<li>{line}</li>" for line in lines)
        return f'<div style="color:{ERROR_COLOUR}">⚠ 请注意：<ul>{items}</ul></div>'

    def _say(self, text: str, *, error: bool = False) -> None:
        colour = ERROR_COLOUR if error else OK_COLOUR
        self.message.value = (
            f'<span style="color:{colour};overflow-wrap:anywhere">{escape(text)}</span>'
        )

    def _reload(self) -> None:
        """Read the saved review again (after a save: checks run, stale marks renewed) and
        redraw the notebook's tables above with it."""
        review = self.review
        params_dir = self.store.folder.parent
        self.review = load_review(review.evaluation, params_dir, review.settings)
        self._show_review()
        self.go(self.index)
        refresh(self.review)

    # --- the reviewer's moves ---------------------------------------------------

    def _on_indicator(self, change: dict[str, Any]) -> None:
        if not self._quiet_depth and change["new"] is not None:
            self.go(int(change["new"]))

    def _on_next_finding(self, _button: object = None) -> None:
        items = self.review.indicators
        for step in range(1, len(items) + 1):
            index = (self.index + step) % len(items)
            item = items[index]
            if item.findings or (item.adjustment is not None and item.adjustment.stale):
                self.go(index)
                return
        self._say("没有其他有检查发现的指标。")

    def _on_score(self, change: dict[str, Any]) -> None:
        if self._quiet_depth:
            return
        self._move(_slider_decimal(change["new"]))

    def _move(self, value: Decimal) -> None:
        """The reviewer moved the score on screen to ``value`` (not saved yet)."""
        item = self.item
        if value == item.reviewed_score:
            self.pending.pop(item.ref, None)
        else:
            self.pending[item.ref] = value
        with self._quiet():
            self.score.value = float(value)
            self.score_entry.value = fmt.score(value)
        self._show_change()

    def _on_entry(self, change: dict[str, Any]) -> None:
        """A typed score: taken as typed when it is one, else refused with why — never
        clamped to the weight, never rounded."""
        if self._quiet_depth:
            return
        weight = self.item.indicator.weight
        typed = str(change["new"]).strip()
        value = parse_score(typed)
        if not isinstance(value, Decimal):
            return self._refuse(f"“{typed}”不是分值；请输入 0 到 {fmt.score(weight)} 之间的数")
        if value > weight or value < 0:
            return self._refuse(
                f"复核得分 {fmt.score(value)} 超出范围，应在 0 到权重 {fmt.score(weight)} 之间；未采用"
            )
        if value != value.quantize(_CENT):
            return self._refuse(f"复核得分 {typed} 超过两位小数；未采用")
        self.message.value = ""
        self._move(value)

    def _refuse(self, problem: str) -> None:
        """Say why a typed score was not taken, and show the score on screen again."""
        self._say(problem, error=True)
        with self._quiet():
            self.score_entry.value = fmt.score(
                self.pending.get(self.item.ref, self.item.reviewed_score)
            )

    def _on_reason(self, change: dict[str, Any]) -> None:
        if not self._quiet_depth:
            self._drafts[self.item.ref] = change["new"]

    def _on_revert(self, _button: object = None) -> None:
        self.pending.pop(self.item.ref, None)
        self.go(self.index)

    def _on_save(self, _button: object = None) -> None:
        item = self.item
        name = item.ref
        value = _slider_decimal(self.score.value)
        try:
            self.store.adjust(
                self.review.evaluation, name, value, self.reason.value, self.reviewer.value
            )
        except PerfevalError as error:
            self._say(f"未保存：{error}", error=True)
            return
        self.pending.pop(name, None)
        self._drafts.pop(name, None)
        remember_reviewer(self.reviewer.value)
        try:
            self._reload()
        except PerfevalError as error:
            self._say(f"已保存，但重新读取复核记录失败：{error}", error=True)
            return
        totals = self.review.totals(preview=self.pending)
        self._say(
            f"已保存：“{name}”复核得分 {fmt.score(value)} 分。{total_text(totals)}。"
            f"已写入 {self.store.path_for(self.review.evaluation).resolve()}"
        )

    def _on_save_opinion(self, _button: object = None) -> None:
        try:
            self.store.set_opinion(self.review.evaluation, self.opinion.value, self.reviewer.value)
            remember_reviewer(self.reviewer.value)
            self._reload()
        except PerfevalError as error:
            self._say(f"复核意见未保存：{error}", error=True)
            return
        self._say("已保存复核意见。")

    def _on_complete(self, _button: object = None) -> None:
        if self.pending:
            names = "、".join(f"“{n}”" for n in self.pending)
            self._say(f"尚有未保存的改动：{names}。请先保存或撤回，再完成复核。", error=True)
            return
        evaluation = self.review.evaluation
        try:
            if self.opinion.value.strip() != (self.review.opinion or ""):
                self.store.set_opinion(evaluation, self.opinion.value, self.reviewer.value)
            self.store.set_status(evaluation, DONE, self.reviewer.value)
            remember_reviewer(self.reviewer.value)
            self._reload()
        except PerfevalError as error:
            self._say(f"未能完成复核：{error}", error=True)
            return
        totals = self.review.totals()
        self._say(f"已完成复核。{total_text(totals)}。")


def _lines(text: str | None) -> str:
    return "<br>".join(escape(line) for line in text.splitlines()) if text else "—"
