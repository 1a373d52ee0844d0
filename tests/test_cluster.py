"""``perfeval run --cluster``: the projects run on Dask workers, this process writes.

A ``LocalCluster`` of two worker processes (``--cluster local:2``) reviews the examples and
a broken file: its outputs equal a local run's (the executed notebooks cell by cell after
the warm-kernel test's normalisation, the HTML reviews, workbooks, index and summary byte
for byte — ``SOURCE_DATE_EPOCH`` pins the times). A run begun locally is finished on the
cluster. A worker killed by its project is replaced and the project tried once more, then
failed by name while the others finish.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import formgen as fg
import nbformat
import pytest
from test_batch import rows_named, standin_notebook
from test_warm_kernels import same_outputs

from perfeval.run.batch import RunOptions, run_batch
from perfeval.run.manifest import MANIFEST_NAME, Manifest

pytest.importorskip("distributed")

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def perfeval_run(
    forms: Path, out: Path, params: Path, *extra: str
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1733300000"}
    command = [sys.executable, "-m", "perfeval", "run", str(forms), "--out", str(out),
               "--params", str(params), *extra]  # fmt: skip
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)


def test_a_cluster_writes_what_a_local_run_writes(tmp_path: Path) -> None:
    # The store beside, not above, the output folders (see test_warm_kernels).
    forms, params = tmp_path / "forms", tmp_path / "store" / "params"
    shutil.copytree(ROOT / "examples", forms)
    (forms / "broken.xlsx").write_bytes(b"PK\x03\x04 not a workbook")
    adjusted = [sys.executable, "-m", "perfeval", "adjust", str(fg.SEED_TSV), "--indicator",
                "项目完成率", "--score", "3", "--reason", "证据不足", "--reviewer", "王审",
                "--params", str(params)]  # fmt: skip
    assert subprocess.run(adjusted, capture_output=True, timeout=120).returncode == 0

    local = perfeval_run(forms, tmp_path / "local", params, "--jobs", "2")
    cluster = perfeval_run(forms, tmp_path / "cluster", params, "--cluster", "local:2")

    assert local.returncode == cluster.returncode == 2, local.stderr + cluster.stderr
    assert "完成 5 个，未变跳过 0 个，失败 0 个；无法读取的文件 1 个" in cluster.stdout
    assert "broken.xlsx" in cluster.stdout
    folders = same_outputs(tmp_path / "local", tmp_path / "cluster")
    assert len(folders) == 5
    # The executed notebook names this machine's form and store, not a worker's copies.
    executed = nbformat.read(tmp_path / "cluster" / folders[0] / "review.ipynb", as_version=4)
    parameters = executed.metadata.papermill.parameters
    assert parameters["params_dir"] == str(params.resolve())
    assert Path(parameters["form_path"]).is_relative_to(forms.resolve())
    assert "perfeval-parcel" not in (tmp_path / "cluster" / folders[0] / "review.html").read_text()


def test_a_run_begun_here_is_finished_on_the_cluster(tmp_path: Path) -> None:
    forms, out, params = tmp_path / "forms", tmp_path / "out", tmp_path / "params"
    forms.mkdir()
    for name in ("甲项目", "乙项目"):
        fg.write_tsv(rows_named(name), forms / f"{name}.txt")
    assert perfeval_run(forms, out, params, "--jobs", "1").returncode == 0
    fg.write_tsv(rows_named("丙项目"), forms / "丙项目.txt")

    finished = perfeval_run(forms, out, params, "--cluster", "local:2")

    assert finished.returncode == 0, finished.stderr
    assert "完成 1 个，未变跳过 2 个，失败 0 个" in finished.stdout
    entries = Manifest.load(out / MANIFEST_NAME).projects
    assert len(entries) == 3 and all(e["result"] == "ok" for e in entries.values())
    again = perfeval_run(forms, out, params, "--jobs", "1")  # and back: nothing to redo
    assert "完成 0 个，未变跳过 3 个" in again.stdout


KILL_WORKER = (
    "import os, signal\n"
    "if '坏' in review.evaluation.project.name:\n"
    "    os.kill(os.getppid(), signal.SIGKILL)  # the kernel's parent: the Dask worker"
)


def test_a_killed_worker_fails_its_project_by_name_after_one_more_try(tmp_path: Path) -> None:
    forms, out = tmp_path / "forms", tmp_path / "out"
    forms.mkdir()
    for name in ("甲项目", "坏项目", "乙项目"):
        fg.write_tsv(rows_named(name), forms / f"{name}.txt")
    notebook = standin_notebook(tmp_path / "killer.ipynb", KILL_WORKER)
    options = RunOptions(out_dir=out, params_dir=tmp_path / "params", notebook=notebook,
                         cluster="local:2")  # fmt: skip

    report = run_batch([forms], options)

    states = {project.project: (project.state, project.error) for project in report.projects}
    assert states["甲项目"][0] == states["乙项目"][0] == "done"
    state, error = states["坏项目"]
    assert state == "failed" and "工作节点两次意外退出" in str(error)
    assert not (out / report.failed[0].folder / "review.html").exists()
    assert [p for p in out.rglob("*") if p.name.startswith(".partial-")] == []
