"""Where a review project lives: one store of adjustments, whatever folder a command or a
notebook starts from.

A project's root is the nearest folder, from the working directory upwards, that holds a
``perfeval.toml`` (as git finds ``.git``) or, failing that, a ``params/`` folder of
perfeval's (``checks.json`` or ``adjustments/`` in it). Relative paths a reviewer gives —
the form, the params folder — are read against the working directory when they exist
there, else against the root; the params folder defaults to the root's. So JupyterLab,
whose kernel starts in ``notebooks/``, and ``perfeval adjust`` run from the root save to
the same ``params/adjustments``.

``perfeval.toml`` may name the params folder: ``params = "params"`` (relative to the root).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from .exceptions import ParamsError

__all__ = ["CONFIG_NAME", "find_root", "params_dir", "resolve"]

CONFIG_NAME = "perfeval.toml"


def _is_params(folder: Path) -> bool:
    return folder.is_dir() and (
        (folder / "checks.json").is_file() or (folder / "adjustments").is_dir()
    )


def find_root(start: Path | None = None) -> Path | None:
    """The project root above ``start`` (the working directory), or None outside any."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    for folder in (here, *here.parents):
        if _is_params(folder / "params"):
            return folder
    return None


def _configured_params(root: Path) -> Path:
    config = root / CONFIG_NAME
    if not config.is_file():
        return root / "params"
    try:
        data = tomllib.loads(config.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ParamsError(f"{config}: 无法读取项目设置（{error}）") from None
    value = data.get("params", "params")
    if not isinstance(value, str) or not value.strip():
        raise ParamsError(f"{config}: params 应为参数文件夹的路径（文字）")
    return (root / value).resolve()


def params_dir(given: str | Path | None = None, start: Path | None = None) -> Path:
    """The params folder a command or notebook means.

    ``given`` absolute, or relative and existing from the working directory: that folder.
    Otherwise (the default ``"params"`` included) the project root's, or — outside any
    project — ``given`` (default ``params``) in the working directory.
    """
    here = start or Path.cwd()
    if given is not None:
        path = Path(given)
        if path.is_absolute() or (here / path).exists():
            return (here / path).resolve()
    root = find_root(here)
    if root is not None:
        if given is None or Path(given) == Path("params"):
            return _configured_params(root)
        return (root / given).resolve()
    return (here / (given if given is not None else "params")).resolve()


def resolve(path: str | Path, start: Path | None = None) -> Path:
    """A file a reviewer named: as given when it exists from the working directory,
    else from the project root (when there is one and it exists there)."""
    here = start or Path.cwd()
    given = Path(path)
    if given.is_absolute() or (here / given).exists():
        return given
    root = find_root(here)
    if root is not None and (root / given).exists():
        return root / given
    return given  # found nowhere: as given, for the error to name
