"""SQL tables the workspace adds: its list of accounts, alert assignees, one-time sign-in links."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, Mapper, mapped_column

from services.alerts.tables import AlertRow, HealthChangeRow
from services.db.sql import Base


class AccountListRow(Base):
    """The workspace's list of accounts: traits (from account-updates) and the latest health
    (from health-snapshots) in one narrow row, indexed for ranking by risk."""

    __tablename__ = "account_list"
    __table_args__ = (
        Index("ix_account_list_risk", "risk", "score", "account_id"),
        Index("ix_account_list_segment_risk", "segment", "risk", "score"),
        Index("ix_account_list_owner_risk", "csm_owner", "risk", "score"),
    )

    account_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    segment: Mapped[str | None] = mapped_column(String(100))
    csm_owner: Mapped[str | None] = mapped_column(String(254))
    seats: Mapped[int | None]
    mrr: Mapped[float | None]
    lifecycle_stage: Mapped[str | None] = mapped_column(String(20))
    traits_at: Mapped[datetime | None]
    band: Mapped[str] = mapped_column(String(16), default="unknown")
    risk: Mapped[int] = mapped_column(default=3, comment="0 red, 1 yellow, 2 green, 3 unknown")
    score: Mapped[float | None]
    stale: Mapped[bool] = mapped_column(default=False, index=True)
    health_at: Mapped[datetime | None]
    search: Mapped[str] = mapped_column(
        String(402), default="", comment="The id and name in lower case: what a search matches."
    )


def search_text(account_id: str, name: str | None) -> str:
    """What a search of the account list matches: the id and the name in lower case, apart
    (kept folded so a search scans one plain column instead of lowering two on every row)."""
    return f"{account_id.lower()}\n{(name or '').lower()}"


@event.listens_for(AccountListRow, "before_insert")
@event.listens_for(AccountListRow, "before_update")
def _keep_search(
    _mapper: Mapper[AccountListRow], _connection: Connection, row: AccountListRow
) -> None:
    """Every write of an account keeps its search text current (a name changes with its traits)."""
    row.search = search_text(row.account_id, row.name)


class AlertAssigneeRow(Base):
    """Who works an alert, when someone other than the account's CSM owner was assigned."""

    __tablename__ = "alert_assignees"

    alert_id: Mapped[str] = mapped_column(ForeignKey("alerts.id"), primary_key=True)
    assignee: Mapped[str] = mapped_column(String(254), index=True)
    assigned_by: Mapped[str] = mapped_column(String(200))
    assigned_at: Mapped[datetime]


class SignInLinkRow(Base):
    """A one-time sign-in link (only a hash of its token is kept)."""

    __tablename__ = "sign_in_links"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    key_id: Mapped[str] = mapped_column(String(40))
    who: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


HEALTH_CHANGES_BY_TIME = Index(
    "ix_health_changes_account_time", HealthChangeRow.account_id, HealthChangeRow.occurred_at
)
"""The workspace reads an account's changes by event time (sparklines, the 90-day chart)."""
ALERTS_BY_STATUS = Index("ix_alerts_status_account", AlertRow.status, AlertRow.account_id)
"""The accounts list's "open alert" filter reads which accounts have an active alert."""
ALERTS_INBOX = Index("ix_alerts_inbox", AlertRow.urgency, AlertRow.updated_at, AlertRow.id)
"""The inbox reads alerts in its order (most urgent, then latest activity first) by scanning this
index backwards, a page at a time; its status filters are ranges of `urgency`."""
ALERTS_INBOX_BY_OWNER = Index(
    "ix_alerts_owner_inbox", AlertRow.csm_owner, AlertRow.urgency, AlertRow.updated_at, AlertRow.id
)
"""A CSM's own inbox ("Mine", or any owner filter) in the same order."""
