"""``perfeval run --pdf``: each review printed to an A4 ``review.pdf`` by Debian's Chromium.

The seed's PDF is read back with ``pdftotext``/``pdfinfo``: the conclusion, the totals and
the unit's own account are in it, each page has its footer (the project, 第 N / M 页), and
its page count is pinned. A second run prints nothing again. ``perfeval pdf`` prints one
project's review (or a run's) afterwards.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import formgen as fg
import pytest

from perfeval import cli
from perfeval.run.batch import RunOptions, run_batch
from perfeval.run.manifest import MANIFEST_NAME, Manifest
from perfeval.run.pdf import review_pages

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def test_each_review_is_printed_to_a4(tmp_path: Path) -> None:
    out = tmp_path / "out"
    options = RunOptions(out_dir=out, params_dir=tmp_path / "params", jobs=1, pdf=True)
    report = run_batch([fg.SEED_TSV], options)
    assert not report.failed and report.unwritten == []
    [project] = report.projects
    pdf = out / project.folder / "review.pdf"
    assert project.outputs["pdf"] == f"{project.folder}/review.pdf"
    assert Manifest.load(out / MANIFEST_NAME).projects[project.folder]["outputs"]["pdf"]

    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout  # fmt: skip
    flat = re.sub(r"\s+", "", text)
    assert "复核结论：(党建办)组团式服务联系群众专项" in flat
    assert "自评（填报）96分（优秀）" in flat and "各项相加89分（良好）" in flat
    assert "主要问题" in flat and "改进措施" in flat  # the unit's own account
    # On paper a quoted passage says which finding quotes it (on screen: its hover title).
    assert "居民区党组织沟通［“主要绩效”中“居民区党组织沟通”连续重复出现" in flat
    assert "复核人（签字）" in flat
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True)
    pages = int(re.search(r"Pages:\s+(\d+)", info.stdout)[1])  # type: ignore[index]
    assert re.search(r"Page size:.*\(A4\)", info.stdout), info.stdout
    assert f"第1/{pages}页" in flat and f"第{pages}/{pages}页" in flat
    assert pages == 7, f"the seed's review printed on {pages} pages"
    # The score table runs over two pages, its heading repeated at the top of the second.
    headed = []
    for number in range(1, pages + 1):
        page = subprocess.run(["pdftotext", "-layout", "-f", str(number), "-l", str(number),
                               str(pdf), "-"], check=True, capture_output=True, text=True).stdout  # fmt: skip
        if re.search(r"一级指标\s+指标名称\s+权重\s+自评", page):
            headed.append((number, page.lstrip().startswith("一级指标")))
    assert len(headed) >= 2 and all(top for _, top in headed[1:]), headed
    # No near-empty first page: the conclusion, the project and the unit's account begin there.
    first = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"], check=True,
                           capture_output=True, text=True).stdout  # fmt: skip
    first = re.sub(r"\s+", "", first)
    assert "复核结论：(党建办)组团式服务联系群众专项" in first and "错误11项，警告10项" in first
    assert "项目概况" in first and "242,400.00" in first and "单位自述" in first
    fonts = subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True, text=True)
    assert "yes" in fonts.stdout  # the CJK font embedded

    printed = pdf.stat().st_mtime_ns
    again = run_batch([fg.SEED_TSV], options)
    assert again.count("skipped") == 1 and pdf.stat().st_mtime_ns == printed


def test_one_projects_review_is_printed_by_the_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    report = run_batch([fg.SEED_TSV], RunOptions(out_dir=out, params_dir=tmp_path / "params"))
    [project] = report.projects
    folder = out / project.folder
    assert not (folder / "review.pdf").exists()  # the run was not asked for PDFs

    assert cli.main(["pdf", str(folder)]) == 0
    assert capsys.readouterr().out.strip() == f"已打印：{folder / 'review.pdf'}"
    text = subprocess.run(["pdftotext", str(folder / "review.pdf"), "-"], check=True,
                          capture_output=True, text=True).stdout  # fmt: skip
    flat = re.sub(r"\s+", "", text)
    # The footer names the project from the page's own title.
    assert "(党建办)组团式服务联系群众专项第1/7页" in flat and "复核结论" in flat
    # The page itself, or the whole output folder, name the same review.
    assert review_pages(folder / "review.html") == review_pages(out) == [folder / "review.html"]
    # What names no review is refused in one line, exit 2.
    for wrong, said in ((tmp_path / "nowhere", "不存在"), (fg.SEED_TSV, "不是复核页"),
                        (out / "index.html", "不是复核页"),
                        (fg.SEED_TSV.parent, "没有复核页")):  # fmt: skip
        assert cli.main(["pdf", str(wrong)]) == 2
        error = capsys.readouterr().err
        assert said in error and "Traceback" not in error and error.count("\n") == 1
