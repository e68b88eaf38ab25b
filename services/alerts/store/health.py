"""Account health as the scorer last reported it: the newest snapshot and its history."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from schemas import HealthSnapshot
from services.alerts.tables import AccountHealthRow, HealthChangeRow


def record_snapshot(session: Session, snap: HealthSnapshot) -> None:
    """Keep the newest snapshot of the account."""
    row = session.get(AccountHealthRow, snap.account_id)
    if row is not None and row.updated_at > snap.updated_at:
        return
    values = {
        "band": snap.band,
        "score": snap.score,
        "last_change_seq": snap.last_change_seq,
        "snapshot": snap.model_dump(mode="json"),
        "updated_at": snap.updated_at,
    }
    if row is None:
        session.add(AccountHealthRow(account_id=snap.account_id, **values))
    else:
        for name, value in values.items():
            setattr(row, name, value)


def health_history(
    session: Session, account_id: str, limit: int, before_seq: int | None = None
) -> list[HealthChangeRow]:
    """The account's changes, newest first: its timeline of scores, bands and reasons."""
    query = select(HealthChangeRow).where(HealthChangeRow.account_id == account_id)
    if before_seq is not None:
        query = query.where(HealthChangeRow.seq < before_seq)
    return list(session.scalars(query.order_by(HealthChangeRow.seq.desc()).limit(limit)))
