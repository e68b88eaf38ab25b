"""A real HTTP server on loopback that records requests and answers from a script."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    """One request as the receiver saw it."""

    path: str
    headers: dict[str, str]
    body: bytes
    answered: int


@dataclass
class Receiver:
    """Answers each POST with the next (status, headers) of `script`, then with `default`."""

    url: str
    script: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    default: int = 200
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    flaky: float = 0.0
    """After the script, the share of requests answered 500 (seeded, so runs repeat)."""
    delay_s: float = 0.0
    """How long to wait before answering."""
    rng: random.Random = field(default_factory=lambda: random.Random(7))

    def next_answer(self) -> tuple[int, dict[str, str]]:
        """The answer to give now."""
        with self.lock:
            if self.script:
                return self.script.pop(0)
            return (500, {}) if self.rng.random() < self.flaky else (self.default, {})

    def delivered_ids(self) -> list[str]:
        """webhook-ids of the messages answered 2xx, in order (repeats included)."""
        return [r.headers["webhook-id"] for r in self.requests if 200 <= r.answered < 300]


@contextmanager
def http_receiver(
    script: list[tuple[int, dict[str, str]]] | None = None, flaky: float = 0.0, delay_s: float = 0.0
) -> Iterator[Receiver]:
    """Run a receiver on a free loopback port for the duration of the block."""
    receiver: Receiver

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            status, headers = receiver.next_answer()
            receiver.requests.append(
                Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body, status)
            )
            time.sleep(receiver.delay_s)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    class Server(ThreadingHTTPServer):
        request_queue_size = 128  # many deliveries at once must not be refused at connect

    server = Server(("127.0.0.1", 0), Handler)
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    receiver = Receiver(url, list(script or []), flaky=flaky, delay_s=delay_s)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
