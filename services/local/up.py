"""`healthmon up`: broker, ingest, scorer and alerts as child processes on one machine."""

from __future__ import annotations

import ctypes
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import httpx
from rich.console import Console

from services.db.sql import make_engine, upgrade_db
from services.kafka.topics import ensure_topics
from services.local.broker import Broker, start_broker
from services.local.demo_receivers import MailCatcher, WebhookCatcher
from services.local.ports import free_port
from services.scorer.model import load_model
from services.settings import Settings

LOCAL_REBALANCE_TIMEOUT_S = 3.0
LOCAL_NETWORKS = "127.0.0.0/8,::1/128"
"""Where webhooks of a system run on one machine may go unless told otherwise: its own
receivers (a production deployment allows no internal address by default)."""
READY_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 8.0
"""How long `up` gives its services and broker, all told, to stop before it kills them."""
URLS_FILE = "urls.env"
"""Where `up` writes its addresses in the data directory (shell syntax), while it runs."""
STOP_ORDER = ("ingest", "scorer", "alerts")
"""Ingest first, so nothing new is acknowledged, then the consumers; the broker last."""
BROKER_SETTLE_S = 1.0
"""Pause before the broker's SIGTERM: noida writes acknowledged records to disk about once a
second, and a SIGTERM under load lost the tail it had not written (docs/operations.md)."""


class StartError(RuntimeError):
    """A service of `up` exited or did not get ready."""


@dataclass
class Child:
    """A service process started by `up`."""

    name: str
    url: str
    ready_path: str
    process: subprocess.Popen[bytes]
    log_path: Path
    log: IO[bytes]

    def stop(self, timeout_s: float = 10.0) -> None:
        """SIGTERM, then SIGKILL if it does not exit within `timeout_s`."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(max(timeout_s, 0.1))
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    def log_tail(self, size: int = 3000) -> str:
        """The end of the service's log."""
        return self.log_path.read_text(errors="replace")[-size:]


def api_key(data_dir: Path) -> str:
    """The local API key, created on first use and kept in the data directory."""
    path = data_dir / "api-key"
    if not path.exists():
        with open(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600), "w") as file:
            file.write("hm_" + secrets.token_urlsafe(24) + "\n")
    return path.read_text().strip()


def local_environment(settings: Settings, broker: Broker | None) -> dict[str, str]:
    """HEALTHMON_* values that the child services must share."""
    data_dir = settings.data_dir.resolve()
    env = {
        "HEALTHMON_DATA_DIR": str(data_dir),
        "HEALTHMON_INGEST_PORT": str(free_port(settings.ingest_port)),
        "HEALTHMON_ALERTS_PORT": str(free_port(settings.alerts_port)),
        "HEALTHMON_SCORER_PORT": str(free_port(settings.scorer_port)),
    }
    if broker is not None:
        env["HEALTHMON_KAFKA_BOOTSTRAP_SERVERS"] = broker.bootstrap
        env["HEALTHMON_KAFKA_REBALANCE_TIMEOUT_S"] = str(LOCAL_REBALANCE_TIMEOUT_S)
    if not settings.api_keys:
        env["HEALTHMON_API_KEYS"] = api_key(data_dir)
    if not settings.webhook_allow_networks:
        env["HEALTHMON_WEBHOOK_ALLOW_NETWORKS"] = LOCAL_NETWORKS
    return env


PR_SET_PDEATHSIG = 1


def _end_with_parent() -> None:
    """In a child before exec: get SIGTERM when `up` dies, even by SIGKILL (Linux only)."""
    if sys.platform == "linux":
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def spawn(name: str, env: dict[str, str], logs: Path, url: str, ready_path: str) -> Child:
    """Start `healthmon <name>` with `env`, logging to logs/<name>.log.

    Each runs in a session of its own so that a Ctrl-C in the terminal reaches only `up`,
    which then stops them in STOP_ORDER.
    """
    log_path = logs / f"{name}.log"
    log = log_path.open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "services.cli", name],
        env=os.environ | env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        preexec_fn=_end_with_parent,
    )
    return Child(name, url, ready_path, process, log_path, log)


def wait_ready(children: list[Child], timeout_s: float = READY_TIMEOUT_S) -> None:
    """Block until every child answers 200 on its readiness path."""
    deadline = time.monotonic() + timeout_s
    pending = list(children)
    with httpx.Client(timeout=2) as client:
        while pending:
            for child in list(pending):
                if child.process.poll() is not None:
                    raise StartError(f"{child.name} exited:\n{child.log_tail()}")
                try:
                    if client.get(child.url + child.ready_path).status_code == 200:
                        pending.remove(child)
                except httpx.HTTPError:
                    pass
            if time.monotonic() > deadline:
                names = ", ".join(c.name for c in pending)
                raise StartError(f"not ready after {timeout_s:.0f}s: {names}")
            time.sleep(0.3)


class Interrupts:
    """SIGINT and SIGTERM handled by `up` itself, whatever dispositions it inherited: the first
    one interrupts the run, later ones are ignored so they cannot cut the orderly stop short."""

    def __init__(self) -> None:
        self.received = False

    def install(self) -> None:
        """Handle SIGINT and SIGTERM from now on."""
        signal.signal(signal.SIGINT, self.handle)
        signal.signal(signal.SIGTERM, self.handle)

    def handle(self, signum: int, frame: object) -> None:
        """Raise KeyboardInterrupt the first time."""
        if not self.received:
            self.received = True
            raise KeyboardInterrupt


def stop_all(
    children: list[Child],
    broker: Broker | None,
    settle_s: float = BROKER_SETTLE_S,
    timeout_s: float = STOP_TIMEOUT_S,
) -> None:
    """Stop the services in STOP_ORDER, then, after `settle_s`, the broker; whatever has not
    exited when `timeout_s` (all told) is up is killed."""
    deadline = time.monotonic() + timeout_s
    for child in sorted(children, key=lambda c: STOP_ORDER.index(c.name)):
        child.stop(deadline - time.monotonic() - settle_s - 1.0)
    if broker is not None:
        if children:
            time.sleep(settle_s)
        broker.stop(max(deadline - time.monotonic(), 1.0))


def write_urls(path: Path, children: list[Child], bootstrap: str, smtp: str | None = None) -> None:
    """Write the addresses of a running `up` as shell variable assignments."""
    lines = [f"{c.name.upper()}_URL={c.url}" for c in children]
    if smtp:
        lines.append(f"SMTP_URL={smtp}")
    path.write_text("\n".join([*lines, f"KAFKA_BOOTSTRAP_SERVERS={bootstrap}", ""]))


def demo_sign_in_link(settings: Settings, alerts_url: str) -> str:
    """A one-time link signing the first demo CSM in with a key of the alerts scopes."""
    from services.alerts.web.links import create_link
    from services.db.sql import Database
    from services.web.api_keys import create_key

    now = datetime.now(UTC)
    with Database(settings.sqlalchemy_url).sessions().begin() as session:
        row, _ = create_key(session, DEMO_CSM, ["alerts:read", "alerts:write"], now)
        token = create_link(session, row.id, DEMO_CSM, now)
    return f"{alerts_url}/signin/link/{token}"


DEMO_CSM = "csm1@example.com"


def start_catchers(data_dir: Path, env: dict[str, str]) -> tuple[MailCatcher, WebhookCatcher]:
    """The demo's mail catcher and webhook receiver, and the alerts settings that use them."""
    mail = MailCatcher(data_dir / "mail")
    mail.start()
    webhooks = WebhookCatcher(data_dir / "logs" / "webhooks.log")
    webhooks.start()
    if not os.environ.get("HEALTHMON_SMTP_HOST"):
        env["HEALTHMON_SMTP_HOST"], env["HEALTHMON_SMTP_PORT"] = "127.0.0.1", str(mail.port)
    return mail, webhooks


def run_all(settings: Settings, demo: bool = False) -> None:
    """Start everything, print where it is, optionally feed the demo, and run until Ctrl-C."""
    console = Console()
    Interrupts().install()
    load_model(settings.model_file)  # a bad model file fails before anything starts
    os.umask(0o077)  # the data directory holds keys, databases and records: owner-only
    data_dir = settings.data_dir.resolve()
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    logs = data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    urls = data_dir / URLS_FILE
    external = "HEALTHMON_KAFKA_BOOTSTRAP_SERVERS" in os.environ
    broker = None
    children: list[Child] = []
    catchers: tuple[MailCatcher, WebhookCatcher] | None = None
    stop_live = threading.Event()
    try:
        if not external:
            port = free_port(settings.broker_port)
            broker = start_broker(settings.broker_engine, port, data_dir / "broker")
        env = local_environment(settings, broker)
        if demo:
            catchers = start_catchers(data_dir, env)
        os.environ.update(env)
        settings = Settings()
        ensure_topics(settings)
        upgrade_db(make_engine(settings.sqlalchemy_url))  # once, before the services share it
        host = "127.0.0.1"
        for name, ready in (("ingest", "/readyz"), ("scorer", "/healthz"), ("alerts", "/readyz")):
            url = f"http://{host}:{env[f'HEALTHMON_{name.upper()}_PORT']}"
            children.append(spawn(name, env, logs, url, ready))
        wait_ready(children)
        bootstrap = settings.kafka_bootstrap_servers
        console.print(f"broker  kafka://{bootstrap}" + (f"  ({broker.engine})" if broker else ""))
        for child in children:
            console.print(f"{child.name:<7} {child.url}")
        key = settings.api_key_values()
        console.print(f"api key {sorted(key)[0] if key else '(from HEALTHMON_API_KEYS)'}")
        console.print(f"logs    {logs}")
        smtp = (
            env.get("HEALTHMON_SMTP_HOST")
            and f"{env['HEALTHMON_SMTP_HOST']}:{env['HEALTHMON_SMTP_PORT']}"
        )
        write_urls(urls, children, bootstrap, smtp or None)
        console.print(f"urls    {urls}")
        if demo and catchers is not None:
            show_demo(settings, children, sorted(key)[0], catchers, console, stop_live)
        console.print("[dim]running; press Ctrl-C to stop[/dim]")
        while all(child.process.poll() is None for child in children):
            time.sleep(0.5)
        dead = next(c for c in children if c.process.poll() is not None)
        console.print(f"[red]{dead.name} exited[/red]\n{dead.log_tail()}")
        raise SystemExit(1)
    except KeyboardInterrupt:
        console.print("stopping")
    finally:
        stop_live.set()
        urls.unlink(missing_ok=True)
        stop_all(children, broker)
        for catcher in catchers or ():
            catcher.stop()


def show_demo(
    settings: Settings,
    children: list[Child],
    key: str,
    catchers: tuple[MailCatcher, WebhookCatcher],
    console: Console,
    stop_live: threading.Event,
) -> None:
    """Wire the demo's channels, feed its backfill, keep live events coming, and say where to
    look next."""
    from services.local.demo import keep_sending, run_demo, wire_channels

    ingest, alerts = children[0].url, children[2].url
    mail, webhooks = catchers
    webhooks.secret = wire_channels(alerts, key, webhooks.url)
    run_demo(ingest, alerts, key, console)
    threading.Thread(target=keep_sending, args=(ingest, key, stop_live), daemon=True).start()
    link = demo_sign_in_link(settings, alerts)

    def say(text: str) -> None:
        console.print(text, soft_wrap=True)  # keep paths and links on one line

    logs = settings.data_dir.resolve() / "logs"
    say(f"\n[bold]Open the workspace:[/bold] {link}")
    say("  (a one-time sign-in link, valid for an hour; then sign in with an API key)")
    say(f"mail    smtp://127.0.0.1:{mail.port} -> {mail.folder} ({mail.counts.received} so far)")
    say(f"hooks   {webhooks.url}/hooks and /slack -> {logs / 'webhooks.log'} "
                  f"({webhooks.counts.received} so far)")  # fmt: skip
    say("\nNext steps:")
    say(f"  1. Open the link, then Alerts: acknowledge or snooze one ({alerts}/alerts)")
    say(f"  2. See the channels: tail -f {logs / 'webhooks.log'}; mail: {mail.folder}")
    say("  3. In another terminal: healthmon status, then healthmon alerts list")
    say("live events keep arriving every few seconds, so the pages move")
