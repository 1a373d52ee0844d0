"""The workbooks as a reviewer's office prints them: rendered by LibreOffice headless.

``soffice --convert-to pdf`` (Debian's ``libreoffice-calc``) renders review.xlsx and
summary.xlsx; ``pdftotext`` and ``pdfinfo`` (``poppler-utils``) read the PDF back. The
review of the seed must print every column heading and indicator legibly, with the page
count pinned: a change of layout that spills columns onto extra pages, or rows that
overlap, shows here first.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import formgen as fg
import pytest

from perfeval.read.forms import read_form
from perfeval.review.build import load_review
from perfeval.review.portfolio import PortfolioRow, ProjectFigures
from perfeval.review.workbook import COLUMNS
from perfeval.show.summary import SHEETS, write_summary_workbook
from perfeval.show.xlsx import write_review_workbook

pytestmark = pytest.mark.slow


def render(tmp_path: Path, *workbooks: Path) -> dict[str, tuple[str, int]]:
    """Each workbook as LibreOffice prints it: its text and its number of pages."""
    soffice = shutil.which("soffice")
    assert soffice and shutil.which("pdftotext"), (
        "needs Debian's libreoffice-calc and poppler-utils (bash scripts/setup.sh --test)"
    )
    out = tmp_path / "pdf"
    profile = (tmp_path / "lo-profile").as_uri()  # its own profile: no clash with a user's
    command = [soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to",
               "pdf", "--outdir", str(out), *map(str, workbooks)]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True, timeout=240)
    rendered = {}
    for workbook in workbooks:
        pdf = out / f"{workbook.stem}.pdf"
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                              capture_output=True, text=True).stdout  # fmt: skip
        info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True)
        pages = int(re.search(r"Pages:\s+(\d+)", info.stdout)[1])  # type: ignore[index]
        rendered[workbook.name] = (text, pages)
    return rendered


def test_review_and_summary_workbooks_print_legibly(tmp_path: Path) -> None:
    [evaluation], _ = read_form(fg.SEED_TSV)
    review = load_review(evaluation, tmp_path / "params")
    path = write_review_workbook(review, tmp_path / "review.xlsx")
    row = PortfolioRow(folder="A1", project=evaluation.project.name, unit=evaluation.project.unit,
                       year=evaluation.year, source="a.txt", state="done",
                       figures=ProjectFigures.of_review(review), key=evaluation.key)  # fmt: skip
    summary = write_summary_workbook([row], tmp_path / "summary.xlsx")

    rendered = render(tmp_path, path, summary)

    text, pages = rendered["review.xlsx"]
    flat = re.sub(r"\s+", "", text)
    for heading in COLUMNS:  # every column printed, none cut off the page
        assert heading in flat, heading
    for item in review.indicators:
        assert re.sub(r"\s+", "", item.indicator.name)[:8] in flat, item.indicator.name
    assert "复核合计" in flat and "合计与各项得分不符" in flat  # 复核表 and 检查发现
    assert "242,400.00" in text  # 原表: the budget printed as the form wrote it
    assert pages == 5, f"review.xlsx printed on {pages} A4 pages"  # 复核表 1, 检查发现 3, 原表 1

    text, pages = rendered["summary.xlsx"]
    flat = re.sub(r"\s+", "", text)
    for sheet in ("复核合计", "预算数（元）", "平均偏离度", "涉及项目数"):
        assert sheet in flat, sheet
    assert pages == len(SHEETS), f"summary.xlsx printed on {pages} pages"  # a page a sheet
