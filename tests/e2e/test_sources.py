"""Real sources unchanged: Segment's Python library pointed at ingest, Stripe and Zendesk webhooks
signed as those providers sign them, all the way to scored account health."""

from __future__ import annotations

from typing import Any

from segment.analytics import Client

from tests.e2e.conftest import API_KEY, STRIPE_SECRET, System
from tests.support.sources import stripe_events, stripe_request, zendesk_event, zendesk_request
from tests.support.waiting import eventually


def component(health: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(c for c in health["components"] if c["name"] == name)
    return found


def map_account(system: System, source: str, external_id: str, account: str) -> None:
    response = system.ingest.put(
        f"/v1/account-mappings/{source}/{external_id}", json={"account_id": account}
    )
    assert response.status_code == 200, response.text


def test_the_segment_library_only_changes_its_host(system: System) -> None:
    errors: list[Any] = []
    segment = Client(
        API_KEY,
        host=str(system.ingest.base_url),
        gzip=True,
        on_error=lambda error, batch: errors.append(error),
        max_retries=1,
    )
    segment.group("ann", "initrode", {"name": "Initrode", "plan": "enterprise", "seats": 20,
                                     "csm_email": "csm@example.com"})  # fmt: skip
    segment.identify("ann", {"email": "ann@initrode.test"})
    for name in ("Report Exported", "Dashboard Viewed"):
        segment.track("ann", name, {"rows": 10})
    segment.page("ben", "App", "Home", context={"groupId": "initrode"})
    segment.flush()
    segment.shutdown()
    assert errors == []
    seen = eventually(lambda: system.health("initrode", 4), what="initrode scored")
    assert seen["events_seen"] == 4
    assert (seen["segment"], seen["csm_owner"]) == ("enterprise", "csm@example.com")


def test_stripe_events_sent_twice_count_once_and_reach_the_mapped_account(system: System) -> None:
    map_account(system, "stripe", "cus_Test123", "vandelay")
    events = list(stripe_events().values())
    for event in events + events:  # Stripe delivers at least once
        body, headers = stripe_request(event, STRIPE_SECRET)
        response = system.ingest.post("/v1/webhooks/stripe", content=body, headers=headers)
        assert response.status_code == 200, response.text
        assert response.json()["status"] in ("accepted", "ignored"), response.text
    # 11 Stripe events, of which one (a status change the invoice already tells) means nothing
    seen = eventually(lambda: system.health("vandelay", 10), what="vandelay scored")
    assert seen["events_seen"] == 10
    assert component(seen, "billing")["score"] is not None


def test_a_zendesk_ticket_reaches_the_organizations_account(system: System) -> None:
    map_account(system, "zendesk", "8447346622462", "soylent")
    for event in (
        zendesk_event("created", priority="HIGH"),
        zendesk_event("status_changed", event={"current": "SOLVED", "previous": "OPEN"}),
    ):
        body, headers = zendesk_request(event)
        response = system.ingest.post("/v1/webhooks/zendesk", content=body, headers=headers)
        assert response.status_code == 200 and response.json()["status"] == "accepted"
    seen = eventually(lambda: system.health("soylent", 2), what="soylent scored")
    assert component(seen, "support")["score"] is not None
