"""Soak ``perfeval run``: hundreds of forms in one batch, memory sampled as it goes.

    python tests/soak/soak_batch.py                        # 500 forms, 2 workers, real notebook
    python tests/soak/soak_batch.py --forms 100 --jobs 4 --out /tmp/soak --keep

Not collected by pytest (``tests/test_batch_faults.py`` runs the 12-form version in CI).
It takes minutes: about a second and a half a project on two workers.

Makes ``--forms`` variations of the seed text export (distinct project names, five
units, 政策知晓率 scored 0–7 so totals, grades and findings differ), runs them as one
batch on ``--jobs`` workers and, every ``--every`` projects, prints the parent's
resident memory (now and peak), the whole process tree's (forkserver, workers,
kernels), the largest single process in it, and the wall time a project::

     done  parent MB (peak)  tree MB  largest MB   s/project
       50     118.2 (118.9)    612.4       171.0        1.52

then a summary line. A thread samples ``/proc`` every half second, so the peaks
include what happens between checkpoints. Exits 1 if a project failed or the parent
grew more than ``--max-growth`` MB from the first checkpoint to the last.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

import formgen as fg  # noqa: E402  (tests/ is not a package)

from perfeval.run.batch import Progress, ProjectRun, RunOptions, run_batch  # noqa: E402

UNITS = (
    "上海市闵行区人民政府古美路街道办事处",
    "上海市闵行区人民政府江川路街道办事处",
    "上海市闵行区人民政府莘庄镇",
    "上海市闵行区教育局",
    "上海市闵行区卫生健康委员会",
)


def write_forms(folder: Path, count: int) -> None:
    """``count`` variations of the seed form as text exports."""
    folder.mkdir(parents=True, exist_ok=True)
    seed = fg.seed_rows()
    for number in range(count):
        rows = fg.set_cell(seed, "项目名称", "B", f"浸泡测试项目{number:04d}")
        rows = fg.set_cell(rows, "预算单位", "G", UNITS[number % len(UNITS)])
        rows = fg.set_cell(rows, "政策知晓率", "自评分", str(number % 8))
        fg.write_tsv(rows, folder / f"form{number:04d}.txt")


# --- memory ----------------------------------------------------------------------------


def _status_kb(pid: int | str, field_name: str = "VmRSS") -> int:
    """A field of /proc/<pid>/status in kB; 0 when the process is gone (or a kernel thread)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field_name}:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


@dataclass
class Sample:
    parent_kb: int
    tree_kb: int
    largest_kb: int


@dataclass
class Sampler:
    """Samples this process and its descendants every ``interval`` seconds in a thread."""

    interval: float = 0.5
    last: Sample = field(default_factory=lambda: Sample(0, 0, 0))
    parent_peak_kb: int = 0
    tree_peak_kb: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)

    def sample(self) -> Sample:
        import os

        me = os.getpid()
        parent = _status_kb("self")
        others = [_status_kb(pid) for pid in _descendants(me)]
        sample = Sample(parent, parent + sum(others), max(others, default=0))
        self.last = sample
        self.parent_peak_kb = max(self.parent_peak_kb, parent)
        self.tree_peak_kb = max(self.tree_peak_kb, sample.tree_kb)
        return sample

    def run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def __enter__(self) -> Sampler:
        self.sample()
        threading.Thread(target=self.run, name="rss-sampler", daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()


def mb(kb: int) -> float:
    return kb / 1024


# --- the run -----------------------------------------------------------------------------


@dataclass
class Checkpoint:
    done: int
    parent_mb: float
    parent_peak_mb: float
    tree_mb: float
    largest_mb: float
    seconds: float


class Checkpoints(Progress):
    """Prints a line every ``every`` projects and keeps them."""

    def __init__(self, sampler: Sampler, every: int) -> None:
        self.sampler, self.every = sampler, every
        self.rows: list[Checkpoint] = []
        self.failed: list[str] = []
        self.started = time.monotonic()
        self._last = (0, self.started)

    def start(self, projects: int, todo: int) -> None:
        print(f"{projects} projects, {todo} to run", flush=True)
        print(" done  parent MB (peak)  tree MB  largest MB   s/project", flush=True)
        self.started = time.monotonic()
        self._last = (0, self.started)

    def advance(self, project: ProjectRun, finished: int) -> None:
        if project.state == "failed":
            self.failed.append(f"{project.folder}: {project.error}")
        if finished % self.every:
            return
        now = time.monotonic()
        sample = self.sampler.sample()
        count, since = self._last
        row = Checkpoint(
            finished,
            mb(sample.parent_kb),
            mb(self.sampler.parent_peak_kb),
            mb(sample.tree_kb),
            mb(sample.largest_kb),
            (now - since) / (finished - count),
        )
        self._last = (finished, now)
        self.rows.append(row)
        print(
            f"{row.done:5d}  {row.parent_mb:8.1f} ({row.parent_peak_mb:5.1f})  {row.tree_mb:7.1f}"
            f"  {row.largest_mb:10.1f}  {row.seconds:10.2f}",
            flush=True,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--forms", type=int, default=500, help="how many forms (default 500)")
    parser.add_argument("--jobs", type=int, default=2, help="workers (default 2)")
    parser.add_argument("--every", type=int, default=50, help="a checkpoint every N projects")
    parser.add_argument("--notebook", type=Path, help="default: notebooks/review.ipynb")
    parser.add_argument("--out", type=Path, help="work folder (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument(
        "--max-growth", type=float, default=50.0, help="parent growth allowed, MB (default 50)"
    )
    args = parser.parse_args(argv)

    work = args.out or Path(tempfile.mkdtemp(prefix="perfeval-soak-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        write_forms(work / "forms", args.forms)
        options = RunOptions(
            out_dir=work / "out",
            params_dir=work / "params",
            jobs=args.jobs,
            force=True,
            notebook=args.notebook,
        )
        with Sampler() as sampler:
            progress = Checkpoints(sampler, args.every)
            started = time.monotonic()
            report = run_batch([work / "forms"], options, progress)
            seconds = time.monotonic() - started
        rows = progress.rows
        done = report.count("done")
        print(
            f"{done} projects in {seconds:.0f} s ({seconds / max(done, 1):.2f} s a project, "
            f"{args.jobs} workers); failed {report.count('failed')}"
        )
        growth = rows[-1].parent_mb - rows[0].parent_mb if rows else 0.0
        if rows:
            print(
                f"parent RSS {rows[0].parent_mb:.1f} MB after {rows[0].done} → "
                f"{rows[-1].parent_mb:.1f} MB after {rows[-1].done} ({growth:+.1f} MB); "
                f"peak {mb(sampler.parent_peak_kb):.1f} MB; "
                f"process tree peak {mb(sampler.tree_peak_kb):.1f} MB"
            )
        for failure in progress.failed[:10]:
            print(f"  failed: {failure}")
        return 1 if report.failed or growth > args.max_growth else 0
    finally:
        if args.keep or args.out:
            print(f"work folder: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
