"""Outbound requests against real receivers on loopback: URLs refused at registration and at
send time (DNS rebinding included), the checked address is the one connected to, redirects are
not followed, answers are read up to a cap and within one deadline, and never echoed whole."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from services.alerts.app import create_app
from services.alerts.channels.webhook import send_ping
from services.alerts.delivery import DeliveryWorker
from services.alerts.outbound import EXCERPT_CHARS, OutboundPolicy, outbound_client
from services.alerts.store.alerts import utcnow
from services.alerts.store.endpoints import create_endpoint
from services.alerts.store.episodes import record_change
from services.alerts.tables import DeliveryAttemptRow, DeliveryRow
from tests.integration.alerts.test_delivery import FAST, deliveries, drain
from tests.support.changes import risk_change
from tests.support.receiver import http_receiver
from tests.support.secrets import BOX, LOOPBACK, alerts_settings

KEY = {"Authorization": "Bearer key-1"}
STRICT = FAST.model_copy(update={"webhook_allow_networks": []})
"""The production default: no network beyond the public internet allowed."""


@pytest.fixture
def client(engine: Engine, tmp_path: Path) -> Iterator[TestClient]:
    settings = alerts_settings(engine, tmp_path)
    with TestClient(create_app(settings, background=False)) as test_client:
        yield test_client


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://127.1:9/hook", "loopback"),
        ("http://0x7f000001:9/hook", "loopback"),
        ("http://[::ffff:127.0.0.1]:9/hook", "loopback"),
        ("http://0.0.0.0:9/hook", "unspecified"),
        ("http://10.0.0.8/hook", "private"),
        ("http://[fd00::1]/hook", "unique-local"),
        ("http://metadata.google.internal/computeMetadata/v1/", "cloud metadata"),
    ],
)
def test_registering_a_non_public_url_is_refused_naming_url_and_why(
    client: TestClient, url: str, why: str
) -> None:
    response = client.post("/v1/webhook-endpoints", json={"url": url}, headers=KEY)
    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    assert error["loc"] == ["url"] and why in error["msg"], error
    assert client.get("/v1/webhook-endpoints", headers=KEY).json() == []


def test_a_name_that_does_not_resolve_yet_is_registered_and_checked_when_sent(
    client: TestClient,
) -> None:
    def offline(host: str, port: int) -> list[str]:
        raise OSError("Temporary failure in name resolution")

    client.app.state.outbound = OutboundPolicy(resolve=offline)  # type: ignore[attr-defined]
    url = "https://hooks.example.com/healthmon"
    response = client.post("/v1/webhook-endpoints", json={"url": url}, headers=KEY)
    assert response.status_code == 201, response.text


def test_changing_an_endpoint_to_a_non_public_url_is_refused(client: TestClient) -> None:
    client.app.state.outbound = OutboundPolicy(resolve=lambda host, port: ["93.184.216.34"])  # type: ignore[attr-defined]
    created = client.post("/v1/webhook-endpoints", json={"url": "https://hooks.example.com/"},
                          headers=KEY)  # fmt: skip
    assert created.status_code == 201
    client.app.state.outbound = OutboundPolicy()  # type: ignore[attr-defined]
    path = f"/v1/webhook-endpoints/{created.json()['id']}"
    response = client.patch(path, json={"url": "http://192.168.0.1/"}, headers=KEY)
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["url"]


async def test_a_delivery_to_a_no_longer_allowed_address_is_refused_before_connecting(
    sessions: sessionmaker[Session],
) -> None:
    with http_receiver() as receiver:
        with sessions.begin() as session:  # registered while loopback was allowed
            create_endpoint(session, receiver.url, None, ["alert.created"], utcnow(), BOX)
            record_change(session, risk_change("green", "red"), utcnow())
        await drain(sessions, STRICT)
    assert receiver.requests == []
    [row] = deliveries(sessions)
    assert row.status == "gave_up" and "refused by the outbound policy" in (row.last_error or "")
    assert "loopback" in (row.last_error or "")


class Rebinding:
    """A DNS that answers with a public address first, then with loopback."""

    def __init__(self) -> None:
        self.answers = [["93.184.216.34"]]

    def __call__(self, host: str, port: int) -> list[str]:
        return self.answers.pop(0) if self.answers else ["127.0.0.1"]


async def test_dns_rebinding_after_registration_is_refused_at_send(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    dns = Rebinding()
    client.app.state.outbound = OutboundPolicy(resolve=dns)  # type: ignore[attr-defined]
    with http_receiver() as receiver:
        url = receiver.url.replace("127.0.0.1", "rebind.example.test")
        created = client.post("/v1/webhook-endpoints", json={"url": url}, headers=KEY)
        assert created.status_code == 201, created.text
        with sessions.begin() as session:
            record_change(session, risk_change("green", "red"), utcnow())
        worker = DeliveryWorker(sessions, STRICT, BOX, policy=OutboundPolicy(resolve=dns))
        try:
            await worker.run_once()
        finally:
            await worker.aclose()
    assert receiver.requests == []
    [row] = deliveries(sessions)
    assert "resolves to 127.0.0.1, a loopback address" in (row.last_error or "")


async def test_a_name_is_connected_at_the_address_that_was_checked(
    sessions: sessionmaker[Session],
) -> None:
    # the name exists in no DNS: only the checked address can have reached the receiver
    dns = {"hooks.example.test": ["127.0.0.1"]}
    policy = OutboundPolicy(tuple(FAST.webhook_allow_networks), lambda host, port: dns[host])
    with http_receiver() as receiver:
        url = receiver.url.replace("127.0.0.1", "hooks.example.test")
        with sessions.begin() as session:
            create_endpoint(session, url, None, ["alert.created"], utcnow(), BOX)
            record_change(session, risk_change("green", "red"), utcnow())
        worker = DeliveryWorker(sessions, FAST, BOX, policy=policy)
        try:
            await worker.run_once()
        finally:
            await worker.aclose()
    [request] = receiver.requests
    assert request.headers["host"] == url.split("/")[2]
    assert deliveries(sessions)[0].status == "delivered"


@dataclass
class Sent:
    """What a scripted answerer managed to write before the client went away."""

    bytes: int = 0


Answerer = Callable[[BaseHTTPRequestHandler, Sent], None]


@contextmanager
def answering(answer: Answerer) -> Iterator[tuple[str, Sent]]:
    """A loopback server answering every POST with `answer`."""
    sent = Sent()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length", 0)))
            with suppress(BrokenPipeError, ConnectionResetError):
                answer(self, sent)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", sent
    finally:
        server.shutdown()
        server.server_close()


HUGE = 50 * 1024 * 1024
SECRET = "whsec_" + "A" * 44


def huge_answer(handler: BaseHTTPRequestHandler, sent: Sent) -> None:
    """A 500 with 50 MB of body (the first bytes look like a leaked document)."""
    handler.send_response(500)
    handler.send_header("content-length", str(HUGE))
    handler.end_headers()
    chunk = b"root:x:0:0:root:/root:/bin/bash\n" * 2048
    while sent.bytes < HUGE:
        handler.wfile.write(chunk)
        sent.bytes += len(chunk)


def trickle(handler: BaseHTTPRequestHandler, sent: Sent) -> None:
    """A 200 whose body comes one byte every 0.2 s, for a minute."""
    handler.send_response(200)
    handler.send_header("content-length", "300")
    handler.end_headers()
    for _ in range(300):
        handler.wfile.write(b"x")
        handler.wfile.flush()
        sent.bytes += 1
        time.sleep(0.2)


async def test_a_huge_answer_is_read_only_up_to_the_cap_and_shown_as_an_excerpt() -> None:
    with answering(huge_answer) as (url, sent):
        async with outbound_client(OutboundPolicy.of(FAST)) as http:
            outcome, duration_ms = await send_ping(
                http, url, [BOX.open(BOX.seal("whsec_" + "A" * 44))], 5
            )
    assert (outcome.ok, outcome.status_code) == (False, 500)
    assert outcome.error is not None and len(outcome.error) <= EXCERPT_CHARS
    assert outcome.error.startswith("root:x:0:0:root")
    assert sent.bytes < HUGE // 4 and duration_ms < 5000


async def test_a_trickling_answer_ends_at_the_attempts_deadline(
    sessions: sessionmaker[Session],
) -> None:
    settings = FAST.model_copy(update={"webhook_timeout_s": 1.0})
    with answering(trickle) as (url, sent):
        with sessions.begin() as session:
            create_endpoint(session, url, None, ["alert.created"], utcnow(), BOX)
            record_change(session, risk_change("green", "red"), utcnow())
        worker = DeliveryWorker(sessions, settings, BOX)
        started = time.monotonic()
        try:
            await worker.run_once()
        finally:
            await worker.aclose()
        took = time.monotonic() - started
    assert took < 2.5 and sent.bytes < 20
    with sessions() as session:
        [attempt] = session.scalars(select(DeliveryAttemptRow)).all()
        assert "deadline" in (attempt.error or "")
        assert session.scalars(select(DeliveryRow)).one().status == "pending"  # retried later


async def test_redirects_are_not_followed(sessions: sessionmaker[Session]) -> None:
    with (
        http_receiver() as elsewhere,
        http_receiver([(307, {"location": elsewhere.url})] * 5) as receiver,
    ):
        with sessions.begin() as session:
            create_endpoint(session, receiver.url, None, ["alert.created"], utcnow(), BOX)
            record_change(session, risk_change("green", "red"), utcnow())
        worker = DeliveryWorker(sessions, FAST, BOX)
        try:
            await worker.run_once()
        finally:
            await worker.aclose()
    assert len(receiver.requests) == 1 and elsewhere.requests == []
    assert deliveries(sessions)[0].last_status_code == 307


def test_the_loopback_allowance_is_what_tests_use() -> None:
    assert [str(n) for n in FAST.webhook_allow_networks] == [LOOPBACK]
