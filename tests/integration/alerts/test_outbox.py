"""The outbox under stress, with real receivers: several workers at once, a receiver that fails
half the time, and a worker killed in the middle of a delivery. Receivers deduplicate on
webhook-id, as the Standard Webhooks spec asks; after that every alert arrives exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from services.alerts.delivery import DeliveryWorker
from services.alerts.store.alerts import utcnow
from services.alerts.store.endpoints import create_endpoint
from services.alerts.store.episodes import record_change
from services.settings import Settings
from tests.integration.alerts.test_delivery import FAST, deliveries, drain
from tests.support.changes import risk_change
from tests.support.receiver import Receiver, http_receiver
from tests.support.secrets import BOX, LOOPBACK
from tests.support.waiting import eventually

ALERTS = 30


def raise_alerts(sessions: sessionmaker[Session], receiver: Receiver, count: int = ALERTS) -> None:
    with sessions.begin() as session:
        create_endpoint(session, receiver.url, None, ["alert.created"], utcnow(), BOX)
    for n in range(count):
        with sessions.begin() as session:
            record_change(session, risk_change("green", "red", account=f"acct-{n}"), utcnow())


async def test_several_workers_at_once_send_each_message_once(
    sessions: sessionmaker[Session],
) -> None:
    with http_receiver(delay_s=0.01) as receiver:
        raise_alerts(sessions, receiver)
        # small claims, so that the three share the work
        workers = [DeliveryWorker(sessions, FAST, BOX, 4) for _ in range(3)]
        rounds = []
        for _ in range(30):
            rounds.append(await asyncio.gather(*(w.run_once() for w in workers)))
            if not sum(rounds[-1]):
                break
        await asyncio.gather(*(w.aclose() for w in workers))
    if sessions.kw["bind"].dialect.name == "postgresql":  # SKIP LOCKED spreads the claims
        assert sum(1 for r in rounds if sum(1 for n in r if n) > 1) >= 2
    ids = receiver.delivered_ids()
    assert len(ids) == ALERTS and len(set(ids)) == ALERTS  # no message sent twice
    assert {r.status for r in deliveries(sessions)} == {"delivered"}


async def test_a_receiver_failing_half_the_time_still_gets_every_alert_once(
    sessions: sessionmaker[Session],
) -> None:
    settings = Settings(
        webhook_retry_schedule=",".join(["0"] + ["0.02"] * 15),  # type: ignore[arg-type]
        webhook_allow_networks=LOOPBACK,  # type: ignore[arg-type]
    )
    with http_receiver(flaky=0.5) as receiver:
        raise_alerts(sessions, receiver)
        await drain(sessions, settings, timeout_s=30)
    answered = Counter(r.answered for r in receiver.requests)
    alerts = [r.body for r in receiver.requests if r.answered == 200]
    distinct = len(set(receiver.delivered_ids()))
    print(
        f"\n{ALERTS} alerts: {len(receiver.requests)} requests, {answered[500]} answered 500, "
        f"{answered[200]} accepted; distinct webhook-ids accepted: {distinct}"
    )
    assert answered[500] >= ALERTS // 3  # it really failed about half the time
    assert sorted(set(receiver.delivered_ids())) == sorted(r.id for r in deliveries(sessions))
    assert len(set(alerts)) == ALERTS  # each alert's message accepted, once per webhook-id


WORKER = """
import asyncio
from services.alerts.delivery import DeliveryWorker
from services.settings import Settings
from services.db.sql import make_engine, session_factory
from tests.support.secrets import BOX, LOOPBACK

async def main():
    settings = Settings()
    sessions = session_factory(make_engine(settings.sqlalchemy_url))
    await DeliveryWorker(sessions, settings, BOX).run()

asyncio.run(main())
"""


async def test_a_worker_killed_mid_delivery_leaves_it_to_be_retried(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    url = engine.url.render_as_string(hide_password=False)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEALTHMON_")}
    env |= {"HEALTHMON_DATABASE_URL": url, "HEALTHMON_WEBHOOK_TIMEOUT_S": "0.5",
            "HEALTHMON_DELIVERY_POLL_S": "0.05",
            "HEALTHMON_WEBHOOK_ALLOW_NETWORKS": LOOPBACK}  # fmt: skip
    with http_receiver(delay_s=5) as receiver:  # answers long after the worker is gone
        raise_alerts(sessions, receiver, count=1)
        worker = subprocess.Popen([sys.executable, "-c", WORKER], env=env)
        try:
            eventually(
                lambda: receiver.requests or None, what="the delivery under way", timeout_s=60
            )
            worker.send_signal(signal.SIGKILL)
        finally:
            worker.wait(30)
        [row] = deliveries(sessions)
        assert row.status == "pending" and row.attempts == 0  # nothing recorded: it died
        receiver.delay_s = 0
        time.sleep(1.6)  # the dead worker's lease (3 x the 0.5 s timeout) runs out
        settings = Settings(webhook_timeout_s=0.5, webhook_allow_networks=LOOPBACK)  # type: ignore[arg-type]
        await drain(sessions, settings, timeout_s=10)
    [row] = deliveries(sessions)
    assert row.status == "delivered"
    ids = [r.headers["webhook-id"] for r in receiver.requests]
    assert len(ids) >= 2 and set(ids) == {row.id}  # sent again, same id: the receiver dedupes
