"""What a check is: its description, a module's list of checks, the run's settings and context.

The checks live in ``scores`` (arithmetic and scoring rules), ``narrative`` (what the text
says) and ``national`` (the Ministry of Finance form); each lists its checks in a ``CHECKS``
list made with ``CheckList.add``, and ``catalogue`` assembles them explicitly.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..exceptions import ParamsError
from ..findings import SEVERITIES, Finding
from ..model import Evaluation, GradeBand
from ..scoring import bands_of

__all__ = ["Check", "CheckList", "CheckSettings", "Context"]

CheckFunction = Callable[["Evaluation", "Context"], Iterable[Finding]]


@dataclass(frozen=True)
class Check:
    """One entry of the catalogue."""

    id: str
    title: str
    severity: str
    function: CheckFunction
    formats: frozenset[str] = frozenset({"district", "national"})
    arithmetic: bool = False

    @property
    def description(self) -> str:
        return (self.function.__doc__ or "").strip()


class CheckList(list[Check]):
    """A module's checks, in order; ``@CHECKS.add(...)`` describes a check function."""

    def add(
        self,
        check_id: str,
        title: str,
        severity: str,
        *,
        formats: Iterable[str] = ("district", "national"),
        arithmetic: bool = False,
    ) -> Callable[[CheckFunction], CheckFunction]:
        if severity not in SEVERITIES:
            raise ValueError(f"unknown severity {severity!r}")

        def describe(function: CheckFunction) -> CheckFunction:
            self.append(Check(check_id, title, severity, function, frozenset(formats), arithmetic))
            return function

        return describe


@dataclass
class CheckSettings:
    """Per-run settings, read from a JSON file under ``params/``.

    ``{"disabled": ["rule.boilerplate"], "severity": {"deduction.unexplained": "info"},
    "grade_bands": [{"grade": "优秀", "min": 85, "max": 100, "max_inclusive": true}, …],
    "boilerplate_similarity": 0.9, "lax_target_ratio": 3}``
    """

    disabled: frozenset[str] = frozenset()
    severity: dict[str, str] = field(default_factory=dict)
    grade_bands: list[GradeBand] = field(default_factory=list)
    boilerplate_similarity: float = 0.9
    #: A 正向 target the actual exceeds this many times over was set too low (target.lax).
    lax_target_ratio: Decimal = Decimal(3)

    @classmethod
    def load(cls, path: Path | str | None, known: Collection[str]) -> CheckSettings:
        """Settings from a file; the defaults when ``path`` is None."""
        if path is None:
            return cls()
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as error:
            raise ParamsError(f"{path}: 无法读取检查设置（{error.strerror}）") from error
        except json.JSONDecodeError as error:
            raise ParamsError(
                f"{path}: 第{error.lineno}行第{error.colno}列 JSON 格式错误：{error.msg}"
            ) from error
        return cls.from_json(data, known, str(path))

    @classmethod
    def from_json(cls, data: Any, known: Collection[str], where: str = "检查设置") -> CheckSettings:
        """Settings from parsed JSON; every mistake is a ParamsError naming ``where``.

        ``known`` is the catalogue's check ids (``catalogue.load_settings`` passes them).
        """
        if not isinstance(data, dict):
            raise ParamsError(f"{where}: 应为 JSON 对象")
        unknown = set(data) - _SETTINGS_KEYS
        if unknown:
            raise ParamsError(
                f"{where}: 不认识的设置项“{'、'.join(sorted(unknown))}”"
                f"（可用：{'、'.join(sorted(_SETTINGS_KEYS))}）"
            )
        disabled = data.get("disabled", [])
        severity = data.get("severity", {})
        if not isinstance(disabled, list) or not all(isinstance(i, str) for i in disabled):
            raise ParamsError(f"{where}: disabled 应为检查项编号的列表")
        if not isinstance(severity, dict):
            raise ParamsError(f"{where}: severity 应为“检查项编号: 等级”的对象")
        for check_id in [*disabled, *severity]:
            if check_id not in known:
                raise ParamsError(f"{where}: 没有编号为“{check_id}”的检查项")
        for check_id, level in severity.items():
            if level not in SEVERITIES:
                raise ParamsError(
                    f"{where}: “{check_id}”的等级“{level}”无效（应为 error/warning/info）"
                )
        bands = data.get("grade_bands", [])
        if not isinstance(bands, list) or not all(isinstance(b, dict) for b in bands):
            raise ParamsError(f"{where}: grade_bands 应为等级区间对象的列表")
        try:
            grade_bands = [
                GradeBand(
                    str(band["grade"]),
                    Decimal(str(band["min"])),
                    Decimal(str(band["max"])) if band.get("max") is not None else None,
                    bool(band.get("min_inclusive", True)),
                    bool(band.get("max_inclusive", False)),
                )
                for band in bands
            ]
            similarity = float(data.get("boilerplate_similarity", 0.9))
            lax_ratio = Decimal(str(data.get("lax_target_ratio", 3)))
        except (KeyError, TypeError, ValueError, ArithmeticError) as error:
            raise ParamsError(f"{where}: 等级区间或相似度设置无效（{error}）") from error
        if not 0 < similarity <= 1:
            raise ParamsError(
                f"{where}: boilerplate_similarity 应在 0 到 1 之间，实为 {similarity}"
            )
        if not lax_ratio.is_finite() or lax_ratio <= 1:
            raise ParamsError(f"{where}: lax_target_ratio 应为大于 1 的倍数，实为 {lax_ratio}")
        return cls(frozenset(disabled), dict(severity), grade_bands, similarity, lax_ratio)


_SETTINGS_KEYS = frozenset(
    {"disabled", "severity", "grade_bands", "boilerplate_similarity", "lax_target_ratio"}
)


@dataclass(frozen=True)
class Context:
    """What a check may consult besides the evaluation."""

    settings: CheckSettings

    def bands(self, evaluation: Evaluation) -> list[GradeBand]:
        return bands_of(evaluation, self.settings.grade_bands)
