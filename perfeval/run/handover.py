"""What the review notebook hands a batch run: review.xlsx and the portfolio's figures.

The notebook computes the review once; its last cell (tagged ``handover``, left out of
the HTML review) calls ``hand_over``, which writes ``review.xlsx`` from that review and
shows the figures the portfolio needs as an output of its own type, the way scrapbook
glues values to a notebook. The worker reads them back with ``handed_over``; nobody
computes the review a second time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..exceptions import PerfevalError
from ..review.build import Review
from ..review.portfolio import ProjectFigures
from ..show.xlsx import write_review_workbook

__all__ = [
    "HANDOVER_MIME",
    "HANDOVER_TAG",
    "INTERACTIVE_TAG",
    "Handover",
    "hand_over",
    "handed_over",
]

HANDOVER_TAG = "handover"
#: Cells for a reviewer in JupyterLab (the widget panel): a batch leaves them unexecuted
#: (``perfeval.run.engine``) and the HTML review leaves them out (``perfeval.run.export``).
INTERACTIVE_TAG = "interactive"
HANDOVER_MIME = "application/vnd.perfeval.handover+json"


@dataclass(frozen=True)
class Handover:
    """What the notebook handed over: the portfolio's figures, and why review.xlsx could
    not be written (None when it was)."""

    figures: dict[str, Any]
    workbook_error: str | None = None


def hand_over(review: Review, workbook_path: str | Path | None) -> None:
    """In a batch run (``workbook_path`` given): write review.xlsx there and show the
    figures. A workbook that cannot be written is handed over as a reason, never raised:
    the review above is complete, and the run says what failed."""
    if workbook_path is None:
        return  # a reviewer's own run in JupyterLab: nothing to hand over
    from IPython.display import display

    error = None
    try:
        write_review_workbook(review, Path(workbook_path))
    except PerfevalError as failure:
        error = str(failure)
    data = {"figures": ProjectFigures.of_review(review).to_json(), "workbook_error": error}
    display({HANDOVER_MIME: data, "text/plain": "（批量复核的交接数据）"}, raw=True)


def handed_over(nb: Any) -> Handover | None:
    """What an executed notebook handed over, or None when it handed nothing."""
    for cell in nb.cells:
        if HANDOVER_TAG not in cell.get("metadata", {}).get("tags", []):
            continue
        for output in cell.get("outputs", []):
            data = output.get("data", {}).get(HANDOVER_MIME)
            if isinstance(data, dict) and isinstance(data.get("figures"), dict):
                return Handover(dict(data["figures"]), data.get("workbook_error"))
    return None
