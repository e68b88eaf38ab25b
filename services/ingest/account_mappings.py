"""Which healthmon account an outside system's id belongs to: a Stripe customer, a Zendesk
organization, a Segment user. Set by operators (API, CLI) or learned from the sources themselves
(Stripe customer metadata, Segment group calls)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, get_args

from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from services.db.expiring import CachedStore, Expiring
from services.db.sql import Base

MappingSource = Literal["stripe", "zendesk", "segment"]
MAPPING_SOURCES: tuple[str, ...] = get_args(MappingSource)
CACHE_S = 5.0
"""How long a looked-up mapping is trusted: the most a change by another process waits."""
CACHE_ENTRIES = 10_000
"""Most outside ids, known or not, whose answers are kept."""


class AccountMappingRow(Base):
    """One outside id and the account it belongs to."""

    __tablename__ = "account_mappings"

    source: Mapped[str] = mapped_column(String(20), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(200))
    learned: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime]


def set_mapping(
    session: Session,
    source: str,
    external_id: str,
    account_id: str,
    now: datetime,
    *,
    learned: bool = False,
) -> AccountMappingRow:
    """Create or change a mapping."""
    row = session.get(AccountMappingRow, (source, external_id))
    if row is None:
        row = AccountMappingRow(source=source, external_id=external_id)
        session.add(row)
    row.account_id, row.learned, row.updated_at = account_id, learned, now
    return row


def delete_mapping(session: Session, source: str, external_id: str) -> bool:
    """Remove a mapping; False if there was none."""
    row = session.get(AccountMappingRow, (source, external_id))
    if row is None:
        return False
    session.delete(row)
    return True


def list_mappings(session: Session, source: str | None = None) -> list[AccountMappingRow]:
    """Mappings, by source and outside id."""
    query = select(AccountMappingRow).order_by(
        AccountMappingRow.source, AccountMappingRow.external_id
    )
    if source is not None:
        query = query.where(AccountMappingRow.source == source)
    return list(session.scalars(query))


class MappingStore(CachedStore):
    """Looks mappings up with a short, bounded cache and records learned ones (blocking I/O)."""

    TTL_S, MAX_ENTRIES = CACHE_S, CACHE_ENTRIES

    def clear(self) -> None:
        """Forget every cached lookup."""
        self._cache: Expiring[tuple[str, str], str | None] = self.cache()

    def account_of(self, source: str, external_id: str) -> str | None:
        """The account `external_id` of `source` belongs to, if known."""
        with self._lock:
            hit = self._cache.get((source, external_id))
        if hit is not None:
            return hit[0]
        with self.database.sessions()() as session:
            row = session.get(AccountMappingRow, (source, external_id))
        found = None if row is None else row.account_id
        self._remember(source, external_id, found)
        return found

    def forget(self, source: str, external_id: str) -> None:
        """Drop a cached lookup (after this process changed the mapping)."""
        with self._lock:
            self._cache.drop((source, external_id))

    def learn(self, source: str, external_id: str, account_id: str, now: datetime) -> None:
        """Record what a source itself says; a mapping an operator set is kept."""
        if self.account_of(source, external_id) == account_id:
            return
        with self.database.sessions().begin() as session:
            row = session.get(AccountMappingRow, (source, external_id))
            if row is None or row.learned:
                row = set_mapping(session, source, external_id, account_id, now, learned=True)
            kept = row.account_id
        self._remember(source, external_id, kept)

    def cache_size(self) -> int:
        """How many answers are cached."""
        with self._lock:
            return len(self._cache)

    def _remember(self, source: str, external_id: str, account_id: str | None) -> None:
        with self._lock:
            self._cache.put((source, external_id), account_id)
