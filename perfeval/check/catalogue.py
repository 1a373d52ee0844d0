"""The check catalogue: every check by stable id, and running them.

A check id is an interface: never rename one. The catalogue is built explicitly from the
check modules' ``CHECKS`` lists, so that importing a module registers nothing.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..exceptions import PerfevalError
from ..findings import SEVERITIES, Finding
from ..model import Evaluation
from . import narrative, national, scores
from .base import Check, CheckSettings, Context

__all__ = ["catalogue", "read_settings", "run_checks", "settings_from_json"]

log = logging.getLogger("perfeval")


class CheckRegistry:
    """The checks by id, in catalogue order."""

    def __init__(self) -> None:
        self._checks: dict[str, Check] = {}

    def register(self, check: Check) -> None:
        if check.id in self._checks:
            raise ValueError(f"check {check.id!r} registered twice")
        self._checks[check.id] = check

    def get(self, check_id: str) -> Check:
        try:
            return self._checks[check_id]
        except KeyError:
            raise PerfevalError(f"没有编号为“{check_id}”的检查项") from None

    def __iter__(self) -> Iterator[Check]:
        return iter(self._checks.values())

    def ids(self) -> list[str]:
        return list(self._checks)


@functools.cache
def catalogue() -> CheckRegistry:
    """Every check, built once from the check modules' lists."""
    registry = CheckRegistry()
    for module in (scores, narrative, national):
        for check in module.CHECKS:
            registry.register(check)
    return registry


def read_settings(path: Path | str | None) -> CheckSettings:
    """The settings in a JSON file (the defaults when ``path`` is None), checked against the catalogue."""
    return CheckSettings.load(path, catalogue().ids())


def settings_from_json(data: Any, where: str = "检查设置") -> CheckSettings:
    """Settings from parsed JSON, checked against the catalogue."""
    return CheckSettings.from_json(data, catalogue().ids(), where)


def run_checks(evaluation: Evaluation, settings: CheckSettings | None = None) -> list[Finding]:
    """Every enabled check's findings, most severe first, then in form order."""
    settings = settings or CheckSettings()
    context = Context(settings)
    findings: list[Finding] = []
    for check in catalogue():
        if check.id in settings.disabled or evaluation.format not in check.formats:
            continue
        severity = settings.severity.get(check.id)
        try:
            found = list(check.function(evaluation, context))
        except Exception as error:  # one check's failure never hides the others' findings
            log.info("检查项 %s 出错", check.id, exc_info=True)
            found = [
                Finding(
                    check.id,
                    "error",
                    f"检查项“{check.title}”未能完成（{type(error).__name__}: {error}），"
                    "其结论缺失；请人工核对此项，并把原表反馈给 perfeval 维护者。",
                )
            ]
        for finding in found:
            findings.append(replace(finding, severity=severity) if severity else finding)
    order = {name: index for index, name in enumerate(i.name for i in evaluation.indicators)}
    findings.sort(key=lambda f: (SEVERITIES.index(f.severity), order.get(f.indicator or "", -1)))
    return findings
