"""Which healthmon account an outside system's id belongs to: a Stripe customer, a Zendesk
organization, a Segment user. Set by operators (API, CLI) or learned from the sources themselves
(Stripe customer metadata, Segment group calls)."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Literal, get_args

from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from services.sql import Base, Database

MappingSource = Literal["stripe", "zendesk", "segment"]
MAPPING_SOURCES: tuple[str, ...] = get_args(MappingSource)
CACHE_S = 5.0
"""How long a looked-up mapping is trusted without asking the database."""


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


class MappingStore:
    """Looks mappings up with a short cache and records learned ones."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._cache: dict[tuple[str, str], tuple[float, str | None]] = {}

    def account_of(self, source: str, external_id: str) -> str | None:
        """The account `external_id` of `source` belongs to, if known."""
        hit = self._cache.get((source, external_id))
        if hit is not None and time.monotonic() - hit[0] < CACHE_S:
            return hit[1]
        with self.database.sessions()() as session:
            row = session.get(AccountMappingRow, (source, external_id))
        found = None if row is None else row.account_id
        self._cache[(source, external_id)] = (time.monotonic(), found)
        return found

    def forget(self, source: str, external_id: str) -> None:
        """Drop a cached lookup (after this process changed the mapping)."""
        self._cache.pop((source, external_id), None)

    def learn(self, source: str, external_id: str, account_id: str, now: datetime) -> None:
        """Record what a source itself says; a mapping an operator set is kept."""
        if self.account_of(source, external_id) == account_id:
            return
        with self.database.sessions().begin() as session:
            row = session.get(AccountMappingRow, (source, external_id))
            if row is None or row.learned:
                row = set_mapping(session, source, external_id, account_id, now, learned=True)
            kept = row.account_id
        self._cache[(source, external_id)] = (time.monotonic(), kept)
