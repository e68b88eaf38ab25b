"""Ingest looks account mappings up, and learns them, off the event loop (SQLite, and PostgreSQL
when configured): Stripe and Zendesk webhooks, Segment batches and single calls."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from segment.analytics import Client
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from services.ingest.account_mappings import list_mappings
from services.ingest.app import create_app
from services.settings import Settings
from tests.support.event_loop import sql_on_the_event_loop
from tests.support.sinks import MemorySink
from tests.support.sources import (
    ZENDESK_TEST_SECRET,
    stripe_events,
    stripe_request,
    zendesk_event,
    zendesk_request,
)

KEY = "key-1"
BEARER = {"Authorization": f"Bearer {KEY}"}
SEGMENT = Client(KEY, send=False)


def message(method: str, *args: Any) -> dict[str, Any]:
    return dict(getattr(SEGMENT, method)(*args)[1])


def test_mappings_are_looked_up_and_learned_off_the_event_loop(
    engine: Engine, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    settings = Settings(
        database_url=engine.url.render_as_string(hide_password=False), data_dir=tmp_path,
        api_keys=[KEY], stripe_webhook_secrets=["whsec_1"],
        zendesk_webhook_secrets=[ZENDESK_TEST_SECRET],
    )  # type: ignore[arg-type]  # fmt: skip
    with (
        sql_on_the_event_loop() as on_the_loop,
        TestClient(create_app(settings, sink=MemorySink())) as client,
    ):
        # learns cus_Test123 -> acme from the subscription's metadata
        event = stripe_events()["evt_1Test0001"]
        event["data"]["object"]["metadata"] = {"account_id": "acme"}
        body, headers = stripe_request(event, "whsec_1")
        stripe = client.post("/v1/webhooks/stripe", content=body, headers=headers).json()
        assert stripe["status"] == "accepted", stripe
        # a paid invoice of that customer is attributed through the mapping
        body, headers = stripe_request(stripe_events()["evt_1Test0003"], "whsec_1")
        paid = client.post("/v1/webhooks/stripe", content=body, headers=headers).json()
        assert paid["account_id"] == "acme", paid
        # an unmapped Zendesk organization is looked up (and dead-lettered)
        body, headers = zendesk_request(zendesk_event("created", organization_id="361"))
        answer = client.post("/v1/webhooks/zendesk", content=body, headers=headers).json()
        assert answer["status"] == "rejected"
        batch = [message("group", "u1", "globex", {}), message("track", "u1", "Exported")]
        results = client.post("/v1/batch", json={"batch": batch}, headers=BEARER).json()
        assert [r["status"] for r in results["results"]] == ["accepted", "accepted"]
        single = client.post("/v1/track", json=message("track", "u2", "Exported"), headers=BEARER)
        assert single.json()["results"][0]["status"] == "rejected"  # nobody knows u2's account
    assert on_the_loop == []
    with sessions() as session:
        learned = {(r.source, r.external_id, r.account_id) for r in list_mappings(session)}
    assert learned == {("stripe", "cus_Test123", "acme"), ("segment", "u1", "globex")}
