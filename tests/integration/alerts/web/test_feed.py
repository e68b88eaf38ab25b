"""The workspace's list of accounts from account-updates and health-snapshots: fields left out
keep their value, older records lose, unreadable records are counted (dead-lettered upstream)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from schemas import AccountUpdate, HealthSnapshot
from schemas.codec import encode
from services.alerts.web.feed import store_records
from services.alerts.web.tables import AccountListRow

T = datetime(2026, 11, 20, tzinfo=UTC)
SNAPSHOTS = "health-snapshots"


def update(at: datetime, **fields: object) -> tuple[str, bytes]:
    return "account-updates", encode(
        AccountUpdate(account_id="acme", updated_at=at, source="api", **fields)  # type: ignore[arg-type]
    )


def snapshot(at: datetime, band: str, score: float, stale: list[str]) -> tuple[str, bytes]:
    snap = HealthSnapshot(
        account_id="acme", score=score, band=band, components=[], stale=stale,  # type: ignore[arg-type]
        model_version="t", as_of=at, updated_at=at, last_change_seq=1, events_seen=1,
        segment="from-snapshot", csm_owner="snap@example.com",
    )  # fmt: skip
    return SNAPSHOTS, encode(snap)


def test_traits_and_health_merge_newest_last(sessions: sessionmaker[Session]) -> None:
    records = [
        snapshot(T, "yellow", 55.0, ["support"]),
        update(T, name="Acme", segment="smb", seats=10),
        update(T + timedelta(hours=1), csm_owner="kim@example.com", seats=12),
        update(T - timedelta(days=1), name="Old name"),
        snapshot(T + timedelta(hours=2), "red", 20.0, []),
        snapshot(T + timedelta(hours=1), "green", 90.0, []),
        ("account-updates", b"not json"),
        (SNAPSHOTS, b'{"account_id": "acme"}'),
    ]
    with sessions.begin() as session:
        assert store_records(session, records, SNAPSHOTS) == 2
    with sessions() as session:
        row = session.get(AccountListRow, "acme")
        assert row is not None
        assert (row.name, row.segment, row.csm_owner, row.seats) == (
            "Acme", "smb", "kim@example.com", 12,
        )  # fmt: skip
        assert (row.band, row.risk, row.score, row.stale) == ("red", 0, 20.0, False)
