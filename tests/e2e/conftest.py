"""The whole system as separate processes on a real broker, one deployment per test module."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.kafka.topics import ensure_topics
from services.local.broker import Broker
from services.local.ports import free_port
from services.local.up import Child, spawn, wait_ready
from services.settings import Settings
from tests.support.sources import ZENDESK_TEST_SECRET

API_KEY = "e2e-key"
STRIPE_SECRET = "whsec_e2e"


@dataclass
class System:
    """A running deployment and clients for its APIs."""

    settings: Settings
    ingest: httpx.Client
    alerts: httpx.Client
    children: list[Child]

    def health(self, account: str, events_seen: int) -> dict[str, Any] | None:
        """The account's current health once it has applied `events_seen` events, else None."""
        response = self.alerts.get(f"/v1/accounts/{account}/health")
        if response.status_code != 200 or response.json()["events_seen"] < events_seen:
            return None
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture(scope="module")
def system(broker: Broker, tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    data_dir: Path = tmp_path_factory.mktemp(f"system-{broker.engine}")
    prefix = f"e2e-{data_dir.name}-"
    env = {
        "HEALTHMON_KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap,
        "HEALTHMON_KAFKA_REBALANCE_TIMEOUT_S": "3",
        "HEALTHMON_TOPIC_PREFIX": prefix,
        "HEALTHMON_DATA_DIR": str(data_dir),
        "HEALTHMON_API_KEYS": API_KEY,
        "HEALTHMON_STRIPE_WEBHOOK_SECRETS": STRIPE_SECRET,
        "HEALTHMON_ZENDESK_WEBHOOK_SECRETS": ZENDESK_TEST_SECRET,
        "HEALTHMON_WEBHOOK_RETRY_SCHEDULE": "0,0.2,0.5,1",
        "HEALTHMON_WEBHOOK_ALLOW_NETWORKS": "127.0.0.0/8",  # the test receivers are local
        # The fuzz test probes every operation with invalid keys from one address, which the
        # failed-authentication limit rightly answers 429 after 20 (tests/integration/test_auth.py).
        "HEALTHMON_AUTH_FAILURE_LIMIT": "0",
        "HEALTHMON_DELIVERY_POLL_S": "0.1",
        "HEALTHMON_LOG_LEVEL": "info",
        "HEALTHMON_INGEST_PORT": str(free_port()),
        "HEALTHMON_ALERTS_PORT": str(free_port()),
        "HEALTHMON_SCORER_PORT": str(free_port()),
    }
    settings = Settings(
        kafka_bootstrap_servers=broker.bootstrap, topic_prefix=prefix, data_dir=data_dir,
    )  # fmt: skip
    ensure_topics(settings)
    logs = data_dir / "logs"
    logs.mkdir()
    children = []
    try:
        for name, ready in (("ingest", "/readyz"), ("scorer", "/healthz"), ("alerts", "/readyz")):
            url = f"http://127.0.0.1:{env[f'HEALTHMON_{name.upper()}_PORT']}"
            children.append(spawn(name, env, logs, url, ready))
        wait_ready(children)
        headers = {"Authorization": f"Bearer {API_KEY}"}
        with (
            httpx.Client(base_url=children[0].url, headers=headers, timeout=10) as ingest,
            httpx.Client(base_url=children[2].url, headers=headers, timeout=10) as alerts,
        ):
            yield System(settings, ingest, alerts, children)
    finally:
        for child in children:
            child.stop()
