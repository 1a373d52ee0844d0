"""A longer fuzz run of the form readers, outside CI: the cases of
``tests/test_fuzz_readers.py`` with many more examples, random rather than derandomised.

    python benchmarks/fuzz_readers.py                  # 500 examples a case
    python benchmarks/fuzz_readers.py --examples 5000
    python benchmarks/fuzz_readers.py --minutes 10     # rounds of --examples until time is up
    python benchmarks/fuzz_readers.py --case "sheet xml" --seed 7

Prints the cases tried and what they came to (read, or refused with which FormError);
exits 1 with hypothesis's shrunk example when a case fails — a reader raised something
other than a FormError, printed something, or misread a value.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

TESTS = Path(__file__).resolve().parents[1] / "tests"
sys.path.insert(0, str(TESTS))

import test_fuzz_readers as fuzz  # noqa: E402
from hypothesis import HealthCheck, given, seed, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


def run_case(name: str, context: fuzz.Context, examples: int, seed_value: int | None) -> None:
    check, strategies = fuzz.CASES[name]

    def one(drawn: dict[str, Any]) -> None:
        check(context, **drawn)

    test = settings(
        max_examples=examples,
        database=None,
        derandomize=False,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )(given(drawn=st.fixed_dictionaries(strategies))(one))
    if seed_value is not None:
        test = seed(seed_value)(test)
    test()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=500, help="examples per case and round")
    parser.add_argument("--minutes", type=float, default=0, help="keep going for this long")
    parser.add_argument("--case", action="append", choices=sorted(fuzz.CASES), help="only these")
    parser.add_argument("--seed", type=int, default=None, help="repeat a run")
    args = parser.parse_args(argv)
    names = args.case or list(fuzz.CASES)
    deadline = time.monotonic() + args.minutes * 60
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="fuzz-readers-") as folder:
        context = fuzz.Context.make(Path(folder))
        rounds = 0
        while True:
            rounds += 1
            for name in names:
                before = sum(fuzz.OUTCOMES.values())
                began = time.monotonic()
                try:
                    run_case(name, context, args.examples, args.seed)
                except Exception as error:  # a falsified case: hypothesis has shrunk it
                    traceback.print_exception(error)
                    print(f"FAILED {name}: {type(error).__name__}: {error}", file=sys.stderr)
                    report(started)
                    return 1
                tried = sum(fuzz.OUTCOMES.values()) - before
                print(f"round {rounds} {name}: {tried} cases in {time.monotonic() - began:.1f} s")
            if time.monotonic() >= deadline or args.seed is not None:
                break
    report(started)
    return 0


def report(started: float) -> None:
    total = sum(fuzz.OUTCOMES.values())
    print(f"cases tried: {total} in {time.monotonic() - started:.0f} s")
    for outcome, count in fuzz.OUTCOMES.most_common():
        print(f"  {outcome}: {count}")


if __name__ == "__main__":
    sys.exit(main())
