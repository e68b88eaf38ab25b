"""An idle consumer does not spin against a broker that answers empty fetches at once."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.consumer.fetcher import Fetcher

from services.kafka import patient_fetch
from services.kafka.topics import ensure_topics, topic_names
from services.local.broker import Broker
from services.settings import Settings

IDLE_S = 2.0


@pytest.fixture
def fetches(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """The times of the fetch requests aiokafka sends (under the patient fetch)."""
    sent: list[float] = []
    original = patient_fetch._ORIGINAL

    async def counted(self: Any, *args: Any) -> bool:
        sent.append(time.monotonic())
        return await original(self, *args)  # type: ignore[no-any-return]

    monkeypatch.setattr(patient_fetch, "_ORIGINAL", counted)
    monkeypatch.setattr(Fetcher, "_proc_fetch_request", Fetcher._proc_fetch_request)
    patient_fetch.install()
    yield sent


async def test_an_idle_consumer_fetches_a_few_times_a_second_and_still_gets_the_next_event(
    broker: Broker, topic_prefix: str, fetches: list[float]
) -> None:
    settings = Settings(kafka_bootstrap_servers=broker.bootstrap, topic_prefix=topic_prefix)
    ensure_topics(settings)
    topic = topic_names(settings).usage_events
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=broker.bootstrap, group_id=topic_prefix + "idle",
        auto_offset_reset="earliest",
    )  # fmt: skip
    await consumer.start()
    try:
        await consumer.getmany(timeout_ms=3000)  # joined, positions known
        fetches.clear()
        idle_until = time.monotonic() + IDLE_S
        while time.monotonic() < idle_until:
            assert not await consumer.getmany(timeout_ms=200)
        # a long-polling broker answers after the consumer's 500 ms wait; one that answers at
        # once is paused for the rest of it: about two fetches a second either way (hundreds
        # without the pause)
        assert 0 < len(fetches) <= IDLE_S / 0.5 + 2
        producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap)
        await producer.start()
        await producer.send_and_wait(topic, b"{}", key=b"acct")
        await producer.stop()
        got: list[Any] = []
        deadline = time.monotonic() + 10
        while not got and time.monotonic() < deadline:
            got = [r for part in (await consumer.getmany(timeout_ms=500)).values() for r in part]
        assert [r.value for r in got] == [b"{}"]
    finally:
        await consumer.stop()
