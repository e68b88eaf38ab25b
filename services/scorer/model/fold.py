"""Folding one event into the aggregates (order-independent: max, min, sums, latest-by-time)."""

from __future__ import annotations

from typing import Any

from schemas import Event
from services.scorer.model.config import Spec
from services.scorer.model.sketch import user_hash
from services.scorer.model.state import DAY, AccountState

CSAT_KEEP = 10
NPS_KEEP = 3
CSAT_WORDS = {"good": 5.0, "bad": 1.0}
CLOSED_STATUSES = {"solved", "closed"}
PRIORITY_RANK = {"low": 0, "normal": 1, "high": 2, "urgent": 3}
SUBSCRIPTION_RANK = {"active": 0, "canceled": 1, "ended": 2}
Critical = tuple[str, str, str]  # (signal, reason code, sentence)


def _newest(answers: list[list[float]], t: int, value: float, keep: int) -> list[list[float]]:
    return sorted([*answers, [t, value]])[-keep:]


def _later(current: list[Any], candidate: list[Any]) -> list[Any]:
    """Latest by event time; ties broken by value so that the order of arrival does not matter."""
    return max(current, candidate) if current else candidate


def _unresolved(failed: int, resolved: int, resolved_all: int) -> bool:
    """Whether a failure (or dispute) at `failed` is still open after the resolutions given."""
    return failed > max(resolved, resolved_all)


def fold_usage(state: AccountState, event: Event, spec: Spec, t: int) -> Critical | None:
    props: Any = event.properties
    day = t // DAY
    if event.type == "nps_response":
        state.nps = _newest(state.nps, t, float(props.score), NPS_KEEP)
        return None
    before = state.activity.get(day, 0)
    state.activity[day] = before + 1
    if not before and state.population is not None:
        state.population.note_active(state.traits.get("segment"), day)
    state.last_active = max(state.last_active or t, t)
    user = getattr(props, "user_id", None)
    if user:
        state.users.add(user_hash(str(user)), day)
    if event.type == "feature_used":
        keys = spec.usage.key
        matched = keys.of(props.feature)
        for name in matched:
            state.features[name] = max(state.features.get(name, day), day)
        if matched or not keys:
            state.first_value = min(state.first_value or t, t)
    return None


def fold_ticket(state: AccountState, event: Event, spec: Spec, t: int) -> Critical | None:
    props: Any = event.properties
    if event.type == "csat_rating":
        score = (
            CSAT_WORDS.get(props.score, props.score)
            if isinstance(props.score, str)
            else props.score
        )
        state.csat = _newest(state.csat, t, float(score), CSAT_KEEP)
        return None
    key = str(props.ticket_id)[:40]
    old = state.tickets.get(key)
    was_urgent = bool(old and old[1] and old[2] == "urgent")
    # [status time, open, priority, escalated, priority time]: status and priority are each the
    # latest by event time (ties broken by value), escalation is sticky.
    entry: list[Any] = list(old) if old else [0, 1, "normal", 0, 0]
    if event.type == "ticket_escalated":
        entry[3] = 1
    else:
        is_open = 0 if event.type == "ticket_closed" else 1
        status = getattr(props, "status", None)
        if status is not None:
            is_open = 0 if status in CLOSED_STATUSES else 1
        if (t, -is_open) > (entry[0], -entry[1]):
            entry[0], entry[1] = t, is_open
        priority = getattr(props, "priority", None)
        if priority and (t, PRIORITY_RANK[priority]) > (entry[4], PRIORITY_RANK[entry[2]]):
            entry[2], entry[4] = priority, t
    state.tickets[key] = entry
    if event.type == "ticket_opened":
        state.opened[t // DAY] = state.opened.get(t // DAY, 0) + 1
    if entry[1] and entry[2] == "urgent" and not was_urgent:  # news once, until it closes
        return (
            "urgent_ticket",
            "support.urgent_ticket",
            f"An urgent ticket ({props.ticket_id}) is open.",
        )
    return None


def fold_payment(state: AccountState, event: Event, t: int, id_hash: str) -> Critical | None:
    props: Any = event.properties
    invoice = getattr(props, "invoice_id", None)
    dispute = getattr(props, "dispute_id", None)
    match event.type:
        case "payment_failed":
            key = invoice or f"e:{id_hash}"
            failed, ok = state.invoices.get(key, [0, 0])
            state.invoices[key] = [max(failed, t), ok]
            if _unresolved(failed, ok, state.resolved_all) or not _unresolved(
                t, ok, state.resolved_all
            ):
                return None  # a retry of a failure already reported, or one already recovered
            which = f" (invoice {invoice})" if invoice else ""
            return (
                "payment_failed",
                "billing.payment_failed",
                f"A payment failed{which} and is not recovered.",
            )
        case "invoice_paid" | "payment_recovered":
            if invoice:
                failed, ok = state.invoices.get(invoice, [0, 0])
                state.invoices[invoice] = [failed, max(ok, t)]
            else:
                state.resolved_all = max(state.resolved_all, t)
        case "dispute_opened":
            key = dispute or f"e:{id_hash}"
            opened, closed = state.disputes.get(key, [0, 0])
            state.disputes[key] = [max(opened, t), closed]
            closed_all = state.disputes_closed_all
            if _unresolved(opened, closed, closed_all) or not _unresolved(t, closed, closed_all):
                return None  # the same dispute again, or one already closed
            return "dispute_opened", "billing.dispute_opened", "The customer disputed a charge."
        case "dispute_closed":
            if dispute:
                opened, closed = state.disputes.get(dispute, [0, 0])
                state.disputes[dispute] = [opened, max(closed, t)]
            else:
                state.disputes_closed_all = max(state.disputes_closed_all, t)
        case "subscription_started" | "subscription_canceled" | "subscription_ended":
            status = {"subscription_started": "active", "subscription_canceled": "canceled"}.get(
                event.type, "ended"
            )
            before = state.subscription[2] if state.subscription else None
            state.subscription = _later(state.subscription, [t, SUBSCRIPTION_RANK[status], status])
            if before != "canceled" and state.subscription[2] == "canceled":
                message = "The subscription is set to cancel."
                return "subscription_canceled", "billing.cancellation_scheduled", message
        case "subscription_changed":
            state.mrr_change = _later(state.mrr_change, [t, props.mrr_before, props.mrr_after])
        case "trial_ending":
            state.trial_end = max(state.trial_end, t)
    return None


def fold(state: AccountState, event: Event, spec: Spec, id_hash: str) -> Critical | None:
    """Fold `event` into the aggregates; return the critical signal it carries, if any."""
    t = int(event.occurred_at.timestamp())
    state.first_at = min(state.first_at or t, t)
    state.as_of = max(state.as_of or t, t)
    kind_code = event.kind[0]
    if kind_code not in state.kinds:
        state.kinds = "".join(sorted(state.kinds + kind_code))
    if event.kind == "usage":
        critical = fold_usage(state, event, spec, t)
    elif event.kind == "ticket":
        critical = fold_ticket(state, event, spec, t)
    else:
        critical = fold_payment(state, event, t, id_hash)
    if critical and critical[0] not in spec.changes.critical_signals:
        return None
    return critical
