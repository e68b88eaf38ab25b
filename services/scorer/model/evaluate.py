"""Combining components into a score and a band."""

from __future__ import annotations

import math
from typing import NamedTuple

from schemas.health import BAND_RANK
from services.scorer.model.components import COMPONENT_FUNCTIONS, Part, Signal
from services.scorer.model.config import Bands, Spec
from services.scorer.model.state import AccountState

SOURCE_OF = {"usage": "usage", "support": "ticket", "billing": "payment", "sentiment": None}
FED_BY = {
    "usage": ("usage", "sentiment"),
    "ticket": ("support", "sentiment"),
    "payment": ("billing",),
}
"""The components whose aggregates an event of each kind can change."""
COMPONENTS = tuple(
    (name, function, source[0] if (source := SOURCE_OF[name]) else None)
    for name, function in COMPONENT_FUNCTIONS.items()
)
"""Each component with its function and the kind code of its source (None: several sources)."""


class Evaluation(NamedTuple):
    """The health of an account at one time."""

    score: float | None
    band: str
    parts: list[Part]
    weights: dict[str, float]
    held: tuple[str, Signal] | None = None
    """The band a condition holds the account at, and the signal that explains it."""

    def contribution(self, part: Part) -> float:
        """Points `part` adds to the score."""
        return round(self.weights[part.name] * (part.score or 0.0), 2)


def plain_band(score: float, bands: Bands) -> str:
    """The band of a score without hysteresis."""
    return "green" if score >= bands.green else "yellow" if score >= bands.yellow else "red"


def band_for(score: float | None, previous: str, bands: Bands) -> str:
    """The band of `score`; an edge must be passed by the hysteresis to leave `previous`."""
    if score is None:
        return "unknown"
    plain = plain_band(score, bands)
    if previous not in BAND_RANK or plain == previous:
        return plain
    worse = BAND_RANK[plain] < BAND_RANK[previous]
    return plain_band(score + bands.hysteresis if worse else score - bands.hysteresis, bands)


def evaluate_health(
    state: AccountState,
    spec: Spec,
    at: int,
    stale: frozenset[str] = frozenset(),
    per_source: bool = False,
) -> Evaluation:
    """Score every component at event time `at`; components of stale sources do not count.

    With `per_source`, a component fed by one source is judged at that source's newest event
    time instead (never later than `at`): when events arrive, the three topics are read at their
    own pace, and a backlog of usage must not look like silence because a ticket ran ahead.
    Silence itself is judged by `evaluate` at the current time.

    Component results are cached in the state until their aggregates change (`forget`) or the
    time they are judged at moves.
    """
    cache, kind_as_of, weights_of = state.cache, state.kind_as_of, spec.weights
    parts = []
    counted: dict[str, float] = {}
    for name, component, source in COMPONENTS:
        when = at
        if per_source and source is not None:
            newest = kind_as_of.get(source)
            if newest is not None and newest < at:
                when = newest
        hit = cache.get(name)
        if hit is not None and hit[0] == when and hit[1] is spec:
            part = hit[2]
        else:
            part = component(state, spec, when)
            cache[name] = (when, spec, part)
        if stale and SOURCE_OF[name] in stale:
            part = part._replace(stale=True)
        elif part.score is not None:
            counted[name] = weights_of[name]
        parts.append(part)
    total = sum(counted.values())
    weights = {p.name: counted.get(p.name, 0.0) / total if total else 0.0 for p in parts}
    if total <= 0:
        return Evaluation(None, "unknown", parts, weights)
    score = round(sum(weights[p.name] * p.score for p in parts if p.name in counted), 2)
    held = min(
        (p.cap for p in parts if p.cap is not None and p.name in counted),
        key=_cap_rank,
        default=None,
    )
    if held is not None:
        score = min(score, cap_score(held[0], spec.bands))
    return Evaluation(score, band_for(score, state.band, spec.bands), parts, weights, held)


def _cap_rank(cap: tuple[str, Signal]) -> int:
    return BAND_RANK[cap[0]]


def cap_score(band: str, bands: Bands) -> float:
    """The highest score that is in `band` whatever the band before (past the hysteresis)."""
    edge = bands.yellow if band == "red" else bands.green
    return float(math.floor(edge - bands.hysteresis) - 1)
