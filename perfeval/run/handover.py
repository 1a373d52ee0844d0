"""What the review notebook hands a batch run: review.xlsx and the portfolio's figures.

The notebook computes the review once; its last cell (tagged ``handover``, left out of
the HTML review) calls ``hand_over``, which writes ``review.xlsx`` from that review and
shows the figures the portfolio needs as an output of its own type, the way scrapbook
glues values to a notebook. The worker reads them back with ``figures_in``; nobody
computes the review a second time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..review.build import Review
from ..review.portfolio import ProjectFigures
from ..show.xlsx import write_review_workbook

__all__ = ["FIGURES_MIME", "HANDOVER_TAG", "figures_in", "hand_over"]

HANDOVER_TAG = "handover"
FIGURES_MIME = "application/vnd.perfeval.figures+json"


def hand_over(review: Review, workbook_path: str | Path | None) -> None:
    """In a batch run (``workbook_path`` given): write review.xlsx there and show the figures."""
    if workbook_path is None:
        return  # a reviewer's own run in JupyterLab: nothing to hand over
    from IPython.display import display

    write_review_workbook(review, Path(workbook_path))
    figures = ProjectFigures.of_review(review).to_json()
    display({FIGURES_MIME: figures, "text/plain": "（批量复核的交接数据）"}, raw=True)


def figures_in(nb: Any) -> dict[str, Any] | None:
    """The figures an executed notebook handed over, or None when it handed none."""
    for cell in nb.cells:
        if HANDOVER_TAG not in cell.get("metadata", {}).get("tags", []):
            continue
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if FIGURES_MIME in data and isinstance(data[FIGURES_MIME], dict):
                return dict(data[FIGURES_MIME])
    return None
