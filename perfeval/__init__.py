"""perfeval: review Chinese fiscal project performance self-evaluations (财政项目绩效自评价).

Read forms (``read_forms``), check them (``run_checks``), review them with the
reviewers' adjustments (``load_review``, ``AdjustmentStore``). The notebook panel
lives in ``perfeval.widgets``, the batch runner in ``perfeval.batch``.
"""

from .check.base import CheckSettings
from .check.catalogue import run_checks
from .exceptions import (
    AdjustmentError,
    FormError,
    NoFormError,
    ParamsError,
    PerfevalError,
    RunError,
    UnsupportedFileError,
)
from .findings import Finding
from .model import Evaluation, Indicator, Project, Source
from .read.forms import ReadResult, read_form, read_forms
from .review.build import Review, build_review, load_review
from .review.store import AdjustmentStore

__all__ = [
    "AdjustmentError",
    "AdjustmentStore",
    "CheckSettings",
    "Evaluation",
    "Finding",
    "FormError",
    "Indicator",
    "NoFormError",
    "ParamsError",
    "PerfevalError",
    "Project",
    "ReadResult",
    "Review",
    "RunError",
    "Source",
    "UnsupportedFileError",
    "build_review",
    "load_review",
    "read_form",
    "read_forms",
    "run_checks",
]
