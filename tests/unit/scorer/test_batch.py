"""score_batch: decoding, dead letters, dedupe, lateness and state handling around the model."""

from __future__ import annotations

import base64
from typing import Any

import orjson
import pytest
from pydantic import ValidationError

from schemas import EVENT_ADAPTER, HealthSnapshot
from schemas.codec import encode
from services.kafka.messages import RawMessage
from services.scorer.batch import (
    PoisonRecord,
    Rejected,
    decode,
    score_batch,
    snapshot,
    snapshot_record,
)
from services.scorer.model import AccountState, default_model
from tests.support.events import T0, days, event_dict

KINDS = {
    "usage-events": "usage",
    "ticket-events": "ticket",
    "payment-events": "payment",
    "account-updates": "account",
}
MODEL = default_model()


def msg(value: bytes, topic: str = "usage-events", offset: int = 0) -> RawMessage:
    return RawMessage(topic, 2, offset, b"acct-1", value)


def run(batch: list[RawMessage], state: AccountState | None = None):  # type: ignore[no-untyped-def]
    return score_batch(batch, KINDS, lambda a: state, MODEL, T0)


def test_valid_events_are_scored_and_each_state_is_loaded_once() -> None:
    loads: list[str] = []
    batch = [
        msg(orjson.dumps(event_dict("usage", "active", user_id="u1")), offset=0),
        msg(orjson.dumps(event_dict("payment", "payment_failed")), "payment-events", 1),
    ]
    result = score_batch(batch, KINDS, lambda a: loads.append(a) or None, MODEL, T0)
    assert loads == ["acct-1"]
    assert list(result.states) == ["acct-1"]
    assert result.outcomes[("usage-events", "scored")] == 1
    assert [c.seq for c in result.changes] == [1, 2]


def test_undecodable_bytes_become_a_dead_letter_with_the_original_bytes() -> None:
    result = run([msg(b"\xff{not json", offset=7)])
    [letter] = result.dead_letters
    assert (letter.stage, letter.source_topic, letter.partition, letter.offset) == (
        "decode",
        "usage-events",
        2,
        7,
    )
    assert base64.b64decode(letter.value_base64) == b"\xff{not json"
    assert letter.error.startswith("not JSON")
    assert result.changes == [] and result.states == {}


def test_invalid_events_become_dead_letters_naming_the_field() -> None:
    result = run([msg(orjson.dumps(event_dict("usage", "nps_response", score=42)))])
    [letter] = result.dead_letters
    assert letter.stage == "validate" and "properties.score" in letter.error
    assert result.outcomes[("usage-events", "dead_letter")] == 1


def _json(**changes: Any) -> bytes:
    return orjson.dumps(event_dict("usage", "active", user_id="u1") | changes)


_HUGE = _json(properties={"user_id": "u1", "big": 0}).replace(b'"big":0', b'"big":' + b"9" * 25)


@pytest.mark.parametrize(
    ("kind", "raw"),
    [
        ("usage", _json()),
        ("usage", _json(occurred_at="2026-11-02T09:30:00+02:00")),
        ("usage", _json(occurred_at="2026-11-02T09:30:00")),
        ("usage", _json(schema_version=True)),
        ("usage", _json(schema_version="1")),
        ("usage", _json(event_id=5)),
        ("usage", _json(kind="Usage")),
        ("usage", _json(properties={"user_id": "u1", "nested": {"x": [1, 2.5, None]}})),
        ("usage", _HUGE),
        ("usage", _json(properties={"user_id": 7})),
        ("ticket", orjson.dumps(event_dict("ticket", "csat_rating", score="good", ticket_id="t"))),
        ("payment", orjson.dumps(event_dict("payment", "subscription_changed", mrr_before=1))),
        (
            "usage",
            b'{"event_id": "a", "event_id": "b", "account_id": "acct-1", "kind": "usage", '
            b'"type": "active", "occurred_at": "2026-11-02T09:30:00Z", "source": "test", '
            b'"received_at": "2026-11-02T09:30:00Z", "properties": {"user_id": "u"}}',
        ),
    ],
)
def test_decoding_agrees_with_validating_the_json_itself(kind: str, raw: bytes) -> None:
    """The scorer parses with orjson and validates the data; the contract's own JSON validation
    must accept the same events, with the same values, and refuse the same ones."""
    decoded = decode(msg(raw), kind)
    try:
        expected = EVENT_ADAPTER.validate_json(raw)
    except ValidationError:
        assert isinstance(decoded, Rejected) and decoded.stage == "validate"
    else:
        assert decoded == expected


def test_an_event_on_the_wrong_topic_is_a_dead_letter() -> None:
    result = run([msg(orjson.dumps(event_dict("payment", "payment_failed")), "ticket-events")])
    assert result.dead_letters[0].error == "kind: a payment event on the ticket topic"


def test_too_late_events_become_dead_letters_with_the_reason() -> None:
    fresh = orjson.dumps(event_dict("usage", "active", user_id="u", at=T0 + days(20)))
    old = orjson.dumps(event_dict("usage", "active", user_id="u", at=T0))
    result = run([msg(fresh, offset=0), msg(old, offset=1)])
    [letter] = result.dead_letters
    assert letter.stage == "late" and "lateness bound is 7 days" in letter.error
    assert result.outcomes[("usage-events", "late")] == 1


def test_duplicates_and_redelivered_offsets_are_counted_not_applied() -> None:
    raw = orjson.dumps(
        event_dict("payment", "payment_failed", event_id="stripe-evt-1", invoice_id="in1")
    )
    first = run([msg(raw, "payment-events", 0), msg(raw, "payment-events", 1)])
    state = first.states["acct-1"]
    again = run([msg(raw, "payment-events", 1)], state)
    assert first.outcomes[("payment-events", "duplicate")] == 1
    assert again.outcomes[("payment-events", "duplicate")] == 1
    assert state.events_seen == 1


def test_account_updates_set_traits_without_scoring() -> None:
    update = {
        "account_id": "acct-1",
        "segment": "enterprise",
        "updated_at": T0.isoformat(),
        "source": "t",
    }
    result = run([msg(orjson.dumps(update), "account-updates")])
    assert result.states["acct-1"].traits == {"segment": "enterprise"}
    assert result.changes == []


def test_snapshot_reports_latest_health_staleness_and_model_version() -> None:
    result = run([msg(orjson.dumps(event_dict("usage", "active", user_id="u1")))])
    snap = snapshot(result.states["acct-1"], MODEL, T0, frozenset({"ticket"}))
    assert (snap.band, snap.score, snap.last_change_seq, snap.events_seen) == ("green", 100.0, 1, 1)
    assert snap.model_version == MODEL.version and snap.stale == ["support"]
    assert snapshot(AccountState("empty"), MODEL, T0).band == "unknown"


def test_the_snapshot_record_is_the_snapshot_models_encoding() -> None:
    events = [
        event_dict("usage", "active", user_id="u1", at=T0 - days(9)),
        event_dict("ticket", "ticket_opened", ticket_id="t1", priority="urgent"),
        event_dict("payment", "payment_failed", invoice_id="in1"),
    ]
    topics = ("usage-events", "ticket-events", "payment-events")
    result = run(
        [msg(orjson.dumps(e), t, n) for n, (e, t) in enumerate(zip(events, topics, strict=True))]
    )
    state = result.states["acct-1"]
    stale = frozenset({"ticket"})
    record = snapshot_record(state, MODEL, T0, stale)
    assert record == encode(snapshot(state, MODEL, T0, stale))
    assert HealthSnapshot.model_validate_json(record).components[1].stale


def test_an_event_dated_beyond_the_future_bound_is_dead_lettered_and_leaves_the_clock() -> None:
    state = AccountState("acct-1")
    ahead = msg(
        orjson.dumps(event_dict("payment", "invoice_paid", at=T0 + days(3))), "payment-events"
    )
    result = score_batch([ahead], KINDS, lambda a: state, MODEL, T0, max_future_s=300)
    [letter] = result.dead_letters
    assert letter.stage == "future" and letter.error.startswith("occurred_at:")
    assert "at most 300 s ahead" in letter.error
    assert result.outcomes[("payment-events", "future")] == 1
    assert state.as_of is None and result.states == {}


def test_an_event_within_the_future_bound_is_scored() -> None:
    soon = msg(orjson.dumps(event_dict("usage", "active", user_id="u1", at=T0 + days(0.002))))
    result = score_batch([soon], KINDS, lambda a: None, MODEL, T0, max_future_s=300)
    assert result.dead_letters == [] and result.outcomes[("usage-events", "scored")] == 1


def test_a_record_the_model_fails_on_raises_naming_its_position(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr("services.scorer.batch.apply", broken)
    with pytest.raises(PoisonRecord) as raised:
        run([msg(_json(), offset=41)])
    assert raised.value.position == ("usage-events", 2, 41)
    assert raised.value.error == "ZeroDivisionError: division by zero"


def test_records_given_up_become_dead_letters_and_the_rest_is_scored() -> None:
    batch = [msg(_json(), offset=1), msg(_json(), offset=2)]
    result = score_batch(
        batch, KINDS, lambda a: None, MODEL, T0, poison={("usage-events", 2, 1): "it failed"}
    )
    [letter] = result.dead_letters
    assert (letter.stage, letter.offset, letter.error) == ("process", 1, "it failed")
    assert result.outcomes[("usage-events", "poison")] == 1
    assert result.outcomes[("usage-events", "scored")] == 1


def test_each_change_carries_when_its_event_was_received_and_the_newest_times_are_kept() -> None:
    received = T0 + days(0.5)
    late_usage = event_dict("usage", "active", user_id="u1", at=T0 - days(1))
    failed = event_dict("payment", "payment_failed", at=T0) | {"received_at": received.isoformat()}
    batch = [
        msg(orjson.dumps(event_dict("usage", "active", user_id="u1")), offset=0),
        msg(orjson.dumps(late_usage), offset=1),
        msg(orjson.dumps(failed), "payment-events", 2),
    ]
    result = run(batch)
    assert len(result.received_at) == len(result.changes)
    assert result.received_at[-1] == received.timestamp()
    assert result.newest == {"usage": T0.timestamp(), "payment": T0.timestamp()}
