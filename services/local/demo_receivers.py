"""What `healthmon up --demo` runs so every channel is seen working on one machine: a mail
catcher (aiosmtpd) and a webhook receiver that also takes Slack messages, each logging what
arrives under the data directory."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from services.local.ports import free_port
from services.local.webhook_receiver import signature_check


@dataclass
class Counts:
    """How many messages a catcher took."""

    received: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self) -> None:
        """Count one more."""
        with self.lock:
            self.received += 1


class MailCatcher:
    """An SMTP server on 127.0.0.1 keeping each mail as an .eml file and a line in mail.log."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.counts = folder, Counts()
        folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        """Keep the mail."""
        self.counts.add()
        content = envelope.content if isinstance(envelope.content, bytes) else b""
        message = message_from_bytes(content, policy=policy.default)
        (self.folder / f"{self.counts.received:05d}.eml").write_bytes(content)
        with (self.folder / "mail.log").open("a") as log:
            log.write(f"to {', '.join(envelope.rcpt_tos)}: {message['subject']}\n")
        return "250 Message accepted for delivery"

    def start(self) -> None:
        """Listen."""
        self.controller.start()

    def stop(self) -> None:
        """Stop listening."""
        self.controller.stop()


class WebhookCatcher:
    """An HTTP server on 127.0.0.1: `/hooks` takes signed webhooks (checked once `secret` is
    set), `/slack` takes Slack messages; each is logged to webhooks.log."""

    def __init__(self, log_path: Path) -> None:
        self.log_path, self.counts = log_path, Counts()
        self.secret: str | None = None
        self.server = HTTPServer(("127.0.0.1", free_port()), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        catcher = self

        class Catching(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                headers = {k.lower(): v for k, v in self.headers.items()}
                check = "slack" if self.path.startswith("/slack") else "signature="
                if check != "slack":
                    check += signature_check(catcher.secret, headers, body)
                catcher.counts.add()
                with catcher.log_path.open("a") as log:
                    log.write(f"POST {self.path} {check} {body.decode(errors='replace')}\n")
                self.send_response(200)
                self.send_header("content-type", "text/plain")
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                """Silence the default per-request log line."""

        return Catching

    def start(self) -> None:
        """Serve in a thread."""
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()
