"""The reviewer's panel, driven as ipywidgets' own tests do: set ``.value``, ``.click()``."""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from seedforms import seed, with_indicator, with_total

import perfeval.review.build
import perfeval.show.widgets
from perfeval.findings import Finding
from perfeval.model import Evaluation
from perfeval.review.build import load_review
from perfeval.review.store import AdjustmentStore
from perfeval.show.widgets import ERROR_COLOUR, OK_COLOUR, ReviewPanel

D = Decimal
REASON = "合计96分隐含“政策知晓率”得7分；已核对知晓率问卷，达到目标"
POLICY = 10  # 政策知晓率, the 11th row of the seed form


def make_panel(params: Path, evaluation: Evaluation | None = None, **kwargs: str) -> ReviewPanel:
    return ReviewPanel(load_review(evaluation or seed(), params), params, **kwargs)


def plain(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


def saved(params: Path, evaluation: Evaluation | None = None) -> dict[str, Decimal]:
    record = AdjustmentStore(params).load(evaluation or seed())
    return {name: adjustment.score for name, adjustment in record.adjustments.items()}


def test_public_names() -> None:
    assert sorted(perfeval.show.widgets.__all__) == [
        "ERROR_COLOUR",
        "OK_COLOUR",
        "ReviewPanel",
        "total_text",
    ]


def test_first_view(tmp_path: Path) -> None:
    panel = make_panel(tmp_path)
    assert panel.index == 0 and panel.prev.disabled and not panel.next.disabled
    assert panel.position.value == "第 1 项，共 13 项"
    assert "财务（资产）管理制度健全性和执行的有效性" in panel.details.value
    assert panel.score.min == 0 and panel.score.max == 5 and panel.score.step == 0.01
    assert panel.score.value == 5
    assert plain(panel.total_label.value).startswith("复核合计：89 分（良好）")
    assert (
        "各项自评分相加 89 分（良好），填报 96 分（优秀），偏离度 7.29%" in panel.total_label.value
    )
    assert panel.status_label.value == "复核状态：未开始"
    assert panel.message.value == "" and panel.notices.value == ""
    assert panel.widget.children and "perfeval-panel" in panel.widget._dom_classes
    assert "application/vnd.jupyter.widget-view+json" in panel._repr_mimebundle_()
    assert f"调整保存在 {(tmp_path / 'adjustments').resolve()}" in panel.header.value
    # Chinese labels on every control a reviewer uses.
    assert [b.description for b in (panel.prev, panel.next, panel.save, panel.complete)] == [
        "上一项",
        "下一项",
        "保存调整",
        "完成复核",
    ]
    assert (panel.score.description, panel.reason.description) == ("复核得分", "调整理由")
    assert (panel.reviewer.description, panel.opinion.description) == ("复核人", "复核意见")


def test_stepping_through_the_indicators(tmp_path: Path) -> None:
    panel = make_panel(tmp_path)
    panel.next.click()
    assert panel.index == 1 and panel.indicator.value == 1 and not panel.prev.disabled
    assert "<h3>项目设立的规范性</h3>" in panel.details.value
    panel.prev.click()
    assert panel.index == 0
    panel.indicator.value = 12
    assert panel.position.value == "第 13 项，共 13 项" and panel.next.disabled
    panel.next.click()
    assert panel.index == 12, "next stops at the last indicator"


def test_the_details_show_rule_self_score_remark_and_findings(tmp_path: Path) -> None:
    panel = make_panel(tmp_path)
    panel.indicator.value = 5  # 项目管理制度健全性和执行的有效性: 2 of 4, with a remark
    details = plain(panel.details.value)
    assert "权重4" in details and "自评分2" in details
    assert "评分规则" in details and "指标解释" in details
    assert panel.item.indicator.remark and panel.item.indicator.remark[:10] in details
    panel.indicator.value = 3  # 预算执行率: two band findings, with evidence and suggestion
    details = plain(panel.details.value)
    assert details.count("评分档次 · rule.bands") == 2
    assert "档次：" in details and "建议：" in details


def test_next_finding_skips_clean_indicators_and_wraps(tmp_path: Path) -> None:
    panel = make_panel(tmp_path)
    visited = []
    for _ in range(8):
        panel.next_finding.click()
        visited.append(panel.index)
    # Every row has findings but 财务… (0), 项目管理制度… (5), 受益人群覆盖率 (9), 长效… (11)
    # and 受益人群满意度 (12).
    assert visited == [1, 2, 3, 4, 6, 7, 8, 10]
    panel.next_finding.click()
    assert panel.index == 1, "wraps around past the clean rows at the end"


def test_a_score_move_previews_the_total_without_checks_or_saving(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    panel = make_panel(tmp_path)
    calls: list[object] = []
    original = perfeval.review.build.run_checks

    def counted(*args: Any) -> list[Finding]:
        calls.append(args)
        return original(*args)

    monkeypatch.setattr(perfeval.review.build, "run_checks", counted)
    panel.indicator.value = POLICY
    assert panel.score.max == 7 and panel.score.value == 0
    panel.score.value = 7
    assert plain(panel.total_label.value).startswith(
        "复核合计：96 分（优秀） （含未保存的改动：“政策知晓率”）"
    )
    assert "偏离度 0.00%" in panel.total_label.value
    assert "自评 — → 复核 7（未保存）" in plain(panel.change_label.value)
    assert panel.pending == {"政策知晓率": D(7)}
    panel.score.value = 3.5
    assert plain(panel.total_label.value).startswith("复核合计：92.5 分（优秀）")
    assert calls == [], "a score move runs no check"
    assert not (tmp_path / "adjustments").exists(), "a score move saves nothing"
    panel.score.value = 0
    assert panel.pending == {}, "back at the reviewed score: nothing pending"
    assert plain(panel.total_label.value).startswith("复核合计：89 分（良好）")


def test_unsaved_moves_survive_navigation_and_can_be_withdrawn(tmp_path: Path) -> None:
    panel = make_panel(tmp_path)
    panel.indicator.value = POLICY
    panel.score.value = 7
    panel.reason.value = "草稿理由"
    panel.next.click()
    assert "复核合计：96 分（优秀）" in panel.total_label.value
    assert panel.reason.value == "", "a draft reason belongs to its indicator"
    panel.prev.click()
    assert panel.score.value == 7 and panel.reason.value == "草稿理由"
    assert not panel.revert.disabled
    panel.revert.click()
    assert panel.pending == {} and panel.score.value == 0 and panel.revert.disabled
    assert plain(panel.total_label.value).startswith("复核合计：89 分（良好）")


def test_save_goes_through_the_store_and_reloads(tmp_path: Path) -> None:
    panel = make_panel(tmp_path)
    panel.reviewer.value = "张三"
    panel.indicator.value = POLICY
    panel.score.value = 7
    panel.reason.value = REASON
    panel.save.click()

    assert OK_COLOUR in panel.message.value
    assert "已保存：“政策知晓率”复核得分 7 分。复核合计：96 分（优秀）。" in panel.message.value
    assert saved(tmp_path) == {"政策知晓率": D(7)}
    record = AdjustmentStore(tmp_path).load(seed())
    assert record.adjustments["政策知晓率"].reason == REASON
    assert record.adjustments["政策知晓率"].reviewer == "张三"
    assert plain(panel.total_label.value).startswith("复核合计：96 分（优秀）　")
    assert panel.pending == {} and panel.reason.value == ""
    assert panel.review.item("政策知晓率").reviewed_score == 7
    assert "已保存的复核" in panel.details.value and "张三" in panel.details.value
    assert panel.status_label.value == "复核状态：复核中"
    # What the next notebook run or `perfeval review` sees.
    assert load_review(seed(), tmp_path).totals().reviewed == 96
    # The reviewer's name stays for the session.
    panel.next.click()
    assert panel.reviewer.value == "张三"


@pytest.mark.parametrize(
    ("reviewer", "reason", "score", "refusal"),
    [
        pytest.param("", REASON, 7, "复核人不能为空", id="no-reviewer"),
        pytest.param("张三", "  ", 7, "调整理由不能为空", id="no-reason"),
        pytest.param("张三", REASON, 6.555, "最多保留两位小数", id="thousandths"),
    ],
)
def test_a_refused_save_is_shown_in_red_and_keeps_the_move(
    tmp_path: Path, reviewer: str, reason: str, score: float, refusal: str
) -> None:
    panel = make_panel(tmp_path)
    panel.indicator.value = POLICY
    panel.reviewer.value = reviewer
    panel.score.value = score
    panel.reason.value = reason
    panel.save.click()
    assert ERROR_COLOUR in panel.message.value
    assert "未保存：" in panel.message.value and refusal in panel.message.value
    assert saved(tmp_path) == {}
    assert panel.pending == {"政策知晓率": D(str(score))}


def test_slider_float_noise_is_saved_as_cents(tmp_path: Path) -> None:
    panel = make_panel(tmp_path, reviewer="张三")
    panel.indicator.value = POLICY
    panel.score.value = 6.990000000000001
    panel.reason.value = REASON
    panel.save.click()
    assert saved(tmp_path) == {"政策知晓率": D("6.99")}


def test_an_unreadable_store_is_shown_not_raised(tmp_path: Path) -> None:
    panel = make_panel(tmp_path, reviewer="张三")
    path = AdjustmentStore(tmp_path).path_for(seed())
    path.parent.mkdir(parents=True)
    path.write_text("{ not json", encoding="utf-8")
    panel.reason.value = REASON
    panel.save.click()
    assert ERROR_COLOUR in panel.message.value and "不是有效的 JSON" in panel.message.value
    assert path.read_text(encoding="utf-8") == "{ not json"


def test_opinion_and_completion(tmp_path: Path) -> None:
    panel = make_panel(tmp_path, reviewer="张三")
    panel.opinion.value = "自评基本属实，政策知晓率应按问卷结果计分。"
    panel.save_opinion.click()
    assert "已保存复核意见" in panel.message.value
    assert AdjustmentStore(tmp_path).load(seed()).opinion == panel.opinion.value

    panel.indicator.value = POLICY
    panel.score.value = 7
    panel.complete.click()
    assert (
        ERROR_COLOUR in panel.message.value
        and "尚有未保存的改动：“政策知晓率”" in panel.message.value
    )
    assert AdjustmentStore(tmp_path).load(seed()).status == "复核中"

    panel.revert.click()
    panel.opinion.value = "自评基本属实。"
    panel.complete.click()
    record = AdjustmentStore(tmp_path).load(seed())
    assert (record.status, record.opinion, record.completed_by) == (
        "已完成",
        "自评基本属实。",
        "张三",
    )
    assert "已完成复核" in panel.message.value
    assert panel.status_label.value.startswith("复核状态：已完成（张三 于 ")


def test_completion_needs_a_reviewer(tmp_path: Path) -> None:
    panel = make_panel(tmp_path)
    panel.complete.click()
    assert ERROR_COLOUR in panel.message.value and "复核人不能为空" in panel.message.value


def test_stale_and_orphaned_adjustments_are_flagged(tmp_path: Path) -> None:
    store = AdjustmentStore(tmp_path)
    store.adjust(seed(), "政策知晓率", "7", REASON, "张三")
    store.adjust(seed(), "受益人群满意度", "4", "满意度调查样本不足", "张三")
    store.adjust(seed(), "长效管理机制健全性", "9", "长效机制已建立，扣分过多", "张三")
    resent = with_indicator(seed(), "政策知晓率", weight=D(8))
    resent = with_indicator(resent, "长效管理机制健全性", self_score=D(9))
    resent.indicators[-1] = replace(resent.indicators[-1], name="服务对象满意度")
    panel = make_panel(tmp_path, resent)

    notices = plain(panel.notices.value)
    assert ERROR_COLOUR in panel.notices.value
    assert "“政策知晓率”的调整已过期：调整后表格有变：权重由7变为8" in notices
    assert (
        "指标“受益人群满意度”已不在表中，其调整（4 分，理由：满意度调查样本不足，张三）" in notices
    )
    panel.indicator.value = POLICY
    assert "调整已过期" in panel.details.value
    assert "“长效管理机制健全性”的调整已过期：调整后表格有变：自评分由8变为9" in notices
    # A stale adjustment is somewhere to stop, even on a row without findings.
    panel.next_finding.click()
    assert panel.item.indicator.name == "长效管理机制健全性" and not panel.item.findings


def test_form_text_cannot_inject_markup_into_the_panel(tmp_path: Path) -> None:
    payload = "<script>alert(1)</script>"
    evaluation = seed()
    evaluation.project.name = payload
    evaluation.indicators = [
        replace(i, name=f"{i.name}{payload}", remark=payload, rule=payload, explanation=payload)
        for i in evaluation.indicators
    ]
    AdjustmentStore(tmp_path).adjust(
        evaluation, evaluation.indicators[0].name, "4", payload, payload
    )
    evaluation.indicators[0] = replace(evaluation.indicators[0], weight=D(6))  # stale
    panel = make_panel(tmp_path, evaluation, reviewer=payload)
    panel.next.click()
    panel.score.value = 1
    panel.reason.value = payload
    panel.save.click()
    for control in (panel.header, panel.details, panel.notices, panel.message, panel.total_label):
        assert "<script>" not in control.value
    assert "&lt;script&gt;" in panel.details.value and "&lt;script&gt;" in panel.message.value


def test_a_form_without_indicators(tmp_path: Path) -> None:
    panel = make_panel(tmp_path, replace(seed(), indicators=[]))
    assert panel.save.disabled and panel.next.disabled and "表中没有指标" in panel.details.value


# --- the reviewer's desk: steps, typed scores, the name, the tables above -----------------


def whole_number_form() -> Evaluation:
    """The seed with every weight and self-score a whole number (as many units file it)."""
    evaluation = seed()
    for indicator in evaluation.indicators:
        score = indicator.self_score
        evaluation = with_indicator(
            evaluation,
            indicator.name,
            weight=D(int(indicator.weight)),
            self_score=None if score is None else D(int(score)),
        )
    return with_total(evaluation, self_score=D(96))


def test_the_slider_steps_in_the_forms_own_precision(tmp_path: Path) -> None:
    assert make_panel(tmp_path).score.step == 0.01  # the seed writes 8.00
    whole = make_panel(tmp_path / "whole", whole_number_form())
    assert whole.score.step == 0.5  # half points on a form of whole numbers
    whole.go(POLICY)
    whole.score.value = 6.5
    assert whole.pending == {"政策知晓率": D("6.5")} and whole.score_entry.value == "6.5"


def test_a_typed_score_above_the_weight_is_refused_not_clamped(tmp_path: Path) -> None:
    panel = make_panel(tmp_path)
    panel.go(POLICY)  # weight 7, no self-score
    panel.score_entry.value = "12"
    assert ERROR_COLOUR in panel.message.value
    assert "复核得分 12 超出范围，应在 0 到权重 7 之间；未采用" in plain(panel.message.value)
    assert panel.pending == {} and panel.score.value == 0 and panel.score_entry.value == "0"
    for typed, why in (("-1", "超出范围"), ("6.555", "超过两位小数"), ("七", "不是分值")):
        panel.score_entry.value = typed
        assert why in plain(panel.message.value) and panel.pending == {}, typed
    panel.score_entry.value = "６.5分"  # full-width, with 分: a score as typed in Chinese
    assert panel.pending == {"政策知晓率": D("6.5")} and panel.score.value == 6.5
    assert panel.message.value == ""


def test_the_reviewers_name_is_remembered_for_this_user(tmp_path: Path) -> None:
    first = make_panel(tmp_path)
    assert first.reviewer.value == ""
    first.go(POLICY)
    first.score.value = 7
    first.reason.value = REASON
    first.reviewer.value = "张三"
    first.save.click()
    assert "已保存" in first.message.value
    again = make_panel(tmp_path)  # the notebook run again, or another project
    assert again.reviewer.value == "张三"
    assert make_panel(tmp_path, reviewer="李四").reviewer.value == "李四"


def test_after_a_save_the_tables_above_are_redrawn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import perfeval.show.html as render

    drawn: list[str] = []

    class Handle:
        def update(self, output: Any) -> None:
            drawn.append(output.data)

    monkeypatch.setattr(render, "_LIVE", {})
    monkeypatch.setattr("IPython.display.display", lambda *a, **k: Handle())
    panel = make_panel(tmp_path)
    render.live(panel.review, render.totals_section)
    render.live(panel.review, render.score_table)
    panel.go(POLICY)
    panel.score.value = 7
    panel.reason.value = REASON
    panel.reviewer.value = "张三"
    panel.save.click()
    assert len(drawn) == 2  # both tables, once each
    totals, table = drawn
    assert "96" in plain(totals) and "优秀" in plain(totals)
    assert REASON in plain(table)
