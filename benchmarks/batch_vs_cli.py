"""How much faster ``perfeval run`` is than the plain loop of papermill and nbconvert CLIs.

    .venv/bin/python benchmarks/batch_vs_cli.py [-n 8] [--jobs J] [--notebook PATH]

Writes ``n`` copies of the example form, each with its own project name, into a
temporary folder, then produces the same executed notebook and code-hidden HTML
review for each, both ways, from a cold start:

- ``perfeval run FORMS --out DIR --jobs J``: one process, a pool of workers that
  import papermill and nbconvert once and run each notebook in-process (as a user
  runs it; the time includes starting Python and the workers);
- the plain loop, one project after another: ``papermill NOTEBOOK OUT -p form_path F
  -p params_dir P`` then ``jupyter nbconvert --to html --no-input OUT``, both from
  the virtualenv's ``bin``.

Prints each project's time in the loop, each project's time inside ``perfeval run``
(from its manifest), the wall time per project both ways and their ratio. Exits 1
when the loop is less than 5 times slower than ``perfeval run``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from perfeval.run.manifest import MANIFEST_NAME, Manifest

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "examples" / "000_81c9c1dad6fba498.txt"
NOTEBOOK = ROOT / "notebooks" / "review.ipynb"
BIN = Path(sys.executable).parent
SEED_NAME = "组团式服务联系群众专项"
TARGET_RATIO = 5.0


def write_forms(folder: Path, count: int) -> list[Path]:
    """``count`` copies of the seed form, project ``i`` named ``组团式服务联系群众专项（第i批）``."""
    folder.mkdir(parents=True)
    text = SEED.read_text(encoding="utf-8")
    if SEED_NAME not in text:
        raise SystemExit(f"{SEED} no longer names the project {SEED_NAME}")
    forms = []
    for number in range(1, count + 1):
        form = folder / f"form_{number:02d}.txt"
        form.write_text(text.replace(SEED_NAME, f"{SEED_NAME}第{number}批"), encoding="utf-8")
        forms.append(form)
    return forms


def run(command: list[str], cwd: Path) -> float:
    """Seconds ``command`` took; raises if it fails."""
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - started


def plain_loop(forms: list[Path], notebook: Path, out: Path, params: Path) -> list[float]:
    times = []
    for form in forms:
        executed = out / f"{form.stem}.ipynb"
        papermill = [str(BIN / "papermill"), str(notebook), str(executed)]
        papermill += ["-p", "form_path", str(form), "-p", "params_dir", str(params)]
        nbconvert = [str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input"]
        seconds = run(papermill, out) + run([*nbconvert, str(executed)], out)
        if not executed.with_suffix(".html").is_file():
            raise SystemExit(f"nbconvert made no HTML for {executed}")
        times.append(seconds)
    return times


def batch(forms: Path, notebook: Path, out: Path, params: Path, jobs: int | None) -> float:
    command = [str(BIN / "perfeval"), "run", str(forms), "--out", str(out)]
    command += ["--params", str(params), "--notebook", str(notebook)]
    if jobs:
        command += ["--jobs", str(jobs)]
    return run(command, out.parent)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=8, help="number of projects (default 8)")
    parser.add_argument("--jobs", type=int, help="perfeval run --jobs (default: one per core)")
    parser.add_argument("--notebook", type=Path, default=NOTEBOOK)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="perfeval-bench-") as temp:
        root = Path(temp)
        forms = write_forms(root / "forms", args.n)
        params = root / "params"
        params.mkdir()
        loop_out = root / "loop"
        loop_out.mkdir()

        batch_wall = batch(root / "forms", args.notebook, root / "batch", params, args.jobs)
        loop_times = plain_loop(forms, args.notebook, loop_out, params)
        manifest = {"projects": Manifest.load(root / "batch" / MANIFEST_NAME).projects}
        inside = sorted(
            (entry["source"], entry["seconds"]) for entry in manifest["projects"].values()
        )
        if len(inside) != args.n or any(e["result"] != "ok" for e in manifest["projects"].values()):
            raise SystemExit("perfeval run did not finish every project")

    print(f"{args.n} projects, jobs={args.jobs or 'one per core'}")
    print(f"{'project':<14}{'plain loop (s)':>16}{'in perfeval run (s)':>22}")
    for form, loop_seconds, (_, batch_seconds) in zip(forms, loop_times, inside, strict=True):
        print(f"{form.stem:<14}{loop_seconds:>16.2f}{batch_seconds:>22.2f}")
    loop_per = sum(loop_times) / args.n
    batch_per = batch_wall / args.n
    ratio = loop_per / batch_per
    print(
        f"wall time per project: plain loop {loop_per:.2f} s "
        f"(median {statistics.median(loop_times):.2f} s), "
        f"perfeval run {batch_per:.2f} s ({batch_wall:.2f} s for all, start-up included)"
    )
    print(f"ratio: the plain loop is {ratio:.1f}× slower (target ≥ {TARGET_RATIO:g}×)")
    return 0 if ratio >= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
