"""Deliveries to one destination never wait on another's, and at most
HEALTHMON_WEBHOOK_ENDPOINT_CONCURRENCY are in flight to one destination."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from http.server import BaseHTTPRequestHandler

from sqlalchemy.orm import Session, sessionmaker

from services.alerts.delivery import DeliveryWorker
from services.alerts.store.alerts import utcnow
from services.alerts.store.endpoints import create_endpoint
from services.alerts.store.episodes import record_change
from tests.integration.alerts.test_delivery import FAST, deliveries
from tests.integration.alerts.test_outbound import Sent, answering
from tests.support.changes import risk_change
from tests.support.receiver import Receiver, http_receiver
from tests.support.secrets import BOX


def subscribe(sessions: sessionmaker[Session], url: str) -> None:
    with sessions.begin() as session:
        create_endpoint(session, url, None, ["alert.created"], utcnow(), BOX)


def raise_alert(sessions: sessionmaker[Session], account: str) -> None:
    with sessions.begin() as session:
        record_change(session, risk_change("green", "red", account=account), utcnow())


async def until_received(receiver: Receiver, timeout_s: float = 10) -> None:
    deadline = time.monotonic() + timeout_s
    while not receiver.requests:
        assert time.monotonic() < deadline, "nothing received"
        await asyncio.sleep(0.01)


async def test_a_slow_endpoint_does_not_delay_another(sessions: sessionmaker[Session]) -> None:
    worker = DeliveryWorker(sessions, FAST, BOX)
    running = asyncio.create_task(worker.run())
    try:
        with http_receiver(delay_s=3) as slow, http_receiver() as fast:
            subscribe(sessions, slow.url)
            raise_alert(sessions, "acct-1")
            worker.wake.set()
            await until_received(slow)  # and it takes 3 s to answer
            subscribe(sessions, fast.url)
            raise_alert(sessions, "acct-2")
            raised = time.monotonic()
            worker.wake.set()
            await until_received(fast)
            waited = time.monotonic() - raised
            assert waited < 1.0, f"the fast endpoint waited {waited:.1f} s for the slow one"
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running


async def test_one_destination_has_at_most_its_bound_in_flight(
    sessions: sessionmaker[Session],
) -> None:
    lock, now, most = threading.Lock(), [0], [0]

    def slowly(handler: BaseHTTPRequestHandler, sent: Sent) -> None:
        with lock:
            now[0] += 1
            most[0] = max(most[0], now[0])
        time.sleep(0.3)
        with lock:
            now[0] -= 1
        handler.send_response(200)
        handler.send_header("content-length", "0")
        handler.end_headers()

    settings = FAST.model_copy(update={"webhook_endpoint_concurrency": 2})
    with answering(slowly) as (url, _):
        subscribe(sessions, url)
        for n in range(6):
            raise_alert(sessions, f"acct-{n}")
        worker = DeliveryWorker(sessions, settings, BOX)
        try:
            for _ in range(10):
                await worker.run_once()
        finally:
            await worker.aclose()
    assert most[0] == 2
    assert {row.status for row in deliveries(sessions)} == {"delivered"}
