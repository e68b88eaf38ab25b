"""How the workspace says things to a CSM: current reasons, times, band and event names.
Pure functions of plain data."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

BAND_WHY = {
    "red": "Why it is red",
    "yellow": "Why it is yellow",
    "green": "Why it is green",
    "unknown": "Why there is no score",
}
BAND_LABEL = {"red": "Red", "yellow": "Yellow", "green": "Green", "unknown": "Unknown"}
"""Bands are called by their colour everywhere, as the API, webhooks, Slack and email name them."""
WEAK_BELOW = 60.0
HOLDS = frozenset({"usage.stopped", "usage.declined", "billing.cancellation", "billing.overdue"})
"""Reasons that hold an account's band whatever its component scores say (docs/model.md)."""
"""A component scoring under this is named among the current reasons."""
COMPONENT_WORDS = {
    "usage": "Product usage",
    "support": "Support experience",
    "billing": "Billing",
    "sentiment": "Customer sentiment",
}
EVENT_WORDS = {
    "open": "Alert raised",
    "update": "Health changed",
    "worsen": "Got worse",
    "reopen": "Reopened",
    "resolve": "Resolved: account recovered",
    "acknowledged": "Acknowledged",
    "snoozed": "Snoozed",
    "snooze_ended": "Snooze ended",
    "resolved": "Resolved",
    "assigned": "Assigned",
}

EVENT_TYPE_WORDS = {
    "active": "User active",
    "nps_response": "NPS response",
    "csat_rating": "CSAT rating",
    "feature_used": "Feature used",
}


def event_type(type_: str) -> str:
    """An input event's type as a CSM reads it: "payment_failed" is "Payment failed"."""
    return EVENT_TYPE_WORDS.get(type_, type_.replace("_", " ").capitalize())


def component_name(name: str) -> str:
    """A component as a CSM calls it."""
    return COMPONENT_WORDS.get(name, name.replace("_", " ").capitalize())


def current_reasons(
    snapshot: Mapping[str, Any], latest_change: Mapping[str, Any] | None
) -> list[str]:
    """Why the account is where it is now, most important first.

    The latest change's reasons, less those that only say something improved (they explain a
    move, not the state) unless the account is green, and those naming a weakness of a component
    that is no longer weak (a seat count from its first day, say; a hold stays); then each weak
    component that is not
    already named, and each source that went quiet. A healthy account with nothing to say gets
    one sentence saying so.
    """
    band = str(snapshot.get("band") or (latest_change or {}).get("current", {}).get("band"))
    reasons: list[str] = []
    named: set[str] = set()
    now_scores = {c.get("name"): c.get("score") for c in snapshot.get("components") or []}
    for reason in (latest_change or {}).get("reasons") or []:
        code = str(reason.get("code", ""))
        better = code.endswith(".improved") or code == "recovery"
        if band != "green" and better:
            continue
        if code.startswith("band."):
            continue
        outgrown = not better and code not in HOLDS
        if outgrown and _strong(now_scores.get(code.split(".", 1)[0])):
            continue  # a weakness the change saw that the account has since outgrown
        reasons.append(str(reason.get("message") or code))
        named.add(code.split(".", 1)[0])
    stale = set(snapshot.get("stale") or [])
    for component in sorted(
        snapshot.get("components") or [],
        key=lambda c: c.get("score") if c.get("score") is not None else 101,
    ):
        name, score = str(component.get("name")), component.get("score")
        if name in named:
            continue
        if component.get("stale") or name in stale:
            reasons.append(f"No {name} data is arriving from its source; it is left out.")
        elif score is not None and score < WEAK_BELOW:
            reasons.append(f"{component_name(name)} is weak: {score:.0f} of 100.")
        else:
            continue
        named.add(name)
    for name in sorted(stale - named):
        reasons.append(f"No {name} data is arriving from its source; it is left out.")
    if not reasons:
        score = snapshot.get("score")
        if band == "green":
            reasons.append("Every part of the score is in good shape.")
        elif score is None:
            reasons.append("Not enough data yet to score this account.")
        else:
            reasons.append(f"Score {float(score):.0f} puts the account in {band}.")
    return reasons


def _strong(score: Any) -> bool:
    return isinstance(score, int | float) and score >= WEAK_BELOW


def ago(when: datetime | None, now: datetime) -> str:
    """`when` relative to now, in the largest whole unit: "3 days ago", "just now"."""
    if when is None:
        return "—"
    seconds = (now - when).total_seconds()
    future = seconds < 0
    seconds = abs(seconds)
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            count = int(seconds // size)
            text = f"{count} {unit}{'' if count == 1 else 's'}"
            return f"in {text}" if future else f"{text} ago"
    return "just now"


def when(value: datetime | None) -> str:
    """A time as people read it, in UTC: "30 Nov 2026, 14:05 UTC"."""
    if value is None:
        return "—"
    return value.strftime("%-d %b %Y, %H:%M UTC")


def score_text(score: float | None) -> str:
    """Whole points, or a dash without a score."""
    return "—" if score is None else f"{score:.0f}"


def money(value: float | None) -> str:
    """MRR as a whole amount with thousands separators."""
    return "—" if value is None else f"{value:,.0f}"


def parse_time(value: str | datetime | None) -> datetime | None:
    """A stored ISO 8601 time as a datetime (values already parsed pass through)."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)
