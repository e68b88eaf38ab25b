"""Zendesk ticket events become ticket events of the organization's account."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from services.ingest.outcomes import Rejected, Translated
from services.ingest.zendesk import translate
from tests.support.sources import zendesk_event

NOW = datetime(2026, 3, 1, tzinfo=UTC)
ORGS = {"8447346622462": "acme"}


def run(body: dict[str, Any]) -> Translated:
    return translate(body, account_of=ORGS.get, received_at=NOW)


def props(out: Translated) -> dict[str, Any]:
    return out.events[0].properties.model_dump()


def test_a_new_ticket_is_opened_with_its_priority_in_lower_case() -> None:
    body = zendesk_event("created", priority="URGENT")
    out = run(body)
    [event] = out.events
    assert (event.account_id, event.kind, event.type) == ("acme", "ticket", "ticket_opened")
    assert event.event_id == body["id"] and event.source == "zendesk"
    assert props(out)["priority"] == "urgent" and props(out)["ticket_id"] == "5158"
    assert event.occurred_at.microsecond > 0  # nanosecond time trimmed, not refused


@pytest.mark.parametrize(
    ("kind", "change", "expected"),
    [
        ("status_changed", {"current": "SOLVED", "previous": "OPEN"}, {"status": "solved"}),
        ("priority_changed", {"current": "HIGH", "previous": "LOW"}, {"priority": "high"}),
        ("agent_assignment_changed", {"current": "901", "previous": None}, {"assignee_id": "901"}),
    ],
)
def test_changes_become_ticket_updates(
    kind: str, change: dict[str, Any], expected: dict[str, Any]
) -> None:
    out = run(zendesk_event(kind, event=change))
    assert out.events[0].type == "ticket_updated"
    assert expected.items() <= props(out).items()


def test_customer_comments_count_and_agent_comments_do_not() -> None:
    author = {"id": "8447388090494", "is_staff": False, "name": "Jane"}
    customer = {"comment": {"id": "1", "body": "still broken", "is_public": True, "author": author}}
    out = run(zendesk_event("comment_added", event=customer))
    assert props(out)["customer_comment"] is True and props(out)["from_requester"] is True
    agent = {"comment": {"id": "2", "is_public": True, "author": {"id": "9", "is_staff": True}}}
    assert run(zendesk_event("comment_added", event=agent)).ignored == "comment by an agent"


@pytest.mark.parametrize(
    ("change", "score"),
    [
        ({"satisfaction_score": {"score": "BAD"}}, "bad"),
        ({"score": 4}, 4),
        ({"current": "good"}, "good"),
    ],
)
def test_satisfaction_ratings_become_csat(change: dict[str, Any], score: Any) -> None:
    out = run(zendesk_event("csat_received", event=change))
    assert out.events[0].type == "csat_rating" and props(out)["score"] == score


def test_what_cannot_be_attributed_or_read_is_rejected() -> None:
    with pytest.raises(Rejected, match="map Zendesk organization 77") as caught:
        run(zendesk_event("created", organization_id="77"))
    assert caught.value.reason == "no_account"
    with pytest.raises(Rejected, match="no organization"):
        run(zendesk_event("created", organization_id=None))
    with pytest.raises(Rejected, match="rating"):
        run(zendesk_event("csat_received", event={"score": "meh"}))
    with pytest.raises(Rejected, match="time"):
        run(zendesk_event("created") | {"time": "tuesday"})


def test_other_event_types_are_acknowledged() -> None:
    assert run(zendesk_event("tags_changed")).ignored
    assert run({"type": "zen:event-type:user.created", "detail": {}}).ignored
