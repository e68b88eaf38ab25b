"""Charts as inline SVG (no script, no network): line charts and horizontal bar charts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

WIDTH, HEIGHT = 640, 300
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 44
PALETTE = ("#1f6feb", "#d1242f", "#8250df", "#1a7f37", "#9a6700")


@dataclass
class Series:
    """A line (and an optional band around it, e.g. quartiles) on a line chart."""

    label: str
    points: list[tuple[float, float]]
    band: list[tuple[float, float, float]] = field(default_factory=list)
    """(x, low, high) of a shaded band."""
    dashed: bool = False


def _scale(value: float, low: float, high: float, start: float, end: float) -> float:
    span = high - low or 1.0
    return start + (value - low) / span * (end - start)


def line_chart(
    series: Sequence[Series],
    x_range: tuple[float, float],
    y_range: tuple[float, float],
    x_label: str,
    y_label: str,
    ticks: int = 5,
    legend: str = "lower right",
) -> str:
    """An SVG line chart with axes, ticks, a legend and optional shaded bands."""
    (x0, x1), (y0, y1) = x_range, y_range
    right, bottom = WIDTH - RIGHT, HEIGHT - BOTTOM

    def px(x: float) -> float:
        return _scale(x, x0, x1, LEFT, right)

    def py(y: float) -> float:
        return _scale(y, y0, y1, bottom, TOP)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" font-family="sans-serif" font-size="11">',
        f'<line x1="{LEFT}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="#555"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{bottom}" stroke="#555"/>',
    ]
    for i in range(ticks + 1):
        xv, yv = x0 + (x1 - x0) * i / ticks, y0 + (y1 - y0) * i / ticks
        parts.append(
            f'<text x="{px(xv):.1f}" y="{bottom + 14}" text-anchor="middle">{xv:.4g}</text>'
            f'<text x="{LEFT - 6}" y="{py(yv) + 4:.1f}" text-anchor="end">{yv:.4g}</text>'
            f'<line x1="{LEFT}" y1="{py(yv):.1f}" x2="{right}" y2="{py(yv):.1f}" '
            'stroke="#eee"/>'
        )
    parts.append(
        f'<text x="{(LEFT + right) / 2}" y="{HEIGHT - 8}" text-anchor="middle">'
        f"{escape(x_label)}</text>"
        f'<text x="14" y="{(TOP + bottom) / 2}" text-anchor="middle" '
        f'transform="rotate(-90 14 {(TOP + bottom) / 2})">{escape(y_label)}</text>'
    )
    for index, line in enumerate(series):
        color = PALETTE[index % len(PALETTE)]
        if line.band:
            upper = " ".join(f"{px(x):.1f},{py(hi):.1f}" for x, _, hi in line.band)
            lower = " ".join(f"{px(x):.1f},{py(lo):.1f}" for x, lo, _ in reversed(line.band))
            parts.append(f'<polygon points="{upper} {lower}" fill="{color}" opacity="0.15"/>')
        if line.points:
            coords = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in line.points)
            dash = ' stroke-dasharray="5,4"' if line.dashed else ""
            parts.append(
                f'<polyline points="{coords}" fill="none" stroke="{color}" stroke-width="2"{dash}/>'
            )
        lx = LEFT + 12 if legend == "lower left" else right - 200
        ly = bottom - 10 - 15 * (len(series) - 1 - index)
        parts.append(
            f'<rect x="{lx}" y="{ly - 6}" width="12" height="4" fill="{color}"/>'
            f'<text x="{lx + 18}" y="{ly}">{escape(line.label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(bars: Sequence[tuple[str, float]], value_label: str) -> str:
    """An SVG horizontal bar chart, one bar per (label, value), values written at the bars."""
    row, label_width = 22, 250
    height = TOP + BOTTOM + row * max(1, len(bars))
    top = max((v for _, v in bars), default=0.0) or 1.0
    right = WIDTH - RIGHT - 40
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="img" font-family="sans-serif" font-size="11">'
    ]
    for index, (label, value) in enumerate(bars):
        y = TOP + row * index
        length = _scale(value, 0, top, 0, right - label_width)
        parts.append(
            f'<text x="{label_width - 6}" y="{y + 14}" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{label_width}" y="{y + 3}" width="{length:.1f}" height="{row - 6}" '
            f'fill="{PALETTE[0]}"/>'
            f'<text x="{label_width + length + 4:.1f}" y="{y + 14}">{value:g}</text>'
        )
    parts.append(
        f'<text x="{(label_width + right) / 2}" y="{height - 12}" text-anchor="middle">'
        f"{escape(value_label)}</text></svg>"
    )
    return "".join(parts)
