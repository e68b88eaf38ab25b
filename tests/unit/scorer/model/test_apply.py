"""apply(state, event): folding events into health and deciding what to publish."""

from __future__ import annotations

from schemas import AccountUpdate, Event
from services.scorer.model import AccountState, apply, apply_traits
from services.scorer.model.state import DEDUPE_WINDOW
from tests.support.events import T0, days, event


def fold(events: list[Event], state: AccountState | None = None) -> tuple[AccountState, list]:
    state = state or AccountState("acct-1")
    changes = []
    for ev in events:
        state, change = apply(state, ev, T0)
        if change is not None:
            changes.append(change)
    return state, changes


def decline() -> list[Event]:
    """Healthy use, then a failed payment, a dispute and an urgent escalated ticket."""
    return [
        event("usage", "active", user_id="u1", at=T0),
        event("payment", "invoice_paid", at=T0),
        event("usage", "active", user_id="u2", at=T0 + days(1)),
        event("payment", "payment_failed", at=T0 + days(2)),
        event("payment", "dispute_opened", at=T0 + days(2)),
        event("ticket", "ticket_opened", ticket_id="t1", priority="urgent", at=T0 + days(2)),
        event("ticket", "ticket_escalated", ticket_id="t1", at=T0 + days(2)),
    ]


def test_first_data_publishes_the_move_from_unknown() -> None:
    state, changes = fold([event("usage", "active", user_id="u1")])
    assert [(c.change_id, c.previous.band, c.current.band) for c in changes] == [
        ("acct-1:1", "unknown", "green")
    ]
    assert state.seq == 1


def test_a_decline_ends_at_risk_with_critical_reasons_and_causes() -> None:
    events = decline()
    state, changes = fold(events)
    assert state.band in ("yellow", "red")
    last = changes[-1]
    assert last.previous.band == "green" or changes[-2].current.band == "green"
    failure = next(c for c in changes if c.trigger_event_ids == [events[3].event_id])
    assert failure.reasons[0].code == "billing.payment_failed"
    assert failure.delta is not None and failure.delta < 0
    assert [c.seq for c in changes] == list(range(1, len(changes) + 1))
    assert {c.name for c in last.components} == {"usage", "support", "billing", "sentiment"}


def test_repeated_event_ids_count_once() -> None:
    failure = event("payment", "payment_failed")
    once, _ = fold([event("usage", "active", user_id="u"), failure])
    twice, changes = fold([failure], once)
    assert changes == []
    assert twice.failed_payments == 1
    assert twice.events_seen == 2


def test_replaying_the_same_events_gives_the_same_changes() -> None:
    events = decline()
    _, first = fold(events)
    _, second = fold(events)
    strip = {"emitted_at"}
    assert [c.model_dump(exclude=strip) for c in first] == [
        c.model_dump(exclude=strip) for c in second
    ]


def test_state_survives_serialisation_mid_stream() -> None:
    events = decline()
    straight, straight_changes = fold(events)
    half, half_changes = fold(events[:3])
    restored = AccountState.from_dict(half.to_dict())
    resumed, rest = fold(events[3:], restored)
    assert resumed == straight
    assert [c.change_id for c in half_changes + rest] == [c.change_id for c in straight_changes]


def test_dedupe_memory_is_bounded() -> None:
    state, _ = fold([event("usage", "active", user_id="u") for _ in range(DEDUPE_WINDOW + 50)])
    assert len(state.recent_ids) == DEDUPE_WINDOW


def test_traits_are_merged_and_copied_onto_changes() -> None:
    state = AccountState("acct-1")
    update = AccountUpdate(
        account_id="acct-1", segment="enterprise", csm_owner="kim@example.com",
        updated_at=T0, source="test",
    )  # fmt: skip
    apply_traits(state, update)
    apply_traits(state, AccountUpdate(account_id="acct-1", seats=40, updated_at=T0, source="test"))
    assert state.traits == {"segment": "enterprise", "csm_owner": "kim@example.com", "seats": 40}
    _, changes = fold([event("payment", "payment_failed")], state)
    assert (changes[0].segment, changes[0].csm_owner) == ("enterprise", "kim@example.com")


def test_recovery_is_published() -> None:
    state, _ = fold(decline())
    recovery = [
        event("payment", "payment_recovered", at=T0 + days(3)),
        event("payment", "dispute_closed", at=T0 + days(3)),
        event("ticket", "ticket_closed", ticket_id="t1", at=T0 + days(3)),
        event("payment", "invoice_paid", at=T0 + days(3)),
    ]
    state, changes = fold(recovery, state)
    assert changes, "a recovery must be published"
    assert changes[-1].current.score is not None
    assert changes[-1].current.score > changes[0].previous.score  # type: ignore[operator]
