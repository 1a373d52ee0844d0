"""What a run leaves in its output folder, as the tests look at it."""

from __future__ import annotations

from pathlib import Path

from perfeval.show.unitreport import REPORTS_DIR


def project_folders(out: Path) -> list[Path]:
    """The run's project folders, sorted: not the units' 复核报告, not hidden folders."""
    return sorted(
        p
        for p in out.iterdir()
        if p.is_dir() and p.name != REPORTS_DIR and not p.name.startswith(".")
    )
