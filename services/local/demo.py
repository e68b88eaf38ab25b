"""Synthetic traffic for `healthmon up --demo`: a few hundred accounts, some of them declining."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

ACCOUNTS = 300
DECLINING_SHARE = 0.12
DAYS = 28
BATCH = 500
DAILY_ACTIVE = 0.3
"""The chance that a user of an account is active on a given day: about nine in ten of its users
are active in any week, so a healthy account shows most of its seats in use."""
SEGMENTS = ("enterprise", "mid_market", "self_serve")


def accounts(rng: random.Random) -> list[dict[str, Any]]:
    """Account traits for the demo accounts."""
    return [
        {
            "account_id": f"acme-{i:03d}",
            "name": f"Acme {i:03d}",
            "segment": rng.choice(SEGMENTS),
            "csm_owner": f"csm{i % 5 + 1}@example.com",
            "seats": rng.randint(5, 35),
            "mrr": float(rng.randint(200, 20_000)),
            "lifecycle_stage": "active",
        }
        for i in range(ACCOUNTS)
    ]


def _event(account: str, kind: str, type_: str, at: datetime, **props: Any) -> dict[str, Any]:
    return {
        "account_id": account, "kind": kind, "type": type_,
        "occurred_at": at.isoformat(), "source": "demo", "properties": props,
    }  # fmt: skip


def history(
    account: str, seats: int, declining: bool, now: datetime, rng: random.Random
) -> Iterator[dict[str, Any]]:
    """Four weeks of events for one account with `seats` seats, in time order; its users are
    active most weeks, and decliners end in trouble."""
    start = now - timedelta(days=DAYS)
    yield _event(account, "payment", "invoice_paid", start, invoice_id=f"{account}-inv-1")
    users = max(1, round(seats * rng.uniform(0.85, 1.0)))  # a seat or two may sit unused
    for day in range(DAYS):
        at = start + timedelta(days=day, hours=rng.randint(8, 18))
        for user in range(users):
            if rng.random() < DAILY_ACTIVE:
                yield _event(account, "usage", "active", at, user_id=f"{account}-u{user}")
        if rng.random() < 0.1:
            ticket = f"{account}-t{day}"
            yield _event(
                account, "ticket", "ticket_opened", at, ticket_id=ticket, priority="normal"
            )
            yield _event(
                account, "ticket", "ticket_closed", at + timedelta(hours=3), ticket_id=ticket
            )
    if declining:
        trouble = now - timedelta(hours=rng.randint(1, 20))
        yield _event(account, "payment", "payment_failed", trouble, invoice_id=f"{account}-inv-2")
        yield _event(
            account,
            "ticket",
            "ticket_opened",
            trouble,
            ticket_id=f"{account}-urgent",
            priority="urgent",
        )
        yield _event(account, "ticket", "ticket_escalated", trouble, ticket_id=f"{account}-urgent")
        yield _event(account, "usage", "nps_response", trouble, score=rng.randint(0, 3))
        if rng.random() < 0.5:
            yield _event(account, "payment", "dispute_opened", trouble, dispute_id=f"{account}-dp")


def wire_channels(alerts_url: str, key: str, webhooks_url: str) -> str:
    """Send every demo alert to the local receiver as a signed webhook and as a Slack message;
    return the endpoint's signing secret."""
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=alerts_url, headers=headers, timeout=30) as client:
        endpoints = client.get("/v1/webhook-endpoints").json()
        for endpoint in endpoints:
            if endpoint["url"].startswith(webhooks_url.rsplit(":", 1)[0]) and endpoint["enabled"]:
                client.patch(f"/v1/webhook-endpoints/{endpoint['id']}", json={"enabled": False})
        made = client.post(
            "/v1/webhook-endpoints",
            json={"url": f"{webhooks_url}/hooks", "description": "demo: local receiver"},
        )
        made.raise_for_status()
        routes = client.get("/v1/routes").json()
        for route in routes:
            if route["name"] == SLACK_ROUTE:
                client.delete(f"/v1/routes/{route['id']}")
        slack = {"type": "slack", "url": f"{webhooks_url}/slack"}
        client.post(
            "/v1/routes", json={"name": SLACK_ROUTE, "channels": [slack]}
        ).raise_for_status()
    secret: str = made.json()["secret"]
    return secret


SLACK_ROUTE = "Demo: every alert to Slack (local receiver)"
LIVE_EVERY_S = 3.0


def live_events(now: datetime, rng: random.Random) -> list[dict[str, Any]]:
    """A few events of this moment: usage from some accounts, now and then trouble for one."""
    events = []
    for _ in range(rng.randint(2, 6)):
        account = f"acme-{rng.randrange(ACCOUNTS):03d}"
        events.append(_event(account, "usage", "active", now, user_id=f"{account}-u0"))
    if rng.random() < 0.15:
        account = f"acme-{rng.randrange(ACCOUNTS):03d}"
        ticket = f"{account}-live-{int(now.timestamp())}"
        events.append(
            _event(account, "ticket", "ticket_opened", now, ticket_id=ticket, priority="urgent")
        )
    return events


def keep_sending(ingest_url: str, key: str, stop: threading.Event, seed: int = 8) -> None:
    """Send live events every few seconds until `stop` is set (the page keeps moving)."""
    rng = random.Random(seed)
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=ingest_url, headers=headers, timeout=10) as client:
        while not stop.wait(LIVE_EVERY_S):
            try:
                client.post(
                    "/v1/events/batch", json={"events": live_events(datetime.now(UTC), rng)}
                )
            except httpx.HTTPError:
                continue  # ingest is stopping or busy; the next round tries again


def run_demo(ingest_url: str, alerts_url: str, key: str, console: Console, seed: int = 7) -> None:
    """Send the demo traffic with a progress bar, then show the alerts it raised."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    traits = accounts(rng)
    declining = {a["account_id"] for a in traits if rng.random() < DECLINING_SHARE}
    events = [
        e
        for a in traits
        for e in history(a["account_id"], a["seats"], a["account_id"] in declining, now, rng)
    ]
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(headers=headers, timeout=30) as client, Progress(console=console) as progress:
        task = progress.add_task("demo traffic", total=len(traits) + len(events))
        for account in traits:
            client.post(f"{ingest_url}/v1/accounts", json=account).raise_for_status()
            progress.advance(task)
        for i in range(0, len(events), BATCH):
            chunk = events[i : i + BATCH]
            client.post(f"{ingest_url}/v1/events/batch", json={"events": chunk}).raise_for_status()
            progress.advance(task, len(chunk))
        alerts = _wait_for_alerts(client, alerts_url, len(declining))
    console.print(f"{len(events)} events for {len(traits)} accounts; {len(declining)} declining")
    active = [a for a in alerts if a["status"] != "resolved"]
    table = Table(
        title=f"alerts: {len(active)} need attention, {len(alerts) - len(active)} resolved "
        f"({alerts_url}/alerts)"
    )
    for column in ("account", "status", "band", "score", "severity", "why"):
        table.add_column(column)
    for alert in (active + [a for a in alerts if a["status"] == "resolved"])[:10]:
        score = "-" if alert["score"] is None else f"{alert['score']:.0f}"
        table.add_row(
            alert["account_id"], alert["status"], alert["band"], score, alert["severity"],
            alert["title"],
        )  # fmt: skip
    console.print(table)


def _wait_for_alerts(client: httpx.Client, alerts_url: str, expected: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 60
    alerts: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        alerts = client.get(f"{alerts_url}/v1/alerts", params={"limit": 500}).json()["items"]
        if len({a["account_id"] for a in alerts}) >= expected:
            break
        time.sleep(1)
    return alerts
