"""`apply(state, event) -> (state, change | None)`: fold one event into an account's health."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from schemas import AccountUpdate, Component, Event, Health, Reason, RiskChange, change_id
from services.scorer.model.scoring import (
    DAY,
    ComponentScore,
    band_for,
    components,
    overall,
)
from services.scorer.model.state import AccountState

MODEL_VERSION = "baseline-1"
DROP_POINTS = 10.0
TREND_WINDOW = 7 * DAY
TRAIT_FIELDS = ("name", "segment", "csm_owner", "seats", "mrr", "lifecycle_stage")


def _fold(state: AccountState, event: Event) -> tuple[str, str] | None:
    """Update the counters for `event`; return a critical (code, sentence) if it is one."""
    props: Any = event.properties
    if event.kind == "usage":
        at = event.occurred_at.timestamp()
        state.last_activity_at = max(state.last_activity_at or at, at)
        if event.type == "nps_response":
            state.nps = props.score
        return None
    if event.kind == "ticket":
        state.tickets_seen = True
        if event.type in ("ticket_opened", "ticket_updated"):
            priority = props.priority or state.open_tickets.get(props.ticket_id, "normal")
            state.open_tickets[props.ticket_id] = priority
            if priority == "urgent":
                return "support.urgent_ticket", f"An urgent ticket ({props.ticket_id}) is open."
        elif event.type == "ticket_closed":
            state.open_tickets.pop(props.ticket_id, None)
        elif event.type == "ticket_escalated":
            state.escalations += 1
            return "support.escalation", f"Ticket {props.ticket_id} was escalated."
        return None
    state.payments_seen = True
    match event.type:
        case "payment_failed":
            state.failed_payments += 1
            return "billing.payment_failed", "A payment failed and is not yet recovered."
        case "payment_recovered" | "invoice_paid":
            state.failed_payments = max(0, state.failed_payments - 1)
        case "dispute_opened":
            state.open_disputes += 1
            return "billing.dispute_opened", "The customer disputed a charge."
        case "dispute_closed":
            state.open_disputes = max(0, state.open_disputes - 1)
        case "subscription_canceled":
            state.cancel_scheduled = True
            return "billing.cancellation_scheduled", "The subscription is set to cancel."
        case "subscription_started":
            state.cancel_scheduled = False
    return None


def _trend(state: AccountState, now: float, score: float | None) -> float | None:
    """Score change against the oldest point within the last 7 days."""
    if score is None:
        return None
    window = [s for t, s in state.history if t >= now - TREND_WINDOW]
    return round(score - window[0], 2) if window else None


def _reasons(
    before: list[ComponentScore] | None,
    after: list[ComponentScore],
    critical: tuple[str, str] | None,
) -> list[Reason]:
    """The critical signal first, then each component that moved, the largest move first."""
    old = {c.name: c.score for c in before or []}
    moves: list[tuple[float, Reason]] = []
    for part in after:
        prev = old.get(part.name)
        if part.score is None:
            continue
        if prev is None:
            message = f"{part.name.title()} now counts, at {part.score:.0f}."
            moves.append((100 - part.score, Reason(code=f"{part.name}.new", message=message)))
        elif abs(part.score - prev) >= 1:
            way = "fell" if part.score < prev else "rose"
            message = f"{part.name.title()} score {way} from {prev:.0f} to {part.score:.0f}."
            code = f"{part.name}.{'down' if way == 'fell' else 'up'}"
            moves.append((abs(part.score - prev), Reason(code=code, message=message)))
    moves.sort(key=lambda move: -move[0])
    first = [Reason(code=critical[0], message=critical[1])] if critical else []
    return first + [reason for _, reason in moves]


def apply(
    state: AccountState, event: Event, now: datetime | None = None
) -> tuple[AccountState, RiskChange | None]:
    """Fold `event` into `state` (in place) and return the change to publish, if any."""
    if state.seen(event.event_id):
        return state, None
    state.remember(event.event_id)
    state.events_seen += 1
    at = event.occurred_at.timestamp()
    state.as_of = max(state.as_of or at, at)
    before = components(state)
    critical = _fold(state, event)
    parts = components(state)
    score = overall(parts)
    band = band_for(score, state.band)
    previous = Health(score=state.score, band=state.band)
    dropped = score is not None and state.score is not None and state.score - score >= DROP_POINTS
    moved = band != state.band
    trend = _trend(state, state.as_of, score)
    if score is not None:
        state.record_score(state.as_of, score)
    publish = moved or dropped or critical is not None
    if not publish:
        if score is not None:
            state.score = score
        return state, None
    state.seq += 1
    state.score, state.band = score, band
    change = RiskChange(
        change_id=change_id(state.account_id, state.seq),
        account_id=state.account_id,
        seq=state.seq,
        occurred_at=event.occurred_at,
        emitted_at=now or datetime.now(UTC),
        model_version=MODEL_VERSION,
        previous=previous,
        current=Health(score=score, band=band),
        delta=None if score is None or previous.score is None else round(score - previous.score, 2),
        trend_7d=trend,
        components=[Component(**vars(p)) for p in parts],
        reasons=_reasons(before, parts, critical)
        or [Reason(code=f"band.{band}", message=f"Health is now {band}.")],
        trigger_event_ids=[event.event_id],
        segment=state.traits.get("segment"),
        csm_owner=state.traits.get("csm_owner"),
    )
    return state, change


def apply_traits(state: AccountState, update: AccountUpdate) -> AccountState:
    """Merge the traits that an account update sets; fields it leaves out keep their value."""
    for name in TRAIT_FIELDS:
        value = getattr(update, name)
        if value is not None:
            state.traits[name] = value
    return state
