"""Running the review notebook for many projects: a pool of worker processes.

Each worker imports papermill and nbconvert once (the forkserver preloads them,
so a worker starts in milliseconds), builds one ``ReviewExporter``, and then runs
job after job: papermill executes the notebook with the project's parameters
injected, and the exporter renders the executed notebook.

Kernels are *warm* by default: a worker keeps its kernel from one project to the next
(``perfeval.run.engine``: the namespace emptied, execution counts from 1, the working
directory set, and after each project a check that nothing outside the namespace was
changed). A kernel is replaced after ``recycle_after`` projects, after any project that
failed or timed out, when it uses more than ``kernel_memory_mb``, and when a project left
something behind; its successor is started ahead while the last project of its term runs.
With ``warm_kernel=False`` (``perfeval run --fresh-kernels``) every project gets a kernel
of its own, started ahead while the previous project runs and stopped after it.

Outputs are written to temp names in the project folder and ``os.replace``d into
place only when complete: the executed notebook first, then the HTML. The annotated
review workbook (``review.xlsx``) and the figures the portfolio shows come from the
notebook itself: its hand-over cell writes the workbook from the review it computed and
shows the figures as an output (``perfeval.run.handover``), so a review is computed once,
in the kernel. A cell that
raises still gives the notebook and the HTML (papermill saves the notebook with the
error marked; the HTML opens with a banner saying the review is incomplete), but no
workbook; a workbook that cannot be written fails the project. A worker that dies
fails its job only; SIGTERM or Ctrl-C stops the workers, which shut their kernels
down and remove their temp files.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import multiprocessing
import os
import queue
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from ..atomic import remove_partials, write_atomic
from ..exceptions import PerfevalError
from .handover import handed_over

if TYPE_CHECKING:
    from multiprocessing.process import BaseProcess
    from multiprocessing.queues import Queue

    from jupyter_client.manager import AsyncKernelManager

    from .engine import KernelReport
    from .export import ReviewExporter

__all__ = [
    "HTML_NAME",
    "NOTEBOOK_NAME",
    "PAGE_TITLE_SUFFIX",
    "WORKBOOK_NAME",
    "Job",
    "JobResult",
    "NotebookRunner",
    "WorkerConfig",
    "failed_result",
    "reason",
    "run_jobs",
]

NOTEBOOK_NAME = "review.ipynb"
HTML_NAME = "review.html"
#: A review page's title: the project's name, then this.
PAGE_TITLE_SUFFIX = " - 绩效自评复核"
WORKBOOK_NAME = "review.xlsx"
# Imported once in the forkserver, so every worker forked from it has them already.
_PRELOAD = [
    "papermill",
    "nbformat",
    "nbconvert",
    "jupyter_client",
    "perfeval.run.export",
    "perfeval.run.handover",
    "perfeval.review.portfolio",
    "perfeval.show.xlsx",
]
# A kernel started ahead imports what the review notebook needs while the previous project
# runs, so a project's own time is spent on the review, not on imports.
_PRELOAD_IN_KERNEL = (
    "--IPKernelApp.exec_lines=['import perfeval.review.build, perfeval.show.html, "
    "perfeval.show.widgets, perfeval.run.handover']"
)
_STOP_TIMEOUT = 10.0
_MESSAGE_LIMIT = 400


@dataclass(frozen=True)
class WorkerConfig:
    """What every job of a run shares: the kernel to start, where, and its log."""

    kernel_name: str
    cwd: str
    kernel_log: str | None = None
    #: Keep a worker's kernel from one project to the next (False: a new kernel each).
    warm_kernel: bool = True
    #: A warm kernel is replaced after this many projects ...
    recycle_after: int = 50
    #: ... or as soon as it uses more memory than this (resident, in MB).
    kernel_memory_mb: int = 1024
    cell_timeout: float | None = None
    #: A project still running after this many seconds has its kernel killed, even one
    #: whose cell ignores the interrupt sent at ``cell_timeout``.
    project_timeout: float | None = None


@dataclass(frozen=True)
class Job:
    """One project to run: the notebook, its parameters, and where its outputs go."""

    folder: str
    out_dir: str
    notebook: str
    parameters: dict[str, Any]
    title: str
    lab_href: str | None = None  # the review page's link to the notebook in JupyterLab
    key: str = ""  # the project's store key (a cluster sends its adjustments file along)

    def run_parameters(self) -> dict[str, Any]:
        """What the notebook is given: the parameters and where to write review.xlsx."""
        workbook = Path(self.out_dir) / self.folder / WORKBOOK_NAME
        return {**self.parameters, "workbook_path": str(workbook)}


@dataclass(frozen=True)
class JobResult:
    """How a job went.

    ``outputs`` maps ``notebook``/``html``/``workbook`` to paths relative to the out
    dir; ``summary`` is the review's ``ProjectFigures.to_json()`` when the workbook
    was written (else the run computes it).
    """

    folder: str
    ok: bool
    error: str | None
    started_at: str
    finished_at: str
    seconds: float
    outputs: dict[str, str] = field(default_factory=dict)
    summary: dict[str, Any] | None = None


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


def _remove(path: Path) -> None:
    """Delete an output if it is there; one that cannot be deleted is left (and not recorded)."""
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)


def reason(error: BaseException) -> str:
    """An error as a reviewer reads it: our own errors say it all, others name their type."""
    from ..exceptions import PerfevalError

    if isinstance(error, OSError) and error.errno == errno.ENOSPC:
        return f"磁盘空间不足，无法写出复核结果（{error.filename or '输出文件夹'}）；请腾出空间后重新运行"
    return str(error) if isinstance(error, PerfevalError) else f"{type(error).__name__}: {error}"


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MESSAGE_LIMIT else text[: _MESSAGE_LIMIT - 1] + "…"


class _Terminated(BaseException):
    """SIGTERM in a worker: unwind (shutting kernels down, removing temp files) and exit."""


def _raise_terminated(signum: int, frame: object) -> None:
    raise _Terminated


@functools.cache
def _manager_class() -> type[AsyncKernelManager]:
    """``AsyncKernelManager`` that keeps the clients it hands out, so they can be stopped."""
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import List

    class Manager(AsyncKernelManager):
        handed_out: Any = List()  # the clients made, to stop with the kernel

        def client(self, **kwargs: Any) -> Any:
            client = super().client(**kwargs)
            self.handed_out.append(client)
            return client

    return Manager


class NotebookRunner:
    """Runs jobs one after another in this process; one per worker."""

    def __init__(self, config: WorkerConfig) -> None:
        from .export import ReviewExporter

        self.config = config
        self.exporter: ReviewExporter = ReviewExporter()
        self._log: BinaryIO | None = open(config.kernel_log, "ab") if config.kernel_log else None  # noqa: SIM115
        self._spare: AsyncKernelManager | None = self._start_kernel_or_none()
        self._kernel: AsyncKernelManager | None = None  # the warm kernel, kept between jobs
        self._uses = 0  # projects the warm kernel has run
        from .engine import register

        register()

    # --- kernels ---------------------------------------------------------------

    def _start_kernel(self) -> AsyncKernelManager:
        from jupyter_core.utils import run_sync

        km = _manager_class()(kernel_name=self.config.kernel_name)
        output: Any = self._log if self._log is not None else subprocess.DEVNULL
        run_sync(km.start_kernel)(
            cwd=self.config.cwd,
            # Like nbclient: no IPython history database shared by parallel kernels.
            extra_arguments=["--HistoryManager.hist_file=:memory:", _PRELOAD_IN_KERNEL],
            stdout=output,
            stderr=output,
        )
        return km

    def _start_kernel_or_none(self) -> AsyncKernelManager | None:
        try:
            return self._start_kernel()
        except Exception:  # the job that needs it will start one and report the error
            return None

    def _live(self, km: AsyncKernelManager | None) -> AsyncKernelManager | None:
        """``km`` if its kernel is still running, else None (it is cleaned up): a kernel
        started ahead can die before its project — two kernels starting at once may be given
        the same ports — and a project handed a dead one would fail, or wait 60 s first."""
        from jupyter_core.utils import run_sync

        if km is None:
            return None
        try:
            alive = bool(run_sync(km.is_alive)())
        except Exception:
            alive = False
        if not alive:
            self._stop_kernel(km)
        return km if alive else None

    def _take_kernel(self) -> AsyncKernelManager:
        """The kernel for the next job: the warm one, else the spare started ahead, else a new
        one — never one that has died."""
        self._spare = self._live(self._spare)
        if self._kernel is not None and self._live(self._kernel) is None:
            self._kernel = None
        if not self.config.warm_kernel:
            km = self._spare or self._start_kernel()
            self._spare = self._start_kernel_or_none()
            return km
        if self._kernel is None:
            self._kernel, self._spare, self._uses = self._spare or self._start_kernel(), None, 0
        if self._spare is None and self._uses + 1 >= self.config.recycle_after:
            self._spare = self._start_kernel_or_none()  # this is the kernel's last job
        return self._kernel

    @staticmethod
    def _client(km: AsyncKernelManager) -> Any:
        """The client the kernel's last project used, kept connected for the next; None at first."""
        clients = getattr(km, "handed_out", [])
        return clients[0] if clients else None

    def _retire(self, km: AsyncKernelManager, report: KernelReport, failed: bool) -> None:
        """After a job: stop a fresh kernel; keep a warm one (and its client) unless it has to go."""
        if km is not self._kernel:
            self._stop_kernel(km)
            return
        self._uses += 1
        if self._must_go(km, report, failed):
            self._stop_kernel(km)
            self._kernel = None
        else:
            self._stop_clients(km, keep=1)  # the one client the next project uses

    def _must_go(self, km: AsyncKernelManager, report: KernelReport, failed: bool) -> bool:
        """Whether the warm kernel is replaced: a failure, a project that left something
        behind (or could not be asked), the end of its term, or its memory."""
        return (
            failed
            or not report.clean
            or self._uses >= self.config.recycle_after
            or _kernel_memory_mb(km) > self.config.kernel_memory_mb
        )

    @staticmethod
    def _stop_clients(km: AsyncKernelManager, keep: int = 0) -> None:
        """Stop the kernel's clients but the first ``keep``.

        papermill leaves the client of a kernel it did not start connected: its channel
        threads and zmq context (3 threads, a dozen descriptors) would stay in the
        worker for good, until a long batch ran out of file descriptors."""
        clients = getattr(km, "handed_out", [])
        for client in clients[keep:]:
            with contextlib.suppress(Exception):
                client.stop_channels()
        del clients[keep:]

    @classmethod
    def _stop_kernel(cls, km: AsyncKernelManager) -> None:
        from jupyter_core.utils import run_sync

        with contextlib.suppress(Exception):
            run_sync(km.shutdown_kernel)(now=True)
        cls._stop_clients(km)

    def close(self) -> None:
        """Stop the kernels (the warm one and the spare) and close the kernel log."""
        for km in (self._kernel, self._spare):
            if km is not None:
                self._stop_kernel(km)
        self._kernel = self._spare = None
        if self._log is not None:
            self._log.close()
            self._log = None

    # --- jobs --------------------------------------------------------------------

    def _execute(self, job: Job) -> tuple[Any, str | None]:
        """The executed notebook and, when a cell raised, what went wrong."""
        import papermill
        from nbclient.exceptions import DeadKernelError
        from papermill.exceptions import PapermillExecutionError

        from ..exceptions import RunError
        from .engine import ENGINE_NAME, KernelReport

        try:
            km = self._take_kernel()
        except Exception as error:
            raise RuntimeError(f"无法启动内核 {self.config.kernel_name}：{error}") from error
        watchdog = _Watchdog(km, self.config.project_timeout)
        report = KernelReport()
        failed = True
        try:
            nb = papermill.execute_notebook(
                job.notebook,
                None,  # the engine hands the notebook over; the worker writes it
                parameters=job.run_parameters(),
                kernel_name=self.config.kernel_name,
                progress_bar=False,
                request_save_on_cell_execute=False,
                km=km,
                execution_timeout=self.config.cell_timeout,
                # A cell over its time is interrupted, so it fails like any cell that raises.
                interrupt_on_timeout=True,
                engine_name=ENGINE_NAME,
                kernel_cwd=self.config.cwd,
                kernel_report=report,
                kernel_client=self._client(km) if self.config.warm_kernel else None,
                check_leftovers=self.config.warm_kernel,
            )
            failed = False
            return nb, None
        except PapermillExecutionError as error:
            where = f"In [{error.exec_count}]" if error.exec_count else f"第 {error.cell_index} 格"
            if error.ename == "KeyboardInterrupt":  # only our timeout interrupts a cell
                message = f"{where} 运行超过 {self.config.cell_timeout:g} 秒，已中断"
            else:
                message = _short(f"{where} 出错：{error.ename}: {error.evalue}")
            # papermill marked the error in the notebook the engine kept, before raising.
            return report.notebook, message
        except DeadKernelError:  # killed, out of memory: nothing of the run was kept
            if watchdog.fired:
                raise RunError(
                    f"项目运行超过 {self.config.project_timeout:g} 秒（某个单元格不响应中断），"
                    "内核已被终止，复核未完成"
                ) from None
            raise RunError(
                "内核在运行中意外退出（被终止或内存不足），复核未完成；再次运行会重做该项目"
            ) from None
        finally:
            watchdog.cancel()
            self._retire(km, report, failed or watchdog.fired)

    @staticmethod
    def _write_workbook(job: Job, path: Path) -> dict[str, Any]:
        """For a notebook that hands nothing over: write ``review.xlsx`` from the review as
        the notebook loads it; return its figures."""
        from ..review.build import open_review
        from ..review.portfolio import ProjectFigures
        from ..show.xlsx import write_review_workbook

        parameters = job.parameters
        review = open_review(
            parameters["form_path"],
            parameters["sheet"],
            parameters["params_dir"],
            source_name=parameters.get("source_name"),
            source_path=parameters.get("source_path"),
        )
        write_review_workbook(review, path)
        return ProjectFigures.of_review(review).to_json()

    def run(self, job: Job) -> JobResult:
        """Run one job; never raises for a failure of the notebook or its kernel."""
        import nbformat

        started, clock = _now(), time.monotonic()
        folder = Path(job.out_dir) / job.folder
        notebook, page = folder / NOTEBOOK_NAME, folder / HTML_NAME
        workbook = folder / WORKBOOK_NAME
        error: str | None = None
        outputs: dict[str, str] = {}
        summary: dict[str, Any] | None = None
        try:
            folder.mkdir(parents=True, exist_ok=True)
            remove_partials(folder)
            _remove(workbook)  # only this run's notebook may write it
            nb, error = self._execute(job)
            nb.metadata.setdefault("papermill", {})["output_path"] = str(notebook)
            _name_added_cells(nb)
            html = self.exporter.export(nb, title=job.title, failure=error, lab_href=job.lab_href)
            write_atomic(notebook, nbformat.writes(nb))
            write_atomic(page, html)
            outputs = {
                "notebook": f"{job.folder}/{NOTEBOOK_NAME}",
                "html": f"{job.folder}/{HTML_NAME}",
            }
            # Only a review that ran through gets a workbook: the notebook wrote it and
            # handed over its figures; a notebook of one's own without that cell gets
            # them computed here.
            if error is None:
                handover = handed_over(nb)
                try:
                    if handover is None:
                        summary = self._write_workbook(job, workbook)
                    else:
                        summary = handover.figures
                        if handover.workbook_error is not None:
                            raise PerfevalError(handover.workbook_error)
                    outputs["workbook"] = f"{job.folder}/{WORKBOOK_NAME}"
                except Exception as failure:
                    error = _short(f"复核工作簿 {WORKBOOK_NAME} 未能写出：{reason(failure)}")
            if "workbook" not in outputs:  # no older one may pass for this run's
                _remove(workbook)
        except Exception as failure:
            error = error or _short(reason(failure))
            # No complete executed notebook: nothing older may pass for this run's review.
            for stale in (notebook, page, workbook):
                _remove(stale)
        return JobResult(
            folder=job.folder,
            ok=error is None,
            error=error,
            started_at=started,
            finished_at=_now(),
            seconds=round(time.monotonic() - clock, 3),
            outputs=outputs,
            summary=summary,
        )


def _kernel_memory_mb(km: AsyncKernelManager) -> float:
    """The kernel process's resident memory in MB (0 when it cannot be told)."""
    import psutil

    provisioner = getattr(km, "provisioner", None)
    pid = getattr(getattr(provisioner, "process", None), "pid", None)
    try:
        return float(psutil.Process(pid).memory_info().rss) / 2**20 if pid else 0.0
    except psutil.Error:
        return 0.0


# The cells papermill adds, by their tag, and the fixed ids they get (numbered from the second).
_ADDED_CELLS = {
    "injected-parameters": "injected-parameters",
    "papermill-error-cell-tag": "papermill-error",
}


def _name_added_cells(nb: Any) -> None:
    """Give the cells papermill adds (parameters, the error banner and marker) fixed ids —
    papermill's are random — so the same form gives the same notebook and review page every run."""
    seen: dict[str, int] = {}
    for cell in nb.cells:
        for tag in cell.get("metadata", {}).get("tags", []):
            if tag in _ADDED_CELLS:
                seen[tag] = seen.get(tag, 0) + 1
                number = seen[tag]
                cell["id"] = _ADDED_CELLS[tag] + (f"-{number}" if number > 1 else "")


# --- the pool ---------------------------------------------------------------------


class _Watchdog:
    """Kills a kernel still running a project after ``seconds`` (a thread's timer: the
    worker's own thread is inside papermill, waiting on the kernel)."""

    def __init__(self, km: AsyncKernelManager, seconds: float | None) -> None:
        import threading

        self.km, self.fired = km, False
        self.timer = threading.Timer(seconds, self._kill) if seconds else None
        if self.timer is not None:
            self.timer.daemon = True
            self.timer.start()

    def _kill(self) -> None:
        self.fired = True
        provisioner = getattr(self.km, "provisioner", None)
        pid = getattr(getattr(provisioner, "process", None), "pid", None)
        if pid is not None:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)

    def cancel(self) -> None:
        if self.timer is not None:
            self.timer.cancel()


def worker_main(config: WorkerConfig, tasks: Queue[Job | None], results: Queue[Any]) -> None:
    """A worker process: run jobs from ``tasks`` until a ``None``, report to ``results``."""
    # Ctrl-C reaches the whole process group: the parent decides, and sends SIGTERM.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _raise_terminated)
    runner: NotebookRunner | None = None
    parent = multiprocessing.parent_process()
    try:
        runner = NotebookRunner(config)
        # A run that was killed (SIGKILL) leaves jobs in the queue: never take them on.
        while parent is None or parent.is_alive():
            try:
                job = tasks.get(timeout=1.0)
            except queue.Empty:
                continue
            if job is None or (parent is not None and not parent.is_alive()):
                return
            results.put(("start", os.getpid(), job.folder))
            results.put(("done", os.getpid(), runner.run(job)))
    except _Terminated:
        pass
    finally:
        # A second SIGTERM (the process group's, then the parent's) must not cut the
        # shutdown of the kernels short, nor print a traceback in the middle of it.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if runner is not None:
            with contextlib.suppress(Exception):
                runner.close()


def failed_result(job: Job, error: str, started: tuple[str, float] | None = None) -> JobResult:
    """``job`` failed for ``error`` before its worker could report (``started``: when it
    began, as ``(time, monotonic clock)``)."""
    now = _now()
    at, clock = started or (now, time.monotonic())
    return JobResult(
        folder=job.folder,
        ok=False,
        error=error,
        started_at=at,
        finished_at=now,
        seconds=round(time.monotonic() - clock, 3),
    )


def _crashed(job: Job, exitcode: int | None, started: tuple[str, float] | None) -> JobResult:
    return failed_result(job, f"工作进程意外退出（退出码 {exitcode}）", started)


def _stop(processes: list[BaseProcess]) -> None:
    """SIGTERM the workers (they shut their kernels down), SIGKILL any that linger."""
    for process in processes:
        if process.is_alive():
            process.terminate()
    deadline = time.monotonic() + _STOP_TIMEOUT
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()
            process.join(1.0)


class _Pool:
    """Worker processes forked from a forkserver, with a job queue and a result queue."""

    def __init__(self, config: WorkerConfig) -> None:
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(_PRELOAD)
        self._config = config
        self.tasks: Queue[Job | None] = self._context.Queue()
        self.results: Queue[tuple[str, int, Any]] = self._context.Queue()
        self.processes: list[BaseProcess] = []

    def spawn(self) -> None:
        process = self._context.Process(
            target=worker_main,
            args=(self._config, self.tasks, self.results),
            name="perfeval-worker",
            daemon=True,
        )
        process.start()
        self.processes.append(process)

    def close(self) -> None:
        _stop(self.processes)
        for channel in (self.tasks, self.results):
            channel.cancel_join_thread()
            channel.close()


def run_jobs(
    jobs: list[Job], config: WorkerConfig, workers: int, on_result: Callable[[JobResult], None]
) -> None:
    """Run ``jobs`` on ``workers`` processes, calling ``on_result`` (in this process) as each ends.

    A worker that dies fails the job it held and is replaced; KeyboardInterrupt
    (or any exception) stops every worker before it propagates.
    """
    if not jobs:
        return
    pending = {job.folder: job for job in jobs}
    running: dict[int | None, str] = {}
    started: dict[str, tuple[str, float]] = {}

    def handle(message: tuple[str, int, Any]) -> None:
        kind, pid, payload = message
        if kind == "start":
            running[pid] = payload
            started[payload] = (_now(), time.monotonic())
        else:
            running.pop(pid, None)
            if pending.pop(payload.folder, None) is not None:
                on_result(payload)

    pool = _Pool(config)
    try:
        for job in jobs:
            pool.tasks.put(job)
        for _ in range(max(1, min(workers, len(jobs)))):
            pool.tasks.put(None)  # one stop sign a worker; a replacement takes its predecessor's
            pool.spawn()
        while pending:
            try:
                handle(pool.results.get(timeout=0.25))
                continue
            except queue.Empty:
                pass
            dead = [p for p in pool.processes if p.exitcode is not None]
            if not dead:
                continue
            with contextlib.suppress(queue.Empty):
                while True:  # whatever the dead sent before they went
                    handle(pool.results.get(timeout=0.1))
            for process in dead:
                pool.processes.remove(process)
                folder = running.pop(process.pid, None)
                if folder is not None and folder in pending:
                    job = pending.pop(folder)
                    on_result(_crashed(job, process.exitcode, started.get(folder)))
                    if len(pending) > len(running):
                        pool.spawn()
            if not pool.processes:  # every worker is gone, yet jobs are left: none will run them
                for job in list(pending.values()):
                    on_result(_crashed(job, None, started.get(job.folder)))
                pending.clear()
        for process in pool.processes:
            process.join(_STOP_TIMEOUT)
    finally:
        pool.close()
