"""Inline SVG charts drawn in Python: weekly score lines, stacked outcome bars, tool error bars.

The page must open without a network, so there is no charting library: each function returns
an `<svg>` element as text. Every mark carries `data-*` attributes with the number it draws,
so the figures can be read back off the page, and a `<title>` that browsers show on hover.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import date
from html import escape

COLOURS: dict[str, str] = {
    "success": "#2f9e6e",
    "partial": "#e0a030",
    "failure": "#d64545",
    "unknown": "#9aa5b1",
    "unscored": "#d3d9e0",
}
ACCENT = "#3f6fd8"
GRID = "#e6e9ee"
MUTED = "#6b7785"


def esc(value: object) -> str:
    """Text made safe for HTML element content and quoted attribute values."""
    return escape(str(value), quote=True)


def num(value: float | int | None) -> str:
    """A number as a `data-value` attribute holds it: the JSON figure, or empty for none."""
    if value is None:
        return ""
    return str(value)


def _f(value: float) -> str:
    return f"{value:.1f}"


def _day(value: date) -> str:
    return value.strftime("%b %-d")


def _label_every(count: int, most: int) -> int:
    return max(1, math.ceil(count / most))


def nice_ceiling(value: float) -> int:
    """The smallest round number (1, 2, 5 times a power of ten) at least `value`."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return int(step * power)
    return int(10 * power)


def score_line(
    name: str, weeks: Sequence[date], values: Sequence[float | None], width: int = 300, height: int = 130
) -> str:
    """A line of weekly mean scores on a fixed 0–1 scale; gaps where a week has no score."""
    left, right, top, bottom = 30, 10, 10, 22
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(i: int) -> float:
        return left + (plot_w / 2 if len(weeks) == 1 else plot_w * i / (len(weeks) - 1))

    def y(v: float) -> float:
        return top + plot_h * (1 - max(0.0, min(1.0, v)))

    parts = [
        f'<svg class="chart" data-figure="score-line" data-dimension="{esc(name)}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{esc(name)} by week">'
    ]
    for tick in (0.0, 0.5, 1.0):
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{_f(y(tick))}" y2="{_f(y(tick))}" stroke="{GRID}"/>'
            f'<text x="{left - 6}" y="{_f(y(tick) + 4)}" text-anchor="end" class="tick">{tick:g}</text>'
        )
    path: list[str] = []
    pen_down = False
    for i, value in enumerate(values):
        if value is None:
            pen_down = False
            continue
        path.append(f"{'L' if pen_down else 'M'}{_f(x(i))} {_f(y(value))}")
        pen_down = True
    if len(path) > 1:
        parts.append(
            f'<path d="{" ".join(path)}" fill="none" stroke="{ACCENT}" stroke-width="2" '
            'stroke-linejoin="round" stroke-linecap="round"/>'
        )
    for i, (week, value) in enumerate(zip(weeks, values, strict=True)):
        if value is None:
            continue
        parts.append(
            f'<circle data-figure="score-point" data-week="{week.isoformat()}" data-value="{num(value)}" '
            f'cx="{_f(x(i))}" cy="{_f(y(value))}" r="{3.5 if len(weeks) > 1 else 5}" fill="{ACCENT}">'
            f"<title>week of {week.isoformat()}: {value:.2f}</title></circle>"
        )
    parts.append(_week_labels(weeks, x, height - 6, most=3))
    parts.append("</svg>")
    return "".join(parts)


def _week_labels(weeks: Sequence[date], position: Callable[[int], float], baseline: float, most: int) -> str:
    """Dates under a few of the weeks, always including the latest."""
    if not weeks:
        return ""
    every = _label_every(len(weeks), most)
    shown = set(range(len(weeks) - 1, -1, -every))
    labels = [
        f'<text x="{_f(position(i))}" y="{_f(baseline)}" text-anchor="middle" class="tick">{_day(week)}</text>'
        for i, week in enumerate(weeks)
        if i in shown
    ]
    return "".join(labels)


def outcome_bars(
    weeks: Sequence[date], counts: Sequence[dict[str, int]], order: Sequence[str], width: int = 1000, height: int = 250
) -> str:
    """Sessions per week as bars stacked by outcome."""
    left, right, top, bottom = 36, 8, 12, 24
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = nice_ceiling(max((sum(c.values()) for c in counts), default=1))
    slot = plot_w / max(1, len(weeks))
    bar = min(48.0, slot * 0.7)

    def x(i: int) -> float:
        return left + slot * i + slot / 2

    parts = [
        f'<svg class="chart" data-figure="outcome-bars" viewBox="0 0 {width} {height}" role="img" '
        'aria-label="sessions per week by outcome">'
    ]
    for k in range(5):
        value = peak * k / 4
        at = top + plot_h * (1 - k / 4)
        label = f"{value:g}" if value == int(value) else ""
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{_f(at)}" y2="{_f(at)}" stroke="{GRID}"/>'
            f'<text x="{left - 6}" y="{_f(at + 4)}" text-anchor="end" class="tick">{label}</text>'
        )
    for i, (week, count) in enumerate(zip(weeks, counts, strict=True)):
        base = float(top + plot_h)
        for outcome in order:
            value = count.get(outcome, 0)
            if not value:
                continue
            tall = plot_h * value / peak
            base -= tall
            parts.append(
                f'<rect data-figure="outcome-bar" data-week="{week.isoformat()}" data-outcome="{esc(outcome)}" '
                f'data-value="{value}" x="{_f(x(i) - bar / 2)}" y="{_f(base)}" width="{_f(bar)}" '
                f'height="{_f(tall)}" fill="{COLOURS.get(outcome, MUTED)}">'
                f"<title>week of {week.isoformat()}: {value} {esc(outcome)}</title></rect>"
            )
    parts.append(_week_labels(weeks, x, height - 6, most=8))
    parts.append("</svg>")
    return "".join(parts)


def tool_bars(rows: Sequence[tuple[str, int, int, float]], width: int = 1000) -> str:
    """Each tool's error rate as a horizontal bar, with its failed and total calls."""
    label_w, value_w, row_h, top = 210, 170, 30, 4
    bar_w = width - label_w - value_w
    height = top * 2 + row_h * len(rows)
    parts = [
        f'<svg class="chart" data-figure="tool-bars" viewBox="0 0 {width} {height}" role="img" '
        'aria-label="error rate by tool">'
    ]
    for i, (tool, calls, errors, rate) in enumerate(rows):
        y = top + row_h * i
        shown = tool if len(tool) <= 26 else tool[:25] + "…"
        fill = COLOURS["failure"] if rate >= 0.25 else "#e8875b" if rate >= 0.1 else ACCENT
        parts.append(
            f'<g data-figure="tool" data-tool="{esc(tool)}" data-calls="{calls}" data-errors="{errors}" '
            f'data-value="{num(rate)}"><title>{esc(tool)}: {errors} of {calls} calls failed</title>'
            f'<text x="{label_w - 10}" y="{y + 18}" text-anchor="end" class="label">{esc(shown)}</text>'
            f'<rect x="{label_w}" y="{y + 6}" width="{bar_w}" height="16" rx="3" fill="#eef1f5"/>'
        )
        if rate > 0:
            parts.append(
                f'<rect class="value" x="{label_w}" y="{y + 6}" width="{_f(max(2.0, bar_w * rate))}" '
                f'height="16" rx="3" fill="{fill}"/>'
            )
        parts.append(
            f'<text x="{label_w + bar_w + 10}" y="{y + 18}" class="label">'
            f'<tspan class="strong">{rate:.0%}</tspan> <tspan class="muted">{errors} of {calls}</tspan></text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


def lift_bar(lift: float | None, most: float, width: int = 90) -> str:
    """A small inline bar for a pattern's lift, scaled against the largest lift listed."""
    if lift is None or most <= 0:
        return ""
    filled = max(2.0, width * min(lift, most) / most)
    return (
        f'<svg class="spark" viewBox="0 0 {width} 8" width="{width}" height="8" aria-hidden="true">'
        f'<rect width="{width}" height="8" rx="2" fill="#eef1f5"/>'
        f'<rect width="{_f(filled)}" height="8" rx="2" fill="{COLOURS["failure"]}"/></svg>'
    )
