"""Hostile input, round two: what attacking the landed tool found, each a test that failed.

A number too large for any form, a TRUE where money belongs, a formula with no computed
value, an export longer than the readers' bound, a file name that is not UTF-8, a check
that breaks on a form it did not expect: one bad form never stops a batch, nothing
crashes, and nothing is read silently.
"""

from __future__ import annotations

import os
import re
import shutil
import zipfile
from pathlib import Path

import formgen as fg
import openpyxl
import pytest

from outputs import project_folders
from perfeval.check import catalogue as catalogue_module
from perfeval.check.catalogue import run_checks
from perfeval.cli import main
from perfeval.exceptions import FormError
from perfeval.read.forms import read_form

BUDGET_ROW = 6  # 当年预算数(元) in the seed, value in column B


def seed_with_budget(path: Path, text: str) -> Path:
    rows = fg.seed_rows()
    rows[BUDGET_ROW - 1][1] = text
    return fg.write_tsv(rows, path)


def workbook_with(path: Path, cell: str, xml_value: bytes) -> Path:
    """The seed workbook with one cell's stored value replaced as raw XML (<v>…</v>)."""
    rows = fg.seed_rows()
    rows[BUDGET_ROW - 1][1] = "987654321"
    fg.write_xlsx(rows, path)
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    sheet = next(name for name in parts if name.startswith("xl/worksheets/sheet"))
    parts[sheet] = parts[sheet].replace(b"<v>987654321</v>", xml_value, 1)
    assert xml_value in parts[sheet]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


@pytest.mark.parametrize(
    "make",
    [
        lambda tmp: seed_with_budget(tmp / "f.txt", "1" + "0" * 27),
        lambda tmp: workbook_with(tmp / "f.xlsx", "B6", b"<v>1E30</v>"),
        lambda tmp: workbook_with(tmp / "f.xlsx", "B6", b"<v>1e400</v>"),
        lambda tmp: workbook_with(tmp / "f.xlsx", "B6", b"<v>-1E309</v>"),
    ],
    ids=["27-digits", "1E30", "1e400", "-1E309"],
)
def test_a_number_no_form_holds_is_one_line_naming_its_cell(
    make: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = make(tmp_path)  # type: ignore[operator]
    with pytest.raises(FormError) as raised:
        read_form(path)
    assert raised.value.row == BUDGET_ROW and "过大或不是有限的数" in str(raised.value)
    for command in ("parse", "check", "review"):
        assert main([command, str(path)]) == 2
        err = capsys.readouterr().err
        assert "Traceback" not in err and f"第{BUDGET_ROW}行" in err, command


def test_true_is_never_money(tmp_path: Path) -> None:
    path = workbook_with(tmp_path / "f.xlsx", "B6", b"<v>1</v>")
    book = openpyxl.load_workbook(path)
    sheet = book.worksheets[0]
    sheet.cell(BUDGET_ROW, 2).value = True
    book.save(path)
    with pytest.raises(FormError, match=r"第6行.*不是数字：“TRUE”"):
        read_form(path)


def test_a_formula_without_a_computed_value_is_reported(tmp_path: Path) -> None:
    rows = fg.seed_rows()
    fg.write_xlsx(rows, tmp_path / "f.xlsx")
    book = openpyxl.load_workbook(tmp_path / "f.xlsx")
    sheet = book.worksheets[0]
    sheet.cell(BUDGET_ROW, 2).value = "=242000+400"  # openpyxl writes no cached value
    book.save(tmp_path / "f.xlsx")
    [evaluation], _ = read_form(tmp_path / "f.xlsx")
    assert evaluation.project.budget is None
    [finding] = [f for f in run_checks(evaluation) if f.check == "read.notice"]
    assert "B6" in finding.message and "公式" in finding.message


def test_an_export_past_the_row_bound_says_what_was_not_read(tmp_path: Path) -> None:
    rows = fg.seed_rows()
    total = next(i for i, row in enumerate(rows) if len(row) > 1 and row[1] == "合计")
    padding = [[""] * 7 for _ in range(6000)]  # blank rows, as an export pads a sheet
    rows = rows[:total] + padding + rows[total:]  # the 合计 row beyond row 5,000
    [evaluation], _ = read_form(fg.write_tsv(rows, tmp_path / "long.txt"))
    assert evaluation.declared_total.self_score is None
    [finding] = [f for f in run_checks(evaluation) if f.check == "read.notice"]
    assert "只读取了前 5000 行" in finding.message


def test_a_check_that_breaks_is_reported_and_the_others_still_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    [evaluation], _ = read_form(fg.SEED_TSV)
    registry = catalogue_module.catalogue()
    check = registry.get("rule.bands")

    def broken(*_: object) -> list[object]:
        raise ZeroDivisionError("boom")

    monkeypatch.setitem(
        registry._checks, "rule.bands", type(check)(**{**check.__dict__, "function": broken})
    )
    found = run_checks(evaluation)
    [failed] = [f for f in found if f.check == "rule.bands"]
    assert (
        failed.severity == "error"
        and "未能完成" in failed.message
        and "ZeroDivisionError" in failed.message
    )
    assert any(f.check == "total.mismatch" for f in found)


@pytest.mark.slow
def test_a_batch_goes_on_past_a_bad_form_and_a_name_that_is_not_utf8(tmp_path: Path) -> None:
    forms = tmp_path / "forms"
    forms.mkdir()
    shutil.copy(fg.SEED_TSV, os.fsdecode(bytes(forms) + b"/" + "自评表".encode("gbk") + b".txt"))
    seed_with_budget(forms / "huge.txt", "1" + "0" * 27)
    out = tmp_path / "out"
    code = main(["run", str(forms), "--out", str(out), "--jobs", "1"])
    assert code == 2  # a file could not be read; the other project ran
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "自评表.txt" in index and "huge.txt" in index
    assert (out / "summary.xlsx").is_file()
    [folder] = project_folders(out)
    assert (folder / "review.html").is_file() and (folder / "review.xlsx").is_file()
    for path in out.rglob("*"):
        os.fsencode(str(path)).decode("utf-8")  # every output name is valid UTF-8
    review = (folder / "review.html").read_text(encoding="utf-8")
    assert re.search(r"自评表\.txt", review)


def test_import_review_reads_a_padded_workbook_within_bounds(tmp_path: Path) -> None:
    """A review.xlsx whose sheet was padded with millions of tiny cells (a few hundred KB on
    disk) took 32 s and 1.4 GB to import; it is read only as far as a review sheet reaches."""
    import tracemalloc

    from perfeval.review.build import load_review
    from perfeval.review.importing import import_review
    from perfeval.show.xlsx import write_review_workbook

    [evaluation], _ = read_form(fg.SEED_TSV)
    params = tmp_path / "params"
    path = write_review_workbook(load_review(evaluation, params), tmp_path / "review.xlsx")
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    padding = (b"<row>" + b"<c/>" * 8 + b"</row>") * 500_000  # 4 million tiny cells
    parts[sheet] = parts[sheet].replace(b"</sheetData>", padding + b"</sheetData>", 1)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    assert path.stat().st_size < 1_000_000
    tracemalloc.start()
    try:
        result = import_review(path, "王复核", params_dir=params)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.taken == [] and result.refused == []
    assert peak < 300 * 2**20, f"{peak / 2**20:.0f} MB"


def test_a_strict_open_xml_workbook_is_named_as_such(tmp_path: Path) -> None:
    """It read as '0 个工作表中都没有找到指标表'; the reviewer needs to hear the format."""
    source = fg.write_xlsx(fg.seed_rows(), tmp_path / "source.xlsx")
    strict = tmp_path / "strict.xlsx"
    namespaces = {
        b"http://schemas.openxmlformats.org/spreadsheetml/2006/main": (
            b"http://purl.oclc.org/ooxml/spreadsheetml/main"
        ),
        b"http://schemas.openxmlformats.org/officeDocument/2006/relationships": (
            b"http://purl.oclc.org/ooxml/officeDocument/relationships"
        ),
    }
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(strict, "w") as new:
        for name in old.namelist():
            data = old.read(name)
            for transitional, iso in namespaces.items():
                data = data.replace(transitional, iso)
            new.writestr(name, data)
    with pytest.raises(FormError, match="Strict Open XML"):
        read_form(strict)


def test_a_megabyte_cell_in_a_text_export_is_read(tmp_path: Path) -> None:
    """csv's 128 KB field limit refused it with an English message about csv."""
    rows = fg.seed_rows()
    performance = next(i for i, row in enumerate(rows) if row and row[0] == "主要绩效")
    rows[performance][1] = "甲" * 1_000_000
    [evaluation], _ = read_form(fg.write_tsv(rows, tmp_path / "long.txt"))
    assert evaluation.project.performance == "甲" * 1_000_000
