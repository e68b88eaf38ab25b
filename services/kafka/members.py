"""The services' long-running consumer-group members, configured alike."""

from __future__ import annotations

from typing import Any

from aiokafka import AIOKafkaConsumer

from services.kafka import patient_fetch
from services.settings import Settings

IDLE_WAKE_MS = 1000
"""How often an idle member wakes: its background fetcher's timeout (aiokafka's
`consumer_timeout_ms`, 200 ms by default) and how long a fetch waits for records
(`fetch_max_wait_ms`, 500 ms by default). With the defaults these were most of an idle service's
wake-ups (bench/idle.py). Records end a fetch at once on a broker that holds it (Kafka, Tansu);
on one that answers at once (noida) the first record after a quiet spell waits up to this long
(services/kafka/patient_fetch.py)."""


def group_member(settings: Settings, group: str, *topics: str, **options: Any) -> AIOKafkaConsumer:
    """A consumer in `group` (under the topic prefix) that commits its own offsets, starts at the
    earliest record when the group has none, and does not spin on a broker that answers empty
    fetches at once; `options` add to or override aiokafka's settings."""
    patient_fetch.install()
    rebalance_ms = int(settings.kafka_rebalance_timeout_s * 1000)
    defaults: dict[str, Any] = {
        "bootstrap_servers": settings.bootstrap_list,
        "group_id": settings.topic_prefix + group,
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "rebalance_timeout_ms": rebalance_ms,
        "session_timeout_ms": max(10_000, rebalance_ms),
        "heartbeat_interval_ms": 1000,
        "consumer_timeout_ms": IDLE_WAKE_MS,
        "fetch_max_wait_ms": IDLE_WAKE_MS,
    }
    return AIOKafkaConsumer(*topics, **(defaults | options))
