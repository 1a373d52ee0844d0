"""A reviewer in another process, for ``test_store_faults``: saves changes in a loop.

    python tests/store_worker.py PARAMS_DIR NAME COUNT   (COUNT 0: until killed)

Prints ``ready`` once set up, waits for a line on stdin when ``--wait`` is given,
then after each save *returns* prints one ack line:
``score NAME I INDICATOR SCORE`` or ``opinion NAME I``. The reason (or opinion
text) of change I is ``NAME-I``, so the test can find every acknowledged change.
"""

from __future__ import annotations

import random
import sys
from decimal import Decimal
from pathlib import Path

from perfeval.model import Evaluation, Indicator, Project, Source
from perfeval.review.store import AdjustmentStore


def make_evaluation() -> Evaluation:
    """The project every worker adjusts (built directly: no form file to read)."""
    return Evaluation(
        source=Source("并发测试.txt"),
        project=Project(name="并发测试项目", unit="测试单位"),
        indicators=[
            Indicator("预算执行率", Decimal(10), Decimal(8)),
            Indicator("政策知晓率", Decimal(7), None),
            Indicator("受益人群满意度", Decimal("5.5"), Decimal(5)),
        ],
        year=2024,
    )


def main(params: str, name: str, count: int, wait: bool) -> None:
    store = AdjustmentStore(Path(params))
    evaluation = make_evaluation()
    rng = random.Random(name)
    print("ready", flush=True)
    if wait:
        sys.stdin.readline()
    i = 0
    while count == 0 or i < count:
        if i % 7 == 6:
            store.set_opinion(evaluation, f"{name}-{i}", name)
            print(f"opinion {name} {i}", flush=True)
        else:
            indicator = evaluation.indicators[i % len(evaluation.indicators)]
            cents = rng.randint(0, int(indicator.weight * 100))
            score = Decimal(cents) / 100
            store.adjust(evaluation, indicator.name, score, f"{name}-{i}", name)
            print(f"score {name} {i} {indicator.name} {score}", flush=True)
        i += 1


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), "--wait" in sys.argv[4:])
