"""A killed `healthmon alerts` process, started again, takes its partitions back on each local
broker within the session timeout (static group membership)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from kafka import KafkaProducer

from schemas.codec import encode
from services.kafka.topics import ensure_topics, topic_names
from services.local.broker import Broker
from services.local.ports import free_port
from services.settings import Settings
from tests.support.changes import risk_change
from tests.support.waiting import eventually

API_KEY = "membership-key"
SESSION_TIMEOUT_S = 10.0
"""The consumer's session timeout with a 3 s rebalance timeout: max(10, 3) seconds."""


def start_alerts(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """`healthmon alerts` with `env`, logging to `log`."""
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "services.cli", "alerts"],
            env=os.environ | env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )  # fmt: skip


def stored(client: httpx.Client, account: str) -> bool:
    """Whether the alerts service raised an alert for `account` (it consumed its change)."""
    response = client.get("/v1/alerts", params={"account_id": account})
    return response.status_code == 200 and bool(response.json()["items"])


def ready(client: httpx.Client) -> bool:
    """Whether the process answers /readyz (database reachable, consumer connected)."""
    try:
        return client.get("/readyz").status_code == 200
    except httpx.HTTPError:
        return False


def test_a_killed_alerts_process_started_again_consumes_within_the_session_timeout(
    broker: Broker, topic_prefix: str, tmp_path: Path
) -> None:
    settings = Settings(kafka_bootstrap_servers=broker.bootstrap, topic_prefix=topic_prefix)
    ensure_topics(settings)
    port = free_port()
    env = {
        "HEALTHMON_KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap,
        "HEALTHMON_TOPIC_PREFIX": topic_prefix,
        "HEALTHMON_KAFKA_REBALANCE_TIMEOUT_S": "3",
        "HEALTHMON_DATA_DIR": str(tmp_path),
        "HEALTHMON_API_KEYS": API_KEY,
        "HEALTHMON_ALERTS_PORT": str(port),
    }
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap, acks="all")

    def send(account: str) -> None:
        change = risk_change("green", "red", account=account)
        producer.send(
            topic_names(settings).health_changes, key=account.encode(), value=encode(change)
        )
        producer.flush()

    log = tmp_path / "alerts.log"
    headers = {"Authorization": f"Bearer {API_KEY}"}
    process = start_alerts(env, log)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=5) as api:
            eventually(lambda: ready(api), 90, "the first alerts process")
            send("before-kill")
            eventually(lambda: stored(api, "before-kill"), 60, "the first process to consume")

            process.send_signal(signal.SIGKILL)
            process.wait()
            process = start_alerts(env, log)
            eventually(lambda: ready(api), 90, "the restarted alerts process")
            began = time.monotonic()
            send("after-restart")
            try:
                eventually(lambda: stored(api, "after-restart"), SESSION_TIMEOUT_S, "a rejoin")
            except AssertionError as exc:
                raise AssertionError(f"{exc}\n{log.read_text(errors='replace')[-3000:]}") from exc
            print(f"{broker.engine}: consumed {time.monotonic() - began:.1f}s after restart")
    finally:
        producer.close()
        process.terminate()
        process.wait(30)
