"""Findings: problems found in a form are data, never exceptions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["SEVERITIES", "SEVERITY_LABELS", "Finding", "counts_text"]

#: From the most to the least serious.
SEVERITIES = ("error", "warning", "info")
SEVERITY_LABELS = {"error": "错误", "warning": "警告", "info": "提示"}


def counts_text(counts: dict[str, int]) -> str:
    """Findings counted by severity as a reviewer writes it: ``错误 11 项，警告 10 项``, most
    serious first; "" when there are none."""
    return "，".join(f"{SEVERITY_LABELS[s]} {counts[s]} 项" for s in SEVERITIES if counts.get(s))


@dataclass(frozen=True)
class Finding:
    """What a check found: where, what, on which evidence, and how to make it consistent.

    ``check`` is a stable id (an interface: never renamed); ``message`` is one Chinese
    sentence a reviewer can paste into a review; ``evidence`` holds the figures or
    quoted text it rests on; ``suggestion`` the score, total, grade or regrouping that
    would make the form consistent, where one can be derived.
    """

    check: str
    severity: str
    message: str
    indicator: str | None = None
    category: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    suggestion: str | None = None

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"unknown severity {self.severity!r}")

    @property
    def severity_label(self) -> str:
        return SEVERITY_LABELS[self.severity]

    @property
    def place(self) -> str:
        """Where the finding is, as a reviewer names it: 【指标】, 【一级指标：…】 or 【全表】."""
        if self.indicator:
            return f"【{self.indicator}】"
        if self.category:
            return f"【一级指标：{self.category}】"
        return "【全表】"

    def to_json(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "severity": self.severity,
            "indicator": self.indicator,
            "category": self.category,
            "message": self.message,
            "evidence": self.evidence,
            "suggestion": self.suggestion,
        }
