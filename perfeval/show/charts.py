"""Charts drawn as inline SVG: no script, no font file, nothing loaded from outside.

Labels are SVG ``<text>`` in the page's own font stack (``FONT_STACK``), so Chinese
shows with whatever CJK font the reader's machine has, and prints sharp. Every label
is HTML-escaped here: callers pass plain text, names taken from forms included.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from html import escape

__all__ = ["FONT_STACK", "Point", "Series", "grouped_bars", "scatter"]

FONT_STACK = (
    '"PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", '
    '"Source Han Sans SC", "WenQuanYi Micro Hei", sans-serif'
)
_WIDTH, _HEIGHT = 560, 320
_LEFT, _RIGHT, _TOP, _BOTTOM = 56, 16, 40, 52
_AXIS = "#57606a"
_GRID = "#d0d7de"


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _n(value: float) -> str:
    """A coordinate with at most two decimals."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _svg(label: str, body: list[str], css_class: str, data: dict[str, str] | None = None) -> str:
    extra = "".join(f' data-{_e(name)}="{_e(value)}"' for name, value in (data or {}).items())
    return (
        f'<svg class="{_e(css_class)}"{extra} xmlns="http://www.w3.org/2000/svg" role="img" '
        f'viewBox="0 0 {_WIDTH} {_HEIGHT}" width="{_WIDTH}" height="{_HEIGHT}" '
        f'font-family="{_e(FONT_STACK)}" font-size="12" aria-label="{_e(label)}">'
        f"<title>{_e(label)}</title>"
        f'<text x="{_WIDTH / 2}" y="20" text-anchor="middle" font-size="14" '
        f'font-weight="bold">{_e(label)}</text>' + "".join(body) + "</svg>"
    )


def _nice_step(span: float, most: int = 10) -> float:
    """A tick step of 1, 2 or 5 × 10ⁿ that gives at most ``most`` intervals over ``span``."""
    if span <= 0:
        return 1.0
    step = 10 ** math.floor(math.log10(span / most))
    for factor in (1, 2, 5, 10):
        if span / (step * factor) <= most:
            return step * factor
    return step * 10


@dataclass(frozen=True)
class Series:
    """One series of a bar chart: its legend label, a value per category, its colour."""

    label: str
    values: Sequence[int]
    colour: str
    key: str = ""  # names its bars for a script that redraws them (``data-count``)


def grouped_bars(
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    y_label: str = "",
    css_class: str = "chart",
    data: dict[str, str] | None = None,
) -> str:
    """Bars grouped by category, one bar per series, each labelled with its value.

    A series with a ``key`` marks its bar and value label ``data-count="KEY|CATEGORY"``, and
    the chart carries its baseline (``data-base``) and the height of a count of one
    (``data-step``), so a page's script can redraw the bars for a subset (the index's
    filters); ``data`` adds ``data-*`` attributes to the chart."""
    plot_w, plot_h = _WIDTH - _LEFT - _RIGHT, _HEIGHT - _TOP - _BOTTOM
    top = max([1, *(v for s in series for v in s.values)])
    step = max(1.0, _nice_step(top, 5))
    top_tick = math.ceil(top / step) * step
    body: list[str] = []

    def y_of(value: float) -> float:
        return _TOP + plot_h - plot_h * value / top_tick

    for number in range(round(top_tick / step) + 1):
        tick = number * step
        y = y_of(tick)
        body.append(
            f'<line x1="{_LEFT}" x2="{_LEFT + plot_w}" y1="{_n(y)}" y2="{_n(y)}" stroke="{_GRID}"/>'
            f'<text x="{_LEFT - 6}" y="{_n(y + 4)}" text-anchor="end" fill="{_AXIS}">'
            f"{_n(tick)}</text>"
        )
    group_w = plot_w / max(1, len(categories))
    bar_w = min(36.0, group_w * 0.8 / max(1, len(series)))
    for index, category in enumerate(categories):
        start = _LEFT + group_w * index + (group_w - bar_w * len(series)) / 2
        for number, one in enumerate(series):
            value = one.values[index]
            x, y = start + bar_w * number, y_of(value)
            bar = f"{category} {one.label}"
            count = f' data-count="{_e(one.key)}|{_e(category)}"' if one.key else ""
            body.append(
                f'<rect class="bar" x="{_n(x)}" y="{_n(y)}" width="{_n(bar_w - 2)}" '
                f'height="{_n(_TOP + plot_h - y)}" fill="{_e(one.colour)}"{count} '
                f'data-title="{_e(bar)}"><title>{_e(bar)}：{value}</title></rect>'
                f'<text class="value" x="{_n(x + (bar_w - 2) / 2)}" y="{_n(y - 3)}" '
                f'text-anchor="middle"{count}>{value}</text>'
            )
        body.append(
            f'<text class="category" x="{_n(_LEFT + group_w * (index + 0.5))}" '
            f'y="{_TOP + plot_h + 18}" text-anchor="middle">{_e(category)}</text>'
        )
    body.append(
        f'<line x1="{_LEFT}" x2="{_LEFT + plot_w}" y1="{_TOP + plot_h}" y2="{_TOP + plot_h}" '
        f'stroke="{_AXIS}"/>'
    )
    body.append(_legend(series, _TOP + plot_h + 40))
    body.append(
        f'<text x="14" y="{_n(_TOP + plot_h / 2)}" text-anchor="middle" fill="{_AXIS}" '
        f'transform="rotate(-90 14 {_n(_TOP + plot_h / 2)})">{_e(y_label)}</text>'
    )
    scale = {"base": _n(_TOP + plot_h), "step": _n(plot_h / top_tick)}
    return _svg(title, body, css_class, {**scale, **(data or {})})


def _legend(series: Sequence[Series], y: float) -> str:
    parts, x = [], float(_LEFT)
    for one in series:
        parts.append(
            f'<rect x="{_n(x)}" y="{_n(y - 10)}" width="12" height="12" fill="{_e(one.colour)}"/>'
            f'<text class="legend" x="{_n(x + 16)}" y="{_n(y)}">{_e(one.label)}</text>'
        )
        x += 28 + 14 * len(one.label)
    return "".join(parts)


@dataclass(frozen=True)
class Point:
    """One point of a scatter chart; ``data`` become ``data-*`` attributes (for filters)."""

    x: Decimal
    y: Decimal
    label: str
    data: dict[str, str] = field(default_factory=dict)


def scatter(
    title: str,
    points: Sequence[Point],
    *,
    x_label: str,
    y_label: str,
    diagonal: str | None = None,
    css_class: str = "chart",
) -> str:
    """Points on a square-ish grid from at most 60 to at least 100; ``diagonal`` labels y = x."""
    plot_w, plot_h = _WIDTH - _LEFT - _RIGHT, _HEIGHT - _TOP - _BOTTOM
    points = [p for p in points if math.isfinite(float(p.x)) and math.isfinite(float(p.y))]
    values = [float(v) for p in points for v in (p.x, p.y)]
    low = max(0.0, min([60.0, *values]))
    high = max([100.0, *values])
    step = _nice_step(high - low)
    low, high = math.floor(low / step) * step, math.ceil(high / step) * step
    span = (high - low) or 1.0

    def x_of(value: float) -> float:
        return _LEFT + plot_w * (value - low) / span

    def y_of(value: float) -> float:
        return _TOP + plot_h - plot_h * (value - low) / span

    body: list[str] = []
    for number in range(round(span / step) + 1):
        tick = low + number * step
        x, y = x_of(tick), y_of(tick)
        body.append(
            f'<line x1="{_LEFT}" x2="{_LEFT + plot_w}" y1="{_n(y)}" y2="{_n(y)}" stroke="{_GRID}"/>'
            f'<line x1="{_n(x)}" x2="{_n(x)}" y1="{_TOP}" y2="{_TOP + plot_h}" stroke="{_GRID}"/>'
            f'<text x="{_LEFT - 6}" y="{_n(y + 4)}" text-anchor="end" fill="{_AXIS}">{_n(tick)}</text>'
            f'<text x="{_n(x)}" y="{_TOP + plot_h + 16}" text-anchor="middle" fill="{_AXIS}">'
            f"{_n(tick)}</text>"
        )
    if diagonal:
        body.append(
            f'<line x1="{_n(x_of(low))}" y1="{_n(y_of(low))}" x2="{_n(x_of(high))}" '
            f'y2="{_n(y_of(high))}" stroke="{_AXIS}" stroke-dasharray="4 3"/>'
            f'<text x="{_n(x_of(high) - 4)}" y="{_n(y_of(high) + 14)}" text-anchor="end" '
            f'fill="{_AXIS}">{_e(diagonal)}</text>'
        )
    for point in points:
        extra = "".join(f' data-{_e(name)}="{_e(value)}"' for name, value in point.data.items())
        body.append(
            f'<circle class="point" cx="{_n(x_of(float(point.x)))}" cy="{_n(y_of(float(point.y)))}" '
            f'r="5" fill="#0969da" fill-opacity="0.6" stroke="#0550ae"{extra}>'
            f"<title>{_e(point.label)}</title></circle>"
        )
    body.append(
        f'<text x="{_n(_LEFT + plot_w / 2)}" y="{_HEIGHT - 10}" text-anchor="middle" '
        f'fill="{_AXIS}">{_e(x_label)}</text>'
        f'<text x="14" y="{_n(_TOP + plot_h / 2)}" text-anchor="middle" fill="{_AXIS}" '
        f'transform="rotate(-90 14 {_n(_TOP + plot_h / 2)})">{_e(y_label)}</text>'
    )
    return _svg(title, body, css_class)
