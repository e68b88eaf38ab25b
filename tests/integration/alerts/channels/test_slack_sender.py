"""SlackSender against a real local HTTP receiver: pacing per URL and answer handling."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import pairwise

import httpx
import pytest

from services.alerts.channels.slack import SlackSender
from services.local.ports import free_port

pytestmark = pytest.mark.integration


@dataclass
class Hit:
    """One request as the receiver saw it, with when it arrived (time.monotonic)."""

    path: str
    body: bytes
    at: float


@dataclass
class SlackLike:
    """Answers POSTs like Slack's webhook endpoint: per path, a script of answers, else 200 ok."""

    base: str
    scripts: dict[str, list[tuple[int, dict[str, str], str]]] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, path: str) -> tuple[int, dict[str, str], str]:
        with self.lock:
            script = self.scripts.get(path) or []
            return script.pop(0) if script else (200, {}, "ok")

    def at(self, path: str) -> list[float]:
        return [h.at for h in self.hits if h.path == path]


@pytest.fixture
def slack() -> Iterator[SlackLike]:
    receiver: SlackLike

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            arrived = time.monotonic()
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            with receiver.lock:
                receiver.hits.append(Hit(self.path, body, arrived))
            status, headers, text = receiver.answer(self.path)
            payload = text.encode()
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("content-type", "text/html")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver = SlackLike(f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield receiver
    server.shutdown()
    server.server_close()


@pytest.fixture
async def sender() -> AsyncIterator[SlackSender]:
    async with httpx.AsyncClient() as client:
        yield SlackSender(client)


PAYLOAD = {"text": "acme is red", "blocks": []}


async def test_a_delivered_message(slack: SlackLike, sender: SlackSender) -> None:
    outcome = await sender.send(f"{slack.base}/services/T/B/x", PAYLOAD)

    assert (outcome.ok, outcome.status_code, outcome.permanent) == (True, 200, False)
    assert [json.loads(h.body) for h in slack.hits] == [PAYLOAD]


async def test_one_message_per_second_per_url(slack: SlackLike, sender: SlackSender) -> None:
    url = f"{slack.base}/services/T/B/same"

    outcomes = await asyncio.gather(*(sender.send(url, PAYLOAD) for _ in range(3)))

    assert all(o.ok for o in outcomes)
    times = slack.at("/services/T/B/same")
    assert len(times) == 3
    assert all(b - a >= 1.0 for a, b in pairwise(times))


async def test_different_urls_do_not_wait(slack: SlackLike, sender: SlackSender) -> None:
    busy, other = f"{slack.base}/services/T/B/busy", f"{slack.base}/services/T/B/other"
    await sender.send(busy, PAYLOAD)  # `busy` must now wait a second

    started = time.monotonic()
    await asyncio.gather(sender.send(busy, PAYLOAD), sender.send(other, PAYLOAD))

    busy_hits, other_hits = slack.at("/services/T/B/busy"), slack.at("/services/T/B/other")
    assert busy_hits[1] - busy_hits[0] >= 1.0
    assert other_hits[0] - started < 0.5
    assert other_hits[0] < busy_hits[1]


async def test_a_429_carries_retry_after(slack: SlackLike, sender: SlackSender) -> None:
    slack.scripts["/limited"] = [(429, {"Retry-After": "2"}, "rate_limited")]

    outcome = await sender.send(f"{slack.base}/limited", PAYLOAD)

    assert (outcome.ok, outcome.status_code, outcome.permanent) == (False, 429, False)
    assert outcome.retry_after_s == 2


@pytest.mark.parametrize(
    ("status", "body"),
    [(410, "channel_is_archived"), (404, "no_service"), (403, "invalid_token")],
)
async def test_gone_webhooks_are_permanent(
    slack: SlackLike, sender: SlackSender, status: int, body: str
) -> None:
    slack.scripts["/gone"] = [(status, {}, body)]

    outcome = await sender.send(f"{slack.base}/gone", PAYLOAD)

    assert (outcome.ok, outcome.status_code, outcome.permanent) == (False, status, True)
    assert outcome.error is not None and body in outcome.error


async def test_server_errors_are_retryable(slack: SlackLike, sender: SlackSender) -> None:
    slack.scripts["/flaky"] = [(503, {}, "")]

    outcome = await sender.send(f"{slack.base}/flaky", PAYLOAD)

    assert (outcome.ok, outcome.status_code, outcome.permanent) == (False, 503, False)


async def test_timeouts_are_retryable() -> None:
    stuck = threading.Event()

    class Slow(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            stuck.wait(5)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        async with httpx.AsyncClient() as client:
            sender = SlackSender(client, timeout_s=0.3)
            outcome = await sender.send(f"http://127.0.0.1:{server.server_address[1]}/x", PAYLOAD)
    finally:
        stuck.set()
        server.shutdown()
        server.server_close()

    assert (outcome.ok, outcome.status_code, outcome.permanent) == (False, None, False)
    assert outcome.error is not None and "Timeout" in outcome.error


async def test_connection_refused_is_retryable(sender: SlackSender) -> None:
    outcome = await sender.send(f"http://127.0.0.1:{free_port()}/nobody", PAYLOAD)

    assert (outcome.ok, outcome.status_code, outcome.permanent) == (False, None, False)
