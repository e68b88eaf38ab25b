"""Accounts for workspace tests: traits, a health snapshot and risk changes, stored through the
alerts service's own writers; and a signed-in test client."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy.orm import Session, sessionmaker

from schemas import AccountUpdate, HealthSnapshot, RiskChange
from services.alerts.store.episodes import record_change
from services.alerts.store.health import record_snapshot
from services.alerts.web.feed import merge_health, merge_traits

SCORE = {"green": 85.0, "yellow": 55.0, "red": 25.0}


def seed_account(
    sessions: sessionmaker[Session], account: str, band: str, now: datetime, *,
    name: str | None = None, segment: str = "enterprise", owner: str = "kim@example.com",
    score: float | None = None, stale: tuple[str, ...] = (), reason: str = "Usage fell by half.",
    critical: bool = False,
) -> None:  # fmt: skip
    """An account that was green 20 days ago and is in `band` since 2 days ago (an alert is
    raised when it worsened)."""
    score = SCORE[band] if score is None else score
    components = [
        {"name": "usage", "score": score, "weight": 0.6, "contribution": round(score * 0.6, 2),
         "stale": False},
        {"name": "support", "score": 90.0, "weight": 0.4, "contribution": 36.0,
         "stale": "support" in stale},
    ]  # fmt: skip
    with sessions.begin() as session:
        merge_traits(
            session,
            AccountUpdate(
                account_id=account, name=name or account.title(), segment=segment,
                csm_owner=owner, seats=40, mrr=1200.0, lifecycle_stage="active",
                updated_at=now - timedelta(days=30), source="test",
            ),
        )  # fmt: skip
        steps = [("unknown", "green", 20, None), ("green", band, 2, reason)]
        for seq, (before, after, days_ago, why) in enumerate(steps, start=1):
            if seq == 2 and band == "green":
                break
            at = now - timedelta(days=days_ago)
            code = "billing.payment_failed" if critical and seq == 2 else "usage.down"
            change = RiskChange(
                change_id=f"{account}:{seq}", account_id=account, seq=seq, occurred_at=at,
                emitted_at=at + timedelta(seconds=1), model_version="test",
                previous={"score": None if before == "unknown" else SCORE[before], "band": before},
                current={"score": SCORE["green"] if seq == 1 else score, "band": after},
                delta=None, trend_7d=None, components=components,
                reasons=[{"code": code if why else "band.green", "message": why or "Healthy."}],
                trigger_event_ids=[f"{account}-ev-{seq}"], segment=segment, csm_owner=owner,
                triggers=[{"event_id": f"{account}-ev-{seq}", "occurred_at": at,
                           "kind": "payment" if "billing" in code else "usage",
                           "type": "payment_failed" if "billing" in code else "active"}],
            )  # fmt: skip
            record_change(session, change, at)
        snapshot = HealthSnapshot(
                account_id=account, score=score, band=band, components=components,
                stale=list(stale), model_version="test", as_of=now - timedelta(hours=1),
                updated_at=now - timedelta(hours=1), last_change_seq=1 if band == "green" else 2,
                events_seen=12, segment=segment, csm_owner=owner,
        )  # fmt: skip
        record_snapshot(session, snapshot)
        merge_health(session, snapshot)


def csrf_of(page: Response) -> str:
    """The CSRF token in a page's forms."""
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def sign_in(client: TestClient, key: str, email: str = "kim@example.com") -> Response:
    """Sign in through the form; the answer (a redirect when it worked)."""
    form = client.get("/signin")
    data: dict[str, Any] = {"csrf": csrf_of(form), "api_key": key, "email": email}
    return client.post("/signin", data=data, follow_redirects=False)
