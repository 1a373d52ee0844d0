"""Checks that read what the form says: rules copied between indicators, full marks
next to an admitted problem, copy-paste slips, and a header that contradicts itself."""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from difflib import SequenceMatcher

from .. import fmt
from ..findings import Finding
from ..model import Evaluation, Indicator
from ..wording import MIN_RULE_LENGTH, rule_key
from .base import CheckList, Context

__all__ = ["CHECKS", "TOPICS", "admitted_problems", "repeated_phrases"]

CHECKS = CheckList()

# --- rule.boilerplate ----------------------------------------------------------------


def similar_rules(indicators: list[Indicator], threshold: float) -> list[list[Indicator]]:
    """Groups of indicators whose rules are the same or nearly so (ignoring point marks).

    Two rules are alike when difflib's ratio reaches ``threshold``. Comparing every pair
    is quadratic (300 rules took 17 s), so candidate pairs come from a prefix-filtered
    index (the AllPairs method of set-similarity joins): a ratio of ``threshold`` needs at
    least that share of characters in common, so two alike rules always share one of the
    rarest characters of each; only such pairs are compared, with the same three checks
    as before. The groups are exactly those of comparing every pair.
    """
    texts = [rule_key(i.rule) for i in indicators]
    parent = list(range(len(indicators)))

    def root(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    usable = [i for i, text in enumerate(texts) if len(text) >= MIN_RULE_LENGTH]
    for a, b in _candidate_pairs(texts, usable, threshold):
        if root(a) == root(b):
            continue  # already one group: a copy of a copy needs no comparing
        matcher = SequenceMatcher(None, texts[a], texts[b], autojunk=False)
        # The cheap upper bounds first.
        if (
            matcher.real_quick_ratio() >= threshold
            and matcher.quick_ratio() >= threshold
            and matcher.ratio() >= threshold
        ):
            parent[root(b)] = root(a)
    clusters: dict[int, list[Indicator]] = {}
    for index, indicator in enumerate(indicators):
        clusters.setdefault(root(index), []).append(indicator)
    return [members for members in clusters.values() if len(members) > 1]


def _candidate_pairs(
    texts: list[str], usable: list[int], threshold: float
) -> Iterator[tuple[int, int]]:
    """Pairs (a, b), a < b, that may reach ``threshold``: every pair that does is among them.

    A text is its characters as a set of (character, nth occurrence) tokens, so that the
    set overlap is the multiset overlap difflib's ``quick_ratio`` counts: 2·overlap ÷
    (|x| + |y|) must reach t. Texts are taken shortest first, tokens rarest first (the
    PPJoin method): a text probes the index with the first |y| − ⌊t·|y| ÷ (2 − t)⌋ + 1 of
    its tokens, where any alike text must meet it; a candidate is dropped as soon as the
    overlap it could still reach (what it has, plus what is left after both positions)
    falls short of what the two lengths need; then the text is indexed by its first
    |x| − ⌊t·|x|⌋ + 1 tokens. What is left is checked on the whole overlap.
    """
    tokens: dict[int, list[tuple[str, int]]] = {}
    frequency: Counter[tuple[str, int]] = Counter()
    for i in usable:
        seen: Counter[str] = Counter()
        own = []
        for char in texts[i]:
            seen[char] += 1
            own.append((char, seen[char]))
        tokens[i] = own
        frequency.update(own)
    ordered = {i: sorted(tokens[i], key=lambda token: (frequency[token], token)) for i in usable}
    index: dict[tuple[str, int], list[tuple[int, int]]] = {}
    margin = 1e-9  # bounds computed in floats: err towards keeping a pair
    for y in sorted(usable, key=lambda i: (len(tokens[i]), i)):
        rare = ordered[y]
        size = len(rare)
        shortest = size * threshold / (2 - threshold) - margin  # no alike text is shorter
        probe = size - math.floor(threshold * size / (2 - threshold) + margin) + 1
        reach: dict[int, int] = {}  # candidate → overlap seen in the prefixes; -1: dropped
        for i, token in enumerate(rare[:probe]):
            for x, j in index.get(token, ()):
                if reach.get(x) == -1:
                    continue
                other = len(ordered[x])
                if other < shortest:
                    continue
                need = threshold * (size + other) / 2 - margin
                if reach.get(x, 0) + 1 + min(size - i - 1, other - j - 1) < need:
                    reach[x] = -1  # even matching every token left cannot reach the threshold
                else:
                    reach[x] = reach.get(x, 0) + 1
        mine = set(rare)
        for x in sorted(x for x, hits in reach.items() if hits > 0):
            other = len(ordered[x])
            overlap = len(mine.intersection(ordered[x]))
            if 2 * overlap >= threshold * (size + other) - margin:
                yield (min(x, y), max(x, y))
        for j, token in enumerate(rare[: size - math.floor(threshold * size + margin) + 1]):
            index.setdefault(token, []).append((y, j))


@CHECKS.add("rule.boilerplate", "评分规则雷同", "warning")
def check_rule_boilerplate(evaluation: Evaluation, context: Context) -> Iterator[Finding]:
    """不同指标使用相同或几乎相同的评分规则（套用模板，未针对指标本身制定评分标准）。"""
    threshold = context.settings.boilerplate_similarity
    for members in similar_rules(evaluation.indicators, threshold):
        names = [m.name for m in members]
        for indicator in members:
            others = "”“".join(n for n in names if n != indicator.name)
            yield Finding(
                "rule.boilerplate",
                "warning",
                f"指标“{indicator.name}”的评分规则与“{others}”相同或几乎相同，未体现本指标的评分标准。",
                indicator=indicator.name,
                evidence={"indicators": names, "rule": indicator.rule},
                suggestion="为每项指标分别制定可核验的评分标准。",
            )


# --- deduction.unexplained ------------------------------------------------------------


# National forms: deviation.unexplained (perfeval.national_checks) covers deductions there.
@CHECKS.add("deduction.unexplained", "扣分无说明", "warning", formats=("district",))
def check_deduction_unexplained(evaluation: Evaluation, context: Context) -> Iterator[Finding]:
    """自评分低于权重（有扣分）时，备注应说明扣分理由（国家表样由“偏差未说明原因”检查）。"""
    for indicator in evaluation.indicators:
        score = indicator.self_score
        if score is None or score >= indicator.weight:
            continue
        if indicator.remark or indicator.deviation_reason:
            continue
        yield Finding(
            "deduction.unexplained",
            "warning",
            f"指标“{indicator.name}”自评{fmt.score(score)}分（权重{fmt.score(indicator.weight)}分），扣分未说明理由。",
            indicator=indicator.name,
            evidence={"self_score": float(score), "weight": float(indicator.weight)},
            suggestion="在备注中写明扣分理由。",
        )


# --- fullmarks.contradicted --------------------------------------------------------------

#: Subjects a 主要问题 sentence can admit, and the words that tie an indicator to them:
#: (words in the admitting clause, words in an indicator's name).
TOPICS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "计划与目标": (
        ("计划", "规划", "项目编制", "前期"),
        ("计划", "规划", "绩效目标", "设立", "立项"),
    ),
    "预算与资金": (
        ("预算执行", "执行率", "资金使用", "资金拨付", "支出进度"),
        ("预算", "资金", "财务"),
    ),
    "管理制度": (("管理制度", "制度不", "制度建设"), ("管理制度",)),
    "完成与进度": (("进度", "延期", "滞后", "未完成", "及时"), ("完成率", "及时")),
    "质量": (("质量", "合格"), ("质量", "合格")),
    "满意度": (("满意",), ("满意",)),
    "知晓与宣传": (("知晓", "宣传"), ("知晓",)),
    "长效机制": (("长效",), ("长效",)),
    "覆盖面": (("覆盖",), ("覆盖",)),
}
#: Words by which a clause admits a shortfall (not a wish such as 应提升).
ADMISSIONS = (
    "欠缺",
    "不足",
    "不够",
    "不到位",
    "不完善",
    "不健全",
    "有待",
    "未能",
    "未达",
    "未完成",
    "滞后",
    "延期",
    "存在问题",
    "偏低",
    "较差",
    "薄弱",
    "缺乏",
    "尚未",
)
#: Words by which a clause denies a shortfall ("不存在…滞后的问题"): not an admission.
DENIALS = ("不存在", "未发现", "没有发现", "未出现", "并无", "无明显")

_SENTENCE = re.compile(r"[^。！？!?；;]+[。！？!?；;]?")


def admitted_problems(text: str | None) -> list[tuple[str, str, str]]:
    """(topic, admitting clause, whole sentence) for each shortfall the text admits."""
    found: list[tuple[str, str, str]] = []
    for sentence in _SENTENCE.findall(text or ""):
        clauses = [c for c in re.split(r"[，,：:]", sentence) if c.strip()]
        for clause in reversed(clauses):  # the conclusion of a sentence comes last
            if not any(word in clause for word in ADMISSIONS):
                continue
            if any(word in clause for word in DENIALS):
                continue
            for topic, (clause_words, _) in TOPICS.items():
                if any(word in clause for word in clause_words):
                    found.append((topic, clause.strip(" 。；;"), sentence.strip()))
    return found


@CHECKS.add("fullmarks.contradicted", "满分与所述问题矛盾", "warning")
def check_fullmarks_contradicted(evaluation: Evaluation, context: Context) -> Iterator[Finding]:
    """主要问题（国家表样为实际完成情况）中承认某方面存在不足，相关指标却得满分。"""
    sources = [("主要问题", evaluation.project.problems)]
    if evaluation.format == "national":  # the national form has no 主要问题 field
        sources.append(("实际完成情况", evaluation.project.performance))
    admitted = [(label, *found) for label, text in sources for found in admitted_problems(text)]
    reported: set[str] = set()
    for label, topic, clause, sentence in admitted:
        indicator_words = TOPICS[topic][1]
        for indicator in evaluation.indicators:
            if indicator.name in reported or indicator.self_score is None:
                continue
            if indicator.self_score < indicator.weight:
                continue
            if not any(word in indicator.name for word in indicator_words):
                continue
            reported.add(indicator.name)
            yield Finding(
                "fullmarks.contradicted",
                "warning",
                f"{label}承认“{clause}”，但相关指标“{indicator.name}”得满分{fmt.score(indicator.self_score)}分。",
                indicator=indicator.name,
                evidence={
                    "quote": sentence,
                    "topic": topic,
                    "self_score": float(indicator.self_score),
                },
                suggestion=f"核实该指标是否应扣分，或在{label}中说明不影响该项得分的理由。",
            )


# --- text.repeated ---------------------------------------------------------------------------

NARRATIVE_FIELDS = {
    "goal": "项目年度总目标",
    "performance": "主要绩效",
    "problems": "主要问题",
    "measures": "改进措施",
}
#: The same fields as the national form labels them (预期目标, 实际完成情况).
NATIONAL_FIELD_LABELS = {"goal": "预期目标", "performance": "实际完成情况"}
_REPEAT = re.compile(r"(.{4,}?)\1")
_WORDLIKE = re.compile(r"[\u4e00-\u9fffA-Za-z]")


def repeated_phrases(text: str | None) -> list[tuple[str, int]]:
    """Phrases of at least four characters written twice back to back: (phrase, position).

    Of the rotations that repeat ("通居民区党组织沟" and "居民区党组织沟通" in
    "畅通居民区党组织沟通居民区党组织沟通联系"), the last one is reported: it is the
    one a reader sees as the inserted copy.
    """
    found: list[tuple[str, int]] = []
    source = text or ""
    position = 0
    while (match := _REPEAT.search(source, position)) is not None:
        start, size = match.start(), len(match.group(1))
        if len(_WORDLIKE.findall(match.group(1))) < 4:
            position = start + 1
            continue
        while (
            source[start + 1 : start + 1 + size] == source[start + 1 + size : start + 1 + 2 * size]
        ):
            start += 1
        found.append((source[start : start + size], start))
        position = start + 2 * size
    return found


@CHECKS.add("text.repeated", "文字重复", "warning")
def check_text_repeated(evaluation: Evaluation, context: Context) -> Iterator[Finding]:
    """叙述性栏目中同一短语连续出现两次（复制粘贴失误）。"""
    for attr, label in NARRATIVE_FIELDS.items():
        if evaluation.format == "national":
            label = NATIONAL_FIELD_LABELS.get(attr, label)
        text = getattr(evaluation.project, attr)
        for phrase, position in repeated_phrases(text):
            context_text = (text or "")[max(0, position - 6) : position + 2 * len(phrase) + 6]
            yield Finding(
                "text.repeated",
                "warning",
                f"“{label}”中“{phrase}”连续重复出现，疑为复制粘贴失误。",
                evidence={"field": label, "phrase": phrase, "context": context_text},
                suggestion=f"删去重复的“{phrase}”。",
            )


# --- header ---------------------------------------------------------------------------

REQUIRED_HEADER = {
    "name": "项目名称",
    "unit": "预算单位",
    "budget": "当年预算数",
    "executed": "预算执行数",
    "execution_rate": "预算执行率",
    "goal": "项目年度总目标",
    "evaluated_on": "自评时间",
    "grade": "绩效等级",
}
#: The national form's header: 项目名称, 主管部门, 实施单位.
REQUIRED_NATIONAL_HEADER = {"name": "项目名称", "unit": "主管部门", "department": "实施单位"}
_RECURRING = re.compile(r"(?<!非)经常性项目")
# "不是/不属于/并非经常性项目" says the opposite.
_NOT_RECURRING = re.compile(r"(?:不是|不属于|不为|并非|不再是?)[^，,。；;]{0,4}经常性项目")


def _says_recurring(evaluation: Evaluation) -> str | None:
    """The narrative clause that calls the project recurring, if any."""
    for attr in NARRATIVE_FIELDS:
        text = getattr(evaluation.project, attr) or ""
        for clause in re.split(r"[。！？!?；;，,]", text):
            if (
                _RECURRING.search(clause)
                and "是否" not in clause
                and not _NOT_RECURRING.search(clause)
            ):
                return clause.strip()
    return None


@CHECKS.add("header.missing", "表头信息缺失", "warning")
def check_header_missing(evaluation: Evaluation, context: Context) -> Iterator[Finding]:
    """表头必填项不应为空：区级表样为项目名称、预算单位、预算数、执行数、执行率、年度总目标、自评时间、绩效等级、是否为经常性项目；国家表样为项目名称、主管部门、实施单位。"""
    project = evaluation.project
    if evaluation.format == "national":
        for attr, label in REQUIRED_NATIONAL_HEADER.items():
            if getattr(project, attr) is None:
                yield Finding(
                    "header.missing", "warning", f"表头“{label}”未填写。", evidence={"field": label}
                )
        return
    for attr, label in REQUIRED_HEADER.items():
        if getattr(project, attr) is None:
            yield Finding(
                "header.missing", "warning", f"表头“{label}”未填写。", evidence={"field": label}
            )
    if project.recurring is None and _says_recurring(evaluation) is None:
        yield Finding(
            "header.missing",
            "warning",
            "表头“是否为经常性项目”未填写。",
            evidence={"field": "是否为经常性项目"},
        )


@CHECKS.add("header.inconsistent", "表头前后矛盾", "warning", formats=("district",))
def check_header_inconsistent(evaluation: Evaluation, context: Context) -> Iterator[Finding]:
    """表头与自身或叙述矛盾：如“是否为经常性项目”空白或填“否”而文字称其为经常性项目；经常性项目的上年预算完成率为0。"""
    project = evaluation.project
    sentence = _says_recurring(evaluation)
    if sentence is not None and project.recurring is not True:
        written = "空白" if project.recurring is None else "填“否”"
        yield Finding(
            "header.inconsistent",
            "warning",
            f"“是否为经常性项目”{written}，但文字称“{sentence}”。",
            evidence={"field": "是否为经常性项目", "value": project.recurring, "quote": sentence},
            suggestion="“是否为经常性项目”应填“是”。",
        )
    recurring = project.recurring is True or (project.recurring is None and sentence is not None)
    if recurring and project.prior_year_rate is not None and project.prior_year_rate == 0:
        yield Finding(
            "header.inconsistent",
            "warning",
            "项目为经常性项目，但上年预算完成率填为0.00%。",
            evidence={"field": "上年预算完成率", "value": 0, "recurring": True},
            suggestion="填写上年预算实际完成率，或说明上年未安排预算的原因。",
        )


# --- what the template left ----------------------------------------------------------------

#: Prompts of the official templates that units leave in place of an answer.
_PROMPT = re.compile(
    r"[(（]\s*\d+\s*字以内\s*[)）]|^请(?:填写|简要|说明)|^(?:结合|对照|针对)[^。]{0,20}(?:说明|分析|提出)"
)
_NARRATIVE_FIELDS = {
    "goal": "年度目标",
    "performance": "目标完成情况",
    "problems": "存在问题",
    "measures": "改进措施",
    "conclusion": "评价结论",
}


@CHECKS.add("template.leftover", "模板遗留行", "info")
def check_template_leftover(evaluation: Evaluation, context: Context) -> Iterator[Finding]:
    """单位保留了模板中未使用的行（“指标2”“……”“—”或只有二级指标名称、没有分值和得分）：读取时已跳过，仅作提示。"""
    if not evaluation.leftovers:
        return
    rows = "、".join(f"第{left.row}行“{left.text}”" for left in evaluation.leftovers[:12])
    more = f"等{len(evaluation.leftovers)}行" if len(evaluation.leftovers) > 12 else ""
    yield Finding(
        "template.leftover",
        "info",
        f"表中保留了模板的空行{rows}{more}，没有分值和得分，读取时已跳过。",
        evidence={"rows": [left.row for left in evaluation.leftovers]},
        suggestion="报送前删除模板中未使用的行。",
    )


@CHECKS.add("text.prompt", "模板提示语未替换", "warning")
def check_text_prompt(evaluation: Evaluation, context: Context) -> Iterator[Finding]:
    """目标、完成情况、存在问题、改进措施、评价结论等栏目填写的是模板的提示语（如“……（200字以内）”“结合自评情况，说明……”），而不是单位自己的内容。"""
    project = evaluation.project
    for attr, label in _NARRATIVE_FIELDS.items():
        text = getattr(project, attr)
        if text and _PROMPT.search(unicodedata.normalize("NFKC", text).strip()):
            yield Finding(
                "text.prompt",
                "warning",
                f"“{label}”栏填写的是模板的提示语：“{text}”。",
                evidence={"field": label, "quote": text},
                suggestion=f"按提示写明项目的{label}。",
            )
