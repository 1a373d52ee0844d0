"""Warm kernels: a worker keeps its kernel from project to project, and nothing of one
project reaches the next.

The equality test runs the bundled examples and a project that fails in the kernel twice,
with kept kernels (replaced every two projects, so the hand-over is exercised) and with
``--fresh-kernels``, through the command as a user runs it, with ``SOURCE_DATE_EPOCH``
pinning the workbooks' times: the executed notebooks must match cell by cell and the HTML
reviews and workbooks byte for byte. The isolation tests run a stand-in notebook that
tries to leave things behind.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import formgen as fg
import nbformat
import pytest
from test_batch import FAIL_IF_BAD, REAL_NOTEBOOK, rows_named, standin_notebook

from outputs import project_folders
from perfeval.run.batch import RunOptions, run_batch
from perfeval.show.unitreport import REPORTS_DIR

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def run_cli(forms: Path, out: Path, params: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1733300000"}
    command = [sys.executable, "-m", "perfeval", "run", str(forms), "--out", str(out),
               "--params", str(params), "--jobs", "2", *extra]  # fmt: skip
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)


def normalised(path: Path, out: Path) -> list[dict[str, Any]]:
    """An executed notebook's cells without what differs by the run: times, widget ids and
    the output folder (the workbook's path is a parameter)."""
    nb = nbformat.read(path, as_version=4)
    widget_ids: dict[str, str] = {}
    cells = []
    for cell in nb.cells:
        text = json.dumps(
            {
                "id": cell.get("id"),
                "source": cell.source,
                "count": cell.get("execution_count"),
                "outputs": cell.get("outputs", []),
                "tags": cell.metadata.get("tags", []),
                "status": cell.metadata.get("papermill", {}).get("status"),
            },
            ensure_ascii=False,
            sort_keys=True,
        ).replace(json.dumps(str(out))[1:-1], "OUT")
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get("application/vnd.jupyter.widget-view+json")
            if view:
                widget_ids.setdefault(view["model_id"], f"widget-{len(widget_ids)}")
        for real, stable in widget_ids.items():
            text = text.replace(real, stable)
        cells.append(json.loads(text))
    return cells


def same_outputs(one: Path, other: Path) -> list[str]:
    """Assert two runs' outputs are the same: the project folders, each executed notebook
    cell by cell (``normalised``), the HTML reviews, workbooks, index and summary byte for
    byte. Returns the project folders."""
    folders = [p.name for p in project_folders(one)]
    assert [p.name for p in project_folders(other)] == folders
    for folder in folders:
        here, there = one / folder, other / folder
        assert normalised(here / "review.ipynb", one) == normalised(there / "review.ipynb", other)
        for name in ("review.html", "review.xlsx"):
            assert (here / name).exists() == (there / name).exists(), (folder, name)
            if (here / name).exists():
                assert (here / name).read_bytes() == (there / name).read_bytes(), (folder, name)
    for name in ("summary.xlsx", "index.html"):
        assert (one / name).read_bytes() == (other / name).read_bytes(), name
    reports = sorted((one / REPORTS_DIR).iterdir())
    assert reports and [p.name for p in sorted((other / REPORTS_DIR).iterdir())] == [
        p.name for p in reports
    ]
    for report in reports:
        assert report.read_bytes() == (other / REPORTS_DIR / report.name).read_bytes(), report
    return folders


def test_kept_and_fresh_kernels_write_the_same_reviews(tmp_path: Path) -> None:
    # The store beside, not above, the two output folders: neither run is inside a project, so
    # neither page links to JupyterLab (whose path would name its own folder).
    forms, params = tmp_path / "forms", tmp_path / "store" / "params"
    shutil.copytree(ROOT / "examples", forms)
    fg.write_tsv(rows_named("坏项目"), forms / "bad.txt")
    # The real notebook, with one cell more that fails for the bad project.
    notebook = nbformat.read(REAL_NOTEBOOK, as_version=4)
    at = next(i for i, c in enumerate(notebook.cells) if "open_review(" in c.source) + 1
    notebook.cells.insert(at, nbformat.v4.new_code_cell(FAIL_IF_BAD))
    nbformat.write(notebook, tmp_path / "review.ipynb")
    adjusted = [sys.executable, "-m", "perfeval", "adjust", str(fg.SEED_TSV), "--indicator",
                "项目完成率", "--score", "3", "--reason", "证据不足", "--reviewer", "王审",
                "--params", str(params)]  # fmt: skip
    assert subprocess.run(adjusted, capture_output=True, timeout=120).returncode == 0

    notebook_option = ("--notebook", str(tmp_path / "review.ipynb"))
    warm = run_cli(forms, tmp_path / "warm", params, *notebook_option, "--recycle-after", "2")
    fresh = run_cli(forms, tmp_path / "fresh", params, *notebook_option, "--fresh-kernels")

    assert warm.returncode == fresh.returncode == 1, warm.stderr + fresh.stderr
    assert "完成 5 个，未变跳过 0 个，失败 1 个" in warm.stdout
    assert "复核脚本出错：坏项目" in warm.stdout
    assert len(same_outputs(tmp_path / "warm", tmp_path / "fresh")) == 6


PROBE = (
    "import os, textwrap\n"
    "print('pid', os.getpid())\n"
    "print('cwd', os.getcwd())\n"
    "print('leaked' if 'marker' in globals() else 'clean', textwrap.shorten('未动', 9))\n"
    "marker = review.evaluation.project.name\n"
    "os.chdir('/')"
)
PATCH = "textwrap.shorten = lambda *args, **kwargs: 'patched'"


def probes(out: Path) -> list[dict[str, Any]]:
    """What each project's probe cell saw, in the order the projects ran."""
    seen = []
    for path in out.glob("*/review.ipynb"):
        nb = nbformat.read(path, as_version=4)
        lines = "".join(
            o.get("text", "")
            for c in nb.cells
            for o in c.get("outputs", [])
            if o.output_type == "stream"
        ).splitlines()
        said = dict(line.split(" ", 1) for line in lines)
        seen.append(
            {
                "pid": said["pid"],
                "cwd": said["cwd"],
                "state": said.get("clean") or said.get("leaked"),
                "leaked": "leaked" in said,
                "counts": [c.execution_count for c in nb.cells if c.cell_type == "code"],
                "started": nb.metadata.papermill.start_time,
            }
        )
    return sorted(seen, key=lambda probe: probe["started"])


def run_three(tmp_path: Path, *cells: str, warm: bool = True) -> list[dict[str, Any]]:
    forms, out = tmp_path / "forms", tmp_path / "out"
    forms.mkdir()
    for name in ("甲项目", "乙项目", "丙项目"):
        fg.write_tsv(rows_named(name), forms / f"{name}.txt")
    notebook = standin_notebook(tmp_path / "probe.ipynb", *cells)
    options = RunOptions(out_dir=out, params_dir=tmp_path / "params", jobs=1, notebook=notebook,
                         warm_kernels=warm)  # fmt: skip
    report = run_batch([forms], options)
    assert not report.failed, [p.error for p in report.failed]
    return probes(out)


def test_a_kept_kernel_starts_each_project_clean(tmp_path: Path) -> None:
    seen = run_three(tmp_path, PROBE)
    assert len({probe["pid"] for probe in seen}) == 1  # one kernel ran all three
    assert [probe["leaked"] for probe in seen] == [False, False, False]
    assert [probe["state"] for probe in seen] == ["未动"] * 3
    assert {probe["cwd"] for probe in seen} == {str(tmp_path)}  # despite os.chdir('/')
    assert [probe["counts"] for probe in seen] == [[1, 2, 3, 4, 5]] * 3


def test_a_monkeypatched_module_does_not_reach_the_next_project(tmp_path: Path) -> None:
    seen = run_three(tmp_path, PROBE, PATCH)
    assert [probe["state"] for probe in seen] == ["未动"] * 3  # never 'patched'
    assert len({probe["pid"] for probe in seen}) == 3  # each patched kernel was replaced


def test_fresh_kernels_are_one_per_project(tmp_path: Path) -> None:
    seen = run_three(tmp_path, PROBE, warm=False)
    assert len({probe["pid"] for probe in seen}) == 3


def test_kernelstate_names_what_a_project_changed() -> None:
    """The in-kernel check, run here in a child Python: each change is named."""
    code = (
        "import json, os, sys, warnings\n"
        "import perfeval.scoring\n"
        "from perfeval.run import kernelstate as k\n"
        "k.start(os.getcwd())\n"
        "assert k.leftovers() == [], k.leftovers()\n"
        "perfeval.scoring.differs = None\n"
        "assert k.leftovers() == ['perfeval.scoring.differs 被改动']\n"
        "import pandas\n"
        "k.leftovers()\n"  # newly imported modules are remembered as they are
        "pandas.DataFrame.to_html = None\n"
        "pandas.set_option('display.max_rows', 3)\n"
        "sys.path.append('/nowhere'); os.environ['PERFEVAL_PROBE'] = '1'\n"
        "warnings.simplefilter('ignore')\n"
        "print(json.dumps(k.leftovers(limit=10), ensure_ascii=False))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.splitlines()[-1])
    assert "perfeval.scoring.differs 被改动" in found
    assert any(item.endswith("DataFrame.to_html 被改动") for item in found)
    for what in ("sys.path", "os.environ", "warnings.filters", "pandas options"):
        assert f"{what} 被改动" in found


@pytest.mark.parametrize("warm", [True, False])
def test_a_kernel_that_died_before_its_project_is_replaced(tmp_path: Path, warm: bool) -> None:
    """A kernel started ahead can die before its project (two kernels starting at once may
    be handed the same ports): the project gets a live one, not a 60 s wait and a failure."""
    from jupyter_core.utils import run_sync

    from perfeval.run.execute import Job, NotebookRunner, WorkerConfig

    notebook = tmp_path / "one.ipynb"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print('ran')")])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, notebook)
    config = WorkerConfig(kernel_name="python3", cwd=str(tmp_path), warm_kernel=warm)
    form = {"form_path": str(fg.SEED_TSV), "sheet": None, "params_dir": str(tmp_path / "p")}
    runner = NotebookRunner(config)
    try:
        first = runner.run(Job("first", str(tmp_path / "out"), str(notebook), form, "first"))
        assert first.ok, first.error
        # The kernel the next project would get — kept (warm) or started ahead — dies.
        doomed = runner._kernel if warm else runner._spare
        assert doomed is not None
        run_sync(doomed.shutdown_kernel)(now=True)
        started = time.monotonic()
        second = runner.run(Job("second", str(tmp_path / "out"), str(notebook), form, "second"))
        assert second.ok, second.error
        assert time.monotonic() - started < 30
    finally:
        runner.close()
