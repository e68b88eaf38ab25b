"""Issue 14, points 5-7: drops explained by what triggered them, one critical change per item,
each source counted once."""

from __future__ import annotations

from datetime import timedelta

from schemas import Event, RiskChange
from services.scorer.model import default_model, evaluate
from services.scorer.model.config import parse_model
from tests.support.events import T0, days, event
from tests.support.model import DEFAULT_TOML, fold_all

MODEL = default_model()
TEN_POINT_DROPS = parse_model(DEFAULT_TOML.replace("drop_points = 15", "drop_points = 10"))


def daily_use(first: int, last: int) -> list[Event]:
    return [
        event("usage", "active", user_id=f"u{n}", at=T0 + days(d) + timedelta(hours=n))
        for d in range(first, last)
        for n in range(3)
    ]


def by_time(events: list[Event]) -> list[Event]:
    return sorted(events, key=lambda e: e.occurred_at)


def critical(changes: list[RiskChange], code: str) -> list[RiskChange]:
    return [c for c in changes if c.reasons and c.reasons[0].code == code]


def test_a_drop_is_published_against_the_score_it_dropped_from() -> None:
    """The last change is weeks old and lower than today's score: the drop from the window's
    best day is what the change shows, not a rise from the last change."""
    events = by_time(
        [
            *daily_use(0, 36),
            event("payment", "invoice_paid", invoice_id="in0", at=T0),
            event("payment", "payment_failed", invoice_id="in1", at=T0 + days(20)),
            event("payment", "invoice_paid", invoice_id="in1", at=T0 + days(22)),
            event("ticket", "ticket_opened", ticket_id="n1", priority="high", at=T0 + days(35.5)),
            event("ticket", "ticket_opened", ticket_id="n2", priority="high", at=T0 + days(35.5)),
            event("ticket", "ticket_escalated", ticket_id="n2", at=T0 + days(35.5)),
        ]
    )
    _, changes = fold_all(events, model=TEN_POINT_DROPS)
    drops = [c for c in changes if c.occurred_at >= T0 + days(35)]
    assert drops, changes
    drop = drops[-1]
    assert drop.previous.band == drop.current.band == "green"
    assert drop.previous.score is not None and drop.current.score is not None
    assert drop.delta is not None and drop.delta <= -TEN_POINT_DROPS.base.changes.drop_points
    assert drop.delta == round(drop.current.score - drop.previous.score, 2)
    codes = [r.code for r in drop.reasons]
    assert not any(code.endswith(".improved") for code in codes), drop.reasons
    assert codes[0].startswith("support."), drop.reasons


def test_a_drop_found_by_a_later_evaluation_is_also_shown_as_a_drop() -> None:
    events = by_time(
        [
            *daily_use(0, 30),
            event("payment", "invoice_paid", invoice_id="in0", at=T0),
            event("payment", "payment_failed", invoice_id="in1", at=T0 + days(12)),
            event("payment", "invoice_paid", invoice_id="in1", at=T0 + days(13)),
        ]
    )
    state, _ = fold_all(events)
    for day in range(30, 45):
        _, change = evaluate(state, MODEL, T0 + days(day))
        if change is not None and change.current.band == change.previous.band:
            assert change.delta is not None and change.delta < 0, change
            assert not any(r.code.endswith(".improved") for r in change.reasons), change


def test_retries_of_one_failed_invoice_publish_one_critical_change() -> None:
    events = [
        *daily_use(0, 10),
        event("payment", "payment_failed", invoice_id="in1", at=T0 + days(9)),
        event("payment", "payment_failed", invoice_id="in1", at=T0 + days(9.3)),
        event("payment", "payment_failed", invoice_id="in1", at=T0 + days(9.1)),  # late retry
    ]
    state, changes = fold_all(by_time(events[:-1]) + events[-1:])
    assert len(critical(changes, "billing.payment_failed")) == 1
    # it fails again once recovered: news again
    state, again = fold_all(
        [
            event("payment", "invoice_paid", invoice_id="in1", at=T0 + days(9.5)),
            event("payment", "payment_failed", invoice_id="in1", at=T0 + days(9.6)),
        ],
        state,
    )
    assert len(critical(again, "billing.payment_failed")) == 1
    # a retry older than the recovery is not an unrecovered failure
    _, late = fold_all(
        [
            event("payment", "invoice_paid", invoice_id="in1", at=T0 + days(9.7)),
            event("payment", "payment_failed", invoice_id="in1", at=T0 + days(9.65)),
        ],
        state,
    )
    assert critical(late, "billing.payment_failed") == []


def test_one_critical_change_per_dispute_ticket_and_cancellation() -> None:
    at = T0 + days(9)
    events = [
        *daily_use(0, 10),
        event("payment", "dispute_opened", dispute_id="dp1", at=at),
        event("payment", "dispute_opened", dispute_id="dp1", at=at + timedelta(hours=1)),
        event("ticket", "ticket_opened", ticket_id="t1", priority="urgent", at=at),
        event("ticket", "ticket_updated", ticket_id="t1", priority="urgent", at=at + days(0.1)),
        event("ticket", "ticket_updated", ticket_id="t1", priority="urgent", at=at + days(0.2)),
        event("payment", "subscription_canceled", at=at),
        event("payment", "subscription_canceled", at=at + days(0.1)),
    ]
    _, changes = fold_all(by_time(events))
    assert len(critical(changes, "billing.dispute_opened")) == 1
    assert len(critical(changes, "support.urgent_ticket")) == 1
    assert len(critical(changes, "billing.cancellation_scheduled")) == 1
    # a ticket that gets worse is news: normal, then urgent
    _, worse = fold_all(
        [
            event("ticket", "ticket_opened", ticket_id="t2", priority="normal", at=at),
            event("ticket", "ticket_updated", ticket_id="t2", priority="urgent", at=at + days(0.1)),
        ]
    )
    assert len(critical(worse, "support.urgent_ticket")) == 1


def test_a_drop_lists_what_fell_not_what_improved_on_the_way() -> None:
    """Sentiment improves, then support collapses: the drop's reasons are about support only
    (a model that publishes drops of 10 points, so the fall of sentiment is published first)."""
    at = T0 + days(27.5)
    tickets = [
        event("ticket", "ticket_opened", ticket_id=f"h{n}", priority="high", at=at)
        for n in range(4)
    ]
    events = by_time(
        [
            *daily_use(0, 28),
            event("payment", "invoice_paid", invoice_id="in0", at=T0),
            event("ticket", "ticket_opened", ticket_id="t0", at=T0 + days(1)),
            event("ticket", "ticket_closed", ticket_id="t0", at=T0 + days(1.5)),
            event("usage", "nps_response", score=0, at=T0 + days(27.2)),
            event("usage", "nps_response", score=10, at=T0 + days(27.3)),
            event("usage", "nps_response", score=10, at=T0 + days(27.3)),
            *tickets,
            event("ticket", "ticket_escalated", ticket_id="h0", at=at),
            event("ticket", "ticket_escalated", ticket_id="h1", at=at),
        ]
    )
    _, changes = fold_all(events, model=TEN_POINT_DROPS)
    drop = changes[-1]
    assert drop.occurred_at == at and drop.current.band == drop.previous.band
    assert drop.delta is not None and drop.delta <= -TEN_POINT_DROPS.base.changes.drop_points
    assert [r.code.partition(".")[0] for r in drop.reasons] == ["support"] * len(drop.reasons)
