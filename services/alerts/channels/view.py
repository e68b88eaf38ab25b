"""What the channels show of an alert, formatted for people."""

from __future__ import annotations

from urllib.parse import quote

NONE = "—"


def score_text(score: float | None) -> str:
    """A score as shown to people: whole points, or a dash when there is none."""
    return NONE if score is None else f"{score:.0f}"


def health_url(base_url: str, account_id: str) -> str:
    """The API address of an account's health."""
    return f"{base_url.rstrip('/')}/v1/accounts/{quote(account_id, safe='')}/health"


def one_line(text: str, limit: int) -> str:
    """`text` on one line, cut with an ellipsis to at most `limit` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"
