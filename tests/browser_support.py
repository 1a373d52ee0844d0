"""Helpers for tests that drive a real, headless Chromium.

Plain functions and context managers, no pytest fixtures, so any test module can
``from browser_support import ...`` (pytest's default "prepend" import mode puts
``tests/`` on ``sys.path``).

Two kinds of page are covered:

* a static HTML file (a rendered review), opened as ``file://`` with every other
  request aborted and recorded, so a test can assert that the page loads nothing
  from outside and that it prints to an A4 PDF;
* JupyterLab, started on a free localhost port with throw-away settings, workspaces,
  runtime, config and IPython folders, so a test can open a notebook, run it and
  drive its widgets as a reviewer would.

The browser is Debian's ``/usr/bin/chromium``; Playwright never downloads one. When it
is missing, :func:`launch_browser` raises instead of letting the test skip: CI
installs it, and a browser test that silently skips tests nothing.

All ``timeout`` arguments are in seconds. Process handling reads ``/proc`` and so
assumes Linux, which is what the developers and CI run.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page, Route

__all__ = [
    "CHROMIUM_ARGS",
    "CHROMIUM_PATH",
    "BrowserHarnessError",
    "LabServer",
    "chromium_available",
    "descendant_pids",
    "jupyterlab_server",
    "launch_browser",
    "live_group_members",
    "open_notebook",
    "open_offline",
    "pid_alive",
    "print_to_pdf",
    "run_all_cells",
    "wait_for_text",
]

CHROMIUM_PATH = Path("/usr/bin/chromium")
"""Debian's Chromium; the only browser these tests use."""

CHROMIUM_ARGS: tuple[str, ...] = (
    "--no-sandbox",  # we run as root, where Chromium's sandbox refuses to start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
"""Flags for a headless Chromium on a machine without internet."""

# Settings pre-seeded into JupyterLab's user-settings folder. Without them JupyterLab 4
# asks "Would you like to get notified about official Jupyter news?" in a toast that
# can cover the notebook, and would try to reach the internet for news and updates.
_LAB_SETTINGS: dict[str, dict[str, object]] = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}


class BrowserHarnessError(RuntimeError):
    """The browser or JupyterLab could not be started or did not reach the expected state.

    The message says what was waited for and, for JupyterLab, ends with the tail of
    the server's log.
    """


# --------------------------------------------------------------------------- Chromium


def chromium_available() -> bool:
    """Whether ``/usr/bin/chromium`` exists and Playwright's Python package imports."""
    if not (CHROMIUM_PATH.is_file() and os.access(CHROMIUM_PATH, os.X_OK)):
        return False
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return True


@contextlib.contextmanager
def launch_browser(*, timeout: float = 30) -> Iterator[Browser]:
    """Start a headless Chromium (``/usr/bin/chromium``) and yield a Playwright ``Browser``.

    Closes the browser and stops Playwright on exit. Raises
    :class:`BrowserHarnessError` when Chromium or Playwright is missing.
    """
    if not chromium_available():
        raise BrowserHarnessError(
            f"browser tests need Chromium at {CHROMIUM_PATH} and the Python package "
            "'playwright' (install with 'apt-get install chromium' and "
            "'pip install -e .[test]'; never 'playwright install')"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM_PATH),
            headless=True,
            args=list(CHROMIUM_ARGS),
            timeout=timeout * 1000,
        )
        try:
            yield browser
        finally:
            browser.close()


# ------------------------------------------------------------------------ static pages

# Requests that never leave the page, so they do not count as "loaded from outside".
_INLINE_SCHEMES = ("data:", "blob:", "about:")


@contextlib.contextmanager
def open_offline(
    browser: Browser, html_path: Path, *, timeout: float = 30
) -> Iterator[tuple[Page, list[str]]]:
    """Open a local HTML file as ``file://`` with everything else blocked.

    Yields ``(page, requested)``: ``requested`` lists, in order and once each, every URL the page
    asked for other than the file itself (``data:``/``blob:`` URLs excepted, they are
    inline); each such request was aborted. An empty list means the page is
    self-contained. The page has finished loading (including aborted subresources)
    when this yields. The browser context is closed on exit.
    """
    page_url = html_path.resolve().as_uri()
    requested: list[str] = []

    def note(url: str) -> None:
        if url != page_url and not url.startswith(_INLINE_SCHEMES) and url not in requested:
            requested.append(url)

    context = browser.new_context(service_workers="block")
    try:

        def route(route_: Route) -> None:
            url = route_.request.url
            if url == page_url:
                route_.continue_()
            else:
                note(url)
                route_.abort("blockedbyclient")

        # The route aborts (file:// subresources included); the "request" event is a
        # second witness for anything that reaches the network without a route.
        context.route("**/*", route)
        context.on("request", lambda request: note(request.url))
        page = context.new_page()
        page.on("websocket", lambda ws: note(ws.url))
        page.goto(page_url, wait_until="load", timeout=timeout * 1000)
        page.wait_for_load_state("networkidle", timeout=timeout * 1000)
        yield page, requested
    finally:
        context.close()


def print_to_pdf(page: Page, path: Path) -> Path:
    """Print ``page`` as the browser would to an A4 PDF at ``path`` and return ``path``.

    Backgrounds are printed so coloured table cells survive. Works in headless
    Chromium only, which is what :func:`launch_browser` starts.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    page.emulate_media(media="print")
    page.pdf(path=str(path), format="A4", print_background=True)
    return path


def wait_for_text(page: Page, text: str, timeout: float = 10) -> Locator:
    """Wait until ``text`` is visible somewhere on ``page``; return its first locator.

    Matches a substring of an element's text, case-sensitively and ignoring
    surrounding whitespace. Raises Playwright's ``TimeoutError`` after ``timeout``
    seconds.
    """
    locator = page.get_by_text(text).first
    locator.wait_for(state="visible", timeout=timeout * 1000)
    return locator


# ---------------------------------------------------------------------------- processes


def _proc_stat(pid: int) -> tuple[str, int, int] | None:
    """``(state, ppid, pgrp)`` from ``/proc/<pid>/stat``, or None when it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name is in parentheses and may itself contain spaces or ')'.
    fields = raw[raw.rindex(")") + 2 :].split()
    return fields[0], int(fields[1]), int(fields[2])


def _all_stats() -> dict[int, tuple[str, int, int]]:
    stats: dict[int, tuple[str, int, int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _proc_stat(int(entry.name))) is not None:
            stats[int(entry.name)] = stat
    return stats


def pid_alive(pid: int) -> bool:
    """Whether ``pid`` is a running process (a zombie awaiting its reaper counts as gone)."""
    stat = _proc_stat(pid)
    return stat is not None and stat[0] not in ("Z", "X")


def descendant_pids(pid: int) -> set[int]:
    """Live children, grandchildren, ... of ``pid``, whatever process group they are in.

    Jupyter starts each kernel in a session of its own, so a kernel is a descendant
    of the server but not a member of the server's process group.
    """
    stats = _all_stats()
    children: dict[int, list[int]] = {}
    for child, (state, ppid, _) in stats.items():
        if state not in ("Z", "X"):
            children.setdefault(ppid, []).append(child)
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def live_group_members(pgid: int) -> set[int]:
    """Live processes in process group ``pgid`` (zombies excluded)."""
    return {
        pid
        for pid, (state, _, pgrp) in _all_stats().items()
        if pgrp == pgid and state not in ("Z", "X")
    }


def _kill_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _wait_gone(pids: Iterable[int], timeout: float) -> set[int]:
    """Wait up to ``timeout`` seconds for ``pids`` to exit; return those still alive."""
    deadline = time.monotonic() + timeout
    left = {pid for pid in pids if pid_alive(pid)}
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = {pid for pid in left if pid_alive(pid)}
    return left


# --------------------------------------------------------------------------- JupyterLab


@dataclass(frozen=True)
class LabServer:
    """A running JupyterLab started by :func:`jupyterlab_server`."""

    url: str
    """Base URL without a trailing slash, e.g. ``http://127.0.0.1:PORT``."""
    token: str
    port: int
    root_dir: Path
    process: subprocess.Popen[bytes]
    """The server; it leads its own session, so its pid is also its process group id."""
    log_path: Path
    """Where the server's stdout and stderr go."""

    def api_url(self, path: str) -> str:
        """``{url}/{path}?token=...`` for a server path such as ``api/status``."""
        separator = "&" if "?" in path else "?"
        return f"{self.url}/{path.lstrip('/')}{separator}token={self.token}"

    def log_tail(self, lines: int = 40) -> str:
        """The last ``lines`` lines of the server's log."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError as error:
            return f"(no log: {error})"
        return "\n".join(text.splitlines()[-lines:])


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _status_ok(lab: LabServer) -> bool:
    # No proxies: an http_proxy in the environment must not see localhost requests.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(lab.api_url("api/status"), timeout=2) as response:
            return response.status == 200 and "started" in json.load(response)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _lab_environment(state_dir: Path) -> dict[str, str]:
    """The server's environment: every Jupyter/IPython folder is a fresh one in ``state_dir``.

    The kernel inherits it. ``JUPYTER_DATA_DIR`` is replaced too, so no kernel spec
    from the user's folder can shadow the virtualenv's ``python3`` (whose ``python``
    argv Jupyter resolves to the server's own interpreter, ``sys.executable``).
    """
    env = dict(os.environ)
    env.pop("JUPYTER_PATH", None)
    env.pop("JUPYTER_CONFIG_PATH", None)
    folders = {
        "JUPYTERLAB_SETTINGS_DIR": "settings",
        "JUPYTERLAB_WORKSPACES_DIR": "workspaces",
        "JUPYTER_RUNTIME_DIR": "runtime",
        "JUPYTER_CONFIG_DIR": "config",
        "JUPYTER_DATA_DIR": "data",
        "IPYTHONDIR": "ipython",
    }
    for variable, name in folders.items():
        folder = state_dir / name
        folder.mkdir(parents=True, exist_ok=True)
        env[variable] = str(folder)
    env["JUPYTER_PREFER_ENV_PATH"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    for name, values in _LAB_SETTINGS.items():
        target = state_dir / "settings" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values, indent=2), encoding="utf-8")
    return env


def _lab_command(port: int, token: str, root_dir: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--allow-root",
        "--ip=127.0.0.1",
        f"--port={port}",
        # Fail instead of quietly moving to the next port, which we would not know.
        "--ServerApp.port_retries=0",
        # ServerApp.token still works but is deprecated since Jupyter Server 2.0.
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root_dir}",
        # window.jupyterapp: lets run_all_cells() and open_notebook() use Lab's commands.
        "--LabApp.expose_app_in_browser=True",
        # Nothing that reaches the internet: no news feed, update check or PyPI listing.
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",
    ]


def _stop_lab(process: subprocess.Popen[bytes], timeout: float) -> None:
    """Stop the server's process group and the kernels it started, nothing else.

    SIGTERM lets the server shut its kernels down; whatever is still alive after
    ``timeout`` seconds gets SIGKILL: the group, then each kernel's own group.
    """
    pgid = process.pid
    started = descendant_pids(process.pid)
    # Kernels lead their own process group; remember which of them to clean up.
    kernel_groups = {pid for pid in started if (stat := _proc_stat(pid)) and stat[2] == pid}
    if process.poll() is None:
        _kill_group(pgid, signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        _kill_group(pgid, signal.SIGKILL)
        process.wait(timeout)
    left = _wait_gone(started | live_group_members(pgid), timeout)
    if left:
        _kill_group(pgid, signal.SIGKILL)
        for group in kernel_groups & left:
            _kill_group(group, signal.SIGKILL)
        for pid in left:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        _wait_gone(left, timeout)


@contextlib.contextmanager
def jupyterlab_server(
    root_dir: Path,
    *,
    timeout: float = 60,
    stop_timeout: float = 10,
    extra_args: Sequence[str] = (),
) -> Iterator[LabServer]:
    """Run JupyterLab on ``root_dir`` for the duration of the ``with`` block.

    The server listens on a free 127.0.0.1 port with a random token, uses the
    virtualenv's interpreter and ``python3`` kernel, and keeps its settings,
    workspaces, runtime, config and IPython folders in a temporary folder (so the
    user's ``~/.jupyter`` is never read or written). News, update checks and the
    PyPI extension listing are off and the news question is pre-answered, so nothing
    pops up over a notebook. Output goes to ``LabServer.log_path`` in that folder.

    Yields once ``/api/status`` answers, or raises :class:`BrowserHarnessError` with
    the log's tail after ``timeout`` seconds. On exit the server's process group and
    the kernels it started are stopped (SIGTERM, then SIGKILL after
    ``stop_timeout`` seconds). ``extra_args`` are appended to the command line, e.g.
    ``["--ServerApp.iopub_data_rate_limit=1e10"]``; repeating an option that is
    already set makes the server refuse to start.

    The log and the temporary folders are deleted on exit.
    """
    root_dir = root_dir.resolve()
    if not root_dir.is_dir():
        raise BrowserHarnessError(f"JupyterLab's root_dir {root_dir} is not a folder")
    with tempfile.TemporaryDirectory(prefix="perfeval-lab-") as temp:
        state_dir = Path(temp)
        env = _lab_environment(state_dir)
        log_path = state_dir / "jupyterlab.log"
        token = secrets.token_hex(16)
        port = _free_port()
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [*_lab_command(port, token, root_dir), *extra_args],
                cwd=root_dir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        lab = LabServer(
            url=f"http://127.0.0.1:{port}",
            token=token,
            port=port,
            root_dir=root_dir,
            process=process,
            log_path=log_path,
        )
        try:
            deadline = time.monotonic() + timeout
            while not _status_ok(lab):
                if process.poll() is not None:
                    raise BrowserHarnessError(
                        f"JupyterLab exited with code {process.returncode} before "
                        f"answering on port {port}; log tail:\n{lab.log_tail()}"
                    )
                if time.monotonic() > deadline:
                    raise BrowserHarnessError(
                        f"JupyterLab did not answer {lab.url}/api/status within "
                        f"{timeout:g} s; log tail:\n{lab.log_tail()}"
                    )
                time.sleep(0.2)
            yield lab
        finally:
            _stop_lab(process, stop_timeout)


# ---------------------------------------------------------------------------- notebooks

# Run in the page; needs window.jupyterapp (see --LabApp.expose_app_in_browser above).
_NOTEBOOK_READY_JS = """
(path) => {
  const app = window.jupyterapp;
  const panel = app && app.shell.currentWidget;
  if (!panel || !panel.context || panel.context.path !== path) return false;
  const session = panel.sessionContext;
  const kernel = session && session.session && session.session.kernel;
  return panel.context.isReady && session.isReady && !!kernel
      && kernel.connectionStatus === 'connected' && kernel.status === 'idle';
}
"""

_RUN_ALL_JS = """
() => {
  window.__perfevalRunAll = 'running';
  window.jupyterapp.commands.execute('notebook:run-all-cells').then(
    () => { window.__perfevalRunAll = 'done'; },
    (error) => { window.__perfevalRunAll = 'error: ' + error; },
  );
}
"""

_RUN_FINISHED_JS = """
() => {
  const state = window.__perfevalRunAll;
  if (state !== 'done' && !String(state).startsWith('error')) return false;
  const panel = window.jupyterapp.shell.currentWidget;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  const busy = [...panel.node.querySelectorAll('.jp-InputPrompt')]
      .some((prompt) => prompt.textContent.includes('*'));
  return !busy && !!kernel && kernel.status === 'idle';
}
"""


def open_notebook(page: Page, lab: LabServer, relative_path: str, *, timeout: float = 60) -> None:
    """Open ``relative_path`` (relative to the server's root) in JupyterLab.

    Returns once the notebook is the current tab, its cells are in the page and its
    kernel is connected and idle. The notebook should name its kernel in
    ``metadata.kernelspec`` (``python3``); otherwise the "Select Kernel" dialog is
    accepted with JupyterLab's default.
    """
    relative_path = relative_path.lstrip("/")
    url = f"{lab.url}/lab/tree/{urllib.parse.quote(relative_path)}?token={lab.token}"
    page.goto(url, timeout=timeout * 1000)
    deadline = time.monotonic() + timeout
    page.wait_for_function("() => !!window.jupyterapp", timeout=timeout * 1000)
    kernel_dialog = page.locator(".jp-Dialog").filter(has_text="Select Kernel")
    while not page.evaluate(_NOTEBOOK_READY_JS, relative_path):
        if kernel_dialog.count():
            kernel_dialog.locator(".jp-mod-accept").click()
        if time.monotonic() > deadline:
            raise BrowserHarnessError(
                f"notebook {relative_path} did not open with an idle kernel within "
                f"{timeout:g} s; server log tail:\n{lab.log_tail()}"
            )
        page.wait_for_timeout(100)
    page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell").first.wait_for(
        state="visible", timeout=timeout * 1000
    )


def run_all_cells(page: Page, *, timeout: float = 60) -> None:
    """Run every cell of the current notebook and wait until the run has finished.

    Uses JupyterLab's own ``notebook:run-all-cells`` command (what Run → Run All
    Cells does), then waits until the command resolves, no prompt shows ``[*]``
    and the kernel is idle. A cell that raises does not make this fail; check its
    output in the page.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    page.evaluate(_RUN_ALL_JS)
    try:
        page.wait_for_function(_RUN_FINISHED_JS, timeout=timeout * 1000, polling=100)
    except PlaywrightTimeoutError as error:
        raise BrowserHarnessError(
            f"cells were still running after {timeout:g} s (a prompt shows [*] or the "
            "kernel is busy)"
        ) from error
    state = page.evaluate("() => window.__perfevalRunAll")
    if state != "done":
        raise BrowserHarnessError(f"JupyterLab's notebook:run-all-cells command failed: {state}")
