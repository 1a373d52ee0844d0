"""How long the reviewer's panel takes to recompute when a score moves, on a 30-indicator form.

    .venv/bin/python benchmarks/recompute.py [--repeat N]

Builds a 30-indicator evaluation from model objects, its review and a ``ReviewPanel``
over a temporary params folder, then times, in this one process:

- the baseline: a bare ``Review.totals()`` call;
- ``Review.totals(preview=…)`` with one unsaved move;
- ``panel.recompute()``: the totals and the label text;
- a score move: ``panel.score.value = x`` (the slider's observer, the previewed totals and
  the labels, as when a reviewer drags the slider);
- for scale, what a move avoids: ``run_checks`` and ``load_review``, and a save.

Prints median and 95th-percentile times and each median as a multiple of the baseline's.
Exits 1 when a score move's 95th percentile exceeds the 50 ms budget.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

from perfeval.check.catalogue import run_checks
from perfeval.model import DeclaredTotal, Evaluation, Indicator, Project, Source
from perfeval.review.build import build_review, load_review
from perfeval.review.store import ProjectRecord
from perfeval.show.widgets import ReviewPanel

BUDGET_MS = 50.0
CATEGORIES = (("投入与管理", 40), ("产出目标", 30), ("效果目标", 20), ("影响力目标", 10))


def evaluation_of(size: int = 30) -> Evaluation:
    """A district form with ``size`` indicators whose weights add up to 100."""
    weights = [Decimal(100) / size] * size
    weights = [w.quantize(Decimal("0.01")) for w in weights]
    weights[-1] += Decimal(100) - sum(weights)
    indicators = []
    for number, weight in enumerate(weights):
        category, points = CATEGORIES[min(number * len(CATEGORIES) // size, len(CATEGORIES) - 1)]
        self_score = weight if number % 4 else (weight - Decimal("0.5")).max(Decimal(0))
        indicators.append(
            Indicator(
                name=f"指标{number + 1:02d}",
                weight=weight,
                self_score=self_score,
                category=category,
                category_points=Decimal(points),
                explanation=f"指标{number + 1}的解释。",
                rule=f"①完成得{weight}分；②未完成不得分。",
                remark="部分完成，扣0.5分。" if number % 4 == 0 else None,
            )
        )
    total = sum((i.self_score or Decimal(0) for i in indicators), Decimal(0))
    return Evaluation(
        source=Source("benchmark.xlsx", "自评表"),
        project=Project(
            name="基准测试项目",
            unit="某区某街道办事处",
            budget=Decimal(1000000),
            executed=Decimal(950000),
            execution_rate=Decimal("0.95"),
            evaluated_on=date(2024, 3, 1),
            grade="优秀",
        ),
        indicators=indicators,
        declared_total=DeclaredTotal(Decimal(100), total),
        year=2023,
    )


def timings(function: Callable[[int], object], repeat: int) -> list[float]:
    """Seconds per call of ``function(i)`` for i in range(repeat), after a warm-up."""
    for index in range(min(repeat, 50)):
        function(index)
    found = []
    for index in range(repeat):
        start = time.perf_counter()
        function(index)
        found.append(time.perf_counter() - start)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2000, help="calls per measurement")
    args = parser.parse_args(argv)
    repeat: int = args.repeat

    evaluation = evaluation_of(30)
    review = build_review(evaluation, ProjectRecord(evaluation.key))
    with tempfile.TemporaryDirectory(prefix="perfeval-bench-") as params:
        panel = ReviewPanel(review, params, reviewer="基准")
        panel.go(7)
        weight = float(panel.item.indicator.weight)
        name = panel.item.indicator.name
        steps = [round(weight * k / 10, 2) for k in range(11)]

        def move(index: int) -> None:
            panel.score.value = steps[index % len(steps)]

        def save(index: int) -> None:
            panel.score.value = steps[index % 10]
            panel.reason.value = f"基准测试第{index}次保存"
            panel.save.click()

        few = max(repeat // 20, 20)
        results = {
            "Review.totals()  [baseline]": timings(lambda i: review.totals(), repeat),
            "Review.totals(preview=…)": timings(
                lambda i: review.totals(preview={name: Decimal(i % 5)}), repeat
            ),
            "panel.recompute()": timings(lambda i: panel.recompute(), repeat),
            "score move (slider .value)": timings(move, repeat),
            "run_checks (not on a move)": timings(lambda i: run_checks(evaluation), few),
            "load_review (after a save)": timings(
                lambda i: load_review(evaluation, Path(params)), few
            ),
            "save (store + reload)": timings(save, few),
        }
        assert panel.message.value.find("已保存") >= 0, panel.message.value

    baseline = statistics.median(results["Review.totals()  [baseline]"])
    print(
        f"30 indicators, {repeat} calls each ({few} for the last three); Python {sys.version.split()[0]}"
    )
    print(f"{'':32}{'median':>12}{'p95':>12}{'× baseline':>12}")
    for label, found in results.items():
        found.sort()
        median = statistics.median(found)
        p95 = found[int(len(found) * 0.95) - 1]
        print(f"{label:32}{median * 1e3:>10.3f}ms{p95 * 1e3:>10.3f}ms{median / baseline:>12.1f}")
    move_p95 = sorted(results["score move (slider .value)"])[int(repeat * 0.95) - 1] * 1e3
    verdict = "within" if move_p95 < BUDGET_MS else "OVER"
    print(f"score move p95 {move_p95:.3f} ms: {verdict} the {BUDGET_MS:g} ms budget")
    return 0 if move_p95 < BUDGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
