"""perfeval installed from its wheel (not the source tree) runs a batch from any folder:
the review notebook and everything it needs ship inside the package."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "examples" / "000_81c9c1dad6fba498.txt"


@pytest.mark.slow
def test_a_built_wheel_runs_a_batch_from_another_folder(tmp_path: Path) -> None:
    source = tmp_path / "source"  # a copy, so the build leaves the checkout alone
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", "outputs", "build", "*.egg-info", "__pycache__", ".*_cache"
        ),
    )
    wheels = tmp_path / "wheels"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(wheels), str(source)],
        check=True,
        capture_output=True,
    )
    [wheel] = wheels.glob("perfeval-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "perfeval/notebooks/review.ipynb" in names and "perfeval/py.typed" in names
    assert {
        "perfeval/show/templates/review.html.j2",
        "perfeval/show/templates/index.html.j2",
    } <= set(names)
    installed = tmp_path / "site"
    subprocess.run(
        [*pip, "install", "--no-deps", "--target", str(installed), str(wheel)],
        check=True,
        capture_output=True,
    )
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "forms").mkdir(parents=True)
    shutil.copy(SEED, elsewhere / "forms")
    env = {**os.environ, "PYTHONPATH": str(installed)}  # ahead of the editable checkout
    where = subprocess.run(
        [sys.executable, "-c", "import perfeval; print(perfeval.__file__)"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert where.stdout.strip().startswith(str(installed))
    done = subprocess.run(
        [sys.executable, "-m", "perfeval", "run", "forms", "--out", "out", "--jobs", "1"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    [folder] = [p for p in (elsewhere / "out").iterdir() if p.is_dir() and p.name != "复核报告"]
    assert {"review.ipynb", "review.html", "review.xlsx"} <= {p.name for p in folder.iterdir()}
    assert (elsewhere / "out" / "index.html").is_file()
