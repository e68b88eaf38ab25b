"""The Python clients against the running system: straight to Kafka, and over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from healthmon_client import EventProducer, HealthmonClient, InvalidEvent, SendFailed
from services.db.sql import Database
from services.web.api_keys import create_key
from tests.e2e.conftest import API_KEY, System
from tests.support.waiting import eventually


def usage(account: str, days_ago: float, **extra: Any) -> dict[str, Any]:
    at = datetime.now(UTC) - timedelta(days=days_ago)
    return {"account_id": account, "kind": "usage", "type": "active", "occurred_at": at,
            "properties": {"user_id": "u1"}} | extra  # fmt: skip


def test_the_producer_validates_keys_by_account_and_its_events_are_scored(
    system: System,
) -> None:
    settings = system.settings
    with EventProducer(settings.bootstrap_list, topic_prefix=settings.topic_prefix) as producer:
        with pytest.raises(InvalidEvent, match=r"properties\.user_id"):
            producer.send(usage("initech", 1) | {"properties": {"user_id": 7}})
        producer.send_account({"account_id": "initech", "csm_owner": "ana@example.com"})
        ids = [producer.send(usage("initech", d)) for d in (3, 2, 1)]
        producer.flush()
    assert len(set(ids)) == 3
    seen = eventually(lambda: system.health("initech", 3), what="initech scored")
    assert seen["band"] == "green" and seen["csm_owner"] == "ana@example.com"


def test_the_http_client_sends_events_batches_and_traits(system: System) -> None:
    url = str(system.ingest.base_url)
    with HealthmonClient(url, API_KEY) as client:
        client.upsert_account({"account_id": "hooli", "segment": "enterprise"})
        first = client.send(usage("hooli", 2, event_id="hooli-1"))
        batch = client.send_batch([usage("hooli", 1), usage("hooli", 0.5)])
        with pytest.raises(InvalidEvent, match="kind"):
            client.send({"account_id": "hooli", "kind": "weather"})
    assert first == "hooli-1" and len(batch) == 2
    seen = eventually(lambda: system.health("hooli", 3), what="hooli scored")
    assert seen["segment"] == "enterprise"


def test_the_http_client_reports_what_the_api_refused(system: System) -> None:
    with Database(system.settings.sqlalchemy_url).sessions().begin() as session:
        _, usage_only = create_key(session, "product", ["events:usage"], datetime.now(UTC))
    ticket = {"account_id": "umbrella", "kind": "ticket", "type": "ticket_opened",
              "properties": {"ticket_id": "t1", "priority": "high"}}  # fmt: skip
    with HealthmonClient(str(system.ingest.base_url), usage_only) as client:
        with pytest.raises(SendFailed, match="event 1: invalid event: kind: this API key lacks"):
            client.send_batch([usage("umbrella", 1), ticket])
        # 1001 events go as two batches
        assert len(client.send_batch([usage("umbrella", 1)] * 1001)) == 1001
    with (
        HealthmonClient(str(system.ingest.base_url), "not-a-key", retries=0) as client,
        pytest.raises(httpx.HTTPStatusError, match="401"),
    ):
        client.send(usage("umbrella", 1))
