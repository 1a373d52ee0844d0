"""``perfeval check``: the JSON shape, the text report and the exit codes."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import formgen as fg
import pytest
from seedforms import fixed_seed_rows, seed

from perfeval.check.catalogue import run_checks
from perfeval.cli import main
from perfeval.findings import SEVERITIES, SEVERITY_LABELS
from perfeval.review.build import load_settings

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"

FINDING_KEYS = {"check", "severity", "indicator", "category", "message", "evidence", "suggestion"}


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["check", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def check_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any, str]:
    code, out, err = run(capsys, *args, "--json")
    return code, json.loads(out), err


@pytest.fixture
def params(tmp_path: Path) -> Path:
    """An empty parameter folder: default settings, no adjustments."""
    folder = tmp_path / "params"
    folder.mkdir()
    return folder


@pytest.fixture
def clean_form(tmp_path: Path) -> Path:
    """The seed with every defect repaired, as a text export."""
    return fg.write_tsv(fixed_seed_rows(), tmp_path / "clean.txt")


def test_json_on_the_examples(capsys: pytest.CaptureFixture[str], params: Path) -> None:
    code, data, err = check_json(capsys, str(EXAMPLES), "--params", str(params))
    assert code == 1
    assert err == ""
    for item in data:
        assert set(item) == {"source", "project", "findings", "totals", "grades"}
        assert set(item["source"]) == {"path", "sheet"}
        assert set(item["totals"]) == set(item["grades"]) == {"declared", "computed"}
        assert all(set(finding) == FINDING_KEYS for finding in item["findings"])
    seeds = {Path(item["source"]["path"]).name: item for item in data}
    text, workbook = seeds["000_81c9c1dad6fba498.txt"], seeds["000_81c9c1dad6fba498.xlsx"]
    expected = [finding.to_json() for finding in run_checks(seed())]
    assert text["findings"] == expected
    # Rows are the source's own: the text export has two blank lines on top.
    assert [_without_row(f) for f in workbook["findings"]] == [_without_row(f) for f in expected]
    for item in (text, workbook):
        assert item["project"] == "(党建办) 组团式服务联系群众专项"
        assert item["totals"] == {"declared": 96, "computed": 89}
        assert item["grades"] == {"declared": "优秀", "computed": "良好"}  # 优 normalised


def test_json_and_exit_0_on_a_clean_form(
    capsys: pytest.CaptureFixture[str], params: Path, clean_form: Path
) -> None:
    code, data, _ = check_json(capsys, str(clean_form), "--params", str(params))
    assert code == 0
    assert data == [
        {
            "source": {"path": str(clean_form), "sheet": None},
            "project": "(党建办) 组团式服务联系群众专项",
            "findings": [],
            "totals": {"declared": 94, "computed": 94},
            "grades": {"declared": "优秀", "computed": "优秀"},
        }
    ]


def test_warnings_alone_exit_0(
    capsys: pytest.CaptureFixture[str], params: Path, tmp_path: Path
) -> None:
    rows = fg.set_cell(fixed_seed_rows(), "受益人群满意度", "评分规则", "")
    path = fg.write_tsv(rows, tmp_path / "no-rule.txt")
    code, data, _ = check_json(capsys, str(path), "--params", str(params))
    assert [(f["check"], f["severity"]) for f in data[0]["findings"]] == [
        ("rule.missing", "warning")
    ]
    assert code == 0


@pytest.mark.parametrize("broken", ["missing.txt", "broken.xlsx", "empty.txt"])
def test_exit_2_when_a_file_is_unreadable(
    capsys: pytest.CaptureFixture[str], params: Path, tmp_path: Path, broken: str
) -> None:
    path = tmp_path / broken
    if broken == "broken.xlsx":
        path.write_bytes(b"PK\x03\x04 not really a workbook")
    elif broken == "empty.txt":
        path.write_text("", encoding="utf-8")
    code, data, err = check_json(capsys, str(path), str(EXAMPLES), "--params", str(params))
    assert code == 2
    assert {"000_81c9c1dad6fba498.txt", "000_81c9c1dad6fba498.xlsx"} <= {
        Path(item["source"]["path"]).name for item in data
    }  # the readable forms are still checked
    assert str(path) in err
    assert "Traceback" not in err


def test_settings_file_reweights_and_changes_the_exit_code(
    capsys: pytest.CaptureFixture[str], params: Path, tmp_path: Path
) -> None:
    errors = sorted({f.check for f in run_checks(seed()) if f.severity == "error"})
    settings = tmp_path / "lenient.json"
    settings.write_text(json.dumps({"severity": dict.fromkeys(errors, "warning")}), "utf-8")
    code, data, _ = check_json(
        capsys, str(EXAMPLES / "000_81c9c1dad6fba498.txt"), "--settings", str(settings)
    )
    assert code == 0
    assert {f["severity"] for f in data[0]["findings"]} == {"warning"}


def test_settings_in_the_params_folder_apply(
    capsys: pytest.CaptureFixture[str], params: Path
) -> None:
    (params / "checks.json").write_text('{"disabled": ["rule.boilerplate"]}', "utf-8")
    _, data, _ = check_json(
        capsys, str(EXAMPLES / "000_81c9c1dad6fba498.txt"), "--params", str(params)
    )
    checks = {f["check"] for f in data[0]["findings"]}
    assert "rule.boilerplate" not in checks
    assert "total.mismatch" in checks


def test_bad_settings_file_is_one_line_naming_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    settings = tmp_path / "bad.json"
    settings.write_text('{"disabled": ["no.such.check"]}', "utf-8")
    code, out, err = run(
        capsys, str(EXAMPLES / "000_81c9c1dad6fba498.txt"), "--settings", str(settings)
    )
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert str(settings) in err and "no.such.check" in err


def test_text_report_groups_by_severity_and_names_every_place(
    capsys: pytest.CaptureFixture[str], params: Path
) -> None:
    # text.repeated as 提示, so that all three groups show.
    (params / "checks.json").write_text('{"severity": {"text.repeated": "info"}}', "utf-8")
    code, out, _ = run(capsys, str(EXAMPLES / "000_81c9c1dad6fba498.txt"), "--params", str(params))
    assert code == 1
    findings = run_checks(seed(), load_settings(params))
    headings = [
        (line.strip(), index)
        for index, line in enumerate(out.splitlines())
        if re.fullmatch(r"\s*(错误|警告|提示)（\d+）", line)
    ]
    counts = {s: sum(f.severity == s for f in findings) for s in SEVERITIES}
    assert [h for h, _ in headings] == [f"{SEVERITY_LABELS[s]}（{counts[s]}）" for s in SEVERITIES]
    assert "检查发现：错误 11 项，警告 8 项，提示 2 项" in out
    lines = out.splitlines()
    for finding in findings:
        if finding.indicator:
            where = f"【{finding.indicator}】"
        elif finding.category:
            where = f"【一级指标：{finding.category}】"
        else:
            where = "【全表】"
        line = f"· {where} {finding.message}（{finding.check}）"
        [index] = [i for i, text in enumerate(lines) if text.strip() == line]
        group = [h for h, start in headings if start < index][-1]
        assert group.startswith(finding.severity_label)
        if finding.suggestion:
            assert lines[index + 1].strip() == f"建议：{finding.suggestion}"


def test_text_report_on_a_clean_form(
    capsys: pytest.CaptureFixture[str], params: Path, clean_form: Path
) -> None:
    code, out, _ = run(capsys, str(clean_form), "--params", str(params))
    assert code == 0
    assert "未发现问题。" in out
    assert "合计：填报 94 分（自评等级 优），各项相加 94 分（优秀）" in out
    assert not re.search(r"(错误|警告|提示)（\d+）", out)


def _without_row(finding: dict[str, Any]) -> dict[str, Any]:
    evidence = {k: v for k, v in finding["evidence"].items() if k != "row"}
    return finding | {"evidence": evidence}


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.startswith("perfeval 0.")


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["adjust", "x.txt"], "缺少必需的参数：--indicator"),
        (["run", "x", "--jobs", "0"], "参数 --jobs：应为 1 或更大的整数"),
        (["bogus"], "参数 子命令 不能取 'bogus'"),
        (["check", "x.txt", "--nope"], "不认识的参数：--nope"),
    ],
)
def test_a_wrong_command_line_is_told_in_chinese(
    argv: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as done:
        main(argv)
    err = capsys.readouterr().err
    assert done.value.code == 2 and says in err and err.startswith("用法：")


@pytest.mark.parametrize("command", [[], ["parse"], ["check"], ["review"], ["adjust"],
                                     ["import-review"], ["run"]])  # fmt: skip
def test_every_help_is_in_chinese_with_an_example(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as done:
        main([*command, "--help"])
    out = capsys.readouterr().out
    assert done.value.code == 0 and out.startswith("用法：")
    assert "选项：" in out and "显示本帮助并退出" in out
    assert f"例如：\n  perfeval {command[0] if command else ''}".rstrip() in out
    english = ("usage", "show this help", "positional arguments", "options:", "default:")
    assert not any(word in out for word in english), out
    # every option says what it is for, in Chinese
    for line in out.splitlines():
        if line.strip().startswith("--") and "  " in line.strip():
            assert re.search(r"[\u4e00-\u9fff]", line), line
