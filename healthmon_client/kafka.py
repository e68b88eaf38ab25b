"""`EventProducer`: validated events straight to the input topics, on kafka-python."""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

from kafka import KafkaProducer

from healthmon_client.errors import SendFailed
from healthmon_client.validate import account_update, topic_event
from schemas import AccountTraits
from schemas.codec import encode
from schemas.events import EventIn
from schemas.topics import ACCOUNT_UPDATES, EVENT_TOPIC_BY_KIND


class EventProducer:
    """Sends events to `<prefix><kind>-events`, keyed by account_id, batched by the producer.

    `send` validates at once (InvalidEvent, nothing sent) and queues the record; `flush` waits
    for every queued record and raises SendFailed listing the ones the broker refused. Records
    are acknowledged by all in-sync replicas (acks=all).
    """

    def __init__(
        self, bootstrap_servers: str | list[str], topic_prefix: str = "", source: str = "sdk",
        **producer_config: Any,
    ) -> None:  # fmt: skip
        config = {"acks": "all", "linger_ms": 20, "retries": 5} | producer_config
        self.producer = KafkaProducer(bootstrap_servers=bootstrap_servers, **config)
        self.prefix, self.source = topic_prefix, source
        self.pending: list[tuple[str, Any]] = []

    def send(self, event: dict[str, Any] | EventIn) -> str:
        """Queue one event; return its event_id."""
        full = topic_event(event, self.source)
        topic = self.prefix + EVENT_TOPIC_BY_KIND[full.kind].name
        self._queue(full.event_id, topic, full.account_id, encode(full))
        return full.event_id

    def send_account(self, traits: dict[str, Any] | AccountTraits) -> None:
        """Queue an account update (segment, CSM owner, seats, MRR, stage...)."""
        update = account_update(traits, self.source)
        topic = self.prefix + ACCOUNT_UPDATES.name
        self._queue(update.account_id, topic, update.account_id, encode(update))

    def flush(self, timeout_s: float | None = 30) -> None:
        """Wait for every queued record; SendFailed lists those not acknowledged."""
        self.producer.flush(timeout=timeout_s)
        pending, self.pending = self.pending, []
        failures: list[tuple[str, BaseException | str]] = []
        for ident, future in pending:
            try:
                future.get(timeout=0)
            except Exception as exc:
                failures.append((ident, exc))
        if failures:
            raise SendFailed(failures)

    def close(self) -> None:
        """Flush, then close the connection."""
        try:
            self.flush()
        finally:
            self.producer.close()

    def __enter__(self) -> EventProducer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _queue(self, ident: str, topic: str, account_id: str, value: bytes) -> None:
        future: Future[Any] = self.producer.send(topic, value=value, key=account_id.encode())
        self.pending.append((ident, future))
