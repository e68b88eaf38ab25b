"""Reading the fields the channels show from an alert view (the JSON-ready alert dict)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

Alert = Mapping[str, Any]
NONE = "—"


def score_text(score: float | None) -> str:
    """A score as shown to people: whole points, or a dash when there is none."""
    return NONE if score is None else f"{score:.0f}"


def side(alert: Alert, which: str) -> dict[str, Any]:
    """`previous` or `current` of the alert's change: its score and band."""
    value = (alert.get("change") or {}).get(which) or {}
    score = value.get("score")
    return {"score": None if score is None else float(score), "band": value.get("band") or NONE}


def reason_messages(alert: Alert) -> list[str]:
    """The change's reasons, most important first."""
    reasons = (alert.get("change") or {}).get("reasons") or []
    return [str(r.get("message") or r.get("code") or "") for r in reasons]


def components(alert: Alert) -> list[dict[str, Any]]:
    """The change's score components."""
    return list((alert.get("change") or {}).get("components") or [])


def created_at(alert: Alert) -> datetime:
    """When the alert was raised, timezone-aware (naive values are taken as UTC)."""
    value = alert.get("created_at")
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    if not isinstance(when, datetime):
        raise ValueError(f"alert {alert.get('id')} has no created_at")
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def health_url(base_url: str, account_id: str) -> str:
    """The API address of an account's health."""
    return f"{base_url.rstrip('/')}/v1/accounts/{quote(account_id, safe='')}/health"


def one_line(text: str, limit: int) -> str:
    """`text` on one line, cut with an ellipsis to at most `limit` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"
