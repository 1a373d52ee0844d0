"""The store under real faults: reviewers saving at once from several processes, and a
process SIGKILLed in the middle of a save. Every acknowledged change must survive."""

from __future__ import annotations

import itertools
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

from store_worker import make_evaluation

from perfeval.review.store import AdjustmentStore, Change, ProjectRecord, replay

WORKER = Path(__file__).with_name("store_worker.py")
ROOT = WORKER.parents[1]


def start(params: Path, name: str, count: int, *, wait: bool = False) -> subprocess.Popen[str]:
    worker = subprocess.Popen(
        [sys.executable, str(WORKER), str(params), name, str(count), *(["--wait"] if wait else [])],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
    assert worker.stdout is not None
    line = worker.stdout.readline()
    assert line == "ready\n", f"worker {name} did not start: {line!r} {worker.stderr}"
    return worker


def acks(output: str) -> list[list[str]]:
    """Complete ack lines only: a line cut short by a kill was not acknowledged."""
    lines = output.split("\n")[:-1]  # the last piece has no newline: cut short or empty
    return [line.split(" ") for line in lines]


def assert_acknowledged(record: ProjectRecord, acked: list[list[str]]) -> None:
    """Every acknowledged change is in the history exactly once, as it was sent."""
    by_reason = {c.reason: c for c in record.history if c.kind == "score"}
    by_text = Counter(c.text for c in record.history if c.kind == "opinion")
    reasons = Counter(c.reason for c in record.history if c.kind == "score")
    for ack in acked:
        if ack[0] == "score":
            _, name, i, indicator, score = ack
            change = by_reason.get(f"{name}-{i}")
            assert change is not None, f"acknowledged change {ack} is missing"
            assert reasons[change.reason] == 1
            assert (change.indicator, change.new, change.reviewer) == (
                indicator,
                Decimal(score),
                name,
            )
        else:
            _, name, i = ack
            # An opinion identical to the current one records nothing; ours are all distinct.
            assert by_text[f"{name}-{i}"] == 1, f"acknowledged opinion {ack} is missing"


def assert_consistent(history: list[Change]) -> None:
    """Each score change's old is the score before it: no save read a stale file."""
    current: dict[str, Decimal] = {}
    for change in history:
        if change.kind == "score":
            assert change.indicator is not None and change.new is not None
            assert change.old == current.get(change.indicator), change
            current[change.indicator] = change.new


def test_concurrent_reviewers_keep_every_change(tmp_path: Path) -> None:
    params, count = tmp_path / "params", 60
    workers = [start(params, f"审核员{n}", count, wait=True) for n in range(3)]
    for worker in workers:  # all set up: let them go at once
        assert worker.stdin is not None
        worker.stdin.write("go\n")
        worker.stdin.flush()
    outputs = [worker.communicate(timeout=60) for worker in workers]
    for worker, (_, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err

    acked = [ack for out, _ in outputs for ack in acks(out)]
    assert len(acked) == 3 * count
    record = AdjustmentStore(params).load(make_evaluation())
    assert len(record.history) == 3 * count
    assert_acknowledged(record, acked)
    assert_consistent(record.history)
    assert record.state == replay(record.history)
    # The saves really interleaved: no worker finished before another one started.
    order = [c.reviewer for c in record.history]
    switches = sum(a != b for a, b in itertools.pairwise(order))
    assert switches >= 3, order


def test_a_killed_save_leaves_a_readable_store(tmp_path: Path) -> None:
    params = tmp_path / "params"
    store = AdjustmentStore(params)
    evaluation = make_evaluation()
    rng = random.Random()
    seed = rng.randrange(10**6)
    rng.seed(seed)
    # A long review, so a save takes a while and a kill can land inside it.
    filler = [
        (i.name, i.weight, f"预置记录 {n}") for n in range(700) for i in evaluation.indicators
    ]
    assert not store.adjust_many(evaluation, filler, "预置")[1]
    acked: list[list[str]] = []
    leftovers = 0
    deadline = time.monotonic() + 15
    for round_ in range(25):
        if time.monotonic() > deadline:
            break
        worker = start(params, f"第{round_}轮", 0)
        time.sleep(rng.uniform(0.01, 0.2))
        os.kill(worker.pid, signal.SIGKILL)
        out, _ = worker.communicate(timeout=10)
        assert worker.returncode == -signal.SIGKILL
        acked.extend(acks(out))

        leftovers += len(list(params.glob("adjustments/*.tmp")))
        record = store.load(evaluation)  # never a ParamsError: the old file or the new one
        assert record.state == replay(record.history)
        assert_acknowledged(record, acked)
        assert_consistent(record.history)

    assert round_ >= 10, "too few kill rounds ran in the time allowed"
    assert len(acked) > 0, f"no worker saved anything before it was killed (seed {seed})"
    # The next save cleans up what killed saves left behind.
    store.adjust(evaluation, "预算执行率", "5", "收尾", "组长")
    assert not list(params.glob("adjustments/*.tmp"))
    print(f"seed {seed}: {round_ + 1} kills, {len(acked)} acks, {leftovers} temp files left")
