"""``manifest.jsonl``: what each project's outputs were made from, and how its run went.

One entry per project folder: the project key, the form file's sha256 and sheet,
the parameters, the notebook's sha256, the adjustments file's and the check
settings' sha256 (null when there is none), perfeval's version and code — the
*fingerprint* — and the result (ok / failed), the error, the outputs (notebook,
HTML, workbook), the times and the figures the portfolio shows (``summary``, see
``perfeval.portfolio.ProjectFigures``). An entry is *fresh* when its fingerprint
matches the project's current one, it ended ok and its outputs are all there: a run
skips it, and the index still has its figures.

The file is a log appended (and fsync'd) as each project ends, never rewritten per
project, so a run of 20,000 projects spends no more on it per project than a run of ten,
and a killed run loses at most the projects that were running.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
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

MANIFEST_NAME = "manifest.jsonl"
MANIFEST_VERSION = 2
#: The whole-file manifest of perfeval 0.1, read once and replaced.
LEGACY_NAME = "manifest.json"
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
    """The manifest of an output folder: entries (plain JSON objects) keyed by folder name.

    ``manifest.jsonl`` is a log: a header line, then one line per recorded entry, appended
    and flushed to disk as each project ends; the last line for a folder is its entry. A
    save per project costs one short write however long the run (the whole file rewritten
    each time made a province-year quadratic). A line cut short by a kill is ignored, and
    the run that loads the log rewrites it compacted (atomically) when superseded lines
    outnumber the live ones. A ``manifest.json`` of perfeval 0.1 is read once and replaced.
    """

    def __init__(self, path: Path, projects: dict[str, dict[str, Any]] | None = None) -> None:
        self.path = path
        self.projects: dict[str, dict[str, Any]] = projects or {}
        self._lines = len(self.projects)  # entry lines in the file, superseded ones included
        self._cut_short = False  # the file ends in a line cut short that could not be mended

    @classmethod
    def load(cls, path: Path) -> Manifest:
        """The manifest at ``path``; empty (everything will be redone) if missing or unreadable."""
        legacy = path.with_name(LEGACY_NAME)
        if not path.exists() and legacy.exists():
            manifest = cls._load_legacy(path, legacy)
            manifest.compact()
            legacy.unlink(missing_ok=True)
            return manifest
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return cls(path)
        except (OSError, UnicodeDecodeError) as error:
            log.warning("%s 无法读取（%s），所有项目将重做", path, error)
            return cls(path)
        manifest, lines, clean = cls(path), 0, text.endswith("\n")
        for number, line in enumerate(text.splitlines(), start=1):
            try:
                data = json.loads(line)
            except ValueError:
                clean = False  # a line cut short by a kill: that project is redone
                continue
            if number == 1 and isinstance(data, dict) and "manifest" in data:
                continue
            entry = data.get("entry") if isinstance(data, dict) else None
            if isinstance(entry, dict) and isinstance(data.get("folder"), str):
                manifest.projects[data["folder"]] = entry
                lines += 1
            else:
                clean = False
        manifest._lines = lines
        if not clean:  # rewritten whole before anything is appended to a damaged end
            log.warning("%s 末尾不完整或有损坏的行（上次运行可能被中断），已整理", path)
            try:
                manifest.compact()
            except OSError as error:  # a full disk: appends start on a line of their own
                log.warning("%s 未能整理（%s）", path, error)
                manifest._cut_short = not text.endswith("\n")
        return manifest

    @classmethod
    def _load_legacy(cls, path: Path, legacy: Path) -> Manifest:
        try:
            data = json.loads(legacy.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            log.warning("%s 无法读取（%s），所有项目将重做", legacy, error)
            return cls(path)
        projects = data.get("projects") if isinstance(data, dict) else None
        if not isinstance(projects, dict):
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
        """Set the folder's entry and append it to the log, flushed to disk."""
        self.projects[folder] = entry
        line = json.dumps({"folder": folder, "entry": entry}, ensure_ascii=False) + "\n"
        if self._cut_short:  # never glued to the end of a line a kill cut short
            line = "\n" + line
        if not self.path.exists():
            self.compact()
            return
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())
        self._lines += 1
        self._cut_short = False

    def compact(self) -> None:
        """Rewrite the log whole (atomically): a header and one line per folder."""
        header = {
            "manifest": MANIFEST_VERSION,
            "perfeval_version": perfeval_version(),
            "written_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        }
        lines = [json.dumps(header, ensure_ascii=False)]
        lines += [
            json.dumps({"folder": folder, "entry": entry}, ensure_ascii=False)
            for folder, entry in sorted(self.projects.items())
        ]
        write_atomic(self.path, "\n".join(lines) + "\n")
        self._lines = len(self.projects)
        self._cut_short = False

    def save(self) -> None:
        """After planning: the log compacted when it has grown past twice its live entries."""
        if not self.path.exists() or self._lines > 2 * max(len(self.projects), 1):
            self.compact()
