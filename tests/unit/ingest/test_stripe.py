"""Stripe events become payment events of the right account, with amounts in currency units."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from services.ingest.outcomes import Rejected, Translated
from services.ingest.stripe import mrr, translate
from tests.support.sources import stripe_events

NOW = datetime(2026, 1, 2, tzinfo=UTC)
EVENTS = stripe_events()


def run(event: dict[str, Any], known: dict[str, str] | None = None) -> Translated:
    mapping = {"cus_Test123": "acme"} if known is None else known
    return translate(event, account_key="account_id", account_of=mapping.get, received_at=NOW)


def types(out: Translated) -> list[tuple[str, dict[str, Any]]]:
    return [(e.type, e.properties.model_dump()) for e in out.events]


def test_a_failed_invoice_is_a_payment_failure_keyed_by_stripe_event_id() -> None:
    out = run(EVENTS["evt_1Test0004"])
    [event] = out.events
    assert (event.event_id, event.account_id, event.type) == (
        "evt_1Test0004",
        "acme",
        "payment_failed",
    )
    assert event.properties.model_dump()["amount"] == 147.0  # 14700 cents
    assert event.occurred_at == datetime.fromtimestamp(1767225604, UTC)
    assert event.source == "stripe"


def test_a_paid_invoice_a_new_subscription_and_its_end() -> None:
    assert types(run(EVENTS["evt_1Test0003"]))[0][0] == "invoice_paid"
    started = types(run(EVENTS["evt_1Test0001"]))
    assert started[0][0] == "subscription_started" and started[0][1]["mrr"] > 0
    assert types(run(EVENTS["evt_1Test0008"]))[0][0] == "subscription_ended"
    assert types(run(EVENTS["evt_1Test0002"]))[0][0] == "trial_ending"


def test_a_quantity_change_is_an_mrr_change() -> None:
    [(kind, props)] = types(run(EVENTS["evt_1Test0005"]))
    assert kind == "subscription_changed"
    assert (props["mrr_before"], props["mrr_after"]) == (147.0, 245.0)  # 3 -> 5 seats at $49


def test_a_scheduled_cancellation_and_its_withdrawal() -> None:
    scheduled = EVENTS["evt_1Test0006"]
    assert [t for t, _ in types(run(scheduled))] == ["subscription_canceled"]
    withdrawn = copy.deepcopy(scheduled)
    withdrawn["data"]["object"].update(cancel_at_period_end=False, cancel_at=None)
    withdrawn["data"]["previous_attributes"].update(cancel_at_period_end=True)
    [(kind, props)] = types(run(withdrawn))
    assert kind == "subscription_started" and props["reactivated"] is True


def test_an_update_health_does_not_depend_on_is_acknowledged_not_an_event() -> None:
    out = run(EVENTS["evt_1Test0007"])  # status active -> past_due: the invoice says why
    assert out.events == [] and out.ignored and "no change" in out.ignored


def test_disputes_find_their_account_through_the_refunded_charge() -> None:
    refund = run(EVENTS["evt_1Test0009"])
    assert types(refund)[0][0] == "refund_issued"
    learned = dict(refund.links)
    assert learned["ch_1Test"] == "acme"
    opened = run(EVENTS["evt_1Test0010"], learned)
    closed = run(EVENTS["evt_1Test0011"], learned)
    assert [opened.events[0].type, closed.events[0].type] == ["dispute_opened", "dispute_closed"]
    assert opened.events[0].properties.model_dump()["dispute_id"] == "du_1Test"


def test_metadata_names_the_account_and_teaches_the_customer_mapping() -> None:
    event = copy.deepcopy(EVENTS["evt_1Test0001"])
    event["data"]["object"]["metadata"] = {"account_id": "globex"}
    out = run(event, known={})
    assert out.events[0].account_id == "globex" and ("cus_Test123", "globex") in out.links


def test_an_event_of_an_unknown_customer_is_rejected_naming_how_to_map_it() -> None:
    with pytest.raises(Rejected) as caught:
        run(EVENTS["evt_1Test0004"], known={})
    assert caught.value.reason == "no_account"
    assert "cus_Test123" in caught.value.errors[0].msg


def test_unknown_types_are_acknowledged_and_malformed_events_rejected() -> None:
    other = {**EVENTS["evt_1Test0004"], "type": "balance.available"}
    assert run(other).ignored == "balance.available"
    with pytest.raises(Rejected, match="Stripe event"):
        run({"object": "list"})
    with pytest.raises(Rejected, match="created"):
        run({**EVENTS["evt_1Test0004"], "created": "yesterday"})
    for beyond in (-1, 10**12):
        with pytest.raises(Rejected, match="Unix time") as caught:
            run({**EVENTS["evt_1Test0004"], "created": beyond})
        assert caught.value.errors[0].loc == ["created"]


def test_mrr_is_monthly_for_yearly_and_zero_decimal_prices() -> None:
    def item(
        amount: int, interval: str, currency: str = "usd", quantity: int = 1
    ) -> dict[str, Any]:
        price = {
            "unit_amount": amount,
            "currency": currency,
            "recurring": {"interval": interval, "interval_count": 1},
        }
        return {"price": price, "quantity": quantity}

    assert mrr({"items": {"data": [item(120_000, "year")]}}) == 100.0
    assert mrr({"items": {"data": [item(5000, "month", "jpy", 2)]}}) == 10_000.0
    metered = item(100, "month")
    metered["price"]["recurring"]["usage_type"] = "metered"
    assert mrr({"items": {"data": [metered]}}) == 0.0
