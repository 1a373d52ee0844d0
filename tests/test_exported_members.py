"""The public API is what ``perfeval.__all__`` says: nothing more, nothing missing."""

from __future__ import annotations

import perfeval


def test_all_names_the_public_members() -> None:
    public = {name for name in dir(perfeval) if not name.startswith("_")}
    modules = {name for name in public if type(getattr(perfeval, name)).__name__ == "module"}
    assert public - modules == set(perfeval.__all__)


def test_every_error_derives_from_perfeval_error() -> None:
    errors = [getattr(perfeval, name) for name in perfeval.__all__ if name.endswith("Error")]
    assert errors and all(issubclass(error, perfeval.PerfevalError) for error in errors)
