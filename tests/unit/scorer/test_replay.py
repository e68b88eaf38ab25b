"""Replay: recomputing history under a model and comparing it with live health."""

from __future__ import annotations

import orjson

from schemas import EVENT_ADAPTER, Event, Health
from services.kafka.messages import RawMessage
from services.scorer.model import AccountState, default_model
from services.scorer.replay import compare, model_change, recompute
from tests.support.events import T0, days, event_dict
from tests.support.model import fold_all, strict_model

KINDS = {"usage-events": "usage", "ticket-events": "ticket", "payment-events": "payment"}
MODEL = default_model()
STRICT = strict_model()


def messages(events: list[dict[str, object]]) -> list[RawMessage]:
    topic = {"usage": "usage-events", "ticket": "ticket-events", "payment": "payment-events"}
    return [
        RawMessage(topic[str(e["kind"])], 0, n, str(e["account_id"]).encode(), orjson.dumps(e))
        for n, e in enumerate(events)
    ]


def event_of(data: dict[str, object]) -> Event:
    return EVENT_ADAPTER.validate_python(data)


def history() -> list[dict[str, object]]:
    use = [
        event_dict("usage", "active", account=a, user_id="u1", at=T0 + days(d))
        for a in ("acct-1", "acct-2")
        for d in range(10)
    ]
    trouble = event_dict("ticket", "ticket_opened", account="acct-2", ticket_id="t1",
                         priority="high", at=T0 + days(9))  # fmt: skip
    return [*use, trouble]


def test_replay_folds_each_account_in_event_time_order_whatever_the_topic_order() -> None:
    events = history()
    # the ticket was read first, ahead of the usage backlog: replay puts it back in time order
    replayed = recompute(messages([events[-1], *events[:-1]]), KINDS, MODEL, T0)
    for account in ("acct-1", "acct-2"):
        ordered = [e for e in events if e["account_id"] == account]
        expected, _ = fold_all([event_of(e) for e in ordered], account=account)
        assert replayed.states[account].aggregates() == expected.aggregates()
        assert replayed.states[account].score == expected.score
    assert replayed.outcomes == {"scored": len(events)}


def test_invalid_messages_are_counted_not_fatal() -> None:
    bad = RawMessage("usage-events", 0, 99, b"acct-1", b"{not json")
    replayed = recompute([*messages(history()), bad], KINDS, MODEL, T0)
    assert replayed.outcomes["invalid"] == 1
    assert set(replayed.states) == {"acct-1", "acct-2"}


def test_events_dated_beyond_the_future_bound_are_left_out_as_the_live_scorer_leaves_them() -> None:
    now = T0 + days(10)
    ahead = event_dict("payment", "payment_failed", account="acct-1", at=now + days(30))
    replayed = recompute(messages([*history(), ahead]), KINDS, MODEL, now, max_future_s=300)
    assert replayed.outcomes["future"] == 1
    assert replayed.states["acct-1"].as_of == int((T0 + days(9)).timestamp())


def test_comparison_lists_band_changes_and_biggest_movers() -> None:
    replayed = recompute(messages(history()), KINDS, STRICT, T0)
    live = {
        "acct-1": Health(score=replayed.states["acct-1"].score, band="green"),
        "acct-2": Health(score=98.0, band="green"),
        "gone": Health(score=80.0, band="green"),
    }
    result = compare(live, replayed)
    assert result.accounts == 2
    # acct-2's open ticket keeps it below the strict model's green edge
    assert [(d.account_id, d.replayed.band) for d in result.band_differs] == [("acct-2", "yellow")]
    assert [d.account_id for d in result.movers] == ["acct-2"]
    assert result.only_live == ["gone"]


def test_a_model_change_continues_the_live_sequence_and_explains_itself() -> None:
    replayed = recompute(messages(history()), KINDS, STRICT, T0)
    state = replayed.states["acct-2"]
    change = model_change(state, Health(score=88.0, band="green"), 7, STRICT, T0)
    assert change is not None
    assert (change.seq, change.change_id) == (8, "acct-2:8")
    assert change.previous == Health(score=88.0, band="green")
    assert change.current.band == state.band != "green"
    assert change.reasons[0].code == "model.changed"
    assert "strict-1" in change.reasons[0].message
    assert (state.seq, state.published_score) == (8, state.score)


def test_no_model_change_when_the_band_stays() -> None:
    state = AccountState("acct-1", band="yellow", score=60.0)
    assert model_change(state, Health(score=55.0, band="yellow"), 3, MODEL, T0) is None
    assert state.seq == 3
