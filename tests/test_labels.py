"""One vocabulary: every evidence key any check emits has a Chinese label, shown alike in
the HTML review and in review.xlsx, with figures written as a reviewer writes them."""

from __future__ import annotations

import ast
import re
from html import escape
from pathlib import Path

import openpyxl
import pytest

from perfeval.check.catalogue import run_checks
from perfeval.findings import Finding
from perfeval.read.forms import read_form
from perfeval.review.build import load_review
from perfeval.show import html as render
from perfeval.show.labels import EVIDENCE, evidence_items, evidence_text
from perfeval.show.xlsx import write_review_workbook

ROOT = Path(__file__).resolve().parents[1]
CHECK_MODULES = sorted((ROOT / "perfeval" / "check").glob("*.py"))
EXAMPLES = sorted((ROOT / "examples").rglob("*.*"))


def _keys_of(node: ast.AST) -> set[str]:
    """Every string key of every dict literal inside ``node``."""
    return {
        key.value
        for inner in ast.walk(node)
        if isinstance(inner, ast.Dict)
        for key in inner.keys
        if isinstance(key, ast.Constant) and isinstance(key.value, str)
    }


def emitted_keys() -> set[str]:
    """The evidence keys the check modules write: evidence={…}, evidence = {…}, evidence["k"]."""
    keys: set[str] = set()
    for path in CHECK_MODULES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.keyword) and node.arg == "evidence") or (
                isinstance(node, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == "evidence" for t in node.targets)
            ):
                keys |= _keys_of(node.value)
            elif (
                isinstance(node, ast.Subscript)
                and isinstance(node.value, ast.Name)
                and node.value.id == "evidence"
                and isinstance(node.slice, ast.Constant)
            ):
                keys.add(node.slice.value)
    return keys


def test_the_checks_emit_evidence_keys() -> None:
    assert {"declared", "by_initial", "level2", "regrouping"} <= emitted_keys()


def test_every_evidence_key_has_a_chinese_label() -> None:
    missing = sorted(emitted_keys() - EVIDENCE.keys())
    assert missing == [], f"evidence keys with no label in show/labels.py: {missing}"
    for label, _ in EVIDENCE.values():
        assert re.search(r"[\u4e00-\u9fff]", label), label


def test_figures_are_written_as_a_reviewer_writes_them() -> None:
    evidence = {"budget": 242400, "rate": 0.9, "self_score": 8.5, "allowed": [6, 8], "row": 12}
    assert evidence_items(evidence) == [
        ("预算数", "242,400.00元"),
        ("执行率", "90.00%"),
        ("自评得分", "8.5分"),
        ("允许得分", "6–8分"),
        ("原表行号", "第12行"),
    ]
    assert evidence_items({"declared": 0.86}, "budget.rate") == [("填报执行率", "86.00%")]
    assert evidence_items({"others": {}, "value": None, "text": ""}) == []


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_html_and_workbook_show_the_same_words_and_no_raw_keys(path: Path, tmp_path: Path) -> None:
    evaluation = read_form(path)[0][0]
    review = load_review(evaluation, tmp_path)
    findings = run_checks(evaluation)
    raw = re.compile(r"(?<![A-Za-z.])[a-z]+(?:_[a-z]+)*：")
    for finding in findings:
        shown = render.finding_html(finding)
        assert not raw.search(shown), shown
        for label, value in evidence_items(finding.evidence, finding.check):
            assert f"{escape(label)}：{escape(value)}" in shown
    workbook = openpyxl.load_workbook(write_review_workbook(review, tmp_path / "review.xlsx"))
    sheet = workbook["检查发现"]
    header = [cell.value for cell in sheet[1]]
    basis = header.index("依据") + 1
    written = [sheet.cell(row, basis).value or "" for row in range(2, sheet.max_row + 1)]
    expected = [evidence_text(f.evidence, f.check) for f in review.findings]
    assert written == expected
    for text in written:
        assert not raw.search(text), text


def test_unknown_keys_are_shown_escaped() -> None:
    finding = Finding("x.test", "info", "信息", evidence={"<b>": "甲"})
    assert "&lt;b&gt;：甲" in render.finding_html(finding)
