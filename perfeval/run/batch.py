"""``perfeval run``: review every form under some paths in one batch.

Every evaluation found (each form sheet of each workbook) gets a project folder
under the output folder with the executed notebook, its HTML review and the
annotated review workbook (``review.xlsx``), and the run writes the portfolio
(``index.html`` and ``summary.xlsx``, see ``perfeval.portfolio``) and
``manifest.jsonl``.

The manifest records, per project folder, what its outputs were made from: the
form file's sha256 and sheet, the parameters, the notebook's sha256, the
adjustments file's and the check settings' sha256 (or null), and the perfeval
version; with the result, the error, the outputs, when, and the figures the
portfolio shows (so a project skipped later still has them). A later run redoes a
project only when one of those changed, its outputs are missing or it failed
(``force`` redoes all). The manifest is a log appended as each project ends
(``perfeval.run.manifest``), so an interrupted or killed run resumes where it stopped.

The forms are read one file at a time and planned as they come; the run keeps of each
project only what the manifest and the portfolio need (``ProjectRun``), so its memory
grows by those rows, not by the forms.

Folder names are readable and derived from the project (``2020-古美路街道-
组团式服务联系群众专项-57791c``); nothing a form says can place a file outside
the output folder.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, TextIO

from tqdm import tqdm

from .. import root
from ..atomic import LockBusy, exclusive_lock, remove_partials, write_atomic
from ..check.base import CheckSettings
from ..exceptions import FormError, NoFormError, PerfevalError, RunError
from ..model import Evaluation, Source, shown_path
from ..names import inside, safe_name
from ..read.forms import ReadResult, each_form, read_form
from ..review.build import SETTINGS_FILE, load_review, load_settings
from ..review.portfolio import PortfolioRow, ProjectFigures, href, lab_link, one_per_project
from ..review.store import AdjustmentStore
from ..show.index import index_html
from ..show.summary import SUMMARY_NAME, write_summary_workbook
from ..show.unitreport import REPORTS_DIR, write_unit_reports
from ..stamp import now
from .execute import (
    HTML_NAME,
    NOTEBOOK_NAME,
    PAGE_TITLE_SUFFIX,
    WORKBOOK_NAME,
    Job,
    JobResult,
    WorkerConfig,
    reason,
    run_jobs,
)
from .manifest import MANIFEST_NAME, Manifest, code_sha256, perfeval_version, sha256_of
from .names import FolderNamer

__all__ = [
    "DEFAULT_NOTEBOOK",
    "INDEX_NAME",
    "Progress",
    "ProgressBar",
    "ProjectRun",
    "RunOptions",
    "RunReport",
    "default_jobs",
    "plan",
    "portfolio_row",
    "run_batch",
    "served_as",
    "worker_count",
]

log = logging.getLogger("perfeval")

DEFAULT_NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "review.ipynb"
INDEX_NAME = "index.html"
_KERNEL_LOG = ".kernels.log"
_LOCK = ".perfeval-run.lock"


def default_jobs() -> int:
    """The number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def worker_count(requested: int | None, projects: int) -> int:
    """Workers for a run: as asked (one per core by default), never more than there are
    projects, nor more than four per core — each worker keeps a kernel and a spare, about
    250 MB, so ``--jobs 1000`` would exhaust the machine long before it ran faster."""
    most = 4 * default_jobs()
    wanted = requested or default_jobs()
    if wanted > most:
        log.warning("--jobs %d 超过本机可承受的并行数，按 %d 个工作进程运行", wanted, most)
    return max(1, min(wanted, most, projects))


@dataclass(frozen=True)
class RunOptions:
    """How to run a batch; paths are taken relative to the current folder."""

    out_dir: Path = Path("outputs")
    params_dir: Path = Path("params")
    jobs: int | None = None  # None: one per core
    force: bool = False
    notebook: Path | None = None  # None: DEFAULT_NOTEBOOK
    cell_timeout: float | None = 600.0  # seconds a cell may run before it is interrupted
    project_timeout: float | None = 1800.0  # seconds a project may run before its kernel is killed
    warm_kernels: bool = True  # each worker keeps its kernel between projects (False: one each)
    recycle_after: int = 50  # projects a kept kernel runs before it is replaced
    cluster: str | None = None  # a Dask scheduler's address, or local[:N]; None: this machine
    pdf: bool = False  # also print each review to review.pdf (A4, Chromium)


# --- one project ---------------------------------------------------------------------


@dataclass
class ProjectRun:
    """One project of a run: what it is, what it was made from, and how it went.

    It keeps what the run needs of the form — its names, key and source — not the form
    itself: a run of 20,000 projects holds 20,000 of these. :meth:`read` reads the form
    again when the parent needs it whole (the figures of a project whose kernel gave none).
    """

    folder: str
    fingerprint: dict[str, Any]
    project: str | None
    unit: str | None
    year: int | None
    key: str
    path: str  # the form's file, as read
    sheet: str | None
    source_name: str | None = None  # its path below the run's folder (``batch_name``)
    summary: dict[str, Any] | None = None
    state: str = "pending"  # then done, skipped (unchanged) or failed
    error: str | None = None
    seconds: float | None = None
    outputs: dict[str, str] = field(default_factory=dict)
    started_at: str | None = None
    finished_at: str | None = None

    @classmethod
    def of(
        cls,
        evaluation: Evaluation,
        folder: str,
        fingerprint: dict[str, Any],
        source_name: str | None = None,
    ) -> ProjectRun:
        return cls(
            folder=folder,
            fingerprint=fingerprint,
            project=evaluation.project.name,
            unit=evaluation.project.unit,
            year=evaluation.year,
            key=evaluation.key,
            path=evaluation.source.path,
            sheet=evaluation.source.sheet,
            source_name=source_name,
        )

    @property
    def name(self) -> str:
        return self.project or self.folder

    @property
    def source(self) -> str:
        """The form's file as shown (the manifest's record)."""
        return shown_path(self.path)

    @property
    def label(self) -> str:
        """The form as a review names it: its path below the run's folder, and the sheet."""
        return Source(self.path, self.sheet, name=self.source_name).label

    def read(self) -> Evaluation:
        """The form again, as the run planned it; PerfevalError if it is gone or changed."""
        evaluations, _ = read_form(Path(self.path))
        for evaluation in evaluations:
            if evaluation.source.sheet == self.sheet and evaluation.key == self.key:
                return evaluation
        raise RunError(f"{self.source}：表单在运行期间被修改，请重新运行")

    def entry(self) -> dict[str, Any]:
        """The project's manifest entry."""
        return {
            **self.fingerprint,
            "project": self.project,
            "unit": self.unit,
            "year": self.year,
            "source": self.source,
            "result": "ok" if self.state in ("done", "skipped") else "failed",
            "error": self.error,
            "outputs": self.outputs,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "seconds": self.seconds,
            "summary": self.summary,
        }


def _summary(
    project: ProjectRun, params_dir: Path, settings: CheckSettings
) -> dict[str, Any] | None:
    """The portfolio's figures of a project (``ProjectFigures``), None if its review won't load.

    For the projects whose worker did not return them: a failed run, an older manifest.
    """
    try:
        review = load_review(project.read(), params_dir, settings)
    except PerfevalError as error:
        log.warning("%s: %s", project.source, error)
        return None
    return ProjectFigures.of_review(review).to_json()


#: Where a run links forms whose file names are not UTF-8, under names a notebook can hold.
INPUTS = ".perfeval-inputs"


def _utf8_path(path: Path, out_dir: Path) -> Path:
    """The form as the kernel opens it: its own path, or — when the name is not UTF-8 (GBK
    bytes from a Windows archive), which no notebook or manifest can hold — a link to it
    under ``out/.perfeval-inputs/`` named by a hash of its path."""
    text = str(path)
    try:
        text.encode("utf-8")
        return path
    except UnicodeEncodeError:
        pass
    folder = out_dir / INPUTS / hashlib.sha256(os.fsencode(text)).hexdigest()[:16]
    folder.mkdir(parents=True, exist_ok=True)
    link = folder / (safe_name(shown_path(path.name)) or "form")
    if not link.is_symlink():
        link.symlink_to(path)
    return link


def batch_name(source: Path, roots: Iterable[Path]) -> str:
    """The form as a batch names it: its path below the folder the run was given (the first
    that holds it), else its file name — never where the reviewer's files live."""
    for folder in roots:
        if folder != source and source.is_relative_to(folder):
            return shown_path(source.relative_to(folder).as_posix())
    return shown_path(source.name)


def plan(
    evaluations: Iterable[Evaluation],
    out_dir: Path,
    params_dir: Path,
    notebook: Path,
    roots: Iterable[Path] = (),
) -> list[ProjectRun]:
    """A project for each evaluation (each form once, however often its file was named),
    taking the evaluations one at a time and keeping none of them. ``roots``: the folders
    the run was given, which the reviews name the forms from (``batch_name``)."""
    roots = [Path(root).resolve() for root in roots]
    seen: set[tuple[Path, str | None]] = set()
    store = AdjustmentStore(params_dir)
    store_files = store.files_by_key()
    common = {
        "notebook_sha256": sha256_of(notebook),
        "settings_sha256": sha256_of(params_dir / SETTINGS_FILE),
        "perfeval_version": perfeval_version(),
        "code_sha256": code_sha256(),
    }
    file_hashes: dict[Path, str | None] = {}
    namer = FolderNamer()
    projects: list[ProjectRun] = []
    for evaluation in evaluations:
        source = Path(evaluation.source.path).resolve()
        if (source, evaluation.source.sheet) in seen:
            continue
        seen.add((source, evaluation.source.sheet))
        folder = namer.name(evaluation)
        inside(out_dir, folder)
        if source not in file_hashes:
            file_hashes[source] = sha256_of(source)
        problem = None
        try:
            adjustments: Path | None = store.path_for(evaluation, store_files)
        except PerfevalError as error:
            adjustments, problem = None, str(error)
        name = batch_name(source, roots)
        fingerprint = {
            "key": evaluation.key,
            "input_sha256": file_hashes[source],
            "sheet": evaluation.source.sheet,
            "parameters": {
                "form_path": str(_utf8_path(source, out_dir)),
                "sheet": evaluation.source.sheet,
                "params_dir": str(params_dir),
                "source_name": name,
            },
            **common,
            "adjustments_sha256": sha256_of(adjustments),
        }
        project = ProjectRun.of(evaluation, folder, fingerprint, name)
        if problem is not None:
            project.state, project.error = "failed", problem
        projects.append(project)
    return projects


# --- the run ---------------------------------------------------------------------------


@contextlib.contextmanager
def _run_lock(out_dir: Path) -> Iterator[None]:
    try:
        with exclusive_lock(out_dir / _LOCK, wait=False):
            yield
    except LockBusy:
        raise RunError(f"另一个 perfeval run 正在写入 {out_dir}；等它结束后再运行") from None


# --- progress ------------------------------------------------------------------------


class Progress:
    """Told how a run goes; this one says nothing (``ProgressBar`` draws a bar)."""

    def start(self, projects: int, todo: int) -> None:
        """The run has ``projects`` projects, ``todo`` of which will run."""

    def advance(self, project: ProjectRun, finished: int) -> None:
        """``project`` has finished, the ``finished``-th of the ``todo``."""

    def finish(self) -> None:
        """The run is over."""


class ProgressBar(Progress):
    """A bar on stderr: tqdm's, redrawn in place on a terminal; one line a project elsewhere
    (a log file or CI keeps every line)."""

    def __init__(self, stream: TextIO | None = None, width: int = 24) -> None:
        self.stream = stream or sys.stderr
        self.width = width
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.todo = 0
        self.bar: tqdm[Any] | None = None

    def start(self, projects: int, todo: int) -> None:
        self.todo = todo
        print(f"共 {projects} 个项目：{todo} 个要运行，{projects - todo} 个未变", file=self.stream)
        if self.tty and todo:
            self.bar = tqdm(
                total=todo,
                file=self.stream,
                ascii="-#",
                bar_format=f"[{{bar:{self.width}}}] {{n_fmt}}/{{total_fmt}} {{desc}}",
                dynamic_ncols=True,
                mininterval=0,
            )

    def advance(self, project: ProjectRun, finished: int) -> None:
        mark = "失败" if project.state == "failed" else "完成"
        seconds = f"{project.seconds:.1f} s" if project.seconds is not None else ""
        what = f"{mark} {project.folder} {seconds}".rstrip()
        if self.bar is not None:
            self.bar.set_description_str(what, refresh=False)
            self.bar.update(finished - self.bar.n)
            return
        filled = self.width * finished // self.todo if self.todo else self.width
        bar = f"[{'#' * filled}{'-' * (self.width - filled)}] {finished}/{self.todo}"
        self.stream.write(f"{bar} {what}\n")
        self.stream.flush()

    def finish(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


# --- the run -------------------------------------------------------------------------


@dataclass
class RunReport:
    """What a run did, for the summary and the exit status."""

    projects: list[ProjectRun]
    unreadable: list[FormError]
    without_form: list[NoFormError]
    out_dir: Path
    index: Path | None  # None: it could not be written (see ``unwritten``)
    manifest: Path
    summary: Path | None = None  # summary.xlsx
    unwritten: list[str] = field(default_factory=list)  # why a portfolio file is missing
    reports: Path | None = None  # the folder of the units' 复核报告

    def count(self, state: str) -> int:
        return sum(1 for project in self.projects if project.state == state)

    @property
    def failed(self) -> list[ProjectRun]:
        return [project for project in self.projects if project.state == "failed"]

    def summary_text(self) -> str:
        """A few lines for the end of the run: counts, failures, unreadable files, the index."""
        lines = [
            f"完成 {self.count('done')} 个，未变跳过 {self.count('skipped')} 个，"
            f"失败 {self.count('failed')} 个；无法读取的文件 {len(self.unreadable)} 个"
            + (f"，没有自评表的工作表 {len(self.without_form)} 个" if self.without_form else "")
        ]
        for project in self.failed:
            kept = "（已保存执行到出错处的笔记本）" if project.outputs else ""
            lines.append(f"  失败：{project.folder}：{project.error}{kept}")
        for error in self.unreadable:
            lines.append(f"  无法读取：{error}")
        for problem in self.unwritten:
            lines.append(f"  未能写出：{problem}")
        if self.index is not None:
            lines.append(f"索引：{self.index}")
        if self.summary is not None:
            lines.append(f"汇总表：{self.summary}")
        if self.reports is not None:
            lines.append(f"各单位复核报告：{self.reports}")
        return "\n".join(lines)


def resolve_notebook(notebook: Path | None) -> Path:
    path = (notebook or DEFAULT_NOTEBOOK).resolve()
    if not path.is_file():
        raise RunError(f"找不到复核笔记本 {path}；用 --notebook 指定")
    return path


def _kernel_name(notebook: Path) -> str:
    try:
        spec = json.loads(notebook.read_text(encoding="utf-8"))["metadata"].get("kernelspec", {})
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise RunError(f"{notebook} 不是可读的笔记本：{error}") from None
    return str(spec.get("name") or "python3")


def served_as(out_dir: Path) -> PurePosixPath | None:
    """The output folder as JupyterLab started at the project root serves it (``outputs``),
    None when it is not inside a project."""
    project = root.find_root(out_dir)
    if project is None:
        return None
    return PurePosixPath(out_dir.resolve().relative_to(project.resolve()).as_posix())


def portfolio_row(project: ProjectRun, served: PurePosixPath | None = None) -> PortfolioRow:
    """The project as the portfolio (``index.html``, ``summary.xlsx``) shows it; ``served``:
    the output folder below JupyterLab's root (``served_as``), for the link to its notebook."""
    outputs = project.outputs
    lab = None
    if served is not None and "notebook" in outputs:
        lab = lab_link(served / INDEX_NAME, served / project.folder / NOTEBOOK_NAME)
    return PortfolioRow(
        folder=project.folder,
        project=project.project,
        unit=project.unit,
        year=project.year,
        source=project.label,
        state=project.state,
        error=project.error,
        review_href=href(project.folder, HTML_NAME) if "html" in outputs else None,
        notebook_href=href(project.folder, NOTEBOOK_NAME) if "notebook" in outputs else None,
        workbook_href=href(project.folder, WORKBOOK_NAME) if "workbook" in outputs else None,
        lab_href=lab,
        figures=ProjectFigures.from_json(project.summary),
        key=project.key,
    )


def _print_reviews(
    projects: list[ProjectRun], out_dir: Path, record: Callable[[ProjectRun], None]
) -> list[str]:
    """``review.pdf`` for every review page that has none, or an older one; what could not
    be printed, by project (a review stands without its PDF)."""
    from .pdf import PDF_NAME, pdf_printer

    problems = []
    with pdf_printer() as printer:
        for project in projects:
            if "html" not in project.outputs:
                continue
            page = out_dir / project.outputs["html"]
            pdf = page.with_name(PDF_NAME)
            try:
                if not pdf.is_file() or pdf.stat().st_mtime < page.stat().st_mtime:
                    printer.print(page, project.name)
            except Exception as error:  # Chromium's, or the disk's: this project's PDF only
                problems.append(f"{project.folder}/{PDF_NAME}（{type(error).__name__}: {error}）")
                continue
            if "pdf" not in project.outputs:
                project.outputs["pdf"] = f"{project.folder}/{PDF_NAME}"
                record(project)
    return problems


def _unwritable(path: Path, error: BaseException) -> str:
    """Why ``path`` could not be written, as the run's report says it."""
    return f"{path}：{reason(error)}"


def _write_portfolio_file(path: Path, write: Callable[[], object]) -> str | None:
    """Write ``index.html`` or ``summary.xlsx``; None when written, else why not (the run's
    reviews stand: its report says which files are missing)."""
    try:
        write()
        return None
    except (OSError, PerfevalError) as failure:
        cause = failure.__cause__ if isinstance(failure, PerfevalError) else None
        return _unwritable(path, cause or failure)


def run_batch(
    paths: Iterable[str | Path], options: RunOptions | None = None, progress: Progress | None = None
) -> RunReport:
    """Review every form under ``paths``; see the module docstring.

    Raises RunError (or another PerfevalError) when the run cannot start; a form
    that cannot be read or a project that fails is in the report instead.
    KeyboardInterrupt stops the workers and propagates; what finished is recorded.
    The workers are forked from a forkserver, so a script that calls this needs the
    usual ``if __name__ == "__main__":`` guard.
    """
    paths = list(paths)
    options = options or RunOptions()
    progress = progress or Progress()
    notebook = resolve_notebook(options.notebook)
    kernel = _kernel_name(notebook)
    params_dir = options.params_dir.resolve()
    out_dir = options.out_dir.resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    with _run_lock(out_dir):
        settings = load_settings(params_dir)
        read = ReadResult()  # what could not be read; the forms themselves are not kept

        def evaluations() -> Iterator[Evaluation]:
            for one in each_form(paths):
                read.skipped.extend(one.skipped)
                read.errors.extend(one.errors)
                yield from one.evaluations

        projects = plan(evaluations(), out_dir, params_dir, notebook, map(Path, paths))
        served = served_as(out_dir)
        # Temp files a killed run left mid-write (a folder that is skipped keeps them else).
        for folder in (out_dir, *(out_dir / project.folder for project in projects)):
            remove_partials(folder)
        manifest = Manifest.load(out_dir / MANIFEST_NAME)
        unrecorded: list[str] = []

        def record(project: ProjectRun) -> None:
            """The project's manifest entry; a manifest that cannot be written (a full disk)
            is reported once, and the run goes on: the next run redoes what is unrecorded."""
            try:
                manifest.record(project.folder, project.entry())
            except OSError as error:
                if not unrecorded:
                    unrecorded.append(_unwritable(manifest.path, error))

        todo: list[ProjectRun] = []
        for project in projects:
            entry = None if options.force else manifest.fresh(project.folder, project.fingerprint)
            if project.state == "failed":  # it cannot run: nothing older may pass for it
                for stale in (HTML_NAME, NOTEBOOK_NAME, WORKBOOK_NAME):
                    (out_dir / project.folder / stale).unlink(missing_ok=True)
                project.summary = _summary(project, params_dir, settings)
                record(project)
            elif entry is not None:
                project.state = "skipped"
                project.outputs = dict(entry["outputs"])
                project.seconds = entry.get("seconds")
                project.started_at = entry.get("started_at")
                project.finished_at = entry.get("finished_at")
                project.summary = entry.get("summary")
                if ProjectFigures.from_json(project.summary) is None:  # an older manifest's
                    project.summary = _summary(project, params_dir, settings)
                    record(project)
            else:
                todo.append(project)
        try:
            manifest.save()
        except OSError as error:
            unrecorded.append(_unwritable(manifest.path, error))
        progress.start(len(projects), len(todo))
        by_folder = {project.folder: project for project in todo}
        finished = 0

        def on_result(result: JobResult) -> None:
            nonlocal finished
            project = by_folder[result.folder]
            project.state = "done" if result.ok else "failed"
            project.error, project.seconds = result.error, result.seconds
            project.outputs = dict(result.outputs)
            project.started_at, project.finished_at = result.started_at, result.finished_at
            project.summary = result.summary or _summary(project, params_dir, settings)
            record(project)
            finished += 1
            progress.advance(project, finished)

        jobs = [
            Job(
                folder=project.folder,
                out_dir=str(out_dir),
                notebook=str(notebook),
                parameters=dict(project.fingerprint["parameters"]),
                title=f"{project.name}{PAGE_TITLE_SUFFIX}",
                key=project.key,
                lab_href=None
                if served is None
                else lab_link(
                    served / project.folder / HTML_NAME, served / project.folder / NOTEBOOK_NAME
                ),
            )
            for project in todo
        ]
        kernel_log = out_dir / _KERNEL_LOG
        kernel_log.write_bytes(b"")  # this run's kernels only
        config = WorkerConfig(
            kernel_name=kernel,
            cwd=str(notebook.parent),
            kernel_log=str(kernel_log),
            warm_kernel=options.warm_kernels,
            recycle_after=options.recycle_after,
            cell_timeout=options.cell_timeout,
            project_timeout=options.project_timeout,
        )
        try:
            if options.cluster:
                from .cluster import run_jobs_on_cluster

                run_jobs_on_cluster(jobs, config, options.cluster, on_result)
            else:
                run_jobs(jobs, config, worker_count(options.jobs, len(jobs)), on_result)
        finally:
            progress.finish()
        unprinted = _print_reviews(projects, out_dir, record) if options.pdf else []
        index, summary = out_dir / INDEX_NAME, out_dir / SUMMARY_NAME
        rows = one_per_project(portfolio_row(project, served) for project in projects)
        generated_at = now().strftime("%Y-%m-%d %H:%M")
        # The reports first: the index links those written.
        reports = out_dir / REPORTS_DIR
        reported: dict[str, Path] = {}
        refused: list[str] = []
        problems: dict[Path, str | None] = {reports: None}
        try:
            reported, refused = write_unit_reports(rows, out_dir, generated_at)
        except OSError as failure:
            problems[reports] = _unwritable(reports, failure)
        page = index_html(
            rows,
            unreadable=[str(error) for error in read.errors],
            without_form=[str(notice) for notice in read.skipped],
            generated_at=generated_at,
            summary_href=SUMMARY_NAME,
            reports=set(reported),
        )
        problems[index] = _write_portfolio_file(index, lambda: write_atomic(index, page))
        problems[summary] = _write_portfolio_file(
            summary, lambda: write_summary_workbook(rows, summary)
        )
    return RunReport(
        projects,
        read.errors,
        read.skipped,
        out_dir,
        index if problems[index] is None else None,
        manifest.path,
        summary if problems[summary] is None else None,
        [*unrecorded, *unprinted, *refused, *(p for p in problems.values() if p is not None)],
        reports if problems[reports] is None else None,
    )
