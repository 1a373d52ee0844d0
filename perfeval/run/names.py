"""A run's project folder names: readable, collision-free, and always inside ``--out``.

``<year>-<unit>-<project>-<key[:6]>`` from the form's own words, made safe by
``perfeval.names``; a second source of the same project gets a hash of its source too.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path

from ..model import Evaluation
from ..names import MAX_NAME, MAX_NAME_BYTES, cut, safe_name

__all__ = ["FolderNamer", "folder_names"]

_BRACKETED = re.compile(r"[(（\[【][^)）\]】]*[)）\]】]")


def _short_unit(unit: str) -> str:
    """上海市闵行区人民政府古美路街道办事处 (党建办) → 古美路街道."""
    text = _BRACKETED.sub("", unicodedata.normalize("NFKC", unit)).strip()
    text = re.sub(r"^.*人民政府", "", text) or text
    return re.sub(r"办事处$", "", text) or text


def _base_name(evaluation: Evaluation) -> str:
    project = evaluation.project
    name = project.name or ""
    parts = [
        str(evaluation.year) if evaluation.year else "无年度",
        safe_name(_short_unit(project.unit or ""), 20, 60),
        safe_name(_BRACKETED.sub("", name).strip() or name, 40, 120) or "未命名项目",
        evaluation.key[:6],
    ]
    return safe_name("-".join(part for part in parts if part))


class FolderNamer:
    """Readable, collision-free folder names, one evaluation at a time.

    ``<year>-<unit>-<project>-<key[:6]>``; a second form of the same project (the
    same key: a re-sent file, another format) gets ``-<hash of its source>`` too.
    """

    def __init__(self) -> None:
        self._taken: set[str] = set()

    def name(self, evaluation: Evaluation) -> str:
        name = _base_name(evaluation)
        if name.lower() in self._taken:
            source = f"{Path(evaluation.source.path).resolve()}|{evaluation.source.sheet}"
            digest = hashlib.sha256(source.encode("utf-8", "surrogateescape")).hexdigest()
            name = f"{cut(name, MAX_NAME - 7, MAX_NAME_BYTES - 7)}-{digest[:6]}"
        base, number = name, 2
        while name.lower() in self._taken:  # two sources with one hash: count on
            suffix = f"-{number}"
            name = cut(base, MAX_NAME - len(suffix), MAX_NAME_BYTES - len(suffix)) + suffix
            number += 1
        self._taken.add(name.lower())
        return name


def folder_names(evaluations: list[Evaluation]) -> list[str]:
    """:class:`FolderNamer`'s names for ``evaluations``, in their order."""
    namer = FolderNamer()
    return [namer.name(evaluation) for evaluation in evaluations]
