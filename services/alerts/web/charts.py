"""Score charts drawn on the server as SVG geometry: the 30-day sparkline of the accounts list
and the account page's 90-day chart with its bands shaded and each change marked. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import NamedTuple

SPARK_W, SPARK_H = 120.0, 28.0
CHART_W, CHART_H = 760.0, 240.0
LEFT, RIGHT, TOP, BOTTOM = 34.0, 8.0, 8.0, 26.0
EDGE_PX = 24.0
"""A date closer than this to the chart's right edge has its label end at it (else it is cut)."""


def _y(score: float, height: float, top: float = 0.0) -> float:
    return round(top + (100.0 - max(0.0, min(100.0, score))) / 100.0 * height, 1)


def steps(
    points: Sequence[tuple[datetime, float]], start: datetime, end: datetime, current: float | None
) -> list[tuple[datetime, float]]:
    """The score as a step line over [start, end] in event time (changes are numbered in the
    order they were made, which late events can put out of time order): each change holds until
    the next one; the line starts at the first known score and ends at `current` at `end`."""
    inside = sorted((t, s) for t, s in points if start <= t <= end)
    if not inside:
        return [] if current is None else [(start, current), (end, current)]
    line = [inside[0]]
    for (_, before), (at, score) in pairwise(inside):
        line += [(at, before), (at, score)]
    line.append((end, line[-1][1]))
    if current is not None and current != line[-1][1]:
        line.append((end, current))
    return line


def _x(at: datetime, start: datetime, end: datetime, width: float, left: float = 0.0) -> float:
    span = (end - start).total_seconds() or 1.0
    return round(left + (at - start).total_seconds() / span * width, 1)


def sparkline(
    points: Sequence[tuple[datetime, float]], now: datetime, current: float | None, days: int = 30
) -> str:
    """The `points` attribute of the sparkline's polyline (empty without any score)."""
    start = now - timedelta(days=days)
    line = steps(points, start, now, current)
    return " ".join(f"{_x(t, start, now, SPARK_W)},{_y(s, SPARK_H - 2, 1)}" for t, s in line)


class Zone(NamedTuple):
    """A horizontal band of the chart in `band`'s colour, `height` tall from `y` down."""

    band: str
    y: float
    height: float


class Marker(NamedTuple):
    """A change on the chart, with what it says on hover."""

    x: float
    y: float
    band: str
    label: str


class Tick(NamedTuple):
    """A labelled gridline or date."""

    at: float
    label: str
    anchor: str = "middle"
    """How the label sits on its place: a date at the chart's right edge ends there."""


@dataclass(frozen=True)
class Chart:
    """Everything the template draws, over `days` days."""

    width: float
    height: float
    zones: list[Zone]
    line: str
    markers: list[Marker]
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    plot_left: float
    plot_right: float
    plot_top: float
    plot_bottom: float
    days: int


@dataclass(frozen=True)
class ChangePoint:
    """One change to mark: when, the score and band after it, and its one-line story."""

    at: datetime
    score: float | None
    band: str
    label: str


MIN_DAYS = 14


def window_start(changes: Sequence[ChangePoint], now: datetime, days: int) -> datetime:
    """Where the chart starts: `days` ago, or a little before the first change when the account
    is younger than that (at least MIN_DAYS shown), so a short history is not squeezed."""
    earliest = now - timedelta(days=days)
    inside = [c.at for c in changes if earliest <= c.at <= now]
    if not inside:
        return earliest
    first = min(inside)
    span = max(now - first, timedelta(days=MIN_DAYS - 1))
    return max(earliest, now - span - span / 12)


def score_chart(
    changes: Sequence[ChangePoint],
    now: datetime,
    current: float | None,
    green: float,
    yellow: float,
    days: int = 90,
) -> Chart:
    """The 90-day chart: band zones from the model's edges, the score as a step line, a marker
    on every change, gridlines every 25 points and a date every two weeks."""
    width, height = CHART_W - LEFT - RIGHT, CHART_H - TOP - BOTTOM
    start = window_start(changes, now, days)
    days = max(1, round((now - start).total_seconds() / 86400))
    zones = [
        Zone("green", _y(100, height, TOP), _y(green, height, TOP) - _y(100, height, TOP)),
        Zone("yellow", _y(green, height, TOP), _y(yellow, height, TOP) - _y(green, height, TOP)),
        Zone("red", _y(yellow, height, TOP), _y(0, height, TOP) - _y(yellow, height, TOP)),
    ]
    scored = [(c.at, c.score) for c in changes if c.score is not None]
    line = steps(scored, start, now, current)
    path = " ".join(f"{_x(t, start, now, width, LEFT)},{_y(s, height, TOP)}" for t, s in line)
    markers = [
        Marker(_x(c.at, start, now, width, LEFT), _y(c.score, height, TOP), c.band, c.label)
        for c in changes
        if c.score is not None and start <= c.at <= now
    ]
    y_ticks = [Tick(_y(v, height, TOP), f"{v}") for v in (0, 25, 50, 75, 100)]
    x_ticks = []
    every = max(1, days // 6)
    for day in range(0, days + 1, every):
        at = start + timedelta(days=day)
        x = _x(at, start, now, width, LEFT)
        anchor = "end" if x > LEFT + width - EDGE_PX else "middle"
        x_ticks.append(Tick(x, at.strftime("%-d %b"), anchor))
    return Chart(
        CHART_W, CHART_H, zones, path, markers, y_ticks, x_ticks,
        LEFT, LEFT + width, TOP, TOP + height, days,
    )  # fmt: skip
