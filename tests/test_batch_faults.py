"""``perfeval run`` under faults and load: a kernel that dies, a run killed outright, and
the parent's memory as the projects go by.

* a kernel killed in the middle of one project fails that project, with a message a
  reviewer can act on; the others finish, the exit status is 1, a rerun retries it;
* a run whose whole process group gets SIGKILL, then restarted, ends with the
  outputs an uninterrupted run gives (compared without times, durations and paths);
  its kernels do not outlive it;
* twelve projects on two workers: the parent's resident memory between the 4th and the
  12th stays within a generous bound (``tests/soak/soak_batch.py`` runs 500);
* a worker's file descriptors and threads do not grow with the projects it runs (each
  kernel's client used to stay connected: a dozen descriptors and three threads a
  project, until a long batch hit the descriptor limit).

All run the stand-in notebook of ``test_batch.py`` with two workers.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import formgen as fg
import nbformat
import pytest
from browser_support import descendant_pids, pid_alive
from test_batch import rows_named, standin_notebook

from perfeval import cli
from perfeval.run.batch import Progress, ProjectRun, RunOptions, run_batch
from perfeval.run.execute import Job, NotebookRunner, WorkerConfig
from perfeval.run.manifest import MANIFEST_NAME, Manifest

pytestmark = pytest.mark.slow

DIE_IF_ASKED = (
    "import os, signal\n"
    "if 'die' in os.path.basename(form_path) and os.path.exists(os.path.join(params_dir, 'die.flag')):\n"
    "    os.kill(os.getpid(), signal.SIGKILL)"
)
FINDINGS = "render.html(render.findings_section(review), render.totals_section(review))"
RUN_TIME_KEYS = frozenset({"started_at", "finished_at", "seconds"})


def manifest(out: Path) -> dict[str, dict[str, Any]]:
    return dict(Manifest.load(out / MANIFEST_NAME).projects)


def write_forms(forms: Path, names: list[str]) -> None:
    forms.mkdir(parents=True, exist_ok=True)
    for number, name in enumerate(names):
        rows = rows_named(f"{name}项目")
        rows = fg.set_cell(rows, "政策知晓率", "自评分", str(number % 8))  # distinct totals
        fg.write_tsv(rows, forms / f"{name}.txt")


def run_argv(forms: Path, out: Path, params: Path, notebook: Path) -> list[str]:
    return ["run", str(forms), "--out", str(out), "--params", str(params), "--jobs", "2",
            "--notebook", str(notebook)]  # fmt: skip


def wait_gone(pids: set[int], timeout: float) -> set[int]:
    deadline = time.monotonic() + timeout
    while any(pid_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return {pid for pid in pids if pid_alive(pid)}


# --- a kernel that dies --------------------------------------------------------------


def test_a_kernel_that_dies_fails_its_project_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    forms, out, params = tmp_path / "forms", tmp_path / "out", tmp_path / "params"
    write_forms(forms, ["a", "die", "c"])
    params.mkdir()
    (params / "die.flag").touch()
    notebook = standin_notebook(tmp_path / "review.ipynb", DIE_IF_ASKED, "print('活到了最后')")
    argv = run_argv(forms, out, params, notebook)

    assert cli.main(argv) == 1
    printed = capsys.readouterr().out
    assert "完成 2 个，未变跳过 0 个，失败 1 个" in printed
    [line] = [line for line in printed.splitlines() if line.strip().startswith("失败：")]
    assert "die项目" in line and "内核在运行中意外退出" in line and "再次运行会重做" in line
    entries = manifest(out)
    [dead] = [folder for folder, entry in entries.items() if entry["result"] == "failed"]
    assert "die项目" in dead and "内核" in entries[dead]["error"]
    assert not (out / dead / "review.html").exists()  # nothing incomplete passes for a review
    for folder in entries.keys() - {dead}:
        executed = nbformat.read(out / folder / "review.ipynb", as_version=4)
        assert "活到了最后" in nbformat.writes(executed)  # its kernel ran to the end
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "内核在运行中意外退出" in index

    # The same run again: the failed project is retried, and dies again.
    assert cli.main(argv) == 1
    assert "完成 0 个，未变跳过 2 个，失败 1 个" in capsys.readouterr().out
    # Whatever killed it has gone: the retry succeeds, the others stay as they were.
    (params / "die.flag").unlink()
    assert cli.main(argv) == 0
    assert "完成 1 个，未变跳过 2 个，失败 0 个" in capsys.readouterr().out
    assert all(entry["result"] == "ok" for entry in manifest(out).values())
    assert (out / dead / "review.html").is_file()


# --- a run killed outright ---------------------------------------------------------------


def normalised_notebook(path: Path, out: Path) -> list[tuple[str, str, list[Any]]]:
    """The cells: type, source and outputs (without execution times and counts, and with
    the output folder's path — the injected workbook_path — as <out>)."""
    nb = nbformat.read(path, as_version=4)
    assert not nb.metadata.papermill.get("exception")
    cells = []
    for cell in nb.cells:
        outputs = [
            {key: value for key, value in output.items() if key != "execution_count"}
            for output in cell.get("outputs", [])
        ]
        cells.append((cell.cell_type, cell.source.replace(str(out.resolve()), "<out>"), outputs))
    return cells


def outputs_of(out: Path) -> dict[str, Any]:
    """What a run leaves, without times, durations, kernel ids or the output folder's path."""
    files = sorted(
        str(path.relative_to(out))
        for path in out.rglob("*")
        if path.is_file() and path.name != ".kernels.log"
    )
    projects = {}
    for folder, entry in manifest(out).items():
        page = (out / folder / "review.html").read_text(encoding="utf-8")
        assert 'class="pe-scores"' in page and page.rstrip().endswith("</html>")
        page = re.sub(r'id="cell-id=[0-9a-f-]+"', 'id="cell-id"', page)  # papermill's random ids
        projects[folder] = {
            "entry": {k: v for k, v in entry.items() if k not in RUN_TIME_KEYS},
            "page": page,
            "notebook": normalised_notebook(out / folder / "review.ipynb", out),
        }
    return {"files": files, "projects": projects}


def test_a_killed_run_restarts_to_the_outputs_of_an_uninterrupted_one(tmp_path: Path) -> None:
    forms, params = tmp_path / "forms", tmp_path / "params"
    write_forms(forms, ["甲", "乙", "丙", "丁", "戊", "己"])
    notebook = standin_notebook(tmp_path / "review.ipynb", FINDINGS, "import time\ntime.sleep(0.6)")
    killed, whole = tmp_path / "killed", tmp_path / "whole"
    command = [sys.executable, "-m", "perfeval", *run_argv(forms, killed, params, notebook)]
    log = (tmp_path / "run.log").open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=log, start_new_session=True)
    deadline = time.monotonic() + 60
    while not (killed / MANIFEST_NAME).exists() or not any(
        entry["result"] == "ok" for entry in manifest(killed).values()
    ):
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    started = descendant_pids(process.pid)  # the forkserver, the workers, their kernels

    os.killpg(process.pid, signal.SIGKILL)  # the run, its forkserver and its workers
    assert process.wait(timeout=10) == -signal.SIGKILL
    log.close()

    # Kernels lead sessions of their own, out of the group's reach; each sees its
    # worker gone (ipykernel's parent poller) and exits.
    assert wait_gone(started, timeout=30) == set()
    done = sum(1 for entry in manifest(killed).values() if entry["result"] == "ok")
    assert 1 <= done < 6, "the kill was meant to land in the middle of the run"

    # A kill lands inside a write only by chance: plant what one leaves (write_atomic's
    # temp files) beside the manifest and in a finished project's folder.
    finished = next(folder for folder, entry in manifest(killed).items() if entry["result"] == "ok")
    (killed / ".partial-manifest.jsonl-k1ll3d").write_text("{", encoding="utf-8")
    (killed / finished / ".partial-review.html-k1ll3d").write_text("<p>", encoding="utf-8")

    report = run_batch(
        [forms], RunOptions(out_dir=killed, params_dir=params, jobs=2, notebook=notebook)
    )
    assert (report.count("skipped"), report.count("done")) == (done, 6 - done)
    assert (
        run_batch(
            [forms], RunOptions(out_dir=whole, params_dir=params, jobs=2, notebook=notebook)
        ).count("done")
        == 6
    )

    restarted, uninterrupted = outputs_of(killed), outputs_of(whole)
    assert restarted["files"] == uninterrupted["files"]  # no temp file left over, none missing
    assert restarted["projects"].keys() == uninterrupted["projects"].keys()
    for folder, expected in uninterrupted["projects"].items():
        assert restarted["projects"][folder] == expected, folder


def test_sigterm_to_the_whole_process_group_leaves_no_traceback(tmp_path: Path) -> None:
    """A service manager stops a run by signalling its process group: the parent and every
    worker get SIGTERM, then the parent sends its own; shutting the kernels down must not be
    cut short by the second one, nor print a traceback."""
    forms, params = tmp_path / "forms", tmp_path / "params"
    write_forms(forms, ["甲", "乙", "丙", "丁", "戊", "己"])
    out = tmp_path / "out"
    command = [sys.executable, "-m", "perfeval", "run", str(forms), "--out", str(out)]
    command += ["--params", str(params), "--jobs", "2"]  # the real notebook
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    deadline = time.monotonic() + 60
    while not (out / MANIFEST_NAME).exists():
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.5)  # the workers busy: a project running, a spare kernel starting
    started = descendant_pids(process.pid)
    os.killpg(process.pid, signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    text = err.decode("utf-8", "replace")
    assert "Traceback" not in text, text
    assert "已中断" in text
    assert wait_gone(started, timeout=30) == set()


# --- memory ------------------------------------------------------------------------------


def resident_mb() -> float:
    """This process's resident set size, in MB (from /proc, so Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS in /proc/self/status")


class MemoryLog(Progress):
    """The parent's resident memory after each project."""

    def __init__(self) -> None:
        self.after: dict[int, float] = {}

    def advance(self, project: ProjectRun, finished: int) -> None:
        self.after[finished] = resident_mb()


def test_the_parent_does_not_grow_with_the_batch(tmp_path: Path) -> None:
    forms = tmp_path / "forms"
    write_forms(forms, [f"项目{number:02d}" for number in range(12)])
    notebook = standin_notebook(tmp_path / "review.ipynb", FINDINGS)
    memory = MemoryLog()
    options = RunOptions(
        out_dir=tmp_path / "out", params_dir=tmp_path / "params", jobs=2, notebook=notebook
    )

    started = time.monotonic()
    report = run_batch([forms], options, memory)
    seconds = time.monotonic() - started

    assert report.count("done") == 12, report.summary_text()
    growth = memory.after[12] - memory.after[4]
    print(
        f"parent RSS after 4 projects {memory.after[4]:.1f} MB, after 12 {memory.after[12]:.1f} MB "
        f"(+{growth:.1f} MB); {seconds / 12:.2f} s a project on 2 workers"
    )
    assert growth < 50, memory.after  # generous: a leak a project would be 6 MB or more


def descriptors_and_threads() -> tuple[int, int]:
    """This process's open file descriptors and threads (native ones too), from /proc."""
    return len(os.listdir("/proc/self/fd")), len(os.listdir("/proc/self/task"))


def test_a_worker_does_not_pile_up_kernel_connections(tmp_path: Path) -> None:
    forms, out, params = tmp_path / "forms", tmp_path / "out", tmp_path / "params"
    write_forms(forms, ["甲", "乙", "丙", "丁", "戊"])
    notebook = standin_notebook(tmp_path / "review.ipynb")
    runner = NotebookRunner(WorkerConfig(kernel_name="python3", cwd=str(tmp_path)))
    after: list[tuple[int, int]] = []
    try:
        for number, form in enumerate(sorted(forms.iterdir())):
            parameters = {"form_path": str(form), "sheet": None, "params_dir": str(params)}
            job = Job(f"p{number}", str(out), str(notebook), parameters, title=form.stem)
            result = runner.run(job)
            assert result.ok, result.error
            after.append(descriptors_and_threads())
    finally:
        runner.close()
    # From the second job on a worker holds one kernel running and one warm: no more.
    (fds, threads), (last_fds, last_threads) = after[1], after[-1]
    assert last_fds - fds <= 2 and last_threads - threads <= 1, after


# --- a kernel that never returns ----------------------------------------------------------------


def test_a_cell_that_never_returns_fails_its_project_at_the_timeout(tmp_path: Path) -> None:
    """A cell that ignores interrupts and loops forever (it hung the run for good): the
    interrupt at the cell's time does nothing, so the project's time runs out, its kernel
    is killed, the project fails by name, and the others run."""
    forms, params = tmp_path / "forms", tmp_path / "params"
    write_forms(forms, ["甲", "乙"])
    hang = (
        "import signal, time\n"
        "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
        "if '甲' in open(form_path, encoding='utf-8').read():\n"
        "    while True:\n"
        "        time.sleep(0.1)"
    )
    notebook = standin_notebook(tmp_path / "review.ipynb", hang)
    started = time.monotonic()
    report = run_batch(
        [forms],
        RunOptions(
            out_dir=tmp_path / "out",
            params_dir=params,
            jobs=2,
            notebook=notebook,
            cell_timeout=3,
            project_timeout=8,
        ),
    )
    assert time.monotonic() - started < 120
    states = {p.project: (p.state, p.error) for p in report.projects}
    assert states["乙项目"] == ("done", None)
    state, error = states["甲项目"]
    assert state == "failed" and "超过 8 秒" in str(error)


# --- a full disk -----------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 150 KB file system (tmpfs), where the machine lets this process mount one."""
    folder = tmp_path / "small"
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=150k", "tmpfs", str(folder)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode(errors='replace').strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_a_full_disk_fails_projects_by_name_and_leaves_nothing_half_written(
    small_disk: Path,
) -> None:
    examples = Path(__file__).resolve().parents[1] / "examples"
    out = small_disk / "out"
    report = run_batch(
        [examples / "000_81c9c1dad6fba498.txt", examples / "national"],
        RunOptions(out_dir=out, params_dir=small_disk.parent / "params", jobs=1),
    )
    assert report.failed, "150 KB cannot hold four reviews"
    assert all("磁盘空间不足" in str(project.error) for project in report.failed)
    # What did not fit — the manifest, the portfolio — is named too; the report stands.
    assert report.unwritten and all("磁盘空间不足" in problem for problem in report.unwritten)
    assert (report.summary is None) == any("summary.xlsx" in p for p in report.unwritten)
    assert not [p for p in out.rglob("*") if p.name.startswith(".partial-")]
    entries = Manifest.load(out / MANIFEST_NAME).projects  # a line cut short is ignored
    if not any(MANIFEST_NAME in problem for problem in report.unwritten):
        assert {e["result"] for e in entries.values()} >= {"failed"}
    assert all(
        e["result"] != "ok" or (out / e["outputs"]["html"]).is_file() for e in entries.values()
    )
