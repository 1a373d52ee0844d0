"""HTML fragments of a review: what they show, and that a form can never inject markup."""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

from seedforms import fixed_seed, seed, with_evaluation, with_indicator, with_project

import perfeval.show.html
from perfeval.findings import Finding
from perfeval.model import BudgetBlock, Evaluation
from perfeval.review.build import Review, build_review, load_review
from perfeval.review.store import AdjustmentStore
from perfeval.show import html as render

D = Decimal
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SEED_XLSX = EXAMPLES / "000_81c9c1dad6fba498.xlsx"
REASON = "合计96分隐含“政策知晓率”得7分；已核对知晓率问卷，达到目标"
PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(1)>'
VOID = {"br", "col", "hr", "img", "meta", "input", "wbr"}


class _Balance(HTMLParser):
    """Records tags that close out of order or stay open."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()


def parse(fragment: str) -> _Balance:
    parser = _Balance()
    parser.feed(fragment)
    parser.close()
    assert not parser.problems, parser.problems
    assert not parser.stack, f"left open: {parser.stack}"
    return parser


def text_of(fragment: str) -> str:
    """The visible text, tags removed (entities left as they are)."""
    return re.sub(r"<[^>]+>", "", fragment)


def fragments(review: Review) -> dict[str, str]:
    return {
        "card": render.project_card(review),
        "scores": render.score_table(review),
        "findings": render.findings_section(review),
        "totals": render.totals_section(review),
    }


def review_of(evaluation: Evaluation, params: Path) -> Review:
    return load_review(evaluation, params)


def test_public_names() -> None:
    assert sorted(perfeval.show.html.__all__) == [
        "adjustment_note",
        "conclusion_section",
        "finding_html",
        "findings_section",
        "history_section",
        "html",
        "live",
        "narrative_section",
        "project_card",
        "refresh",
        "score_table",
        "stylesheet",
        "totals_section",
    ]


def test_every_fragment_is_balanced_html_in_a_review_div(tmp_path: Path) -> None:
    review = review_of(seed(), tmp_path)
    for name, fragment in fragments(review).items():
        assert fragment.startswith('<div class="pe-review tex2jax_ignore mathjax_ignore">'), name
        parse(fragment)
    parse(render.stylesheet())


def test_project_card(tmp_path: Path) -> None:
    card = render.project_card(review_of(seed(), tmp_path))
    text = text_of(card)
    for expected in (
        "(党建办) 组团式服务联系群众专项",
        "上海市闵行区人民政府古美路街道办事处",
        "242,400.00",
        "100.00%",
        "2020",
        "2021-07-16",
        "000_81c9c1dad6fba498.txt",
        "上海区级自评表",
        "未开始",
    ):
        assert expected in text, expected
    assert "<th>自评等级</th><td>优</td>" in card


def test_score_table_rows_and_totals(tmp_path: Path) -> None:
    table = render.score_table(review_of(seed(), tmp_path))
    rows = re.findall(r"<tr[ >].*?</tr>", table.split("<tbody>", 1)[1])
    assert len(rows) == 13 + 1, "one row per indicator, then 合计"
    missing = next(row for row in rows if "政策知晓率" in row)
    # 政策知晓率: weight 7, no self-score, reviewed 0 until someone decides.
    assert re.findall(r"<td class='pe-num'>([^<]*)</td>", missing) == ["7", "—", "0", "—"]
    assert 'class="pe-row-error"' in missing and "没有自评分" in missing
    total = rows[-1]
    assert "合计" in total and ">100<" in total and ">89<" in total and "填报 96" in total
    # 一级指标 written once per run of rows (a merged cell, as in the form).
    assert table.count('rowspan="5"') == 1 and "投入与管理（36分）" in table
    clean = next(row for row in rows if "受益人群满意度" in row)
    assert "pe-row-error" not in clean and "pe-row-warning" not in clean


def test_findings_grouped_by_severity_with_evidence_and_suggestion(tmp_path: Path) -> None:
    section = render.findings_section(review_of(seed(), tmp_path))
    text = text_of(section)
    assert "检查发现：错误 11 项，警告 10 项。" in text
    assert text.index("错误（11）") < text.index("警告（10）")
    assert "【政策知晓率】" in text and "score.missing" in text and "缺少自评分" in text
    # Evidence with its keys in Chinese, and the suggestion.
    assert "填报：96" in text and "各项相加：89" in text
    assert "建议：合计96分意味着空白的“政策知晓率”得7分" in text
    assert "【全表】" in text and "【一级指标：投入与管理】" in text


def test_no_findings(tmp_path: Path) -> None:
    review = review_of(fixed_seed(), tmp_path)
    assert review.findings == []
    assert "未发现问题" in render.findings_section(review)
    assert "pe-row-error" not in render.score_table(review)
    assert "pe-row-warning" not in render.score_table(review)


def test_evidence_values_and_unknown_keys() -> None:
    finding = Finding(
        "x.test",
        "info",
        "信息",
        evidence={"declared": 1.5, "recurring": True, "value": None, "新键<b>": ["甲", "乙"]},
    )
    html = render.finding_html(finding)
    assert "填报：1.5分" in html and "经常性项目：是" in html
    assert "填报值" not in html  # a blank value is left out, never "填报值："
    assert "新键&lt;b&gt;：甲、乙" in html
    assert "【全表】" in html and "x.test" in html


def test_totals_declared_computed_reviewed(tmp_path: Path) -> None:
    review = review_of(seed(), tmp_path)
    text = text_of(render.totals_section(review))
    assert "自评填报96优秀（表中写作“优”）" in text
    assert "各项自评分相加89良好" in text
    assert "复核89良好" in text
    assert "偏离度7.29%" in text  # (96 − 89) / 96
    assert "复核状态：未开始" in text and "复核意见：—" in text


def test_an_adjustment_shows_its_reason_and_moves_the_reviewed_total(tmp_path: Path) -> None:
    evaluation = seed()
    store = AdjustmentStore(tmp_path)
    store.adjust(evaluation, "政策知晓率", "7", REASON, "张三")
    store.set_opinion(evaluation, "自评基本属实。", "张三")
    review = review_of(evaluation, tmp_path)

    table = render.score_table(review)
    row = next(r for r in re.findall(r"<tr[ >].*?</tr>", table) if "政策知晓率" in r)
    assert '<span class="pe-changed">7</span>' in row
    assert "合计96分隐含“政策知晓率”得7分" in row and "张三" in row
    assert "过期" not in row
    text = text_of(render.totals_section(review))
    assert "复核96优秀" in text and "偏离度0.00%" in text
    assert "复核状态：复核中" in text and "复核意见：自评基本属实。" in text


def test_stale_and_orphaned_adjustments_are_shown(tmp_path: Path) -> None:
    store = AdjustmentStore(tmp_path)
    store.adjust(seed(), "政策知晓率", "7", REASON, "张三")
    store.adjust(seed(), "受益人群满意度", "4", "满意度调查样本不足", "张三")
    resent = with_indicator(seed(), "政策知晓率", weight=D(8))
    assert resent.indicators[-1].name == "受益人群满意度"
    resent.indicators[-1] = replace(resent.indicators[-1], name="服务对象满意度")
    table = render.score_table(review_of(resent, tmp_path))
    assert "⚠ 调整已过期：调整后表格有变：权重由7变为8" in table
    assert "以下调整所对应的指标已不在表中" in table
    assert "“受益人群满意度”：复核得分 4 分，理由：满意度调查样本不足（张三）" in table


def test_form_text_is_escaped_everywhere(tmp_path: Path) -> None:
    """A form is untrusted: every string it brings shows as text, never as markup."""
    evaluation = with_project(
        seed(),
        name=f"项目{PAYLOAD}",
        unit=f"单位{PAYLOAD}",
        department=PAYLOAD,
        grade=PAYLOAD,
        problems=f"{PAYLOAD}工作计划制定的有效性存在欠缺",
    )
    evaluation = replace(evaluation, source=replace(evaluation.source, path=f"{PAYLOAD}.xlsx"))
    evaluation.indicators = [
        replace(
            indicator,
            name=f"{indicator.name}{PAYLOAD}",
            category=f"{indicator.category}{PAYLOAD}",
            explanation=f"{indicator.explanation}{PAYLOAD}",
            rule=f"{indicator.rule or ''}{PAYLOAD}",
            remark=PAYLOAD,
        )
        for indicator in evaluation.indicators
    ]
    name = evaluation.indicators[10].name
    AdjustmentStore(tmp_path).adjust(evaluation, name, "7", f"理由{PAYLOAD}", f"复核人{PAYLOAD}")
    review = review_of(evaluation, tmp_path)
    review.findings.append(
        Finding("x.test", "info", PAYLOAD, PAYLOAD, PAYLOAD, {PAYLOAD: PAYLOAD}, PAYLOAD)
    )
    for label, fragment in fragments(review).items():
        tags = set(parse(fragment).tags)
        assert not tags & {"script", "img"}, label
        assert "&lt;script&gt;" in fragment, label
        assert "onerror" not in fragment.replace("onerror=alert(1)&gt;", ""), label


def test_budget_block_row_on_the_national_form(tmp_path: Path) -> None:
    block = BudgetBlock(
        initial=D(100000), adjusted=D(120000), executed=D(114000), weight=D(10), rate=D("0.95")
    )
    evaluation = with_evaluation(
        fixed_seed(), format="national", budget_block=replace(block, score=D("9.5"))
    )
    evaluation = with_project(evaluation, budget=None, executed=None, execution_rate=None)
    review = build_review(evaluation, load_review(evaluation, tmp_path).record)
    table = render.score_table(review)
    assert "预算执行率（95.00%）" in table
    assert "<td>项目资金</td>" in table
    assert ">110<" in table, "the 合计 weight counts the block's 10"
    card = text_of(render.project_card(review))
    assert "120,000.00" in card and "114,000.00" in card and "95.00%" in card
    assert "财政部项目支出绩效自评表" in card


def test_stylesheet_is_inline_printable_and_offline() -> None:
    css = render.stylesheet()
    assert css.startswith("<style>") and css.endswith("</style>")
    assert "@page { size: A4" in css and "@media print" in css
    for font in ("Noto Sans CJK SC", "WenQuanYi Micro Hei", "Microsoft YaHei", "sans-serif"):
        assert font in css
    assert not re.search(r"url\(|@import|@font-face|https?:|//", css)
    for severity in ("error", "warning", "info"):
        assert f".pe-badge-{severity}" in css and f".pe-severity-{severity}" in css
    assert "tr.pe-row-error" in css and "tr.pe-row-warning" in css


def test_html_is_an_ipython_display_object() -> None:
    shown = render.html(render.stylesheet(), "<p>甲</p>")
    assert shown._repr_html_() == render.stylesheet() + "<p>甲</p>"


# --- the review as a document: conclusion, the unit's account, history and sign-off ----------


def test_the_conclusion_says_what_moved_the_score_and_why(tmp_path: Path) -> None:
    evaluation = seed()
    AdjustmentStore(tmp_path).adjust(evaluation, "政策知晓率", "7", "问卷核对无误", "王审")
    AdjustmentStore(tmp_path).adjust(evaluation, "受益人群满意度", "5", "与自评相同", "李审")
    page = render.conclusion_section(review_of(evaluation, tmp_path))
    text = re.sub(r"<[^>]+>", "", page)
    assert "复核结论：(党建办) 组团式服务联系群众专项" in text
    assert "自评（填报）96 分（优秀）" in text and "各项相加89 分（良好）" in text
    assert "复核96 分（优秀）" in text and "复核状态复核中" in text
    assert "复核人王审、李审" in text and "错误 " in text
    assert "政策知晓率：— → 7 分。问卷核对无误" in text
    assert "受益人群满意度" not in text  # saved at the self-score: it moved nothing


def test_the_units_own_account_is_shown_with_the_quoted_passages_marked(tmp_path: Path) -> None:
    evaluation = seed()
    review = review_of(evaluation, tmp_path)
    page = render.narrative_section(review)
    text = re.sub(r"<[^>]+>", "", page)
    for label in ("项目年度总目标", "主要绩效", "主要问题", "改进措施"):
        assert label in text
    quoted = [f for f in review.findings if f.check == "text.repeated"]
    assert quoted and page.count("<mark") >= len(quoted)
    phrase = str(quoted[0].evidence["phrase"])
    assert f">{phrase}</mark>" in page


def test_hostile_narrative_stays_text(tmp_path: Path) -> None:
    evaluation = seed()
    evaluation.project.problems = '<script>alert("主要问题")</script>资金使用<b>不规范</b>'
    page = render.narrative_section(review_of(evaluation, tmp_path))
    assert "<script>" not in page and "&lt;script&gt;alert(" in page
    assert "&lt;b&gt;不规范&lt;/b&gt;" in page


def test_history_lists_every_change_and_leaves_lines_to_sign(tmp_path: Path) -> None:
    evaluation = seed()
    store = AdjustmentStore(tmp_path)
    store.adjust(evaluation, "政策知晓率", "7", "问卷核对无误", "王审")
    store.adjust(evaluation, "政策知晓率", "6", "抽查两份问卷无效", "李审")
    store.set_opinion(evaluation, "整体可信", "李审")
    page = render.history_section(review_of(evaluation, tmp_path))
    rows = [re.sub(r"<[^>]+>", "|", row) for row in re.findall(r"<tr>.*?</tr>", page)]
    changes = [row for row in rows if "王审" in row or "李审" in row]
    assert len(changes) == 3
    assert (
        "—（自评） → 7 分" in changes[0] and "7 → 6 分" in changes[1] and "整体可信" in changes[2]
    )
    for line in ("复核人（签字）", "复核日期", "审核人（签字）"):
        assert line in page


def test_the_score_table_shows_each_rule_and_remark_and_the_national_values(
    tmp_path: Path,
) -> None:
    table = render.score_table(review_of(seed(), tmp_path))
    rule = next(i.rule for i in seed().indicators if i.name == "预算执行率")
    assert rule and f"评分规则：{rule.splitlines()[0]}" in re.sub(r"<br>", "\n", table)
    assert 'class="pe-muted pe-clamp"' in table  # two lines, the whole text on hover
    assert "<th>指标值</th>" not in table  # the district form has none

    from perfeval.read.forms import read_form

    [national], _ = read_form(
        Path(__file__).parents[1] / "examples" / "national" / "2023_农村生活污水处理设施运维.txt"
    )
    table = render.score_table(review_of(national, tmp_path / "national"))
    assert "<th>指标值</th><th>实际完成值</th>" in table
    first = national.indicators[0]
    assert first.target is not None and first.actual is not None
    cells = re.findall(r"<td>([^<]*)</td>", table)
    assert first.target.text in cells and first.actual.text in cells  # columns of their own
    assert "指标值 " not in re.sub(r"<[^>]+>", "", table)  # not squeezed into the name cell


def test_a_findings_text_is_shown_once_in_its_row(tmp_path: Path) -> None:
    review = review_of(seed(), tmp_path)
    item = next(item for item in review.indicators if item.findings)
    message = item.findings[0].message
    # Two checks (or one check twice) saying the same thing of one indicator: one line.
    twice = replace(item.findings[0], check="rule.points")
    item.findings.append(twice)
    row = next(row for row in render.score_table(review).split("<tr") if message in text_of(row))
    assert text_of(row).count(message) == 1
