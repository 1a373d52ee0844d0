"""docs/checks.md is generated from the catalogue and must not drift from it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from perfeval import docs
from perfeval.check.base import CheckSettings
from perfeval.check.catalogue import catalogue, run_checks, settings_from_json
from perfeval.exceptions import PerfevalError

REPO = Path(__file__).resolve().parents[1]


def test_committed_checks_md_is_up_to_date() -> None:
    committed = (REPO / "docs" / "checks.md").read_text(encoding="utf-8")
    assert committed == docs.checks_markdown(), "run: python -m perfeval.docs"


def test_every_check_is_documented_with_an_example() -> None:
    text = docs.checks_markdown()
    for check in catalogue():
        section = text.split(f"## `{check.id}` {check.title}\n", 1)[1].split("\n## ", 1)[0]
        assert check.description in section
        assert f"Severity {check.severity} " in section
        assert "\n> **" in section, f"{check.id} has no example"


def test_variants_only_for_checks_the_seed_does_not_trigger() -> None:
    text = docs.checks_markdown()
    for check_id, (description, _) in docs.VARIANTS.items():
        assert f"Example, on the seed form with {description}:" in text, check_id
    for check_id, (description, _) in docs.NATIONAL_VARIANTS.items():
        assert f"Example, on the national example with {description}:" in text, check_id


def test_the_national_example_is_clean() -> None:
    evaluation = docs.national_example()
    assert evaluation.format == "national"
    assert run_checks(evaluation) == []


def test_a_national_edit_must_match_once() -> None:
    with pytest.raises(PerfevalError, match="恰好出现一次"):
        docs.national_example((("\t10\t", "\t9\t"),))


def test_settings_examples_load() -> None:
    shipped = json.loads((REPO / "params" / "checks.json").read_text(encoding="utf-8"))
    assert shipped == docs.default_settings()
    assert settings_from_json(shipped) == CheckSettings()
    example = settings_from_json(json.loads(docs.EXAMPLE_SETTINGS))
    assert example.disabled == frozenset({"rule.boilerplate"})
    assert [band.grade for band in example.grade_bands] == ["优秀", "良好", "合格", "不合格"]


def test_main_writes_the_file(tmp_path: Path) -> None:
    target = tmp_path / "out" / "checks.md"
    assert docs.main([str(target)]) == 0
    assert target.read_text(encoding="utf-8") == docs.checks_markdown()
