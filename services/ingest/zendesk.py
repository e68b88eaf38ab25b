"""Zendesk event webhooks (`zen:event-type:ticket.*`) as ticket events. Pure: the account of a
ticket's organization is found through a callback (the mapping facility).

| Zendesk event type | ticket event |
|---|---|
| ticket.created | ticket_opened (priority, status) |
| ticket.status_changed | ticket_updated (status; solved and closed close the ticket) |
| ticket.priority_changed | ticket_updated (priority) |
| ticket.agent_assignment_changed | ticket_updated (assignee_id) |
| ticket.comment_added, by the customer | ticket_updated (customer_comment) |
| ticket.csat_received | csat_rating (good/bad or 1-5) |

Comments by agents and the other ticket event types are acknowledged and counted. The Zendesk
event id is the event_id; its `time` is the event time.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from schemas.errors import field_errors
from schemas.events import EVENT_ADAPTER
from services.ingest.outcomes import Rejected, Translated

SOURCE = "zendesk"
PREFIX = "zen:event-type:ticket."
PRIORITIES = {"low", "normal", "high", "urgent"}


def event_time(value: Any) -> datetime:
    """Zendesk's `time` (RFC 3339, up to nanoseconds) as an aware datetime."""
    if not isinstance(value, str):
        raise Rejected.at(["time"], "a Zendesk event needs its time")
    trimmed = re.sub(r"(\.\d{6})\d+", r"\1", value)
    try:
        parsed = datetime.fromisoformat(trimmed)
    except ValueError as exc:
        raise Rejected.at(["time"], f"not an RFC 3339 time: {value!r}") from exc
    if parsed.tzinfo is None:
        raise Rejected.at(["time"], f"time has no UTC offset: {value!r}")
    return parsed


def _lower(value: Any) -> str | None:
    return value.lower() if isinstance(value, str) and value else None


def csat_score(change: dict[str, Any]) -> str | int | None:
    """The rating in a satisfaction event: good/bad, or 1-5."""
    nested = change.get("satisfaction_score") or change.get("satisfaction_rating") or {}
    for raw in (
        nested.get("score") if isinstance(nested, dict) else nested,
        change.get("score"),
        change.get("current"),
    ):
        if isinstance(raw, str) and raw.lower() in ("good", "bad"):
            return raw.lower()
        if isinstance(raw, int | str) and str(raw).isdigit() and 1 <= int(raw) <= 5:
            return int(raw)
    return None


def ticket_event(
    name: str, ticket: dict[str, Any], change: dict[str, Any]
) -> tuple[str, dict[str, Any]] | str:
    """(type, properties) of the ticket event, or why the Zendesk event changes nothing."""
    ticket_id = ticket.get("id")
    status, priority = _lower(ticket.get("status")), _lower(ticket.get("priority"))
    match name:
        case "created":
            return "ticket_opened", {
                "ticket_id": ticket_id,
                "priority": priority if priority in PRIORITIES else "normal",
                "status": status,
            }
        case "status_changed":
            return "ticket_updated", {
                "ticket_id": ticket_id,
                "status": _lower(change.get("current")),
            }
        case "priority_changed":
            new = _lower(change.get("current"))
            if new not in PRIORITIES:
                return "priority cleared"
            return "ticket_updated", {"ticket_id": ticket_id, "priority": new}
        case "agent_assignment_changed":
            return "ticket_updated", {"ticket_id": ticket_id, "assignee_id": change.get("current")}
        case "comment_added":
            comment = change.get("comment") or {}
            author = comment.get("author") or {}
            if author.get("is_staff") is not False:
                return "comment by an agent"
            return "ticket_updated", {
                "ticket_id": ticket_id,
                "customer_comment": True,
                "public": bool(comment.get("is_public")),
                "from_requester": author.get("id") == ticket.get("requester_id"),
            }
        case "csat_received":
            score = csat_score(change)
            if score is None:
                raise Rejected.at(["event", "satisfaction_score"], "no good/bad or 1-5 rating")
            return "csat_rating", {"ticket_id": ticket_id, "score": score}
    return f"ticket.{name} does not affect health"


def translate(
    body: Any, *, account_of: Callable[[str], str | None], received_at: datetime
) -> Translated:
    """What one Zendesk event becomes; Rejected when it is malformed or unattributable."""
    if not isinstance(body, dict) or not isinstance(body.get("type"), str):
        raise Rejected.at(["type"], "not a Zendesk event (no type)")
    kind: str = body["type"]
    if not kind.startswith(PREFIX):
        return Translated(ignored=kind)
    ticket, change = body.get("detail"), body.get("event") or {}
    if not isinstance(ticket, dict) or not isinstance(change, dict) or not ticket.get("id"):
        raise Rejected.at(["detail", "id"], "a ticket event needs detail.id (the ticket)")
    outcome = ticket_event(kind.removeprefix(PREFIX), ticket, change)
    if isinstance(outcome, str):
        return Translated(ignored=outcome)
    organization = ticket.get("organization_id")
    account = account_of(str(organization)) if organization not in (None, "") else None
    if account is None:
        raise Rejected.at(
            ["detail", "organization_id"],
            f"no account: map Zendesk organization {organization} with `healthmon mappings set "
            "zendesk`"
            if organization not in (None, "")
            else "no account: the ticket has no organization",
            "no_account",
        )
    type_, props = outcome
    try:
        event = EVENT_ADAPTER.validate_python(
            {
                "event_id": body.get("id"),
                "account_id": account,
                "kind": "ticket",
                "type": type_,
                "occurred_at": event_time(body.get("time")),
                "received_at": received_at,
                "source": SOURCE,
                "properties": {k: v for k, v in props.items() if v is not None},
            }
        )
    except ValidationError as exc:
        raise Rejected("invalid", field_errors(exc.errors())) from exc
    return Translated(events=[event])
