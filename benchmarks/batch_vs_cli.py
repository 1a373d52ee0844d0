"""How much faster ``perfeval run`` is than the plain loop of papermill and nbconvert CLIs,
and than a fresh kernel for every project could ever be.

    .venv/bin/python benchmarks/batch_vs_cli.py [-n 100] [--loop-n 6] [--jobs J] [--notebook PATH]

Writes ``n`` copies of the example form, each with its own project name, into a
temporary folder, then measures, all in this one run and from a cold start:

- ``perfeval run FORMS --out DIR --jobs J`` (warm kernels, the default): one process, a
  pool of workers that import papermill and nbconvert once, each keeping its kernel from
  project to project (the time includes starting Python, the workers and their kernels);
- ``perfeval run --fresh-kernels``: the same with a new kernel for every project;
- the fresh-kernel floor: a trivial notebook (one cell, ``1 + 1``) executed by nbclient in
  a new kernel, once a project, two at a time — what any batch that starts a kernel per
  project pays before it does any work;
- the plain loop, one project after another, on the first ``--loop-n`` forms (it is the
  same work each time, and slow): ``papermill NOTEBOOK OUT -p form_path F -p params_dir P``
  then ``jupyter nbconvert --to html --no-input OUT``, both from the virtualenv's ``bin``.

Prints the wall time per project of each and the ratios. Targets: ``perfeval run`` at most
0.10 × the plain loop and at most 0.5 × the fresh-kernel floor; exits 1 when either is missed.

With ``--cluster ADDRESS`` (``local:2`` starts a Dask cluster of two worker processes here),
it also runs ``perfeval run --cluster ADDRESS`` on the same forms and prints its cost per
project against the local pool's: the price of packing, sending and writing back.
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
LOOP_TARGET, FLOOR_TARGET = 0.10, 0.5


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


def batch(
    forms: Path, notebook: Path, out: Path, params: Path, jobs: int | None, *extra: str
) -> float:
    command = [str(BIN / "perfeval"), "run", str(forms), "--out", str(out)]
    command += ["--params", str(params), "--notebook", str(notebook), *extra]
    if jobs:
        command += ["--jobs", str(jobs)]
    seconds = run(command, out.parent)
    entries = Manifest.load(out / MANIFEST_NAME).projects.values()
    if not entries or any(entry["result"] != "ok" for entry in entries):
        raise SystemExit(f"perfeval run {' '.join(extra)} did not finish every project")
    return seconds


def _trivial_notebook(_: int) -> None:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}  # the kernel's banner
    NotebookClient(nb, kernel_name="python3").execute(**quiet)


def fresh_kernel_floor(count: int) -> float:
    """Seconds to run a trivial notebook in a new kernel ``count`` times, two at a time."""
    from concurrent.futures import ProcessPoolExecutor

    started = time.perf_counter()
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(_trivial_notebook, range(count)))
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=100, help="number of projects (default 100)")
    parser.add_argument(
        "--loop-n", type=int, default=6, help="projects for the plain loop (default 6)"
    )
    parser.add_argument("--jobs", type=int, help="perfeval run --jobs (default: one per core)")
    parser.add_argument("--notebook", type=Path, default=NOTEBOOK)
    parser.add_argument("--cluster", help="also run on this Dask cluster (local:2: one here)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="perfeval-bench-") as temp:
        root = Path(temp)
        forms = write_forms(root / "forms", args.n)
        params = root / "params"
        params.mkdir()
        loop_out = root / "loop"
        loop_out.mkdir()

        warm = batch(root / "forms", args.notebook, root / "warm", params, args.jobs)
        fresh = batch(
            root / "forms", args.notebook, root / "fresh", params, args.jobs, "--fresh-kernels"
        )
        floor = fresh_kernel_floor(args.n)
        cluster = None
        if args.cluster:
            cluster = batch(
                root / "forms",
                args.notebook,
                root / "cluster",
                params,
                None,
                "--cluster",
                args.cluster,
            )
        loop_times = plain_loop(forms[: args.loop_n], args.notebook, loop_out, params)

    per = {
        "perfeval run (warm kernels)": warm / args.n,
        "perfeval run --fresh-kernels": fresh / args.n,
        "fresh-kernel floor (trivial notebook, 2 at a time)": floor / args.n,
        f"plain loop (papermill + nbconvert CLIs, {len(loop_times)} projects)": (
            sum(loop_times) / len(loop_times)
        ),
    }
    print(f"{args.n} projects, jobs={args.jobs or 'one per core'}")
    for label, seconds in per.items():
        print(f"  {label:<60}{seconds:>7.2f} s a project")
    warm_per, loop_per, floor_per = warm / args.n, sum(loop_times) / len(loop_times), floor / args.n
    print(f"plain loop median {statistics.median(loop_times):.2f} s a project")
    to_loop, to_floor = warm_per / loop_per, warm_per / floor_per
    print(f"perfeval run / plain loop:         {to_loop:.3f} (target ≤ {LOOP_TARGET:g})")
    print(f"perfeval run / fresh-kernel floor: {to_floor:.3f} (target ≤ {FLOOR_TARGET:g})")
    print(f"perfeval run --fresh-kernels / warm: {fresh / warm:.2f}")
    if cluster is not None:
        print(
            f"perfeval run --cluster {args.cluster}: {cluster / args.n:.2f} s a project, "
            f"{cluster / warm:.2f} × the local pool ({(cluster - warm) / args.n:+.2f} s a project)"
        )
    return 0 if to_loop <= LOOP_TARGET and to_floor <= FLOOR_TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
