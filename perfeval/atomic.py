"""Writing a file so that a reader sees the old one or the complete new one, never a part;
and the one exclusive lock every writer takes (``exclusive_lock``).

Every output and every store file goes through ``write_atomic``: a temp file in the
same folder, flushed and fsync'd, then ``os.replace``d over the target. A killed
process leaves at most a temp file, which ``remove_partials`` clears.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import filelock

__all__ = ["PARTIAL_PREFIX", "LockBusy", "exclusive_lock", "remove_partials", "write_atomic"]

PARTIAL_PREFIX = ".partial-"  # temp outputs: .partial-review.html-x8f3, .partial-review-1234.ipynb


def _file_mode(path: Path) -> int:
    """The target's own mode, or the mode ``open()`` would give a new file (0o666 less the umask)."""
    if path.exists():
        return path.stat().st_mode & 0o777
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def write_atomic(
    path: Path, data: str | bytes, *, prefix: str | None = None, suffix: str = ""
) -> None:
    """Write ``data`` to ``path`` through a temp file named ``prefix…suffix`` beside it.

    Raises OSError (the target untouched, no temp file left) when it cannot.
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    prefix = prefix if prefix is not None else f"{PARTIAL_PREFIX}{path.name}-"
    fd, temp = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=path.parent)
    try:
        os.fchmod(fd, _file_mode(path))  # mkstemp makes 0600; outputs are for sharing
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def remove_partials(folder: Path) -> None:
    """Delete the temp files a killed run left in a folder."""
    for leftover in folder.glob(f"{PARTIAL_PREFIX}*"):
        leftover.unlink(missing_ok=True)


class LockBusy(Exception):
    """Another process holds the lock and the caller chose not to wait."""


@contextlib.contextmanager
def exclusive_lock(path: Path, *, wait: bool = True) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (a sidecar lock file) for the block.

    The operating system's own file lock, released when the holder exits however it
    exits, so a killed process never leaves a stale lock: on POSIX ``flock``, whose
    blocked waiters the kernel wakes in turn (reviewers saving at once interleave); on
    Windows ``filelock``'s. ``wait=False`` raises ``LockBusy`` at once when another process
    holds it; ``OSError`` when the lock file cannot be created.
    """
    if os.name != "posix":
        lock = filelock.FileLock(str(path), timeout=-1 if wait else 0, thread_local=False)
        try:
            lock.acquire()
        except filelock.Timeout:
            raise LockBusy(str(path)) from None
        try:
            yield
        finally:
            lock.release()
        return
    import fcntl

    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockBusy(str(path)) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
