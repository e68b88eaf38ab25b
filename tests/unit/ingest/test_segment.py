"""Segment calls, as the official Python library builds them, become usage events and account
updates of the right account."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from segment.analytics import Client

from services.ingest.outcomes import Rejected, Translated
from services.ingest.segment import feature_name, translate

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
SEGMENT = Client("write-key", send=False)


def call(method: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """The message the library would send."""
    _, message = getattr(SEGMENT, method)(*args, **kwargs)
    return dict(message)


def run(
    message: dict[str, Any], members: dict[str, str] | None = None, **kwargs: Any
) -> Translated:
    return translate(
        message,
        received_at=NOW,
        account_property="account_id",
        account_of_user=(members or {}).get,
        **kwargs,
    )


def test_a_track_call_is_a_feature_use_of_the_group_in_context() -> None:
    message = call("track", "u1", "Report Exported", {"format": "csv"}, context={"groupId": "acme"})
    [event] = run(message).events
    props = event.properties.model_dump()
    assert (event.account_id, event.kind, event.type) == ("acme", "usage", "feature_used")
    assert event.event_id == message["messageId"] and event.source == "segment"
    assert props["feature"] == "report_exported" and props["user_id"] == "u1"
    assert props["properties"] == {"format": "csv"}


def test_page_screen_and_identify_count_the_user_as_active() -> None:
    for message in (
        call("page", "u1", "Docs", "Pricing", {"account_id": "acme"}),
        call("screen", "u1", name="Home", properties={"account_id": "acme"}),
        call("identify", "u1", {"account_id": "acme", "email": "u1@acme.test"}),
    ):
        [event] = run(message).events
        assert (event.account_id, event.type) == ("acme", "active")
        assert event.properties.model_dump()["user_id"] == "u1"


def test_a_group_call_updates_the_account_and_links_the_user_to_it() -> None:
    traits = {
        "name": "Acme",
        "plan": "enterprise",
        "seats": 40,
        "mrr": 990.0,
        "csm_email": "ana@x.io",
    }
    out = run(call("group", "u1", "acme", traits))
    assert out.events == [] and out.links == [("u1", "acme")]
    assert out.update is not None
    assert (out.update.account_id, out.update.segment, out.update.seats) == (
        "acme",
        "enterprise",
        40,
    )
    assert (out.update.csm_owner, out.update.mrr, out.update.source) == (
        "ana@x.io",
        990.0,
        "segment",
    )
    later = run(call("track", "u1", "Dashboard Viewed"), members=dict(out.links))
    assert later.events[0].account_id == "acme"


def test_a_group_trait_of_the_wrong_type_names_the_trait() -> None:
    with pytest.raises(Rejected) as caught:
        run(call("group", "u1", "acme", {"seats": "many"}))
    assert caught.value.errors[0].loc == ["traits", "seats"]


def test_a_call_with_no_account_is_rejected_saying_how_to_attribute_it() -> None:
    with pytest.raises(Rejected) as caught:
        run(call("track", "u9", "Signed Up"))
    assert caught.value.reason == "no_account"
    assert "context.groupId" in caught.value.errors[0].msg


def test_event_time_is_corrected_for_the_senders_clock() -> None:
    sent = NOW + timedelta(minutes=10)  # the sender's clock is 10 minutes fast
    message = call(
        "track", "u1", "X", context={"groupId": "acme"}, timestamp=sent - timedelta(hours=1)
    )
    [event] = run(message, sent_at=sent).events
    assert event.occurred_at == NOW - timedelta(hours=1)


def test_a_clock_correction_beyond_the_calendar_is_rejected_on_sent_at() -> None:
    message = {
        "type": "page",
        "userId": "u1",
        "context": {"groupId": "acme"},
        "timestamp": "0381-07-08T18:57:08Z",
        "sentAt": "2651-03-06T07:43:03+03:21",
    }
    with pytest.raises(Rejected) as caught:
        run(message)
    assert caught.value.errors[0].loc == ["sentAt"]
    assert "outside years 1-9999" in caught.value.errors[0].msg


def test_invalid_messages_name_the_field() -> None:
    cases = [
        ({"type": "track", "userId": "u1", "context": {"groupId": "a"}}, ["event"]),
        ({"type": "track", "event": "X", "context": {"groupId": "a"}}, ["userId"]),
        ({"type": "group", "userId": "u1"}, ["groupId"]),
        ({"type": "launch", "userId": "u1"}, ["type"]),
        ({"type": "track", "userId": "u1", "event": "X", "timestamp": "soon"}, ["timestamp"]),
    ]
    for message, loc in cases:
        with pytest.raises(Rejected) as caught:
            run(message)
        assert caught.value.errors[0].loc == loc, message


def test_alias_is_acknowledged_and_a_missing_message_id_is_stable() -> None:
    assert run(call("alias", "old", "u1")).ignored == "alias"
    message = {"type": "track", "userId": "u1", "event": "X", "context": {"groupId": "a"}}
    assert run(message).events[0].event_id == run(dict(message)).events[0].event_id


@pytest.mark.parametrize(
    ("name", "feature"),
    [("Report Exported", "report_exported"), ("2FA enabled", "e_2fa_enabled"), ("!!!", "event")],
)
def test_feature_names_are_snake_case(name: str, feature: str) -> None:
    assert feature_name(name) == feature
