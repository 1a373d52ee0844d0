"""Running a batch's projects on a Dask cluster (``perfeval run --cluster``).

The run plans, keeps the manifest and writes every output as it does locally; only the
notebooks run elsewhere. For each project this process packs a :class:`Parcel` — the
notebook's and the form's bytes, the project's adjustments file and the check settings,
and the parameters the local run would give — and a Dask worker unpacks it into a folder
of its own, runs it with a :class:`~perfeval.run.execute.NotebookRunner` it keeps from
task to task (warm kernels, as a local worker keeps them) and sends back the executed
notebook, the HTML review and the workbook as bytes, with the figures. This process puts
the parameters of the local run back into the notebook (so it opens in JupyterLab on the
reviewer's own files) and writes the outputs atomically. No shared file system is needed,
and the run's folder has one writer.

At most ``2 × workers`` parcels are out at a time, so memory stays flat however many
projects there are. A worker that dies has its project tried once more on another
(``distributed.scheduler.allowed-failures``, set to 1 on a cluster perfeval starts);
then the project fails by name. Ctrl-C cancels what is out and writes nothing half.

``dask[distributed]`` is an optional dependency (``pip install perfeval[dask]``); this
module imports it only when a run asks for a cluster.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..atomic import remove_partials, write_atomic
from ..exceptions import RunError
from ..review.build import SETTINGS_FILE
from ..review.store import AdjustmentStore
from .execute import (
    HTML_NAME,
    NOTEBOOK_NAME,
    WORKBOOK_NAME,
    Job,
    JobResult,
    NotebookRunner,
    WorkerConfig,
    failed_result,
    reason,
)

__all__ = ["LOCAL", "Parcel", "Returned", "review_parcel", "run_jobs_on_cluster"]

log = logging.getLogger("perfeval")

#: ``--cluster local`` or ``local:N``: a cluster of N worker processes on this machine.
LOCAL = "local"
_FILES = {"notebook": NOTEBOOK_NAME, "html": HTML_NAME, "workbook": WORKBOOK_NAME}


@dataclass(frozen=True)
class Parcel:
    """What a worker needs to review one project, none of it a path of this machine's."""

    job: Job  # as the local run would run it (its paths are this machine's)
    notebook: bytes
    form_name: str  # the form's file name: its suffix tells the reader the format
    form: bytes
    store_files: tuple[tuple[str, bytes], ...]  # the project's adjustments file
    settings: bytes | None  # the run's checks.json


@dataclass(frozen=True)
class Returned:
    """A worker's answer: how the project went and what it made."""

    result: JobResult
    files: dict[str, bytes] = field(default_factory=dict)  # notebook / html / workbook


# --- on a worker ---------------------------------------------------------------------

_runners: dict[WorkerConfig, NotebookRunner] = {}
_runners_lock = threading.Lock()


def _runner(config: WorkerConfig) -> NotebookRunner:
    """This worker process's runner for ``config``, kept so its kernel stays warm."""
    with _runners_lock:
        if not _runners:
            atexit.register(_close_runners)
        if config not in _runners:
            _runners[config] = NotebookRunner(config)
        return _runners[config]


def _close_runners() -> None:
    """At the worker's exit: stop its kernels."""
    for runner in _runners.values():
        with contextlib.suppress(Exception):
            runner.close()
    _runners.clear()


def review_parcel(parcel: Parcel, config: WorkerConfig) -> Returned:
    """Run one parcel in a scratch folder of this worker's; the outputs come back as bytes."""
    with tempfile.TemporaryDirectory(prefix="perfeval-parcel-") as scratch:
        root = Path(scratch)
        notebook = root / NOTEBOOK_NAME
        notebook.write_bytes(parcel.notebook)
        form = root / "form" / parcel.form_name
        form.parent.mkdir()
        form.write_bytes(parcel.form)
        params = root / "params"
        (params / "adjustments").mkdir(parents=True)
        for name, data in parcel.store_files:
            (params / "adjustments" / Path(name).name).write_bytes(data)
        if parcel.settings is not None:
            (params / SETTINGS_FILE).write_bytes(parcel.settings)
        here = {"form_path": str(form), "params_dir": str(params)}
        parameters = {
            **parcel.job.parameters,
            **here,
            "source_path": parcel.job.parameters["form_path"],
        }
        job = replace(
            parcel.job, out_dir=str(root / "out"), notebook=str(notebook), parameters=parameters
        )
        result = _runner(replace(config, cwd=str(root.parent))).run(job)
        out = root / "out"
        files = {kind: (out / relative).read_bytes() for kind, relative in result.outputs.items()}
    return Returned(result, files)


# --- here ----------------------------------------------------------------------------


def _pack(job: Job, notebook: bytes, store_files: list[Path], settings: bytes | None) -> Parcel:
    form = Path(job.parameters["form_path"])
    return Parcel(
        job=job,
        notebook=notebook,
        form_name=form.name,
        form=form.read_bytes(),
        store_files=tuple((path.name, path.read_bytes()) for path in store_files),
        settings=settings,
    )


def _settings(params_dir: Path) -> bytes | None:
    path = params_dir / SETTINGS_FILE
    return path.read_bytes() if path.is_file() else None


def _as_run_here(data: bytes, job: Job) -> str:
    """The executed notebook with the parameters the local run would have given it, so it
    opens on this machine's form, store and output folder."""
    import nbformat
    from papermill.translators import translate_parameters

    nb = nbformat.reads(data.decode("utf-8"), as_version=4)
    folder = Path(job.out_dir) / job.folder
    parameters = job.run_parameters()
    meta = nb.metadata.setdefault("papermill", {})
    for cell in nb.cells:
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            kernel = nb.metadata.get("kernelspec", {}).get("name", "python3")
            language = nb.metadata.get("language_info", {}).get("name", "python")
            cell.source = translate_parameters(kernel, language, parameters, "Parameters")
    meta.update(
        {
            "parameters": parameters,
            "input_path": job.notebook,
            "output_path": str(folder / NOTEBOOK_NAME),
        }
    )
    return nbformat.writes(nb)


def _store(job: Job, returned: Returned) -> JobResult:
    """Write what a worker made into the project's folder, as a local worker does: the
    notebook first, then the page, then the workbook; whatever it did not make is removed,
    so nothing older passes for this run's."""
    folder = Path(job.out_dir) / job.folder
    folder.mkdir(parents=True, exist_ok=True)
    remove_partials(folder)
    files = dict(returned.files)
    if "notebook" in files:
        files["notebook"] = _as_run_here(files["notebook"], job).encode("utf-8")
    _discard(job, keep=files.keys())
    for kind, name in _FILES.items():
        if kind in files:
            write_atomic(folder / name, files[kind])
    return returned.result


def _discard(job: Job, keep: Iterable[str] = ()) -> None:
    """Remove the project's outputs but those in ``keep``."""
    for kind, name in _FILES.items():
        if kind not in keep:
            with contextlib.suppress(OSError):
                (Path(job.out_dir) / job.folder / name).unlink(missing_ok=True)


def _client(address: str) -> tuple[Any, Any]:
    """A client of the cluster ``address`` names, and the cluster perfeval started (or None)."""
    try:
        import dask
        from distributed import Client, LocalCluster
    except ImportError:
        raise RunError(
            "--cluster 需要 Dask：pip install 'perfeval[dask]'（或 pip install 'dask[distributed]'）"
        ) from None
    if address == LOCAL or address.startswith(f"{LOCAL}:"):
        count = address.partition(":")[2]
        if count and not (count.isdigit() and int(count) > 0):
            raise RunError(f"--cluster {address}：local 之后应为工作进程数，例如 local:4")
        workers = int(count) if count else max(1, os.cpu_count() or 1)
        with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
            cluster = LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
        return Client(cluster), cluster
    try:
        return Client(address, timeout="30s"), None
    except (OSError, TimeoutError) as error:
        raise RunError(f"无法连接 Dask 调度器 {address}：{error}") from None


def _failure(job: Job, error: BaseException) -> JobResult:
    name = type(error).__name__
    if name == "KilledWorker":
        why = "运行该项目的 Dask 工作节点两次意外退出（被终止或内存不足），复核未完成"
    else:
        why = f"Dask 运行出错：{name}: {error}"
    return failed_result(job, why)


def run_jobs_on_cluster(
    jobs: list[Job], config: WorkerConfig, address: str, on_result: Callable[[JobResult], None]
) -> None:
    """Run ``jobs`` on the Dask cluster ``address`` (``local[:N]`` starts one here), calling
    ``on_result`` as each ends."""
    if not jobs:
        return
    from distributed import as_completed

    client, cluster = _client(address)
    out: dict[Any, Job] = {}
    try:
        workers = sum(client.nthreads().values()) or 1
        remote = replace(config, kernel_log=None)
        params = {Path(job.parameters["params_dir"]) for job in jobs}
        store = {k: v for p in params for k, v in AdjustmentStore(p).files_by_key().items()}
        settings = {p: _settings(p) for p in params}
        notebooks = {n: Path(n).read_bytes() for n in {job.notebook for job in jobs}}
        waiting: Iterator[Job] = iter(jobs)
        finished = as_completed()

        def send() -> None:
            """Send the next job that can be packed (one whose form cannot be read fails)."""
            for job in waiting:
                try:
                    parcel = _pack(
                        job,
                        notebooks[job.notebook],
                        store.get(job.key, []),
                        settings[Path(job.parameters["params_dir"])],
                    )
                except OSError as error:
                    on_result(failed_result(job, f"无法读取表单或复核记录：{error}"))
                    continue
                future = client.submit(
                    review_parcel, parcel, remote, key=f"perfeval-{uuid.uuid4().hex}", pure=False
                )
                out[future] = job
                finished.add(future)
                return

        for _ in range(2 * workers):
            send()
        for future in finished:
            job = out.pop(future)
            try:
                returned = future.result()
            except Exception as error:  # the worker's or the network's: this project only
                result = _failure(job, error)
            else:
                try:
                    result = _store(job, returned)
                except OSError as error:
                    _discard(job)
                    result = failed_result(job, reason(error))
            future.release()
            on_result(result)
            send()
    finally:
        if out:
            with contextlib.suppress(Exception):
                client.cancel(list(out))
        with contextlib.suppress(Exception):
            client.close()
        if cluster is not None:
            with contextlib.suppress(Exception):
                cluster.close()
