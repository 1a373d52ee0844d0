"""``docs/checks.md``, generated from the check catalogue so that it cannot drift.

    python -m perfeval.docs        # rewrites docs/checks.md

Every check is listed with its id, title, default severity, formats, whether it is
arithmetic, its description (the check function's docstring) and an example: the
findings it makes on the seed form (``examples/000_81c9c1dad6fba498.txt``) when it
fires there, otherwise what it makes on a small variant: of the seed (``VARIANTS``)
for the district form's checks, of the little national form ``NATIONAL_EXAMPLE``
defined here (``NATIONAL_VARIANTS``, edits of its text) for the national form's.
Run from a source checkout: the seed form is not part of the package.
"""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from .check.base import Check, CheckSettings
from .check.catalogue import catalogue, run_checks
from .exceptions import PerfevalError
from .findings import SEVERITY_LABELS, Finding
from .model import Evaluation
from .read.forms import layouts, read_form
from .read.sheets import Cell, Sheet

__all__ = [
    "DOCS",
    "EXAMPLE_SETTINGS",
    "SEED",
    "VARIANTS",
    "checks_markdown",
    "default_settings",
    "main",
]

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "examples" / "000_81c9c1dad6fba498.txt"
DOCS = ROOT / "docs" / "checks.md"

Variant = Callable[[Evaluation], Evaluation]


def _indicator(which: str, /, **changes: Any) -> Variant:
    def change(evaluation: Evaluation) -> Evaluation:
        changed = copy.deepcopy(evaluation)
        changed.indicators = [
            replace(i, **changes) if i.name == which else i for i in changed.indicators
        ]
        return changed

    return change


def _project(**changes: Any) -> Variant:
    def change(evaluation: Evaluation) -> Evaluation:
        changed = copy.deepcopy(evaluation)
        changed.project = replace(changed.project, **changes)
        return changed

    return change


#: For each check the seed does not trigger: (what the variant changes, the change).
VARIANTS: dict[str, tuple[str, Variant]] = {
    "weights.total": (
        "受益人群满意度 weighted 6 instead of 5",
        _indicator("受益人群满意度", weight=Decimal(6)),
    ),
    "score.range": (
        "受益人群满意度 scored 6 of 5",
        _indicator("受益人群满意度", self_score=Decimal(6)),
    ),
    "budget.rate": ("预算执行率 declared as 95.00%", _project(execution_rate=Decimal("0.95"))),
    "rule.auto_score": (
        "预算执行率 scored 6 at 100% execution",
        _indicator("预算执行率", self_score=Decimal(6)),
    ),
    "rule.missing": (
        "受益人群满意度 without a scoring rule",
        _indicator("受益人群满意度", rule=None),
    ),
    "deduction.unexplained": (
        "长效管理机制健全性 (8 of 10) without its remark",
        _indicator("长效管理机制健全性", remark=None),
    ),
    "header.missing": ("自评时间 left blank", _project(evaluated_on=None)),
    "read.notice": (
        "the text export cut at the readers' bound of rows",
        lambda evaluation: replace(
            copy.deepcopy(evaluation),
            notices=["表格超过 5000 行，只读取了前 5000 行，其后的行（包括可能的合计行）未读取"],
        ),
    ),
    "indicator.duplicate": (
        "项目完成合格率 misnamed 项目完成率",
        _indicator("项目完成合格率", name="项目完成率"),
    ),
    "text.prompt": (
        "主要问题 left as the template's prompt",
        _project(problems="结合自评情况，分析存在的问题及原因。（200字以内）"),
    ),
}


#: A small Ministry of Finance form as its text export holds it (columns A–J, tab-separated):
#: 社区老年人助餐服务补贴, five indicators, every figure consistent, nothing to find.
NATIONAL_EXAMPLE = """\
项目支出绩效自评表
（2023年度）
项目名称\t2023年度社区老年人助餐服务补贴项目
主管部门\t上海市东湖区民政局\t\t\t\t实施单位\t上海市东湖区养老服务指导中心
项目资金（万元）\t\t\t年初预算数\t全年预算数\t全年执行数\t分值\t执行率\t得分
\t年度资金总额\t\t320.00\t300.00\t291.00\t10\t97.00%\t9.70
\t其中：当年财政拨款\t\t300.00\t280.00\t271.00\t—\t—\t—
\t上年结转资金\t\t20.00\t20.00\t20.00\t—\t—\t—
\t其他资金\t\t0.00\t0.00\t0.00\t—\t—\t—
年度总体目标\t预期目标\t\t\t\t\t实际完成情况
\t全年提供助餐服务不少于36万人次，新建社区助餐点6个，老年人满意度达到90%以上。\t\t\t\t\t全年提供助餐服务38.6万人次，新建社区助餐点5个，问卷调查满意度93.6%。
绩效指标\t一级指标\t二级指标\t三级指标\t年度指标值\t实际完成值\t分值\t得分\t偏差原因分析及改进措施
\t产出指标\t数量指标\t助餐服务人次\t≥36万人次\t38.6万人次\t25\t25
\t\t\t新建社区助餐点数量\t6个\t5个\t15\t12.5\t1个助餐点需重新选址，已列入2024年计划。
\t\t成本指标\t每客餐补贴标准\t≤8元/客\t8元/客\t10\t10
\t效益指标\t可持续影响指标\t社区助餐长效运营机制\t建立健全\t基本建立\t30\t21\t运营补贴动态调整办法尚在征求意见。
\t满意度指标\t服务对象满意度指标\t老年人助餐服务满意度\t≥90%\t93.6%\t10\t10
总分\t\t\t\t\t\t100\t88.20
"""

#: For each national check: (what the variant changes, edits of NATIONAL_EXAMPLE's text).
NATIONAL_VARIANTS: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "budget.score": (
        "项目资金得分 9.00 where 10 × 97% is 9.70",
        (("\t97.00%\t9.70", "\t97.00%\t9.00"),),
    ),
    "budget.breakdown": (
        "当年财政拨款 全年预算数 270.00 instead of 280.00",
        (("\t300.00\t280.00\t", "\t300.00\t270.00\t"),),
    ),
    "budget.unit": (
        "the 项目资金（万元） block filled in yuan",
        (
            ("320.00\t300.00\t291.00", "3,200,000.00\t3,000,000.00\t2,910,000.00"),
            ("300.00\t280.00\t271.00", "3,000,000.00\t2,800,000.00\t2,710,000.00"),
            ("20.00\t20.00\t20.00", "200,000.00\t200,000.00\t200,000.00"),
        ),
    ),
    "indicator.expected_score": (
        "新建社区助餐点数量 (5 of 6) given full marks",
        (("\t5个\t15\t12.5\t", "\t5个\t15\t15\t"),),
    ),
    "indicator.tier": (
        "社区助餐长效运营机制 (基本建立) given full marks",
        (("\t30\t21\t", "\t30\t30\t"),),
    ),
    "deviation.unexplained": (
        "新建社区助餐点数量 (5 of 6) without its 偏差原因",
        (("1个助餐点需重新选址，已列入2024年计划。", ""),),
    ),
    "indicator.direction": ("每客餐补贴标准 written ≥8元/客", (("≤8元/客", "≥8元/客"),)),
    "satisfaction.evidence": (
        "老年人助餐服务满意度 claimed from 未收到投诉",
        (("\t93.6%\t10", "\t未收到投诉\t10"),),
    ),
    "budget.weight": (
        "预算执行 worth 20 points",
        (("\t10\t97.00%\t9.70", "\t20\t97.00%\t19.40"),),
    ),
    "budget.trimmed": (
        "全年预算数 cut to the 291.00 spent",
        (
            (
                "\t320.00\t300.00\t291.00\t10\t97.00%\t9.70",
                "\t320.00\t291.00\t291.00\t10\t100.00%\t10",
            ),
            ("\t300.00\t280.00\t271.00", "\t300.00\t271.00\t271.00"),
        ),
    ),
    "target.lax": (
        "新建社区助餐点数量 planned 6, done 20",
        (("\t6个\t5个\t15\t12.5\t", "\t6个\t20个\t15\t15\t"),),
    ),
    "goal.figures": (
        "预期目标 and 实际完成情况 written as bare amounts",
        (
            ("全年提供助餐服务不少于36万人次，新建社区助餐点6个，老年人满意度达到90%以上。", "320"),
            ("全年提供助餐服务38.6万人次，新建社区助餐点5个，问卷调查满意度93.6%。", "291"),
        ),
    ),
    "template.leftover": (
        "the template's row 指标2 left under 数量指标",
        (("\t\t\t新建社区助餐点数量", "\t\t\t指标2\n\t\t\t新建社区助餐点数量"),),
    ),
    "weights.structure": (
        "社区助餐长效运营机制 filed under 产出指标 (产出 80, 效益 0)",
        (("\t效益指标\t", "\t产出指标\t"),),
    ),
}


def national_example(edits: tuple[tuple[str, str], ...] = ()) -> Evaluation:
    """``NATIONAL_EXAMPLE`` with the edits made (each must match exactly once), as read."""
    text = NATIONAL_EXAMPLE
    for old, new in edits:
        if text.count(old) != 1:
            raise PerfevalError(f"示例表中“{old}”应恰好出现一次")
        text = text.replace(old, new)
    rows = [[Cell(value or None) for value in line.split("\t")] for line in text.splitlines()]
    return layouts.parse(Sheet("national example", None, rows))


def _seed() -> Evaluation:
    if not SEED.exists():
        raise PerfevalError(f"{SEED}: 找不到示例表，请在源代码目录中运行 python -m perfeval.docs")
    evaluations, _ = read_form(SEED)
    return evaluations[0]


def _example(check: Check, seed: Evaluation) -> tuple[str, list[Finding]]:
    """Where the example comes from, and the check's findings there."""
    found = [f for f in run_checks(seed) if f.check == check.id]
    if found:
        return "on the seed form", found
    if check.id in VARIANTS:
        description, change = VARIANTS[check.id]
        where, evaluation = f"on the seed form with {description}", change(seed)
    elif check.id in NATIONAL_VARIANTS:
        description, edits = NATIONAL_VARIANTS[check.id]
        where, evaluation = f"on the national example with {description}", national_example(edits)
    else:
        raise PerfevalError(f"检查项“{check.id}”在示例表上没有发现，docs 中也没有它的示例")
    found = [f for f in run_checks(evaluation) if f.check == check.id]
    if not found:
        raise PerfevalError(f"检查项“{check.id}”的示例（{description}）没有产生发现")
    return where, found


def _finding(finding: Finding) -> list[str]:
    lines = [f"> **{SEVERITY_LABELS[finding.severity]}** {finding.place} {finding.message}"]
    if finding.suggestion:
        lines += [">", f"> 建议：{finding.suggestion}"]
    return lines


def _formats(check: Check) -> str:
    return ", ".join(sorted(check.formats))


def default_settings() -> dict[str, Any]:
    """The default check settings as ``params/checks.json`` writes them."""
    defaults = CheckSettings()
    return {
        "disabled": sorted(defaults.disabled),
        "severity": dict(defaults.severity),
        "grade_bands": [band.to_json() for band in defaults.grade_bands],
        "boilerplate_similarity": defaults.boilerplate_similarity,
        "lax_target_ratio": int(defaults.lax_target_ratio),
    }


#: An example settings file (tests/test_docs.py checks that it loads).
EXAMPLE_SETTINGS = """\
{
  "disabled": ["rule.boilerplate"],
  "severity": {"deduction.unexplained": "info"},
  "grade_bands": [
    {"grade": "优秀", "min": 85, "max": 100, "max_inclusive": true},
    {"grade": "良好", "min": 75, "max": 85},
    {"grade": "合格", "min": 60, "max": 75},
    {"grade": "不合格", "min": 0, "max": 60}
  ],
  "boilerplate_similarity": 0.95
}"""


def _json(data: Any) -> list[str]:
    return ["```json", *json.dumps(data, ensure_ascii=False, indent=2).splitlines(), "```"]


_INTRO = """\
<!-- Generated from the check catalogue by `python -m perfeval.docs`; do not edit by hand.
     tests/test_docs.py fails when this file and the catalogue disagree. -->

# Checks

`perfeval check FORM...` runs every check below on each form and reports what it
finds; `perfeval review` shows the same findings beside the scores. A check never stops
at the first problem: it reports every one, each as a finding with

- `check`: the check's id (stable: ids are an interface and are never renamed);
- `severity`: `error` (错误) the form contradicts itself, `warning` (警告) likely wrong,
  a reviewer must look, `info` (提示);
- `indicator` (or the 一级指标 `category`; neither for the form as a whole);
- `message`: one Chinese sentence a reviewer can paste into a review;
- `evidence`: the figures or quoted text it rests on;
- `suggestion`: the score, total, grade or regrouping that would make the form
  consistent, where one can be derived.

Arithmetic is exact (`decimal.Decimal`), and each figure is judged at the precision the
form writes it in: a rate at half a unit of its last written digit ("86%" for 86.20% is
right, "0.958" for 0.95862 too), scores and totals at half a unit of the finest decimal
the form scores with (1.9 for 1.946 is right on a form that scores to one decimal; whole
numbers claim no coarser precision than two decimals) — never finer than 0.01 point or
0.01 percentage point. A finding says which precision it assumed. On a form whose
figures all add up the arithmetic checks say nothing.

The examples are real output: what each check finds on the seed form
(`examples/000_81c9c1dad6fba498.txt`, a Shanghai district form), or, for a check the
seed does not trigger, on the seed with one thing changed. The national form's checks
are shown on the national example, a small Ministry of Finance form (社区老年人助餐服务补贴:
five indicators, every figure consistent; its text is `NATIONAL_EXAMPLE` in
`perfeval/docs.py`), with one thing changed."""


def _settings_section() -> list[str]:
    return [
        "## Settings: `params/checks.json`",
        "",
        "Checks can be switched off or given another severity, and other grade bands",
        "applied, per run. `perfeval check` and `perfeval review` read",
        "`PARAMS/checks.json` (`--params DIR`, default `params`), or the file given with",
        "`--settings FILE`; in Python `perfeval.review.build.load_settings(params_dir)` or",
        "`perfeval.check.catalogue.read_settings(path)`. Without a file the defaults apply.",
        "The file is one JSON object; every key is optional:",
        "",
        "- `disabled`: ids of checks not to run;",
        "- `severity`: id → `error`, `warning` or `info`, replacing the check's severity;",
        "- `grade_bands`: the bands every form is graded on, each",
        '  `{"grade": …, "min": …, "max": …, "min_inclusive": true, "max_inclusive": false}`',
        "  (the defaults shown; `max` null for no upper bound). Empty: each form's own bands,",
        "  read from its notes (说明), else the format's defaults: district 优秀 ≥ 90,",
        "  良好 ≥ 75, 合格 ≥ 60, 不合格 below; national 优 ≥ 90, 良 ≥ 80, 中 ≥ 60, 差 below;",
        "- `boilerplate_similarity`: how alike two rules must be (0–1, difflib ratio,",
        "  ignoring point marks such as （5分）) for `rule.boilerplate` to report them;",
        "- `lax_target_ratio`: how many times over a 正向 quantitative target an actual must",
        "  be for `target.lax` to call the target too low (default 3).",
        "",
        "An unknown check id, severity or malformed band stops the run with a message",
        "naming the file. The shipped `params/checks.json` holds the defaults:",
        "",
        *_json(default_settings()),
        "",
        "A unit graded from 85 for 优秀, without the boilerplate check and with unexplained",
        "deductions as information only:",
        "",
        "```json",
        EXAMPLE_SETTINGS,
        "```",
    ]


def checks_markdown() -> str:
    """The text of docs/checks.md."""
    seed = _seed()
    checks = list(catalogue())
    lines = [
        _INTRO,
        "",
        "| id | title | severity | formats | arithmetic |",
        "|---|---|---|---|---|",
    ]
    for check in checks:
        arithmetic = "yes" if check.arithmetic else "no"
        lines.append(
            f"| `{check.id}` | {check.title} | {check.severity} | {_formats(check)} | {arithmetic} |"
        )
    for check in checks:
        where, findings = _example(check, seed)
        lines += [
            "",
            f"## `{check.id}` {check.title}",
            "",
            f"Severity {check.severity} ({SEVERITY_LABELS[check.severity]}); "
            f"formats: {_formats(check)}; arithmetic: {'yes' if check.arithmetic else 'no'}.",
            "",
            check.description,
            "",
            f"Example, {where}:",
        ]
        for finding in findings:
            lines += ["", *_finding(finding)]
    lines += ["", *_settings_section()]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write docs/checks.md (or the path given)."""
    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0]) if args else DOCS
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(checks_markdown(), encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
