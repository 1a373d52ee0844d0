"""What perfeval remembers for the person at this computer, not for a project: the name
the reviewer's panel fills in.

Kept in the user's own configuration folder — ``$XDG_CONFIG_HOME/perfeval`` (else
``~/.config/perfeval``), ``%APPDATA%\\perfeval`` on Windows — never in a notebook or a
project, so two reviewers sharing a project each see their own name, and re-running a
notebook keeps it. Forgetting is harmless: a name that cannot be saved or read is asked for
again.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from .atomic import write_atomic

__all__ = ["config_dir", "remember_reviewer", "remembered_reviewer"]

log = logging.getLogger("perfeval")
_REVIEWER = "reviewer.txt"
_LONGEST = 100  # a name, not a document


def config_dir() -> Path:
    """This user's perfeval configuration folder (not created here)."""
    if sys.platform == "win32" and os.environ.get("APPDATA"):
        return Path(os.environ["APPDATA"]) / "perfeval"
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "perfeval"


def remembered_reviewer() -> str:
    """The reviewer's name saved last on this computer by this user; '' if none."""
    try:
        text = (config_dir() / _REVIEWER).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""
    name = text.strip()
    return name if 0 < len(name) <= _LONGEST and "\n" not in name else ""


def remember_reviewer(name: str) -> None:
    """Keep ``name`` for the next panel this user opens (a failure is only logged)."""
    name = name.strip()
    if not name or len(name) > _LONGEST or name == remembered_reviewer():
        return
    try:
        folder = config_dir()
        folder.mkdir(parents=True, exist_ok=True)
        write_atomic(folder / _REVIEWER, name + "\n")
    except OSError as error:
        log.info("复核人姓名未能记住（%s）：%s", config_dir(), error)
