"""The run's manifest is a log: appended as projects end, never rewritten per project."""

from __future__ import annotations

import errno
import json
from pathlib import Path

import pytest

from perfeval.run.manifest import LEGACY_NAME, MANIFEST_NAME, Manifest


def entry(n: int) -> dict[str, object]:
    return {"key": f"k{n}", "result": "ok", "outputs": {}, "summary": {"n": n}}


def test_a_record_appends_one_line_and_the_last_line_wins(tmp_path: Path) -> None:
    path = tmp_path / MANIFEST_NAME
    manifest = Manifest.load(path)
    manifest.save()
    for n in range(3):
        manifest.record(f"p{n}", entry(n))
    manifest.record("p1", entry(10))
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 + 4  # the header, then one line a record: nothing rewritten
    again = Manifest.load(path)
    assert again.projects == {"p0": entry(0), "p1": entry(10), "p2": entry(2)}


def test_a_line_cut_short_by_a_kill_is_dropped_and_the_log_repaired(tmp_path: Path) -> None:
    path = tmp_path / MANIFEST_NAME
    manifest = Manifest.load(path)
    manifest.save()
    manifest.record("p0", entry(0))
    manifest.record("p1", entry(1))
    with path.open("a", encoding="utf-8") as handle:
        handle.write('{"folder": "p2", "entry": {"key"')  # killed mid-line
    again = Manifest.load(path)
    assert set(again.projects) == {"p0", "p1"}
    again.record("p2", entry(2))
    assert set(Manifest.load(path).projects) == {"p0", "p1", "p2"}


def test_a_log_grown_past_twice_its_entries_is_compacted(tmp_path: Path) -> None:
    path = tmp_path / MANIFEST_NAME
    manifest = Manifest.load(path)
    manifest.save()
    for n in range(10):
        manifest.record("p", entry(n))
    again = Manifest.load(path)
    again.save()
    assert len(path.read_text(encoding="utf-8").splitlines()) == 2
    assert Manifest.load(path).projects == {"p": entry(9)}


def test_the_older_whole_file_manifest_is_read_once_and_replaced(tmp_path: Path) -> None:
    legacy = tmp_path / LEGACY_NAME
    legacy.write_text(json.dumps({"version": 1, "projects": {"p0": entry(0)}}), encoding="utf-8")
    manifest = Manifest.load(tmp_path / MANIFEST_NAME)
    assert manifest.projects == {"p0": entry(0)}
    assert not legacy.exists() and (tmp_path / MANIFEST_NAME).exists()


def test_a_cut_line_on_a_full_disk_is_left_and_the_next_entry_starts_its_own_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / MANIFEST_NAME
    manifest = Manifest(path)
    manifest.record("a", {"result": "ok"})
    with path.open("a", encoding="utf-8") as handle:
        handle.write('{"folder": "b", "entry": {"res')  # a kill mid-append

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("perfeval.run.manifest.write_atomic", full)
    loaded = Manifest.load(path)  # cannot mend the file: reads it all the same
    assert set(loaded.projects) == {"a"}
    loaded.record("c", {"result": "ok"})
    assert set(Manifest.load(path).projects) == {"a", "c"}
