"""Questions answered in one place: each test here would have caught one of the splits
that had two to five answers (bound words, tolerance, the (N分) mark, the percent rule,
exact decimals as text, locks)."""

from __future__ import annotations

import re
from decimal import Decimal as D
from pathlib import Path

import pytest

from perfeval import fmt
from perfeval.atomic import LockBusy, exclusive_lock
from perfeval.check.rules import itemised_points, parse_bands
from perfeval.read.national import parse_measure
from perfeval.read.normalise import rate_fraction, split_category
from perfeval.scoring import differs, half_unit, places, rate_places, stands_for
from perfeval.wording import POST_BOUNDS, PRE_BOUNDS, operator_of, rule_key

PACKAGE = Path(__file__).resolve().parents[1] / "perfeval"


@pytest.mark.parametrize(("word", "bound"), sorted(PRE_BOUNDS.items()))
def test_a_word_before_the_number_bounds_alike_in_targets_and_rules(word, bound) -> None:
    side, inclusive = bound
    assert parse_measure(f"{word}50%").operator == operator_of(bound)
    [band] = parse_bands(f"执行率{word}50%得5分")
    end = band.lower if side == "lower" else band.upper
    assert end is not None and end.value == 50 and end.inclusive is inclusive


@pytest.mark.parametrize(
    ("word", "bound"), sorted((w, b) for w, b in POST_BOUNDS.items() if w.isalpha())
)
def test_a_word_after_the_number_bounds_alike_in_targets_and_rules(word, bound) -> None:
    side, inclusive = bound
    assert parse_measure(f"50%{word}").operator == operator_of(bound)
    [band] = parse_bands(f"执行率50%{word}得5分")
    end = band.lower if side == "lower" else band.upper
    assert end is not None and end.value == 50 and end.inclusive is inclusive


def test_civil_code_words_read_as_article_1259() -> None:
    assert operator_of(PRE_BOUNDS["不满"]) == "<" and operator_of(PRE_BOUNDS["超过"]) == ">"
    assert operator_of(POST_BOUNDS["以上"]) == "≥" and operator_of(POST_BOUNDS["以内"]) == "≤"
    assert operator_of(POST_BOUNDS["届满"]) == "≥" and operator_of(POST_BOUNDS["以外"]) == ">"
    assert parse_measure("未达到5%").operator == "<"  # not ≥ from the 达到 inside it
    assert parse_measure("低于或等于5%").operator == "≤"


@pytest.mark.parametrize(
    ("written", "exact", "off"),
    [("9.70", "9.7", False), ("9.71", "9.7", False), ("9.72", "9.7", True), ("93.02", "93", True)],
)
def test_one_tolerance_one_edge(written: str, exact: str, off: bool) -> None:
    assert differs(D(written), D(exact)) is off


def test_a_figure_is_judged_at_the_precision_it_is_written_in() -> None:
    assert places(D("0.86")) == 2 and rate_places(D("0.86")) == 2  # 86%
    assert rate_places(D("1")) == 2  # a bare 1: 100%, never ±50%
    assert half_unit(2) == D("0.005") and half_unit(3) == D("0.0005")
    rate = D("37.24") / D("43.2")  # 0.86204
    assert stands_for(D("0.86"), rate, 2, D("0.0001"))
    assert stands_for(D("0.958"), D("27.8") / D("29"), 3, D("0.0001"))  # cut, not rounded
    assert not stands_for(D("0.957"), D("27.8") / D("29"), 3, D("0.0001"))
    assert not stands_for(D("9"), D("8.62"), 2, D("0.01"))
    assert stands_for(D("9.71"), D("9.70"), 2, D("0.01"))  # never finer than the floor


def test_the_points_mark_is_read_alike_in_labels_rules_and_rule_keys() -> None:
    assert split_category("投入与管理（36分）") == ("投入与管理", D(36))
    assert itemised_points("①完整（1.5分）②合规(2 分)") == [D("1.5"), D(2)]
    assert rule_key("①完整（1.5分）") == rule_key("①完整 (2分)")


@pytest.mark.parametrize(
    ("value", "percent_format", "written_percent", "expected"),
    [
        ("0.958", False, False, "0.958"),
        ("95.8", False, False, "0.958"),
        ("86", False, True, "0.86"),
        ("86.20", False, True, "0.8620"),
        ("0.862", True, False, "0.862"),
        ("1.5", False, False, "1.5"),
    ],
)
def test_the_percent_rule_keeps_the_written_digits(
    value: str, percent_format: bool, written_percent: bool, expected: str
) -> None:
    got = rate_fraction(D(value), written_percent=written_percent, percent_format=percent_format)
    assert str(got) == expected


def test_decimals_as_text_have_one_spelling() -> None:
    assert fmt.plain(D("98.50")) == "98.5" and fmt.plain(D("1E+2")) == "100"
    assert fmt.plain(D("0.00001")) == "0.00001"
    spelled = [
        f"{path.relative_to(PACKAGE)}:{number}"
        for path in PACKAGE.rglob("*.py")
        if path.name != "fmt.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r'normalize\(\),\s*"f"', line)
    ]
    assert spelled == [], "use fmt.plain"


def test_one_lock_and_nothing_else_takes_file_locks(tmp_path: Path) -> None:
    lock = tmp_path / ".lock"
    with exclusive_lock(lock), pytest.raises(LockBusy), exclusive_lock(lock, wait=False):
        pass
    with exclusive_lock(tmp_path / ".lock", wait=False):
        pass
    users = [p.name for p in PACKAGE.rglob("*.py") if "fcntl" in p.read_text(encoding="utf-8")]
    assert users == ["atomic.py"]
