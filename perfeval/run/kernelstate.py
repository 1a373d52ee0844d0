"""Inside a kernel that runs project after project: a clean start for each, and a check
that the last one left nothing behind.

``perfeval.run.warm`` calls these in the kernel: :func:`start` before each project's first
cell, :func:`leftovers` after its last. ``start`` empties the user namespace (imported modules
stay, which is what makes a warm kernel fast), closes the widgets the last project made,
starts execution counts at 1 again and sets the working directory. ``leftovers`` names what
the project changed outside its own namespace — a module attribute rebound (a monkeypatch),
a class attribute replaced, ``sys.path``, the environment, warning filters or pandas options —
and the worker then stops this kernel instead of handing it to the next project.

A module global that was None and now holds a value is taken for a cache filled on first use
(``tempfile._name_sequence``) and remembered as it is. Modules a project imports for the first time are remembered as they were at its end: a
module that the same project both imports and patches is not seen. The review notebook's
modules are imported when the kernel starts, before any project runs.
"""

from __future__ import annotations

import copy
import os
import sys
import warnings
from typing import Any

__all__ = ["leftovers", "start"]

# Attributes that change as a matter of course and carry nothing to the next project.
_VOLATILE = {
    "__warningregistry__",
    "last_type",
    "last_value",
    "last_traceback",
    "last_exc",
}
# What the kernel itself swaps for each request it runs (ipykernel's input and display hooks).
_PER_REQUEST = {
    "builtins.input",
    "builtins.get_ipython",
    "getpass.getpass",
    "sys.displayhook",
    "sys.excepthook",
}
_MISSING = object()

# module name -> (module, its attributes, {class name: the class's attributes})
_modules: dict[str, tuple[Any, dict[str, Any], dict[str, dict[str, Any]]]] = {}
_process: dict[str, Any] = {}


def _user_modules() -> set[str]:
    shell = _shell()
    names = {"__main__", "builtins"} if shell is None else {"__main__"}
    if shell is not None:
        names.add(getattr(shell.user_module, "__name__", "__main__"))
    return names


def _shell() -> Any:
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def _attributes(namespace: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in namespace.items() if name not in _VOLATILE}


def _snapshot(module: Any) -> tuple[Any, dict[str, Any], dict[str, dict[str, Any]]]:
    namespace = getattr(module, "__dict__", {})
    classes = {
        name: dict(vars(value))
        for name, value in namespace.items()
        if isinstance(value, type) and value.__module__ == getattr(module, "__name__", None)
    }
    return module, _attributes(namespace), classes


def _pandas_options() -> Any:
    config = sys.modules.get("pandas._config.config")
    return copy.deepcopy(getattr(config, "_global_config", None))


def _process_state() -> dict[str, Any]:
    return {
        "sys.path": list(sys.path),
        "os.environ": dict(os.environ),
        "warnings.filters": list(warnings.filters),
        "pandas options": _pandas_options(),
    }


def _remember_new() -> None:
    skip = _user_modules()
    for name, module in list(sys.modules.items()):
        if name not in _modules and name not in skip and module is not None:
            _modules[name] = _snapshot(module)


def start(cwd: str) -> None:
    """Make the kernel ready for the next project."""
    shell = _shell()
    widgets = sys.modules.get("ipywidgets")
    if widgets is not None:
        widgets.Widget.close_all()
    if shell is not None:
        shell.reset(new_session=True)  # the namespace, Out/_ history; execution count to 1
    os.chdir(cwd)
    if not _process:
        _remember_new()
        _process.update(_process_state())


def _same_constant(a: object, b: object) -> bool:
    """Rebound to an equal immutable value (``time.tzname`` after ``time.tzset()``)."""
    constants = (str, bytes, int, float, bool, tuple, frozenset, type(None))
    return type(a) is type(b) and isinstance(a, constants) and a == b


def _changed_module(name: str) -> str | None:
    module, attributes, classes = _modules[name]
    if sys.modules.get(name) is not module:
        return f"模块 {name} 被替换或移除"
    now = _attributes(getattr(module, "__dict__", {}))
    for attribute, value in list(attributes.items()):
        current = now.get(attribute, _MISSING)
        if (
            current is value
            or f"{name}.{attribute}" in _PER_REQUEST
            or _same_constant(current, value)
        ):
            continue
        if value is None and current is not _MISSING:
            attributes[attribute] = current  # a cache filled on first use (None until then)
            continue
        return f"{name}.{attribute} 被改动"
    for class_name, class_attributes in classes.items():
        cls = attributes[class_name]
        for attribute, value in class_attributes.items():
            if vars(cls).get(attribute, _MISSING) is not value:
                return f"{name}.{class_name}.{attribute} 被改动"
        added = vars(cls).keys() - class_attributes.keys()
        if added:
            return f"{name}.{class_name} 多了 {sorted(added)[0]}"
    return None


def leftovers(limit: int = 5) -> list[str]:
    """What the project changed outside its own namespace (at most ``limit`` items); [] if clean."""
    found: list[str] = []
    for name in list(_modules):
        change = _changed_module(name)
        if change is not None:
            found.append(change)
            if len(found) >= limit:
                return found
    now = _process_state()
    found.extend(f"{what} 被改动" for what, value in _process.items() if now[what] != value)
    _remember_new()
    return found[:limit]
