"""score_batch: decoding, dead letters, dedupe and state handling around the model."""

from __future__ import annotations

import base64

import orjson

from services.messages import RawMessage
from services.scorer.batch import score_batch, snapshot
from services.scorer.model import AccountState
from tests.support.events import T0, event_dict

ACCOUNTS = "account-updates"


def msg(value: bytes, topic: str = "usage-events", offset: int = 0) -> RawMessage:
    return RawMessage(topic, 2, offset, b"acct-1", value)


def test_valid_events_are_scored_and_the_state_is_returned_once() -> None:
    loads: list[str] = []
    batch = [
        msg(orjson.dumps(event_dict("usage", "active", user_id="u1")), offset=0),
        msg(orjson.dumps(event_dict("payment", "payment_failed")), "payment-events", 1),
    ]
    result = score_batch(batch, ACCOUNTS, lambda a: loads.append(a) or None, T0)
    assert loads == ["acct-1"]
    assert list(result.states) == ["acct-1"]
    assert result.outcomes[("usage-events", "scored")] == 1
    assert [c.seq for c in result.changes] == [1, 2]


def test_undecodable_bytes_become_a_dead_letter_with_the_original_bytes() -> None:
    result = score_batch([msg(b"\xff{not json", offset=7)], ACCOUNTS, lambda a: None, T0)
    [letter] = result.dead_letters
    assert (letter.stage, letter.source_topic, letter.partition, letter.offset) == (
        "decode", "usage-events", 2, 7,
    )  # fmt: skip
    assert base64.b64decode(letter.value_base64) == b"\xff{not json"
    assert letter.error.startswith("not JSON")
    assert result.changes == [] and result.states == {}


def test_invalid_events_become_dead_letters_naming_the_field() -> None:
    bad = event_dict("usage", "nps_response", score=42)
    result = score_batch([msg(orjson.dumps(bad))], ACCOUNTS, lambda a: None, T0)
    [letter] = result.dead_letters
    assert letter.stage == "validate"
    assert "properties.score" in letter.error
    assert result.outcomes[("usage-events", "dead_letter")] == 1


def test_duplicates_within_and_across_batches_are_counted_not_applied() -> None:
    raw = orjson.dumps(event_dict("payment", "payment_failed", event_id="stripe-evt-1"))
    first = score_batch([msg(raw), msg(raw, offset=1)], ACCOUNTS, lambda a: None, T0)
    state = first.states["acct-1"]
    again = score_batch([msg(raw, offset=2)], ACCOUNTS, lambda a: state, T0)
    assert first.outcomes[("usage-events", "duplicate")] == 1
    assert again.outcomes[("usage-events", "duplicate")] == 1
    assert state.failed_payments == 1


def test_account_updates_set_traits_without_scoring() -> None:
    update = {
        "account_id": "acct-1",
        "segment": "enterprise",
        "updated_at": T0.isoformat(),
        "source": "t",
    }
    result = score_batch([msg(orjson.dumps(update), ACCOUNTS)], ACCOUNTS, lambda a: None, T0)
    assert result.states["acct-1"].traits == {"segment": "enterprise"}
    assert result.changes == []


def test_snapshot_reports_latest_health() -> None:
    result = score_batch(
        [msg(orjson.dumps(event_dict("usage", "active", user_id="u1")))],
        ACCOUNTS,
        lambda a: None,
        T0,
    )
    snap = snapshot(result.states["acct-1"], T0)
    assert (snap.band, snap.score, snap.last_change_seq, snap.events_seen) == ("green", 100.0, 1, 1)
    assert snapshot(AccountState("empty"), T0).band == "unknown"
