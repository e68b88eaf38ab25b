"""Consumes health-changes and health-snapshots into the database, committing offsets after."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from aiokafka import AIOKafkaProducer
from pydantic import ValidationError
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

from schemas import DeadLetter, HealthSnapshot, RiskChange
from schemas.codec import encode, loads
from schemas.errors import describe, field_errors
from services.alerts import metrics
from services.alerts.channels.base import Delivering
from services.alerts.config import alert_policy, delivering_of
from services.alerts.lifecycle import Policy
from services.alerts.store.alerts import utcnow
from services.alerts.store.episodes import record_change
from services.alerts.store.health import record_snapshot
from services.kafka.consumer_lag import ConsumerLag
from services.kafka.members import IDLE_WAKE_MS, group_member
from services.kafka.messages import RawMessage, dead_letter
from services.kafka.reconnect import Reconnecting
from services.kafka.topics import topic_names
from services.settings import Settings

log = logging.getLogger(__name__)
SERVICE = "alerts"
GROUP = "healthmon-alerts"
UNAVAILABLE = (OperationalError, InterfaceError, DisconnectionError, PoolTimeout)
"""Failures of the database itself, not of a record: the batch is tried again later."""
Store = Callable[[Session, list[RawMessage]], tuple[int, list[DeadLetter]]]


def store_records(
    session: Session,
    records: list[RawMessage],
    changes_topic: str,
    now: datetime,
    policy: Policy = Policy(),
    delivering: Delivering = Delivering(),
) -> tuple[int, list[DeadLetter]]:
    """Store a batch in one transaction; return the notifications written and the dead letters."""
    notified, dead = 0, []
    for msg in records:
        try:
            data = loads(msg.value or b"")
        except ValueError as exc:
            dead.append(dead_letter(msg, f"not JSON: {exc}", "decode", SERVICE, now))
            continue
        try:
            if msg.topic == changes_topic:
                change = RiskChange.model_validate(data)
                recorded = record_change(session, change, now, policy, delivering)
                metrics.CHANGES.labels("stored").inc()
                if recorded is not None:
                    alert, decision = recorded
                    notified += decision.notify
                    if decision.notify:
                        waited = (now - change.emitted_at).total_seconds()
                        metrics.CHANGE_TO_ALERT.observe(waited)
                    if decision.action == "open":
                        metrics.ALERTS.labels(alert.severity).inc()
            else:
                record_snapshot(session, HealthSnapshot.model_validate(data))
        except ValidationError as exc:
            error = describe(field_errors(exc.errors(), data))
            dead.append(dead_letter(msg, error, "validate", SERVICE, now))
        session.flush()
    return notified, dead


def store_isolating(
    sessions: sessionmaker[Session], records: list[RawMessage], store: Store, now: datetime
) -> tuple[int, list[DeadLetter]]:
    """Store `records` in one transaction; if a record makes that fail, store them one per
    transaction instead, and make each record that fails alone a dead letter (stage process).
    A database that is unavailable fails the whole call: nothing is dead-lettered for it."""
    try:
        with sessions.begin() as session:
            return store(session, records)
    except UNAVAILABLE:
        raise
    except Exception:
        log.exception("storing a batch of %d records failed; storing them one by one", len(records))
    notified, dead = 0, []
    for msg in records:
        try:
            with sessions.begin() as session:
                one_notified, one_dead = store(session, [msg])
        except UNAVAILABLE:
            raise
        except Exception as exc:
            metrics.POISON.inc()
            error = f"storing it failed: {type(exc).__name__}: {exc}"
            one_notified, one_dead = 0, [dead_letter(msg, error, "process", SERVICE, now)]
        notified += one_notified
        dead += one_dead
    return notified, dead


class ChangeConsumer(Reconnecting):
    """At-least-once consumer: stores a batch, sends its dead letters, then commits offsets."""

    what = "change consumer"

    def __init__(
        self, settings: Settings, sessions: sessionmaker[Session], on_alerts: Callable[[], None]
    ) -> None:
        self.settings, self.sessions, self.on_alerts = settings, sessions, on_alerts
        self.lag = ConsumerLag(settings.topic_prefix + GROUP)
        self.topics = topic_names(settings)
        self.connected = False

    def _disconnected(self) -> None:
        self.connected = False

    async def _consume(self) -> None:
        s = self.settings
        consumer = group_member(
            s,
            GROUP,
            self.topics.health_changes,
            self.topics.health_snapshots,
            group_instance_id=s.alerts_group_instance_id,
        )
        producer = AIOKafkaProducer(bootstrap_servers=s.bootstrap_list, acks="all")
        await consumer.start()
        await producer.start()
        self.connected = True
        try:
            while True:
                batches = await consumer.getmany(timeout_ms=IDLE_WAKE_MS, max_records=500)
                records = [RawMessage.of(r) for part in batches.values() for r in part]
                await self.lag.update(consumer)
                if not records:
                    continue
                notified, dead = await asyncio.to_thread(self._store, records)
                for letter in dead:
                    key = None if letter.key is None else letter.key.encode()
                    await producer.send_and_wait(self.topics.dead_letters, encode(letter), key=key)
                await consumer.commit()
                if notified:
                    self.on_alerts()
        finally:
            self.connected = False
            await consumer.stop()
            await producer.stop()

    def _store(self, records: list[RawMessage]) -> tuple[int, list[DeadLetter]]:
        now = utcnow()
        policy, delivering = alert_policy(self.settings), delivering_of(self.settings)

        def store(session: Session, batch: list[RawMessage]) -> tuple[int, list[DeadLetter]]:
            changes = self.topics.health_changes
            return store_records(session, batch, changes, now, policy, delivering)

        return store_isolating(self.sessions, records, store, now)
