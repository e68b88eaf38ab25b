"""Seeds a database with N accounts for bench/workspace.py: traits, a health snapshot, 2-5 risk
changes over 90 days each, an active alert for those at risk (most open, some acknowledged or
snoozed, raised over the last three weeks) and, for most accounts, an older resolved one.
PostgreSQL rows go in with COPY."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from services.alerts.tables import urgency
from services.alerts.web.tables import search_text

SEGMENTS = ("enterprise", "mid_market", "self_serve")
OWNERS = tuple(f"csm{n}@example.com" for n in range(1, 41))
RISK = {"red": 0, "yellow": 1, "green": 2, "unknown": 3}
BAND_OF = ((70.0, "green"), (40.0, "yellow"), (0.0, "red"))


def band_of(score: float) -> str:
    """The default model's band of a score."""
    return next(band for edge, band in BAND_OF if score >= edge)


def _components(score: float, stale: bool) -> list[dict[str, Any]]:
    weights = {"usage": 0.4, "support": 0.25, "billing": 0.25, "sentiment": 0.1}
    return [
        {"name": n, "score": round(score, 2), "weight": w, "contribution": round(score * w, 2),
         "stale": stale and n == "support"}
        for n, w in weights.items()
    ]  # fmt: skip


def rows(count: int, now: datetime, seed: int = 11) -> Iterator[tuple[str, list[Any]]]:
    """(table, row) pairs for `count` accounts, in an order that satisfies the foreign keys
    (an alert after the change it points at)."""
    rng = random.Random(seed)
    for n in range(count):
        account = f"acct-{n:06d}"
        segment, owner = rng.choice(SEGMENTS), rng.choice(OWNERS)
        stale = rng.random() < 0.03
        name = f"Company {n:06d}"
        traits = [
            account, name, segment, owner, rng.randint(5, 500),
            float(rng.randint(100, 50_000)), "active", now - timedelta(days=100),
        ]  # fmt: skip
        score, band, seq = None, "unknown", 0
        for days_ago in sorted(rng.sample(range(1, 90), rng.randint(2, 5)), reverse=True):
            seq += 1
            new = max(5.0, min(98.0, rng.gauss(72, 18)))
            at = now - timedelta(days=days_ago, hours=rng.randint(0, 23))
            change = {
                "change_id": f"{account}:{seq}", "account_id": account, "seq": seq,
                "occurred_at": at.isoformat(), "emitted_at": at.isoformat(),
                "model_version": "default-3", "previous": {"score": score, "band": band},
                "current": {"score": round(new, 2), "band": band_of(new)},
                "delta": None if score is None else round(new - score, 2), "trend_7d": None,
                "components": _components(new, stale),
                "reasons": [{"code": "usage.activity", "message": "Activity fell by half."}],
                "trigger_event_ids": [f"{account}-e{seq}"], "segment": segment, "csm_owner": owner,
                "schema_version": 1,
            }  # fmt: skip
            yield "health_changes", [
                change["change_id"], account, seq, at, at, band, band_of(new), round(new, 2),
                json.dumps(change),
            ]  # fmt: skip
            score, band = round(new, 2), band_of(new)
        snapshot = {
            "account_id": account, "score": score, "band": band,
            "components": _components(score or 0, stale), "stale": ["support"] if stale else [],
            "model_version": "default-3", "as_of": now.isoformat(), "updated_at": now.isoformat(),
            "last_change_seq": seq, "events_seen": rng.randint(50, 5000), "segment": segment,
            "csm_owner": owner, "schema_version": 1,
        }  # fmt: skip
        yield "account_health", [account, band, score, seq, json.dumps(snapshot), now]
        search = search_text(account, name)
        yield "account_list", [*traits, band, RISK[band], score, stale, now, search]
        if seq >= 2 and rng.random() < 0.6:  # an earlier episode, over
            raised = now - timedelta(days=rng.randint(30, 85), hours=rng.randint(0, 23))
            yield "alerts", _alert(f"alert_{n:06d}_1", account, 1, "resolved", "yellow", score,
                                   segment, owner, raised, raised + timedelta(days=3))  # fmt: skip
        if band != "green":
            raised = now - timedelta(days=rng.randint(1, 20), hours=rng.randint(0, 23))
            status = rng.choices(("open", "acknowledged", "snoozed"), (80, 12, 8))[0]
            touched = raised + timedelta(hours=rng.randint(0, 24)) if status != "open" else raised
            yield "alerts", _alert(f"alert_{n:06d}", account, seq, status, band, score, segment,
                                   owner, raised, touched)  # fmt: skip


def _alert(
    alert_id: str, account: str, seq: int, status: str, band: str, score: float | None,
    segment: str, owner: str, raised: datetime, touched: datetime,
) -> list[Any]:  # fmt: skip
    severity = "critical" if band == "red" else "warning"
    return [
        alert_id, f"{account}:{seq}", f"{account}:{seq}", account, severity, status, band, score,
        0 if band == "red" else 1, "[]", f"{account} is {band}", segment, owner, raised, touched,
        urgency(status, severity),
    ]  # fmt: skip


COLUMNS = {
    "account_list": "account_id, name, segment, csm_owner, seats, mrr, lifecycle_stage, "
    "traits_at, band, risk, score, stale, health_at, search",
    "health_changes": "change_id, account_id, seq, occurred_at, emitted_at, previous_band, "
    "current_band, current_score, payload",
    "account_health": "account_id, band, score, last_change_seq, snapshot, updated_at",
    "alerts": "id, change_id, latest_change_id, account_id, severity, status, band, score, "
    "worst_rank, critical_seen, title, segment, csm_owner, created_at, updated_at, urgency",
}


def seed(engine: Engine, count: int, now: datetime | None = None) -> None:
    """Write `count` accounts with COPY (PostgreSQL), one COPY per table."""
    now = now or datetime.now(UTC)
    by_table: dict[str, list[list[Any]]] = {name: [] for name in COLUMNS}
    for table, row in rows(count, now):
        by_table[table].append(row)
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        for table in ("health_changes", "account_health", "account_list", "alerts"):
            with cursor.copy(f"COPY {table} ({COLUMNS[table]}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for row in by_table[table]:
                    copy.write_row(row)
        connection.commit()
    finally:
        connection.close()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as settled:
        settled.exec_driver_sql("VACUUM ANALYZE")  # as autovacuum leaves a settled database
