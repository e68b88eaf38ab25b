"""How the workspace says things to a CSM: times, scores, band and event names (the current
reasons, which the API gives too, are in services/alerts/reasons.py). Pure functions of plain
data."""

from __future__ import annotations

from datetime import datetime

from services.alerts.reasons import in_words

BAND_WHY = {
    "red": "Why it is red",
    "yellow": "Why it is yellow",
    "green": "Why it is green",
    "unknown": "Why there is no score",
}
BAND_LABEL = {"red": "Red", "yellow": "Yellow", "green": "Green", "unknown": "Unknown"}
"""Bands are called by their colour everywhere, as the API, webhooks, Slack and email name them."""
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
    return in_words(EVENT_TYPE_WORDS, type_)


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
