"""perfeval's papermill engine: a notebook on a kernel the worker owns, kept from the
previous project when kernels are warm.

papermill starts a kernel for every notebook (its issues #326 and #583 ask otherwise); a
batch of thousands pays a second of kernel start and imports for each. This engine takes
the kernel (and, when it has run a project before, the connected client) the worker hands
it, and

- readies it before the first cell (``kernelstate.start``: an empty namespace, execution
  counts from 1, the run's working directory);
- leaves the cells tagged ``interactive`` (the reviewer's widget panel) unexecuted: they
  are for a reviewer in JupyterLab, the HTML review drops them, and a batch would spend
  a third of its messages on their widgets. Opened in JupyterLab, the executed notebook
  runs them like any other cell;
- after the last cell, when asked to, finds out what the project left outside its
  namespace (``kernelstate.leftovers``);
- keeps the executed notebook in its :class:`KernelReport`, with papermill's error marks
  when a cell raised, so the worker never reads it back from disk.

The worker (``execute.NotebookRunner``) decides from the report, and from failures,
timeouts, memory and a count of projects, when a kernel is replaced. The engine is
registered with papermill by :func:`register`, which the worker calls; importing this
module registers nothing.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines
from papermill.log import logger

from ..exceptions import RunError
from .handover import INTERACTIVE_TAG

__all__ = ["ENGINE_NAME", "KernelReport", "PerfevalEngine", "register"]

ENGINE_NAME = "perfeval"
_START = "import perfeval.run.kernelstate as _perfeval_state; _perfeval_state.start({cwd!r})"
_LEFTOVERS = "__import__('perfeval.run.kernelstate', fromlist=['_']).leftovers()"


@dataclass
class KernelReport:
    """What the engine learnt while running one notebook."""

    ready: bool = False  # the kernel was readied for this notebook
    leftovers: list[str] = field(default_factory=list)  # what the project left behind
    checked: bool = False  # the kernel answered the leftovers question
    notebook: Any = None  # the executed notebook (papermill marks a failure in it in place)

    @property
    def clean(self) -> bool:
        return self.ready and self.checked and not self.leftovers


class _Client(PapermillNotebookClient):
    def __init__(
        self,
        nb_man: Any,
        *,
        kernel_cwd: str,
        report: KernelReport,
        client: Any,
        check: bool,
        **kwargs: Any,
    ):
        super().__init__(nb_man, **kwargs)
        self._kernel_cwd = kernel_cwd
        self._report = report
        self._check = check
        report.notebook = nb_man.nb
        if client is not None:  # the last notebook's, still connected: no new handshake
            self.kc = client

    def _silent(self, code: str, **expressions: str) -> dict[str, Any]:
        """Run ``code`` without a trace in the notebook or the execution count."""
        msg_id = self.kc.execute(
            code, silent=True, store_history=False, user_expressions=expressions
        )
        reply = self.wait_for_reply(msg_id)
        content: dict[str, Any] = (reply or {}).get("content", {})
        return content

    def execute_cell(self, cell: Any, cell_index: int, *args: Any, **kwargs: Any) -> Any:
        if INTERACTIVE_TAG in cell.get("metadata", {}).get("tags", []):
            return cell
        return super().execute_cell(cell, cell_index, *args, **kwargs)

    def papermill_execute_cells(self) -> None:
        content = self._silent(_START.format(cwd=self._kernel_cwd))
        if content.get("status") != "ok":
            name, value = content.get("ename", "?"), content.get("evalue", "")
            raise RunError(f"内核未能就绪：{name}: {value}")
        self._report.ready = True
        super().papermill_execute_cells()
        if not self._check:
            return
        try:
            content = self._silent("", leftovers=_LEFTOVERS)
            answer = content["user_expressions"]["leftovers"]
            if answer.get("status") == "ok":
                self._report.leftovers = list(ast.literal_eval(answer["data"]["text/plain"]))
                self._report.checked = True
        except Exception:  # a dead or stuck kernel: not checked, so not reused
            self._report.checked = False


class PerfevalEngine(NBClientEngine):
    """papermill's nbclient engine, on a kernel the caller owns (``km``).

    Keyword arguments of its own: ``kernel_cwd`` (the working directory each notebook
    starts in), ``kernel_report`` (a :class:`KernelReport` it fills in),
    ``kernel_client`` (a connected client of ``km`` to use; None: nbclient makes one) and
    ``check_leftovers`` (ask the kernel what the notebook left behind).
    """

    @classmethod
    def execute_managed_notebook(
        cls,
        nb_man: Any,
        kernel_name: str,
        log_output: bool = False,
        stdout_file: Any = None,
        stderr_file: Any = None,
        start_timeout: int = 60,
        execution_timeout: float | None = None,
        **kwargs: Any,
    ) -> Any:
        kernel_cwd: str = kwargs.pop("kernel_cwd")
        report: KernelReport = kwargs.pop("kernel_report")
        kernel_client = kwargs.pop("kernel_client", None)
        check = bool(kwargs.pop("check_leftovers", False))
        for unused in ("input_path", "timeout", "startup_timeout"):
            kwargs.pop(unused, None)
        client = _Client(
            nb_man,
            kernel_cwd=kernel_cwd,
            report=report,
            client=kernel_client,
            check=check,
            timeout=execution_timeout,
            startup_timeout=start_timeout,
            kernel_name=kernel_name,
            log=logger,
            log_output=log_output,
            stdout_file=stdout_file,
            stderr_file=stderr_file,
            **kwargs,
        )
        return client.execute()


def register() -> None:
    """Make :data:`ENGINE_NAME` known to papermill (in this process)."""
    papermill_engines.register(ENGINE_NAME, PerfevalEngine)
