"""Where accepted records go: a Kafka producer waiting for acks=all before ingest answers 2xx."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import NamedTuple, Protocol

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from services.ingest.metrics import PRODUCE_SECONDS
from services.settings import Settings


class Record(NamedTuple):
    """One message to produce."""

    topic: str
    key: bytes
    value: bytes


class ProduceError(RuntimeError):
    """Kafka did not acknowledge every record."""


class RecordSink(Protocol):
    """Something that durably accepts records."""

    async def send_all(self, records: Sequence[Record]) -> None:
        """Return once every record is acknowledged; raise ProduceError otherwise."""

    async def problem(self) -> str | None:
        """None when the sink can accept records, else what is wrong."""


class KafkaSink:
    """An aiokafka producer with acks=all."""

    def __init__(self, settings: Settings) -> None:
        self._producer = AIOKafkaProducer(
            bootstrap_servers=settings.bootstrap_list,
            client_id="healthmon-ingest",
            acks="all",
            linger_ms=2,
            max_batch_size=256 * 1024,
            request_timeout_ms=15_000,
        )

    async def start(self) -> None:
        """Connect to the cluster."""
        await self._producer.start()

    async def stop(self) -> None:
        """Flush and disconnect."""
        await self._producer.stop()

    async def send_all(self, records: Sequence[Record]) -> None:
        """Send every record and wait for all acknowledgements."""
        started = time.perf_counter()
        try:
            futures = [await self._producer.send(r.topic, r.value, key=r.key) for r in records]
            await asyncio.gather(*futures)
        except KafkaError as exc:
            raise ProduceError(f"Kafka did not accept the records: {exc}") from exc
        finally:
            PRODUCE_SECONDS.observe(time.perf_counter() - started)

    async def problem(self) -> str | None:
        """Whether the cluster answers a metadata request."""
        try:
            await asyncio.wait_for(self._producer.client.fetch_all_metadata(), timeout=5)
        except (KafkaError, TimeoutError, OSError) as exc:
            return f"Kafka not reachable: {exc!r}"
        return None
