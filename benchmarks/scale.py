"""What a batch costs in the parent process per project, at 500, 5,000 and 20,000 projects.

    .venv/bin/python benchmarks/scale.py [--sizes 500 5000 20000]

A province-year is 20,000 projects. The kernels' work is per project by construction; this
drives the parent's own parts directly, on generated projects (the seed form under 20,000
names and units, a tenth of them with a reviewer's adjustments in the store), without
kernels:

- planning: folder names, fingerprints, the store's files (``run.batch.plan``);
- the manifest: one entry recorded (appended) per project, then a resumed run's load;
- progress: the bar's line per project (to a buffer);
- the portfolio: a row per project, ``index.html``, ``summary.xlsx`` and the units'
  复核报告 (a Word document per unit).

For each size it prints the microseconds per project of each part and their ratio to the
first size (flat is 1.0: linear), the size of ``index.html`` and ``summary.xlsx``, and the
parent's memory per project (its resident memory after the portfolio, less before planning,
divided by the projects: the projects, manifest entries, rows and page it holds).
Ratios only, measured in this one run; nothing is asserted.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import io
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil

from perfeval.read.forms import read_form
from perfeval.review.build import load_review
from perfeval.review.portfolio import ProjectFigures, one_per_project
from perfeval.review.store import AdjustmentStore
from perfeval.run.batch import ProgressBar, plan, portfolio_row
from perfeval.run.manifest import MANIFEST_NAME, Manifest
from perfeval.show.index import index_html
from perfeval.show.summary import write_summary_workbook
from perfeval.show.unitreport import write_unit_reports

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "examples" / "000_81c9c1dad6fba498.txt"
NOTEBOOK = ROOT / "notebooks" / "review.ipynb"
UNITS = 400  # a province's budget units


def evaluations(count: int, seed: Any) -> Iterator[Any]:
    """``count`` projects, made as they are taken (as a run reads forms): the seed renamed,
    spread over ``UNITS`` units, each its own sheet."""
    for number in range(count):
        project = dataclasses.replace(
            seed.project,
            name=f"{seed.project.name}（第{number}号）",
            unit=f"某市第{number % UNITS}预算单位",
        )
        source = dataclasses.replace(seed.source, sheet=f"表{number}")
        yield dataclasses.replace(seed, project=project, source=source)


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def measure(count: int, seed: Any, figures: dict[str, Any], root: Path) -> dict[str, Any]:
    out, params = root / f"out-{count}", root / f"params-{count}"
    out.mkdir()
    store = AdjustmentStore(params)
    for number, evaluation in enumerate(evaluations(count, seed)):
        if number % 10 == 0:  # a tenth reviewed: the store holds their files
            store.adjust(evaluation, "项目完成率", "8", "证据不足", "王审")

    gc.collect()
    before = psutil.Process().memory_info().rss
    seconds: dict[str, float] = {}
    forms = evaluations(count, seed)
    seconds["planning"], projects = timed(lambda: plan(forms, out, params, NOTEBOOK))
    manifest = Manifest.load(out / MANIFEST_NAME)
    manifest.save()

    def record() -> None:
        for project in projects:
            project.state, project.summary, project.seconds = "done", figures, 0.3
            project.outputs = {"html": f"{project.folder}/review.html"}
            manifest.record(project.folder, project.entry())

    seconds["manifest"], _ = timed(record)
    seconds["resume"], _ = timed(lambda: Manifest.load(out / MANIFEST_NAME))
    bar = ProgressBar(io.StringIO())

    def progress() -> None:
        bar.start(count, count)
        for number, project in enumerate(projects, start=1):
            bar.advance(project, number)
        bar.finish()

    seconds["progress"], _ = timed(progress)
    seconds["rows"], rows = timed(
        lambda: one_per_project(portfolio_row(project) for project in projects)
    )
    seconds["index"], page = timed(lambda: index_html(rows))
    summary = out / "summary.xlsx"
    seconds["summary"], _ = timed(lambda: write_summary_workbook(rows, summary))
    seconds["reports"], _ = timed(lambda: write_unit_reports(rows, out))
    grown = psutil.Process().memory_info().rss - before  # what the run holds: projects, rows
    return {
        "per_project_us": {part: s / count * 1e6 for part, s in seconds.items()},
        "index_mb": len(page.encode("utf-8")) / 2**20,
        "summary_mb": summary.stat().st_size / 2**20,
        "memory_kb": grown / count / 1024,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 5000, 20000])
    args = parser.parse_args()
    [seed], _ = read_form(SEED)
    with tempfile.TemporaryDirectory(prefix="perfeval-scale-") as temp:
        figures = ProjectFigures.of_review(load_review(seed, Path(temp) / "params")).to_json()
        results = {count: measure(count, seed, figures, Path(temp)) for count in args.sizes}
    base = results[args.sizes[0]]
    parts = list(base["per_project_us"])
    print(f"per project, µs (ratio to {args.sizes[0]} projects in brackets)")
    print(f"{'projects':>9}" + "".join(f"{part:>18}" for part in parts))
    for count, result in results.items():
        cells = []
        for part in parts:
            value, first = result["per_project_us"][part], base["per_project_us"][part]
            cells.append(f"{value:>10.0f} ({value / first:4.2f})")
        print(f"{count:>9}" + "".join(f"{cell:>18}" for cell in cells))
    print(f"{'projects':>9}{'index.html MB':>16}{'summary.xlsx MB':>18}{'memory KB/project':>20}")
    for count, result in results.items():
        print(
            f"{count:>9}{result['index_mb']:>16.1f}{result['summary_mb']:>18.1f}"
            f"{result['memory_kb']:>20.1f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
