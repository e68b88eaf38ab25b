"""Where accepted records go: a Kafka producer waiting for acks=all before ingest answers 2xx.

Two producers are available (`HEALTHMON_INGEST_PRODUCER`): confluent-kafka, the default, and
aiokafka. bench/ingest.py measures both: producing costs aiokafka's pure-Python client about half of
ingest's CPU on the batch endpoint, librdkafka (C, its own threads) a small share of that.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from functools import partial
from typing import Any, NamedTuple, Protocol

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError, MessageSizeTooLargeError

from services.ingest.metrics import PRODUCE_SECONDS
from services.settings import Settings


class Record(NamedTuple):
    """One message to produce."""

    topic: str
    key: bytes
    value: bytes


class ProduceError(RuntimeError):
    """Kafka did not acknowledge every record.

    `failed` holds the positions of the records known not to be written (None: unknown, e.g.
    after a timeout); `too_large` says every failure was a record over Kafka's message size.
    """

    def __init__(
        self, message: str, failed: frozenset[int] | None = None, too_large: bool = False
    ) -> None:
        super().__init__(message)
        self.failed, self.too_large = failed, too_large


def _failure(errors: dict[int, Any], too_large: bool) -> ProduceError:
    """The error of a request whose records at `errors`' positions were refused."""
    first = next(iter(errors.values()))
    return ProduceError(
        f"Kafka did not accept {len(errors)} record(s): {first}", frozenset(errors), too_large
    )


class RecordSink(Protocol):
    """Something that durably accepts records."""

    async def send_all(self, records: Sequence[Record]) -> None:
        """Return once every record is acknowledged; raise ProduceError otherwise."""

    async def problem(self) -> str | None:
        """None when the sink can accept records, else what is wrong."""


class AiokafkaSink:
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
        """Send every record and wait for all acknowledgements; a record refused (e.g. too
        large) does not keep the others from being sent."""
        started = time.perf_counter()
        errors: dict[int, Any] = {}
        futures: dict[int, asyncio.Future[Any]] = {}
        try:
            for index, r in enumerate(records):
                try:
                    futures[index] = await self._producer.send(r.topic, r.value, key=r.key)
                except KafkaError as exc:
                    errors[index] = exc
            outcomes = await asyncio.gather(*futures.values(), return_exceptions=True)
        finally:
            PRODUCE_SECONDS.observe(time.perf_counter() - started)
        for index, outcome in zip(futures, outcomes, strict=True):
            if isinstance(outcome, KafkaError):
                errors[index] = outcome
            elif isinstance(outcome, BaseException):
                raise outcome
        if errors:
            too_large = all(isinstance(e, MessageSizeTooLargeError) for e in errors.values())
            raise _failure(errors, too_large)

    async def problem(self) -> str | None:
        """Whether the cluster answers a metadata request."""
        try:
            await asyncio.wait_for(self._producer.client.fetch_all_metadata(), timeout=5)
        except (KafkaError, TimeoutError, OSError) as exc:
            return f"Kafka not reachable: {exc!r}"
        return None


class ConfluentSink:
    """A confluent-kafka (librdkafka) producer with acks=all and Kafka's murmur2 partitioner.

    Delivery reports are served on the event loop by a task polling the producer (a polling
    thread measured slower: every report then fights the loop for the GIL); each request waits
    on one future resolved when the last of its records is acknowledged.
    """

    def __init__(self, settings: Settings) -> None:
        from confluent_kafka import Producer

        self._producer = Producer(
            {
                "bootstrap.servers": ",".join(settings.bootstrap_list),
                "client.id": "healthmon-ingest",
                "acks": "all",
                "linger.ms": 2,
                "partitioner": "murmur2_random",  # the Java client's, as the contract requires
                "message.timeout.ms": 15_000,
            }
        )
        self._waiting = 0
        self._wake = asyncio.Event()
        self._poller: asyncio.Task[None] | None = None

    async def _poll(self) -> None:
        while True:
            if not self._waiting:
                self._wake.clear()
                await self._wake.wait()
            self._producer.poll(0)
            await asyncio.sleep(0.0005)

    async def start(self) -> None:
        """Check the cluster answers, then serve delivery reports."""
        from confluent_kafka import KafkaException

        try:
            await asyncio.to_thread(self._producer.list_topics, timeout=15)
        except KafkaException as exc:
            raise ProduceError(f"Kafka not reachable: {exc}") from exc
        self._poller = asyncio.create_task(self._poll(), name="kafka-delivery-reports")

    async def stop(self) -> None:
        """Deliver what is queued, then stop."""
        if self._poller is not None:
            self._poller.cancel()
        await asyncio.to_thread(self._producer.flush, 15)

    async def send_all(self, records: Sequence[Record]) -> None:
        """Send every record and wait for all acknowledgements; a record refused (e.g. too
        large) does not keep the others from being sent."""
        from confluent_kafka import KafkaError, KafkaException

        started = time.perf_counter()
        acknowledged: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        remaining = len(records)
        errors: dict[int, Any] = {}

        def done(index: int, error: Any) -> None:
            nonlocal remaining
            if error is not None:
                errors[index] = error
            remaining -= 1
            if remaining == 0 and not acknowledged.done():
                acknowledged.set_result(None)

        def delivered(index: int, error: Any, _message: Any) -> None:
            done(index, error)

        self._waiting += 1
        self._wake.set()
        try:
            for index, record in enumerate(records):
                while True:
                    try:
                        self._producer.produce(
                            record.topic,
                            record.value,
                            record.key,
                            on_delivery=partial(delivered, index),
                        )
                        break
                    except BufferError:  # the local queue is full: let deliveries drain it
                        await asyncio.sleep(0.005)
                    except KafkaException as exc:  # refused at once, e.g. MSG_SIZE_TOO_LARGE
                        done(index, exc.args[0])
                        break
            await asyncio.wait_for(acknowledged, timeout=30)
        except TimeoutError as exc:
            raise ProduceError("Kafka did not acknowledge the records within 30 s") from exc
        finally:
            self._waiting -= 1
            PRODUCE_SECONDS.observe(time.perf_counter() - started)
        if errors:
            too_large = all(
                getattr(e, "code", lambda: None)() == KafkaError.MSG_SIZE_TOO_LARGE
                for e in errors.values()
            )
            raise _failure(errors, too_large)

    async def problem(self) -> str | None:
        """Whether the cluster answers a metadata request."""
        from confluent_kafka import KafkaException

        try:
            await asyncio.to_thread(self._producer.list_topics, timeout=5)
        except KafkaException as exc:
            return f"Kafka not reachable: {exc}"
        return None


def kafka_sink(settings: Settings) -> AiokafkaSink | ConfluentSink:
    """The producer the settings choose."""
    return (
        ConfluentSink(settings)
        if settings.ingest_producer == "confluent"
        else AiokafkaSink(settings)
    )
