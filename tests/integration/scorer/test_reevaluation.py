"""The worker's timer: silent accounts decline and alert; quiet sources are marked stale."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from schemas import Event
from services.local.broker import Broker
from tests.support.events import days, event
from tests.support.model import DEFAULT_TOML
from tests.support.scorer_process import scorer_cluster
from tests.support.waiting import eventually


def busy_fortnight(ended_days_ago: float) -> list[Event]:
    """Daily activity of three users for two weeks, and a ticket opened and closed, in time
    order (the first days would be late behind the last ones)."""
    end = datetime.now(UTC) - days(ended_days_ago)
    use = [
        event("usage", "active", user_id=f"u{u}", at=end - days(d) - timedelta(hours=u))
        for d in range(14)
        for u in range(3)
    ]
    ticket = [
        event("ticket", "ticket_opened", ticket_id="t1", priority="low", at=end - days(3)),
        event("ticket", "ticket_closed", ticket_id="t1", at=end - days(2)),
    ]
    return sorted(use + ticket, key=lambda e: e.occurred_at)


def test_an_account_that_goes_silent_declines_and_the_change_says_why(
    broker: Broker, tmp_path: Path
) -> None:
    events = busy_fortnight(ended_days_ago=18)
    with scorer_cluster(broker, f"s1-{tmp_path.name}-", tmp_path) as cluster:
        cluster.start_worker(evaluate_interval_s=1)
        cluster.produce(events)
        cluster.wait_for(Counter(e.account_id for e in events))

        def silence() -> list[dict[str, Any]]:
            recent = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
            return [
                c for c in cluster.changes()
                if c["occurred_at"] > recent[:19] and c["current"]["band"] != "green"
            ]  # fmt: skip

        # the timer may also have fired while the history was still arriving: take the last
        change = eventually(silence, 60, "a decline at the current time")[-1]
        codes = [r["code"] for r in change["reasons"]]
        assert "usage.stopped" in codes and "usage.activity" in codes, codes
        assert cluster.snapshots()["acct-1"]["band"] == change["current"]["band"]


def test_a_source_that_stops_sending_marks_its_component_stale(
    broker: Broker, tmp_path: Path
) -> None:
    quick = tmp_path / "quick-stale.toml"
    quick.write_text(DEFAULT_TOML.replace("source_stale_hours = 24", "source_stale_hours = 0.001"))
    events = busy_fortnight(ended_days_ago=0)
    with scorer_cluster(broker, f"s2-{tmp_path.name}-", tmp_path) as cluster:
        cluster.start_worker(model_file=quick, evaluate_interval_s=1)
        cluster.produce(events)
        cluster.wait_for(Counter(e.account_id for e in events))

        def stale() -> dict[str, Any] | None:
            snap = cluster.snapshots().get("acct-1")
            return snap if snap and {"usage", "support"} <= set(snap["stale"]) else None

        snap = eventually(stale, 60, "stale components in the snapshot")
        parts = {c["name"]: c for c in snap["components"]}
        assert parts["support"]["stale"] and parts["support"]["weight"] == 0
