"""perfeval: review Chinese fiscal project performance self-evaluations (财政项目绩效自评价)."""

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
from .forms import ReadResult, read_form, read_forms
from .model import Evaluation, Indicator, Project, Source

__all__ = [
    "AdjustmentError",
    "Evaluation",
    "Finding",
    "FormError",
    "Indicator",
    "NoFormError",
    "ParamsError",
    "PerfevalError",
    "Project",
    "ReadResult",
    "RunError",
    "Source",
    "UnsupportedFileError",
    "read_form",
    "read_forms",
]
