"""``manifest.json``: what each project's outputs were made from, and how its run went.

One entry per project folder: the project key, the form file's sha256 and sheet,
the parameters, the notebook's sha256, the adjustments file's and the check
settings' sha256 (null when there is none), perfeval's version and code — the
*fingerprint* — and the result (ok / failed), the error, the outputs (notebook,
HTML, workbook), the times and the figures the portfolio shows (``summary``, see
``perfeval.portfolio.ProjectFigures``). An entry is *fresh* when its fingerprint
matches the project's current one, it ended ok and its outputs are all there: a run
skips it, and the index still has its figures.

The file is rewritten atomically (temp file, fsync, ``os.replace``) after every
project, so a killed run loses at most the projects that were running.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from ..atomic import write_atomic

__all__ = [
    "MANIFEST_NAME",
    "MANIFEST_VERSION",
    "Manifest",
    "code_sha256",
    "perfeval_version",
    "sha256_of",
]

log = logging.getLogger("perfeval")

MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = 1
#: The outputs a project that ended ok has; an entry missing one is redone.
OUTPUTS = ("notebook", "html", "workbook")


def sha256_of(path: Path | None) -> str | None:
    """The file's sha256 in hex, or None when there is no such file."""
    if path is None or not path.is_file():
        return None
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def perfeval_version() -> str:
    try:
        return metadata.version("perfeval")
    except metadata.PackageNotFoundError:
        return "unknown"


@functools.cache
def code_sha256() -> str:
    """A sha256 of perfeval's own code and templates as installed: any change to a check,
    a page or the notebook makes every output stale (the version number alone does not
    change between commits)."""
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".ipynb", ".html", ".css", ".j2"):
            digest.update(path.relative_to(package).as_posix().encode("utf-8") + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()


class Manifest:
    """The manifest of an output folder; entries are plain JSON objects keyed by folder name."""

    def __init__(self, path: Path, projects: dict[str, dict[str, Any]] | None = None) -> None:
        self.path = path
        self.projects: dict[str, dict[str, Any]] = projects or {}

    @classmethod
    def load(cls, path: Path) -> Manifest:
        """The manifest at ``path``; empty (everything will be redone) if missing or unreadable."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls(path)
        except (OSError, ValueError) as error:
            log.warning("%s 无法读取（%s），所有项目将重做", path, error)
            return cls(path)
        projects = data.get("projects") if isinstance(data, dict) else None
        if not isinstance(projects, dict):
            log.warning("%s 不是 perfeval 的清单，所有项目将重做", path)
            return cls(path)
        return cls(path, {k: v for k, v in projects.items() if isinstance(v, dict)})

    def fresh(self, folder: str, fingerprint: dict[str, Any]) -> dict[str, Any] | None:
        """The folder's entry when its outputs are still good for ``fingerprint``, else None."""
        entry = self.projects.get(folder)
        if entry is None or entry.get("result") != "ok":
            return None
        if any(entry.get(name) != value for name, value in fingerprint.items()):
            return None
        outputs = entry.get("outputs")
        if not isinstance(outputs, dict) or not set(OUTPUTS) <= outputs.keys():
            return None
        root = self.path.parent
        if not all((root / str(outputs[name])).is_file() for name in OUTPUTS):
            return None
        return entry

    def record(self, folder: str, entry: dict[str, Any]) -> None:
        """Set the folder's entry and save the manifest."""
        self.projects[folder] = entry
        self.save()

    def save(self) -> None:
        data = {
            "version": MANIFEST_VERSION,
            "perfeval_version": perfeval_version(),
            "updated_at": datetime.now().astimezone().isoformat(timespec="seconds"),
            "projects": dict(sorted(self.projects.items())),
        }
        write_atomic(self.path, json.dumps(data, ensure_ascii=False, indent=2) + "\n")
