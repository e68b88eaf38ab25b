"""Stripe webhook events as payment events. Pure: the account is found through a callback (the
mapping facility) and the links an event reveals (customer, charge or payment intent to account)
are returned for the caller to record.

| Stripe event | payment event(s) |
|---|---|
| invoice.payment_failed | payment_failed |
| invoice.paid | invoice_paid |
| customer.subscription.created | subscription_started (mrr) |
| customer.subscription.updated | subscription_canceled (cancellation scheduled), |
|   | subscription_started (cancellation withdrawn), subscription_changed (MRR moved) |
| customer.subscription.deleted | subscription_ended |
| customer.subscription.trial_will_end | trial_ending |
| charge.dispute.created / closed | dispute_opened / dispute_closed |
| charge.refunded | refund_issued |

The Stripe event id is the event_id (a second event from one Stripe event gets `:<type>` after
it); the event time is the Stripe event's `created`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from schemas.errors import field_errors
from schemas.events import EVENT_ADAPTER
from services.ingest.outcomes import Rejected, Translated

SOURCE = "stripe"
ZERO_DECIMAL = frozenset(
    "bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split()  # noqa: SIM905
)
MONTHS_PER = {"day": 12 / 365, "week": 12 / 52, "month": 1.0, "year": 12.0}
"""Months in one interval, to turn a price per interval into a monthly amount."""
HANDLED = (
    "invoice.payment_failed",
    "invoice.paid",
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "customer.subscription.trial_will_end",
    "charge.dispute.created",
    "charge.dispute.closed",
    "charge.refunded",
)
LAST_SECOND = 253_402_300_799
"""9999-12-31T23:59:59Z, the last second a Python datetime holds."""
LEARN_ONLY = ("customer.created", "customer.updated")


def money(cents: Any, currency: Any) -> float | None:
    """An amount in the currency's unit (Stripe sends the smallest unit)."""
    if not isinstance(cents, int | float) or isinstance(cents, bool):
        return None
    zero_decimal = isinstance(currency, str) and currency.lower() in ZERO_DECIMAL
    return float(cents) if zero_decimal else cents / 100


def mrr(subscription: dict[str, Any]) -> float:
    """Monthly recurring revenue of a subscription's licensed items, in the currency's unit."""
    total = 0.0
    items = subscription.get("items")
    for item in items.get("data", []) if isinstance(items, dict) else []:
        price = item.get("price") or item.get("plan") or {}
        recurring = price.get("recurring") or price  # legacy plans hold interval themselves
        if recurring.get("usage_type") == "metered":
            continue
        unit = price.get("unit_amount", price.get("amount"))
        amount = money(unit, price.get("currency") or subscription.get("currency"))
        months = MONTHS_PER.get(recurring.get("interval", "month"), 1.0)
        count = recurring.get("interval_count") or 1
        if amount is not None:
            total += amount * (item.get("quantity") or 1) / (months * count)
    return round(total, 2)


def stripe_ids(obj: dict[str, Any]) -> list[str]:
    """The ids that can lead to the account, most specific first: customer, charge, intent."""
    ids = [obj.get("customer"), obj.get("charge"), obj.get("payment_intent")]
    if obj.get("object") == "charge":
        ids.append(obj.get("id"))
    if obj.get("object") == "customer":
        ids.insert(0, obj.get("id"))
    return [i for i in ids if isinstance(i, str) and i]


def metadata_account(obj: dict[str, Any], key: str) -> str | None:
    """The account named in the object's metadata (or, for invoices, its subscription's)."""
    parent = (obj.get("parent") or {}).get("subscription_details") or {}
    for metadata in (
        obj.get("metadata"),
        parent.get("metadata"),
        (obj.get("subscription_details") or {}).get("metadata"),
    ):
        if isinstance(metadata, dict) and isinstance(value := metadata.get(key), str) and value:
            return value
    return None


Payments = list[tuple[str, dict[str, Any]]]


def payment_events(kind: str, obj: dict[str, Any], previous: dict[str, Any]) -> Payments:
    """(type, properties) of the payment events a Stripe event means; empty when nothing changed
    that health depends on."""
    currency = obj.get("currency")
    match kind:
        case "invoice.payment_failed" | "invoice.paid":
            props = {
                "invoice_id": obj.get("id"),
                "amount": money(obj.get("amount_due"), currency),
                "currency": currency,
                "attempt_count": obj.get("attempt_count"),
            }
            return [("payment_failed" if kind.endswith("failed") else "invoice_paid", props)]
        case "customer.subscription.created":
            return [("subscription_started", {"mrr": mrr(obj), "status": obj.get("status")})]
        case "customer.subscription.updated":
            return subscription_updates(obj, previous)
        case "customer.subscription.deleted":
            return [("subscription_ended", {"status": obj.get("status")})]
        case "customer.subscription.trial_will_end":
            return [("trial_ending", {"trial_end": obj.get("trial_end")})]
        case "charge.dispute.created" | "charge.dispute.closed":
            props = {
                "dispute_id": obj.get("id"),
                "amount": money(obj.get("amount"), currency),
                "status": obj.get("status"),
                "reason": obj.get("reason"),
            }
            return [("dispute_opened" if kind.endswith("created") else "dispute_closed", props)]
        case "charge.refunded":
            amount = money(obj.get("amount_refunded"), currency)
            return [
                (
                    "refund_issued",
                    {"amount": amount, "currency": currency, "charge_id": obj.get("id")},
                )
            ]
    return []


def _cancel_scheduled(obj: dict[str, Any]) -> bool:
    return bool(obj.get("cancel_at_period_end")) or obj.get("cancel_at") is not None


def subscription_updates(obj: dict[str, Any], previous: dict[str, Any]) -> Payments:
    """A scheduled or withdrawn cancellation and an MRR change, from `previous_attributes`."""
    out: Payments = []
    now_canceling = _cancel_scheduled(obj)
    if {"cancel_at_period_end", "cancel_at"} & previous.keys():
        was_canceling = _cancel_scheduled({**obj, **previous})
        if now_canceling and not was_canceling:
            out.append(("subscription_canceled", {"cancel_at": obj.get("cancel_at")}))
        elif was_canceling and not now_canceling:
            out.append(("subscription_started", {"mrr": mrr(obj), "reactivated": True}))
    if "items" in previous or "quantity" in previous:
        before, after = mrr({**obj, **previous}), mrr(obj)
        if before != after:
            out.append(("subscription_changed", {"mrr_before": before, "mrr_after": after}))
    return out


def translate(
    body: Any, *, account_key: str, account_of: Callable[[str], str | None], received_at: datetime
) -> Translated:
    """What one Stripe event becomes; Rejected when it is malformed or unattributable."""
    if not isinstance(body, dict) or body.get("object") != "event":
        raise Rejected.at([], "not a Stripe event object")
    kind, event_id, created = body.get("type"), body.get("id"), body.get("created")
    data = body.get("data")
    if not isinstance(kind, str) or not isinstance(event_id, str) or not event_id:
        raise Rejected.at(["type"], "a Stripe event needs an id and a type")
    if not isinstance(created, int) or not isinstance(data, dict):
        raise Rejected.at(["data"], "a Stripe event needs created and data.object")
    if not 0 <= created <= LAST_SECOND:
        raise Rejected.at(["created"], "must be a Unix time in seconds from 1970 to 9999")
    obj, previous = data.get("object"), data.get("previous_attributes") or {}
    if not isinstance(obj, dict) or not isinstance(previous, dict):
        raise Rejected.at(["data", "object"], "data.object must be an object")
    named = metadata_account(obj, account_key)
    ids = stripe_ids(obj)
    account = named or next((a for i in ids if (a := account_of(i))), None)
    links = [(i, account) for i in ids] if account else []
    if kind in LEARN_ONLY:
        return Translated(links=links if named else [], ignored=kind)
    if kind not in HANDLED:
        return Translated(ignored=kind)
    types = payment_events(kind, obj, previous)
    if not types:
        return Translated(links=links, ignored=f"{kind} (no change health depends on)")
    if account is None:
        raise Rejected.at(
            ["data", "object", "customer"],
            f"no account: set metadata.{account_key} on the customer or subscription, or map "
            f"{' or '.join(ids) or 'the customer'} with `healthmon mappings set stripe`",
            "no_account",
        )
    events = []
    for n, (type_, props) in enumerate(types):
        try:
            events.append(
                EVENT_ADAPTER.validate_python(
                    {
                        "event_id": event_id if n == 0 else f"{event_id}:{type_}",
                        "account_id": account,
                        "kind": "payment",
                        "type": type_,
                        "occurred_at": datetime.fromtimestamp(created, UTC),
                        "received_at": received_at,
                        "source": SOURCE,
                        "properties": {
                            **{k: v for k, v in props.items() if v is not None},
                            "stripe_event_type": kind,
                        },
                    }
                )
            )
        except ValidationError as exc:
            raise Rejected("invalid", field_errors(exc.errors())) from exc
    return Translated(events=events, links=links)
