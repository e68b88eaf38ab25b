"""apply and evaluate: folding events in, deciding what to publish, explaining it."""

from __future__ import annotations

from datetime import timedelta

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas import AccountUpdate, Event
from services.scorer.model import (
    AccountState,
    LateEvent,
    apply,
    apply_traits,
    default_model,
    evaluate,
)
from services.scorer.model.state import ID_WINDOW
from tests.support.events import T0, days, event
from tests.support.model import fold_all

MODEL = default_model()


def healthy_month(account: str = "acct-1") -> list[Event]:
    use = [
        event(
            "usage",
            "active",
            account=account,
            user_id=f"u{n}",
            at=T0 + days(d) + timedelta(hours=n),
        )
        for d in range(28)
        for n in range(3)
    ]
    return [event("payment", "invoice_paid", account=account, invoice_id="in0", at=T0), *use]


def trouble(at_day: float = 27.5) -> list[Event]:
    at = T0 + days(at_day)
    return [
        event("payment", "payment_failed", invoice_id="in1", at=at),
        event("payment", "dispute_opened", dispute_id="dp1", at=at),
        event("ticket", "ticket_opened", ticket_id="t1", priority="urgent", at=at),
        event("ticket", "ticket_escalated", ticket_id="t1", at=at),
        event("usage", "nps_response", score=1, at=at),
    ]


def test_first_data_publishes_the_move_from_unknown() -> None:
    state, changes = fold_all([event("usage", "active", user_id="u1")])
    [change] = changes
    assert (change.change_id, change.previous.band, change.current.band) == (
        "acct-1:1",
        "unknown",
        "green",
    )
    assert change.model_version == MODEL.version and state.seq == 1


def test_a_decline_is_published_with_critical_reasons_components_and_causes() -> None:
    events = healthy_month() + trouble()
    state, changes = fold_all(events)
    assert state.band in ("yellow", "red")
    failure = next(c for c in changes if events[-5].event_id in c.trigger_event_ids)
    assert failure.reasons[0].code == "billing.payment_failed"
    assert failure.reasons[0].message == "A payment failed (invoice in1) and is not recovered."
    said = {t.event_id: (t.kind, t.type, t.occurred_at) for t in failure.triggers}
    assert said[events[-5].event_id] == ("payment", "payment_failed", events[-5].occurred_at)
    assert [t.event_id for t in failure.triggers] == [
        i for i in failure.trigger_event_ids if i in said
    ]
    last = changes[-1]
    assert last.current.band in ("yellow", "red") and last.previous.band == "green"
    assert {c.name for c in last.components} == {"usage", "support", "billing", "sentiment"}
    assert sum(c.weight for c in last.components) == pytest.approx(1.0, abs=0.001)
    assert last.current.score == pytest.approx(
        sum(c.contribution for c in last.components), abs=0.05
    )
    assert [c.seq for c in changes] == list(range(1, len(changes) + 1))
    assert last.trend_7d is not None and last.trend_7d < 0


def test_every_change_explains_itself_in_sentences() -> None:
    _, changes = fold_all(healthy_month() + trouble())
    for change in changes:
        assert change.reasons, change
        assert all(not r.message[0].islower() and r.message.endswith(".") for r in change.reasons)


def test_repeated_event_ids_and_redelivered_offsets_count_once() -> None:
    failure = event("payment", "payment_failed", invoice_id="in9")
    state, _ = fold_all([event("usage", "active", user_id="u"), failure, failure])
    assert state.events_seen == 2
    again, change = apply(
        state, event("payment", "payment_failed", invoice_id="x"), MODEL, T0, ("p", 5)
    )
    assert again.events_seen == 3
    redelivered, change = apply(
        again, event("payment", "payment_failed", invoice_id="y"), MODEL, T0, ("p", 5)
    )
    assert change is None and redelivered.events_seen == 3


def test_the_id_window_is_bounded() -> None:
    state, _ = fold_all([event("usage", "active", user_id="u") for _ in range(ID_WINDOW * 3)])
    assert len(state.recent_ids) == ID_WINDOW


def test_events_beyond_the_lateness_bound_are_refused_with_the_reason() -> None:
    state, _ = fold_all([event("usage", "active", user_id="u", at=T0 + days(10))])
    fold_all(
        [event("usage", "active", user_id="u", at=T0 + days(4))], state
    )  # 6 days late: folded in
    with pytest.raises(
        LateEvent, match=r"8\.0 days behind .* latest usage event; the lateness bound is 7"
    ):
        apply(state, event("usage", "active", user_id="u", at=T0 + days(2)), MODEL, T0)


def test_lateness_is_judged_per_kind_because_the_topics_are_read_at_their_own_pace() -> None:
    state, _ = fold_all([event("ticket", "ticket_opened", ticket_id="t", at=T0 + days(30))])
    state, _ = fold_all([event("usage", "active", user_id="u", at=T0 + days(3))], state)
    assert state.events_seen == 2 and state.last_active is not None


def test_silence_is_not_health() -> None:
    state, _ = fold_all(healthy_month())
    assert state.band == "green"
    _, quiet = evaluate(state, MODEL, T0 + days(28))
    assert quiet is None
    _, change = evaluate(state, MODEL, T0 + days(45))
    assert change is not None and change.current.band in ("yellow", "red")
    assert any(
        r.code == "usage.activity" and "no activity this week" in r.message.lower()
        for r in change.reasons
    )


def test_a_drop_of_ten_points_within_seven_days_is_published_without_a_band_change() -> None:
    spec = MODEL.base
    state, _ = fold_all(healthy_month())
    start = state.published_score
    assert start is not None and start > spec.bands.green + 15
    at = T0 + days(27.9)
    tickets = [
        event("ticket", "ticket_opened", ticket_id="n1", priority="high", at=at),
        event("ticket", "ticket_opened", ticket_id="n2", priority="high", at=at),
        event("ticket", "ticket_escalated", ticket_id="n2", at=at),
    ]
    state, changes = fold_all(tickets, state)
    dropped = [c for c in changes if c.current.band == c.previous.band]
    assert (
        dropped and dropped[-1].delta is not None and dropped[-1].delta <= -spec.changes.drop_points
    )


def test_recovery_is_published_with_its_reason() -> None:
    state, _ = fold_all(healthy_month() + trouble())
    fixes = [
        event("payment", "invoice_paid", invoice_id="in1", at=T0 + days(27.8)),
        event("payment", "dispute_closed", dispute_id="dp1", at=T0 + days(27.8)),
        event("ticket", "ticket_closed", ticket_id="t1", at=T0 + days(27.8)),
        event("usage", "nps_response", score=9, at=T0 + days(27.9)),
        event("usage", "nps_response", score=10, at=T0 + days(27.9)),
        event("usage", "nps_response", score=10, at=T0 + days(27.9)),
    ]
    state, changes = fold_all(fixes, state)
    assert state.band == "green"
    assert any(r.code == "recovery" for c in changes for r in c.reasons)


def test_the_same_events_give_the_same_changes() -> None:
    events = healthy_month() + trouble()
    _, first = fold_all(events)
    _, second = fold_all(events)
    assert [c.model_dump(exclude={"emitted_at"}) for c in first] == [
        c.model_dump(exclude={"emitted_at"}) for c in second
    ]


def test_state_survives_serialisation_mid_stream_and_stays_small() -> None:
    events = healthy_month() + trouble()
    straight, straight_changes = fold_all(events)
    half, half_changes = fold_all(events[:40])
    restored = AccountState.from_dict(orjson.loads(orjson.dumps(half.to_dict())))
    resumed, rest = fold_all(events[40:], restored)
    assert resumed == straight
    assert [c.change_id for c in half_changes + rest] == [c.change_id for c in straight_changes]
    assert len(orjson.dumps(straight.to_dict())) < 2048


def test_traits_choose_the_profile_and_are_copied_onto_changes() -> None:
    state = AccountState("acct-1")
    update = AccountUpdate(
        account_id="acct-1",
        segment="enterprise",
        csm_owner="kim@example.com",
        updated_at=T0,
        source="t",
    )
    apply_traits(state, update)
    apply_traits(state, AccountUpdate(account_id="acct-1", seats=40, updated_at=T0, source="t"))
    assert state.traits == {"segment": "enterprise", "csm_owner": "kim@example.com", "seats": 40}
    _, changes = fold_all([event("payment", "payment_failed")], state)
    assert (changes[0].segment, changes[0].csm_owner) == ("enterprise", "kim@example.com")


EVENT_POOL = (
    healthy_month()[::9]
    + trouble(20)
    + [
        event("payment", "invoice_paid", invoice_id="in1", at=T0 + days(21)),
        event("ticket", "ticket_closed", ticket_id="t1", at=T0 + days(22)),
        event("payment", "subscription_changed", mrr_before=900, mrr_after=600, at=T0 + days(21)),
        event("ticket", "csat_rating", score=2, at=T0 + days(22)),
    ]
)


@settings(max_examples=60, deadline=None)
@given(
    order=st.permutations(range(len(EVENT_POOL))),
    repeats=st.lists(st.integers(0, len(EVENT_POOL) - 1), max_size=5),
)
def test_aggregates_do_not_depend_on_arrival_order_or_repeats(
    order: list[int], repeats: list[int]
) -> None:
    """Any order (sorted within the lateness bound) and any repeats give the same aggregates."""
    in_time, _ = fold_all(sorted(EVENT_POOL, key=lambda e: e.occurred_at))
    shuffled = [EVENT_POOL[i] for i in order] + [EVENT_POOL[i] for i in repeats]
    # keep every event within the lateness bound of the newest one seen before it
    shuffled.sort(key=lambda e: e.occurred_at - timedelta(days=6) * (hash(e.event_id) % 2))
    state, _ = fold_all(shuffled)
    assert state.aggregates() == in_time.aggregates()


@settings(max_examples=40, deadline=None)
@given(order=st.permutations(range(len(EVENT_POOL))))
def test_cached_component_results_never_change_an_outcome(order: list[int]) -> None:
    """Reusing a component's last result gives exactly what computing it afresh gives."""
    events = [EVENT_POOL[i] for i in order]
    events.sort(key=lambda e: e.occurred_at - timedelta(days=6) * (hash(e.event_id) % 2))
    cached, fresh = AccountState("acct-1"), AccountState("acct-1")
    for ev in events:
        fresh.cache.clear()
        _, with_cache = apply(cached, ev, MODEL, T0)
        _, without = apply(fresh, ev, MODEL, T0)
        assert with_cache == without
    assert cached == fresh
    fresh.cache.clear()
    assert evaluate(cached, MODEL, T0 + days(40)) == evaluate(fresh, MODEL, T0 + days(40))


def test_a_state_stored_before_trigger_summaries_still_names_its_trigger_ids() -> None:
    state, _ = fold_all(healthy_month()[:5])
    state.note_trigger("ev-new", "payment", "payment_failed", 1_800_000_000)
    stored = orjson.loads(orjson.dumps(state.to_dict()))
    old = dict(stored, pending=["ev-old", *stored["pending"]])
    del old["pending_events"]
    assert AccountState.from_dict(old).triggers() == []
    again = AccountState.from_dict(stored)
    assert [t["type"] for t in again.triggers()] == ["payment_failed"]
    assert again.pending == state.pending
