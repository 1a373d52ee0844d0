"""The package's layout: folders along the pipeline, imports running one way.

core ← read ← check ← review ← show ← run ← the command. ``check`` and ``show`` never
read files themselves (they never import ``read``), and no module reaches into another
module's ``_private`` names. The test walks every import with ``ast``, so the README's
Layout table stays true.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "perfeval"

CORE = {
    "exceptions", "model", "findings", "fmt", "atomic", "grades", "scoring", "wording", "names", "root",
    "stamp", "user",
}  # fmt: skip
LAYERS = ["core", "read", "check", "review", "show", "run", "top"]
FORBIDDEN = {("check", "read"), ("show", "read")}


def layer_of(module: str) -> str:
    """The layer of a dotted module name below ``perfeval``."""
    first = module.split(".")[0]
    if first in CORE:
        return "core"
    if first in LAYERS:
        return first
    return "top"  # cli, docs, __init__, __main__


def imports_of(path: Path) -> list[tuple[str, list[str], int]]:
    """(imported module below perfeval, imported names, line) for every perfeval import."""
    relative = path.relative_to(PACKAGE).with_suffix("")
    package = list(relative.parts[:-1])
    if relative.name == "__init__":
        package = list(relative.parts[:-1])
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                target = [*base, *(node.module.split(".") if node.module else [])]
            elif node.module and node.module.split(".")[0] == "perfeval":
                target = node.module.split(".")[1:]
            else:
                continue
            names = [alias.name for alias in node.names]
            if not target:  # from . import fmt
                for name in names:
                    found.append((name, [], node.lineno))
            else:
                found.append((".".join(target), names, node.lineno))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "perfeval":
                    found.append((".".join(alias.name.split(".")[1:]), [], node.lineno))
    return found


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_run_one_way(path: Path) -> None:
    own = layer_of(".".join(path.relative_to(PACKAGE).with_suffix("").parts))
    for target, names, line in imports_of(path):
        if not target:
            continue
        theirs = layer_of(target)
        where = f"{path.relative_to(PACKAGE)}:{line} imports {target}"
        assert LAYERS.index(theirs) <= LAYERS.index(own), f"{where}: {own} may not import {theirs}"
        assert (own, theirs) not in FORBIDDEN, f"{where}: {own} never imports {theirs}"
        private = [name for name in names if name.startswith("_") and not name.startswith("__")]
        assert not private, f"{where}: another module's private names {private}"


def test_the_layers_are_the_folders() -> None:
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert folders == {"read", "check", "review", "show", "run"}
    loose = {p.stem for p in PACKAGE.glob("*.py")}
    assert loose - CORE == {"__init__", "__main__", "cli", "docs"}


def test_no_import_cycles_between_modules() -> None:
    graph: dict[str, set[str]] = {}
    for path in modules():
        name = ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        graph[name] = set()
        for target, names, _ in imports_of(path):
            for candidate in [target, *(f"{target}.{n}" for n in names)]:
                if (PACKAGE / (candidate.replace(".", "/") + ".py")).exists():
                    graph[name].add(candidate)
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                pytest.fail("import cycle: " + " → ".join([*trail, node, nxt]))
            if nxt not in state:
                visit(nxt, [*trail, node])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
