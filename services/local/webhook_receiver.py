"""`healthmon receive-webhooks`: a webhook receiver on this machine that prints what arrives."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import TextIO

from services.alerts.signing import verify


def signature_check(secret: str | None, headers: dict[str, str], body: bytes) -> str:
    """`valid`, `INVALID` or `unchecked` (no secret given) for a Standard Webhooks message."""
    if secret is None:
        return "unchecked"
    try:
        ok = verify(
            secret,
            headers.get("webhook-id", ""),
            int(headers.get("webhook-timestamp", "")),
            body,
            headers.get("webhook-signature", ""),
        )
    except ValueError:
        ok = False
    return "valid" if ok else "INVALID"


def handler(secret: str | None, out: TextIO) -> Callable[..., BaseHTTPRequestHandler]:
    """A request handler printing each POST (path, id, signature check, body) to `out`."""

    class Printing(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            check = signature_check(secret, headers, body)
            message_id = headers.get("webhook-id", "-")
            print(f"POST {self.path} id={message_id} signature={check}", file=out)
            print(body.decode(errors="replace"), file=out, flush=True)
            self.send_response(200)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            """Silence the default per-request log line: the body says it all."""

    return Printing


def serve(port: int, secret: str | None, out: TextIO = sys.stdout) -> None:
    """Print webhooks sent to http://127.0.0.1:`port`/ until interrupted."""
    with HTTPServer(("127.0.0.1", port), handler(secret, out)) as server:
        bound = server.server_address[1]
        print(
            f"receiving webhooks at http://127.0.0.1:{bound}/ (Ctrl-C stops)", file=out, flush=True
        )
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
