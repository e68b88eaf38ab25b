"""The workspace's list of accounts, kept from two compacted topics: account-updates (name,
segment, owner, seats, MRR, stage) and health-snapshots (band, score, stale sources)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker

from schemas import AccountUpdate, HealthSnapshot
from schemas.codec import loads
from services.alerts.web.tables import AccountListRow
from services.kafka.members import group_member
from services.kafka.reconnect import Reconnecting
from services.kafka.topics import topic_names
from services.settings import Settings

log = logging.getLogger(__name__)
GROUP = "healthmon-alerts-workspace"
TRAITS = ("name", "segment", "csm_owner", "seats", "mrr", "lifecycle_stage")
IDLE_WAIT_MS = 3000
RISK = {"red": 0, "yellow": 1, "green": 2, "unknown": 3}


def _row(session: Session, account_id: str) -> AccountListRow:
    row = session.get(AccountListRow, account_id)
    if row is None:
        row = AccountListRow(account_id=account_id, band="unknown", risk=3, stale=False)
        session.add(row)
    return row


def merge_traits(session: Session, update: AccountUpdate) -> None:
    """Apply an update: the fields it sets replace the stored ones; an older update is ignored."""
    row = _row(session, update.account_id)
    if row.traits_at is not None and row.traits_at > update.updated_at:
        return
    for name in TRAITS:
        value = getattr(update, name)
        if value is not None:
            setattr(row, name, value)
    row.traits_at = update.updated_at


def merge_health(session: Session, snap: HealthSnapshot) -> None:
    """Keep the newest health of the account (and its segment and owner while no traits
    arrived)."""
    row = _row(session, snap.account_id)
    if row.health_at is not None and row.health_at > snap.updated_at:
        return
    row.band, row.risk, row.score = snap.band, RISK[snap.band], snap.score
    row.stale, row.health_at = bool(snap.stale), snap.updated_at
    if row.traits_at is None:
        row.segment, row.csm_owner = snap.segment, snap.csm_owner


def store_records(
    session: Session, records: Sequence[tuple[str, bytes | None]], snapshots_topic: str
) -> int:
    """Store a batch of (topic, value) records; return how many were unreadable (the scorer and
    the change consumer dead-letter those: they are only logged here)."""
    bad = 0
    for topic, value in records:
        try:
            data = loads(value or b"")
            if topic == snapshots_topic:
                merge_health(session, HealthSnapshot.model_validate(data))
            else:
                merge_traits(session, AccountUpdate.model_validate(data))
        except (ValueError, ValidationError) as exc:
            bad += 1
            log.warning("unreadable record on %s (dead-lettered upstream): %s", topic, exc)
        session.flush()
    return bad


class WorkspaceFeed(Reconnecting):
    """Reads account-updates and health-snapshots into account_list, committing offsets after."""

    what = "workspace feed"

    def __init__(self, settings: Settings, sessions: sessionmaker[Session]) -> None:
        self.settings, self.sessions = settings, sessions
        names = topic_names(settings)
        self.topics = (names.account_updates, names.health_snapshots)

    async def _consume(self) -> None:
        consumer = group_member(
            self.settings,
            GROUP,
            *self.topics,
            heartbeat_interval_ms=3000,
            # idle, a fetch waits this long for records (they end it at once when they come):
            # this consumer adds little to an idle system (tests/e2e/test_idle.py)
            fetch_max_wait_ms=IDLE_WAIT_MS,
        )
        await consumer.start()
        try:
            while True:
                batches = await consumer.getmany(timeout_ms=IDLE_WAIT_MS, max_records=1000)
                records = [(r.topic, r.value) for part in batches.values() for r in part]
                if records:
                    await asyncio.to_thread(self._store, records)
                    await consumer.commit()
        finally:
            await consumer.stop()

    def _store(self, records: list[tuple[str, bytes | None]]) -> None:
        with self.sessions.begin() as session:
            store_records(session, records, self.topics[1])
