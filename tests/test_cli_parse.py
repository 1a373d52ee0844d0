"""``perfeval parse``: the JSON it prints, the text summary, and how it fails."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import formgen as fg
import pytest

from perfeval.cli import main

ROOT = Path(__file__).resolve().parents[1]

TOP_KEYS = {
    "source",
    "title",
    "year",
    "project",
    "indicators",
    "declared_total",
    "notes",
    "grade_bands",
    "layout",
    "leftovers",
    "notices",
    # documented as extra: the layout and the stable key of the evaluation
    "format",
    "key",
}
SOURCE_KEYS = {"path", "sheet"}
PROJECT_KEYS = {
    "conclusion",
    "name",
    "unit",
    "department",
    "recurring",
    "budget",
    "executed",
    "prior_year_rate",
    "execution_rate",
    "goal",
    "evaluated_on",
    "grade",
    "performance",
    "problems",
    "measures",
}
INDICATOR_KEYS = {
    "category",
    "category_points",
    "name",
    "explanation",
    "weight",
    "rule",
    "self_score",
    "remark",
}
BAND_KEYS = {"grade", "min", "min_inclusive", "max", "max_inclusive"}


def parse_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any, str]:
    code = main(["parse", *args, "--json"])
    captured = capsys.readouterr()
    return code, json.loads(captured.out), captured.err


def without_source(item: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in item.items() if key != "source"}


def test_json_has_exactly_the_documented_keys(capsys: pytest.CaptureFixture[str]) -> None:
    code, data, err = parse_json(capsys, str(fg.SEED_TSV))
    assert (code, err) == (0, "")
    assert isinstance(data, list) and len(data) == 1
    [item] = data
    assert set(item) == TOP_KEYS
    assert item["source"] == {"path": str(fg.SEED_TSV), "sheet": None}
    assert set(item["source"]) == SOURCE_KEYS
    assert set(item["project"]) == PROJECT_KEYS
    assert len(item["indicators"]) == 13
    assert all(set(indicator) == INDICATOR_KEYS for indicator in item["indicators"])
    assert set(item["declared_total"]) == {"weight", "self_score"}
    assert all(set(band) == BAND_KEYS for band in item["grade_bands"])
    assert item["format"] == "district"
    assert isinstance(item["key"], str) and len(item["key"]) == 16


def test_json_values_are_typed(capsys: pytest.CaptureFixture[str]) -> None:
    _, [item], _ = parse_json(capsys, str(fg.SEED_TSV))
    project = item["project"]
    assert project["budget"] == 242400 and type(project["budget"]) is int
    assert project["executed"] == 242400
    assert project["execution_rate"] == 1
    assert project["prior_year_rate"] == 0
    assert project["recurring"] is None
    assert project["evaluated_on"] == "2021-07-16"
    assert item["year"] == 2020
    for indicator in item["indicators"]:
        assert type(indicator["weight"]) in (int, float)
        assert indicator["self_score"] is None or type(indicator["self_score"]) in (int, float)
        assert type(indicator["category_points"]) in (int, float)
    assert sum(indicator["weight"] for indicator in item["indicators"]) == 100
    assert item["declared_total"] == {"weight": 100, "self_score": 96}
    assert item["indicators"][0]["category"] == "投入与管理"
    assert item["indicators"][0]["category_points"] == 36
    assert [band["min"] for band in item["grade_bands"]] == [90, 75, 60, 0]


def test_json_of_a_folder_is_one_array(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    rows = fg.seed_rows()
    fg.write_tsv(rows, tmp_path / "a.txt", encoding="gb18030")
    fg.write_xlsx(rows, tmp_path / "b.xlsx")
    fg.write_xls(rows, tmp_path / "c.xls")
    code, data, err = parse_json(capsys, str(tmp_path))
    assert (code, err) == (0, "")
    assert [item["source"] for item in data] == [
        {"path": str(tmp_path / "a.txt"), "sheet": None},
        {"path": str(tmp_path / "b.xlsx"), "sheet": "自评表"},
        {"path": str(tmp_path / "c.xls"), "sheet": "自评表"},
    ]
    first = without_source(data[0])
    assert all(without_source(item) == first for item in data)


def test_text_summary(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parse", str(fg.SEED_TSV)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == f"== {fg.SEED_TSV}"
    assert "项目：(党建办) 组团式服务联系群众专项" in lines[1]
    assert "年度：2020" in lines[1]
    assert "预算：242,400.00 元" in lines[2] and "执行率：100.00%" in lines[2]
    assert "自评等级：优" in lines[2]
    assert sum("投入与管理" in line for line in lines) == 5
    policy = next(line for line in lines if "政策知晓率" in line)
    assert policy.split()[-2:] == ["7", "—"]
    assert lines[-1].startswith("合计") and lines[-1].split()[-2:] == ["100", "96"]


def test_broken_file_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    rows = fg.seed_rows()
    good = fg.write_tsv(rows, tmp_path / "a.txt")
    bad = fg.write_xlsx(fg.set_cell(rows, "项目设立的规范性", "权重", "五"), tmp_path / "b.xlsx")
    code, data, err = parse_json(capsys, str(tmp_path))
    assert code == 2
    assert [item["source"]["path"] for item in data] == [str(good)]  # the good one still read
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"perfeval: 错误: {bad}")
    assert "工作表“自评表” 第16行 D列" in err


def test_skipped_sheet_is_reported_but_not_an_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    rows = fg.seed_rows()
    path = fg.write_xlsx({"自评表": rows, "填表说明": [["请按要求填写"]]}, tmp_path / "book.xlsx")
    code, data, err = parse_json(capsys, str(path))
    assert code == 0 and len(data) == 1
    assert err.startswith("perfeval: 跳过 ") and "填表说明" in err and err.count("\n") == 1


@pytest.mark.parametrize(
    "content",
    [b"", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "Détériorée\tétés\n".encode("latin-1")],
    ids=["empty", "png", "latin1"],
)
def test_unreadable_file_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "form.xlsx"
    path.write_bytes(content)
    assert main(["parse", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith(f"perfeval: 错误: {path}")
    assert captured.err.count("\n") == 1


def test_missing_path_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["parse", str(tmp_path / "nowhere")]) == 2
    assert "nowhere" in capsys.readouterr().err


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=ROOT, capture_output=True, text=True, encoding="utf-8", timeout=60, check=False
    )


def test_real_command_line(tmp_path: Path) -> None:
    """The installed console script (or ``python -m perfeval.cli``) in a real process."""
    script = Path(sys.executable).with_name("perfeval")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "perfeval.cli"]

    done = run(*command, "parse", "examples/", "--json")
    assert (done.returncode, done.stderr) == (0, "")
    data = json.loads(done.stdout)
    district = [item for item in data if item["format"] == "district"]
    assert [item["source"]["path"] for item in district] == [
        "examples/000_81c9c1dad6fba498.txt",
        "examples/000_81c9c1dad6fba498.xlsx",
    ]
    assert without_source(district[0]) == without_source(district[1])
    assert {item["format"] for item in data} == {"district", "national"}

    bad = fg.write_xls(
        fg.set_cell(fg.seed_rows(), "项目设立的规范性", "权重", "五"), tmp_path / "b.xls"
    )
    truncated = tmp_path / "c.xls"
    truncated.write_bytes(bad.read_bytes()[:3000])
    done = run(sys.executable, "-m", "perfeval.cli", "parse", str(bad), str(truncated), "--json")
    assert done.returncode == 2
    assert json.loads(done.stdout) == []  # nothing but JSON on stdout, even from xlrd
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"perfeval: 错误: {bad} 工作表“自评表” 第16行 D列")
    assert lines[1].startswith(f"perfeval: 错误: {truncated}")
