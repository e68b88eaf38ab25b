"""Webhook delivery from the outbox to real HTTP receivers on loopback."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import jsonschema
import orjson
from prometheus_client import REGISTRY
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from standardwebhooks.webhooks import Webhook

from schemas.generate import WEBHOOK_MESSAGES, schema_path
from services.alerts.delivery import DeliveryWorker
from services.alerts.store.alerts import utcnow
from services.alerts.store.endpoints import create_endpoint
from services.alerts.store.episodes import record_change
from services.alerts.store.outbox import next_due
from services.alerts.tables import DeliveryRow, WebhookEndpointRow
from services.settings import Settings
from tests.support.changes import risk_change
from tests.support.receiver import Receiver, http_receiver
from tests.support.secrets import BOX, LOOPBACK

FAST = Settings(
    webhook_retry_schedule="0,0.05,0.05",  # type: ignore[arg-type]
    webhook_timeout_s=5,
    webhook_allow_networks=LOOPBACK,  # type: ignore[arg-type]
)


def raise_alert(sessions: sessionmaker[Session], receiver: Receiver, seq: int = 1) -> str:
    """Register the receiver (once) and raise an alert of account acct-<seq>; return the
    endpoint's secret."""
    with sessions.begin() as session:
        endpoint = session.scalar(
            select(WebhookEndpointRow).where(WebhookEndpointRow.url == receiver.url)
        )
        if endpoint is None:
            endpoint = create_endpoint(
                session, receiver.url, None, ["alert.created"], utcnow(), BOX
            )
        change = risk_change("green", "red", account=f"acct-{seq}", seq=1)
        record_change(session, change, utcnow())
        return BOX.open(endpoint.secret)


async def drain(
    sessions: sessionmaker[Session], settings: Settings = FAST, timeout_s: float = 10
) -> None:
    """Run delivery rounds until nothing is pending or the time is up."""
    worker = DeliveryWorker(sessions, settings, BOX)
    try:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            await worker.run_once()
            with sessions() as session:
                if (
                    session.scalar(select(DeliveryRow).where(DeliveryRow.status == "pending"))
                    is None
                ):
                    return
            await asyncio.sleep(0.02)
    finally:
        await worker.aclose()


def deliveries(sessions: sessionmaker[Session]) -> list[DeliveryRow]:
    with sessions() as session:
        return list(session.scalars(select(DeliveryRow)))


async def test_a_delivered_webhook_is_signed_per_the_standard_and_follows_its_schema(
    sessions: sessionmaker[Session],
) -> None:
    with http_receiver() as receiver:
        secret = raise_alert(sessions, receiver)
        await drain(sessions)
    [request] = receiver.requests
    payload = Webhook(secret).verify(request.body, request.headers)
    assert payload["type"] == "alert.created"
    assert payload["data"]["change"]["change_id"] == "acct-1:1"
    jsonschema.validate(payload, orjson.loads(schema_path(WEBHOOK_MESSAGES).read_bytes()))
    [row] = deliveries(sessions)
    assert (row.status, row.attempts, row.id) == ("delivered", 1, request.headers["webhook-id"])


async def test_failures_are_retried_with_the_same_webhook_id(
    sessions: sessionmaker[Session],
) -> None:
    with http_receiver([(500, {}), (503, {})]) as receiver:
        raise_alert(sessions, receiver)
        await drain(sessions)
    assert [r.answered for r in receiver.requests] == [500, 503, 200]
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1
    [row] = deliveries(sessions)
    assert (row.status, row.attempts) == ("delivered", 3)


async def test_delivery_gives_up_when_the_schedule_is_used_up(
    sessions: sessionmaker[Session],
) -> None:
    with http_receiver([(500, {})] * 10) as receiver:
        raise_alert(sessions, receiver)
        await drain(sessions)
    [row] = deliveries(sessions)
    assert (row.status, row.attempts, row.last_status_code) == ("gave_up", 3, 500)
    assert len(receiver.requests) == 3


async def test_retry_after_is_honoured(sessions: sessionmaker[Session]) -> None:
    with http_receiver([(429, {"Retry-After": "120"})]) as receiver:
        raise_alert(sessions, receiver)
        before = utcnow()
        await drain(sessions, timeout_s=0.5)
    [row] = deliveries(sessions)
    assert row.status == "pending" and row.attempts == 1
    assert row.next_attempt_at >= before + timedelta(seconds=119)
    assert len(receiver.requests) == 1


async def test_410_disables_the_endpoint(sessions: sessionmaker[Session]) -> None:
    with http_receiver([(410, {})]) as receiver:
        raise_alert(sessions, receiver, seq=1)
        await drain(sessions)
        raise_alert(sessions, receiver, seq=2)
        await drain(sessions)
    with sessions() as session:
        [endpoint] = session.scalars(select(WebhookEndpointRow)).all()
        assert not endpoint.enabled
    assert [row.status for row in deliveries(sessions)] == ["gave_up"]
    assert len(receiver.requests) == 1


async def test_an_unreachable_receiver_is_retried(sessions: sessionmaker[Session]) -> None:
    with http_receiver() as receiver:
        url = receiver.url
    dead = Receiver(url)  # nothing listens there any more
    raise_alert(sessions, dead)
    await drain(sessions)
    [row] = deliveries(sessions)
    assert row.status == "gave_up" and row.attempts == 3 and row.last_status_code is None
    assert row.last_error and "Connect" in row.last_error


async def test_each_attempt_and_the_wait_until_delivery_are_measured_per_channel(
    sessions: sessionmaker[Session],
) -> None:
    def count(name: str) -> float:
        return REGISTRY.get_sample_value(f"{name}_count", {"channel": "webhook"}) or 0.0

    attempts, delivered = (count("healthmon_delivery_attempt_seconds"),
                           count("healthmon_alert_to_delivery_seconds"))  # fmt: skip
    with http_receiver([(500, {})]) as receiver:
        raise_alert(sessions, receiver)
        await drain(sessions)
    assert count("healthmon_delivery_attempt_seconds") - attempts == 2
    assert count("healthmon_alert_to_delivery_seconds") - delivered == 1


async def test_a_resting_worker_wakes_when_the_next_retry_falls_due_not_at_its_poll(
    sessions: sessionmaker[Session],
) -> None:
    patient = FAST.model_copy(
        update={"webhook_retry_schedule": [0, 0.5, 0.5], "delivery_poll_s": 60}
    )
    with http_receiver([(500, {})]) as receiver:
        raise_alert(sessions, receiver)
        worker = DeliveryWorker(sessions, patient, BOX)
        running = asyncio.create_task(worker.run())
        try:
            deadline = time.monotonic() + 15
            while len(receiver.requests) < 2 and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
        finally:
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)
    assert [r.answered for r in receiver.requests] == [500, 200]


def test_the_outbox_knows_when_it_next_has_work(sessions: sessionmaker[Session]) -> None:
    now = utcnow()
    with sessions.begin() as session:
        assert next_due(session, now) is None
        endpoint = create_endpoint(
            session, "http://127.0.0.1:9/hook", None, ["alert.created"], now, BOX
        )
        record_change(session, risk_change("green", "red"), now)
        [row] = session.scalars(select(DeliveryRow)).all()
        assert endpoint.id == row.endpoint_id
        row.next_attempt_at = now + timedelta(seconds=30)
        assert next_due(session, now) == row.next_attempt_at
        row.next_attempt_at, row.locked_until = now, now + timedelta(seconds=12)
        assert next_due(session, now) == row.locked_until
        row.status = "delivered"
        assert next_due(session, now) is None


async def test_a_worker_cancelled_just_as_it_is_woken_stops(
    sessions: sessionmaker[Session],
) -> None:
    resting = FAST.model_copy(update={"delivery_poll_s": 60})
    worker = DeliveryWorker(sessions, resting, BOX)
    running = asyncio.create_task(worker.run())
    await asyncio.sleep(0.5)  # nothing to deliver: the worker rests, waiting to be woken
    worker.wake.set()  # a send ended...
    await asyncio.sleep(0)  # ...and its wait has seen it
    running.cancel()
    done, _ = await asyncio.wait({running}, timeout=10)
    assert done == {running}, "the worker went on after it was cancelled"
