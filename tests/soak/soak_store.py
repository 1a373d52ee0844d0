"""Soak the adjustments store: reviewers in many processes saving at once for minutes,
one of them SIGKILLed at a random moment — often in the middle of a save — over and over.

    python tests/soak/soak_store.py --minutes 2
    python tests/soak/soak_store.py --minutes 30 --workers 6 --seed 1

Not collected by pytest (``tests/test_store_faults.py`` is the quick version in CI).

Each round starts a fresh store with a long history already in it (so a save takes a
while and a kill lands inside one), then runs one of:

- race: ``--workers`` reviewers released at once, each making a fixed number of changes
  to two projects (single scores, several scores in one write, opinions);
- kill: the same reviewers saving without end while, every few to few hundred
  milliseconds, one of them is SIGKILLed and a new one takes its place.

A reviewer appends one line to its own ack file each time a save *returns* (one
``write`` call, so a kill never leaves half a line). After every kill the store is read
back — it must read (the old file or the new, never a torn one) and every change that
reviewer acknowledged must be in it — and at the end of each round, all of them: the
history replays to the state the store reports, each score change's ``old`` is the
score before it (no save worked from a stale file), and no acknowledged change is
missing or recorded twice. Each read-back is a case. It prints::

    cases 210 / faults injected 202 (SIGKILL; 27 left a half-written temp file)
    / changes acknowledged 2014 / changes lost 0

and exits 1 if any change was lost, duplicated or the store could not be read.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from perfeval.exceptions import ParamsError
from perfeval.model import Evaluation, Indicator, Project, Source
from perfeval.review.store import AdjustmentStore, Change, replay

ROOT = Path(__file__).resolve().parents[2]
PROJECTS = ("甲项目", "乙项目")


def evaluation(project: str) -> Evaluation:
    """A project every reviewer adjusts (built directly: no form file to read)."""
    return Evaluation(
        source=Source(f"{project}.txt"),
        project=Project(name=project, unit="浸泡测试单位"),
        indicators=[
            Indicator("预算执行率", Decimal(10), Decimal(8)),
            Indicator("政策知晓率", Decimal(7), None),
            Indicator("受益人群满意度", Decimal("5.5"), Decimal(5)),
            Indicator("项目完成率", Decimal(14), Decimal(14)),
        ],
        year=2024,
    )


# --- a reviewer in another process ---------------------------------------------------


def reviewer(params: Path, name: str, count: int, seed: int, acks: Path, wait: bool) -> None:
    """Save changes in a loop (``count`` 0: until killed), one ack line after each."""
    store = AdjustmentStore(params)
    projects = {p: evaluation(p) for p in PROJECTS}
    rng = random.Random(seed)
    out = os.open(acks, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    print("ready", flush=True)
    if wait:
        sys.stdin.readline()
    i = 0
    while count == 0 or i < count:
        project = rng.choice(PROJECTS)
        form = projects[project]
        roll = rng.random()
        if roll < 0.15:
            store.set_opinion(form, f"{name}-{i}", name)
            lines = [f"opinion {project} {name}-{i}"]
        else:
            picked = rng.sample(form.indicators, 3 if roll < 0.3 else 1)
            changes = [
                (ind.name, Decimal(rng.randint(0, int(ind.weight * 100))) / 100, f"{name}-{i}-{j}")
                for j, ind in enumerate(picked)
            ]
            _, refused = store.adjust_many(form, changes, name)
            assert not refused, refused
            lines = [f"score {project} {reason} {ind} {score}" for ind, score, reason in changes]
        os.write(out, ("\n".join(lines) + "\n").encode())  # acknowledged: the save returned
        i += 1


# --- the soak -------------------------------------------------------------------------


@dataclass
class Tally:
    cases: int = 0  # read-backs checked: after every kill, and all of a round at its end
    kills: int = 0
    torn: int = 0  # kills that left a half-written temp file: they landed inside a save
    acknowledged: int = 0
    lost: int = 0
    duplicated: int = 0
    unreadable: int = 0
    stale: int = 0  # score changes whose old was not the score before them
    problems: list[str] = field(default_factory=list)

    def line(self) -> str:
        problems = f" / PROBLEMS {len(self.problems)}" if self.problems else ""
        return (
            f"cases {self.cases} / faults injected {self.kills} (SIGKILL; {self.torn} left a "
            f"half-written temp file) / changes acknowledged {self.acknowledged} / changes lost "
            f"{self.lost}{problems}"
        )


class Round:
    """One fresh store and the reviewers working on it."""

    def __init__(self, folder: Path, rng: random.Random, tally: Tally) -> None:
        self.folder, self.rng, self.tally = folder, rng, tally
        self.params = folder / "params"
        self.acks = folder / "acks"
        self.acks.mkdir(parents=True)
        self.store = AdjustmentStore(self.params)
        self.started = 0
        filler = [
            (i.name, i.weight, f"预置记录 {n}")
            for n in range(400)
            for i in evaluation("甲项目").indicators
        ]
        for project in PROJECTS:
            assert not self.store.adjust_many(evaluation(project), filler, "预置")[1]

    def start(
        self, count: int, wait: bool = False, ready: bool = True
    ) -> tuple[subprocess.Popen[str], Path]:
        self.started += 1
        name = f"审核员{self.started}"
        acks = self.acks / f"{name}.txt"
        seed = self.rng.randrange(2**31)
        args = [str(self.params), name, str(count), str(seed), str(acks), "1" if wait else "0"]
        worker = subprocess.Popen(
            [sys.executable, __file__, "--reviewer", *args],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        if ready:  # else it gets going while the soak goes on
            assert worker.stdout is not None
            line = worker.stdout.readline()
            assert line == "ready\n", f"{name} did not start: {line!r} {worker.stderr}"
        return worker, acks

    def kill(self, worker: subprocess.Popen[str]) -> None:
        os.kill(worker.pid, signal.SIGKILL)
        _, err = worker.communicate(timeout=30)
        if "Traceback" in err:
            self.tally.problems.append(f"a reviewer failed: {err[-500:]}")
        self.tally.kills += 1
        if list(self.params.glob("adjustments/*.tmp")):
            self.tally.torn += 1

    def race(self, workers: int, count: int) -> None:
        started = [self.start(count, wait=True) for _ in range(workers)]
        for worker, _ in started:
            assert worker.stdin is not None
            worker.stdin.write("go\n")
            worker.stdin.flush()
        for worker, _ in started:
            _, err = worker.communicate(timeout=600)
            if worker.returncode != 0:
                self.tally.problems.append(f"a reviewer failed: {err[-500:]}")
        self.verify([acks for _, acks in started])

    def kills(self, workers: int, seconds: float) -> None:
        """Kill a reviewer that has been saving for a while (not one still starting up),
        check what it acknowledged, start another; until the time is up."""
        running = [(*self.start(0), time.monotonic()) for _ in range(workers)]
        every: list[Path] = [acks for _, acks, _ in running]
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            time.sleep(self.rng.uniform(0.005, 0.3))
            busy = [n for n, (_, _, born) in enumerate(running) if time.monotonic() - born > 1.5]
            if not busy:
                continue
            worker, acks, _ = running.pop(self.rng.choice(busy))
            self.kill(worker)
            self.verify([acks], final=False)  # while the others go on saving
            running.append((*self.start(0, ready=False), time.monotonic()))
            every.append(running[-1][1])
        for worker, _, _ in running:
            self.kill(worker)
        self.verify(every)

    def verify(self, ack_files: list[Path], final: bool = True) -> None:
        """The store reads; (final) it is consistent; every acknowledged change is in it."""
        histories: dict[str, list[Change]] = {}
        for project in PROJECTS:
            try:
                record = self.store.load(evaluation(project))
            except ParamsError as error:
                self.tally.unreadable += 1
                self.tally.problems.append(f"unreadable: {error}")
                return
            histories[project] = record.history
            if final:
                if record.state != replay(record.history):
                    self.tally.problems.append(f"{project}: the state is not the replayed history")
                self.tally.stale += stale(record.history)
        scores = {
            p: Counter(c.reason for c in h if c.kind == "score") for p, h in histories.items()
        }
        found = {p: {c.reason: c for c in h if c.kind == "score"} for p, h in histories.items()}
        texts = {p: Counter(c.text for c in h if c.kind == "opinion") for p, h in histories.items()}
        for acks in ack_files:
            if not acks.exists():
                continue  # killed before it was set up
            for line in acks.read_text(encoding="utf-8").splitlines():
                kind, project, key, *rest = line.split(" ")
                if final:
                    self.tally.acknowledged += 1
                seen = scores[project][key] if kind == "score" else texts[project][key]
                if seen == 0:
                    self.tally.lost += final  # a round's end counts each change once
                    self.tally.problems.append(f"lost: {line}")
                elif seen > 1 and final:
                    self.tally.duplicated += 1
                    self.tally.problems.append(f"recorded {seen} times: {line}")
                elif kind == "score":
                    change = found[project][key]
                    indicator, score = rest
                    if (change.indicator, change.new) != (indicator, Decimal(score)):
                        self.tally.problems.append(f"changed on the way: {line} → {change}")
        self.tally.cases += 1


def stale(history: list[Change]) -> int:
    """Score changes whose ``old`` is not the score before them."""
    current: dict[str, Decimal] = {}
    wrong = 0
    for change in history:
        if change.kind == "score" and change.indicator is not None and change.new is not None:
            wrong += change.old != current.get(change.indicator)
            current[change.indicator] = change.new
    return wrong


def soak(minutes: float, workers: int, seed: int, folder: Path) -> Tally:
    rng = random.Random(seed)
    tally = Tally()
    deadline = time.monotonic() + minutes * 60
    number = 0
    while time.monotonic() < deadline:
        number += 1
        round_ = Round(folder / f"round{number}", rng, tally)
        if number % 3 == 1:
            round_.race(workers, count=rng.randint(20, 60))
            kind = "race"
        else:
            round_.kills(workers, seconds=min(20.0, max(1.0, deadline - time.monotonic())))
            kind = "kill"
        print(f"round {number} ({kind}): {tally.line()}", flush=True)
    return tally


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=2)
    parser.add_argument("--workers", type=int, default=4, help="reviewers saving at once")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--keep", type=Path, default=None, help="keep the stores in this folder")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.randrange(10**6)
    print(f"soak_store: {args.minutes} min, {args.workers} reviewers, seed {seed}", flush=True)
    started = time.monotonic()
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        tally = soak(args.minutes, args.workers, seed, args.keep)
    else:
        with tempfile.TemporaryDirectory(prefix="soak-store-") as folder:
            tally = soak(args.minutes, args.workers, seed, Path(folder))
    print(f"\nsoak_store: {(time.monotonic() - started) / 60:.1f} min, seed {seed}")
    print(tally.line())
    print(
        f"duplicated {tally.duplicated} / unreadable {tally.unreadable} / stale saves {tally.stale}"
    )
    for problem in tally.problems[:20]:
        print("  " + problem)
    bad = tally.lost or tally.duplicated or tally.unreadable or tally.stale or tally.problems
    return 1 if bad else 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--reviewer"]:
        params, name, count, seed, acks, wait = sys.argv[2:8]
        reviewer(Path(params), name, int(count), int(seed), Path(acks), wait == "1")
    else:
        sys.exit(main())
