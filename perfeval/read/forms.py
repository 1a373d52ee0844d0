"""From paths to evaluations: find form files, read every sheet, pick the layout.

``read_forms`` never stops at a bad file: it returns what it read, what it skipped
(sheets without a form) and the errors, each naming its file and place.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..exceptions import FormError, NoFormError, PerfevalError
from ..model import Evaluation
from .district import parse_district
from .national import parse_national, recognise_national
from .sheets import FORM_SUFFIXES, Sheet, read_sheets

__all__ = ["ReadResult", "each_form", "find_form_files", "layouts", "read_form", "read_forms"]

log = logging.getLogger("perfeval")

Layout = Callable[[Sheet], Evaluation]


class LayoutRegistry:
    """Form layouts by name, each with a test that recognises its grid."""

    def __init__(self) -> None:
        self._layouts: dict[str, tuple[Callable[[Sheet], bool], Layout]] = {}

    def register(self, name: str, recognise: Callable[[Sheet], bool], parse: Layout) -> None:
        self._layouts[name] = (recognise, parse)

    def get(self, name: str) -> Layout:
        try:
            return self._layouts[name][1]
        except KeyError:
            raise PerfevalError(f"没有名为“{name}”的表样") from None

    def parse(self, sheet: Sheet) -> Evaluation:
        """Parse a sheet with the first layout that recognises it (district by default)."""
        for recognise, parse in self._layouts.values():
            if recognise(sheet):
                return parse(sheet)
        return self.get("district")(sheet)


layouts = LayoutRegistry()
layouts.register("district", lambda sheet: False, parse_district)
# Tried before the district fallback: the national form is known by its 三级指标 table.
layouts.register("national", recognise_national, parse_national)


@dataclass
class ReadResult:
    """What reading some paths gave."""

    evaluations: list[Evaluation] = field(default_factory=list)
    skipped: list[NoFormError] = field(default_factory=list)
    errors: list[FormError] = field(default_factory=list)

    def add(self, other: ReadResult) -> None:
        self.evaluations.extend(other.evaluations)
        self.skipped.extend(other.skipped)
        self.errors.extend(other.errors)


def find_form_files(path: Path) -> list[Path]:
    """Every form file under a folder (sorted), or the file itself.

    Symbolic links are followed, but each folder and each file is taken once: a link
    back up the tree (a loop) or a second link to the same form adds nothing.
    """
    if not path.is_dir():
        return [path]
    found: list[Path] = []
    seen: set[tuple[int, int]] = set()
    for root, dirs, files in os.walk(path, followlinks=True):
        folder = _identity(Path(root))
        if folder is None or folder in seen:
            dirs[:] = []
            continue
        seen.add(folder)
        dirs.sort()
        for name in sorted(files):
            candidate = Path(root) / name
            if candidate.suffix.lower() in FORM_SUFFIXES and not name.startswith(("~$", ".")):
                file = _identity(candidate)
                if file is None or file not in seen:
                    found.append(candidate)  # a broken link too: read_form says why
                if file is not None:
                    seen.add(file)
    return found


def _identity(path: Path) -> tuple[int, int] | None:
    """The file a path leads to (device, inode), following links; for a broken link, the
    link itself (reached twice, it is reported once); None if there is nothing there."""
    for stat in (path.stat, path.lstat):
        try:
            found = stat()
        except (OSError, ValueError):
            continue
        return found.st_dev, found.st_ino
    return None


def read_form(path: Path) -> tuple[list[Evaluation], list[NoFormError]]:
    """Every evaluation in one file, and the sheets that hold none.

    Raises FormError when the file cannot be read or holds no form at all.
    """
    evaluations: list[Evaluation] = []
    skipped: list[NoFormError] = []
    for sheet in read_sheets(path):
        try:
            evaluations.append(layouts.parse(sheet))
        except NoFormError as error:
            skipped.append(error)
    if not evaluations:
        if len(skipped) == 1:
            raise skipped[0]
        if not skipped:
            raise NoFormError("文件中没有任何工作表", path=str(path))
        raise NoFormError(f"{len(skipped)} 个工作表中都没有找到指标表", path=str(path))
    for notice in skipped:
        log.info("跳过 %s", notice)
    return evaluations, skipped


def each_form(paths: Iterable[str | Path]) -> Iterator[ReadResult]:
    """What each form file under the paths gave, a file at a time (a batch of 20,000 forms
    need not hold them all); one bad file never stops the others."""
    seen: set[tuple[int, int]] = set()  # a form given twice, or by two paths, is read once
    for given in paths:
        path = Path(given)
        if not path.exists():
            yield ReadResult(errors=[FormError("文件或文件夹不存在", path=str(path))])
            continue
        for file in find_form_files(path):
            identity = _identity(file)
            if identity is not None:
                if identity in seen:
                    continue
                seen.add(identity)
            try:
                evaluations, skipped = read_form(file)
            except FormError as error:
                yield ReadResult(errors=[error])
                continue
            except Exception as error:  # a form must never stop the others: say what broke
                log.info("读取 %s 时出错", file, exc_info=True)
                message = f"读取时出错，未能读入（{type(error).__name__}: {error}）"
                yield ReadResult(errors=[FormError(message, path=str(file))])
                continue
            yield ReadResult(evaluations, skipped)


def read_forms(paths: Iterable[str | Path]) -> ReadResult:
    """Read every form under the paths; one bad file never stops the others."""
    result = ReadResult()
    for one in each_form(paths):
        result.add(one)
    return result
