"""Input events: the base vocabulary is checked, errors name the field."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from schemas import EVENT_ADAPTER, EVENT_IN_ADAPTER
from schemas.codec import dumps, encode
from schemas.errors import field_errors
from schemas.events import VOCABULARY, complete, completed_data
from tests.support.events import event_dict

VALID_PROPERTIES: dict[str, dict[str, Any]] = {
    "active": {"user_id": "u1"},
    "feature_used": {"user_id": "u1", "feature": "reports"},
    "nps_response": {"score": 9},
    "ticket_opened": {"ticket_id": "t1", "priority": "urgent"},
    "ticket_updated": {"ticket_id": "t1", "status": "pending"},
    "ticket_escalated": {"ticket_id": "t1"},
    "ticket_closed": {"ticket_id": "t1"},
    "csat_rating": {"score": "good"},
    "subscription_changed": {"mrr_before": 100, "mrr_after": 50},
}

LOGIN = {"account_id": "a", "kind": "usage", "type": "login"}
"""A valid event with nothing but what a client must send."""


def errors_of(data: dict[str, Any]) -> list[tuple[list[str | int], str]]:
    with pytest.raises(ValidationError) as info:
        EVENT_IN_ADAPTER.validate_python(data)
    return [(e.loc, e.type) for e in field_errors(info.value.errors(), data)]


@pytest.mark.parametrize(
    ("kind", "type_"), [(k, t) for k, types in VOCABULARY.items() for t in types]
)
def test_every_base_vocabulary_type_is_accepted_with_its_properties(kind: str, type_: str) -> None:
    data = event_dict(kind, type_, **VALID_PROPERTIES.get(type_, {}))
    parsed = EVENT_ADAPTER.validate_python(data)
    assert (parsed.kind, parsed.type) == (kind, type_)


def test_unknown_usage_types_are_custom_activity_and_keep_their_properties() -> None:
    parsed = EVENT_ADAPTER.validate_python(event_dict("usage", "report_exported", rows=10))
    assert parsed.type == "report_exported"
    assert parsed.properties.model_dump() == {"rows": 10}


def test_property_errors_name_the_json_path() -> None:
    data = {"account_id": "a", "kind": "usage", "type": "nps_response", "properties": {"score": 11}}
    assert errors_of(data) == [(["properties", "score"], "less_than_equal")]


def test_missing_required_property_is_named() -> None:
    data = {"account_id": "a", "kind": "ticket", "type": "ticket_opened", "properties": {}}
    assert errors_of(data) == [(["properties", "ticket_id"], "missing")]


def test_unknown_ticket_type_is_reported_on_type() -> None:
    data = {"account_id": "a", "kind": "ticket", "type": "ticket_exploded"}
    assert errors_of(data) == [(["type"], "unknown_event_type")]


def test_unknown_kind_is_reported_on_kind() -> None:
    data = {"account_id": "a", "kind": "weather", "type": "rain"}
    assert errors_of(data) == [(["kind"], "unknown_event_type")]


def test_event_time_without_timezone_is_rejected() -> None:
    data = {**LOGIN, "occurred_at": "2026-11-01T10:00:00"}
    assert errors_of(data) == [(["occurred_at"], "timezone_aware")]


def test_unknown_top_level_fields_are_rejected() -> None:
    data = {**LOGIN, "colour": "red"}
    assert errors_of(data) == [(["colour"], "extra_forbidden")]


def test_event_time_is_normalised_to_utc() -> None:
    data = {**LOGIN, "occurred_at": "2026-11-01T10:00:00+02:00"}
    parsed = EVENT_IN_ADAPTER.validate_python(data)
    assert parsed.occurred_at == datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    assert parsed.occurred_at.utcoffset() is not None


def test_complete_fills_ingest_owned_fields_and_keeps_client_ones() -> None:
    now = datetime(2026, 11, 2, tzinfo=UTC)
    anonymous = EVENT_IN_ADAPTER.validate_python(LOGIN)
    filled = complete(anonymous, event_id="gen-1", received_at=now, source="api")
    assert (filled.event_id, filled.occurred_at, filled.received_at, filled.source) == (
        "gen-1", now, now, "api",
    )  # fmt: skip
    own = EVENT_IN_ADAPTER.validate_python({**LOGIN, "event_id": "mine", "source": "sdk"})
    kept = complete(own, event_id="gen-2", received_at=now, source="api")
    assert (kept.event_id, kept.source) == ("mine", "sdk")


@pytest.mark.parametrize("kind", [["usage"], {"a": 1}, 7, None])
def test_a_kind_that_is_not_a_string_is_an_unknown_kind_not_a_crash(kind: object) -> None:
    with pytest.raises(ValidationError, match="unknown kind/type"):
        EVENT_IN_ADAPTER.validate_python({"account_id": "a", "kind": kind, "type": "active"})


@pytest.mark.parametrize(
    ("kind", "type_"), [(k, t) for k, types in VOCABULARY.items() for t in types]
)
def test_a_completed_client_event_is_a_valid_event_without_validating_again(
    kind: str, type_: str
) -> None:
    """Ingest encodes completed_data as it is: it must equal the validated event, byte for byte."""
    props = VALID_PROPERTIES.get(type_, {}) | {"extra": {"nested": [1, 2.5, "x", None]}}
    data = event_dict(kind, type_, **props)
    del data["received_at"], data["event_id"]
    client_event = EVENT_IN_ADAPTER.validate_python(data)
    now = datetime(2026, 11, 2, tzinfo=UTC)
    fast = completed_data(client_event, event_id="gen-1", received_at=now, source="api")
    checked = complete(client_event, event_id="gen-1", received_at=now, source="api")
    assert dumps(fast) == encode(checked)
