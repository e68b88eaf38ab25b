"""Page render times of the CSM workspace at 100,000 accounts on PostgreSQL (target: under
300 ms a page), against the HTTP floor (/healthz) and the alerts API's list measured in the same
run. Medians of several runs per page, each a real HTTP request to a uvicorn server.

    .venv/bin/python bench/workspace.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_ws
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, make_url, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.workspace_seed import seed
from services.alerts.app import create_app
from services.db.sql import make_engine, upgrade_db
from services.local.ports import free_port
from services.settings import Settings

KEY = "bench-key"
TARGET_MS = 300.0


def fresh_database(url: str) -> None:
    """Drop and create the database `url` names."""
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


def timed(client: httpx.Client, path: str, runs: int) -> tuple[float, int]:
    """Median milliseconds of `runs` GETs of `path` (after one warm-up) and its status."""
    client.get(path)
    times, status = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        answer = client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        status = answer.status_code
    return statistics.median(times), status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="A PostgreSQL URL; it is recreated.")
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--reuse", action="store_true", help="Time the database a previous run seeded, as it is."
    )
    args = parser.parse_args()
    started = time.perf_counter()
    if not args.reuse:
        fresh_database(args.database_url)
    engine = make_engine(args.database_url)
    upgrade_db(engine)
    if not args.reuse:
        seed(engine, args.accounts)
    with engine.connect() as connection:
        changes = connection.execute(text("SELECT count(*) FROM health_changes")).scalar_one()
        counted = text("SELECT status = 'resolved', count(*) FROM alerts GROUP BY 1")
        alerts: dict[bool, int] = {resolved: n for resolved, n in connection.execute(counted)}
    print(f"{'reused' if args.reuse else 'seeded'} {args.accounts:,} accounts, {changes:,} "
          f"changes, {alerts.get(False, 0):,} active and {alerts.get(True, 0):,} resolved alerts "
          f"in {time.perf_counter() - started:.0f} s")  # fmt: skip
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings(
            database_url=args.database_url, api_keys=KEY, data_dir=Path(data_dir),
            secret_keys=Fernet.generate_key().decode(), rate_limit_per_s=0,
        )  # type: ignore[call-arg]  # fmt: skip
        app = create_app(settings, background=False)
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning"))
        threading.Thread(target=server.run, daemon=True).start()
        while not server.started:
            time.sleep(0.05)
        try:
            measure(f"http://127.0.0.1:{port}", args.runs)
        finally:
            server.should_exit = True


def measure(base: str, runs: int) -> None:
    """Sign in, then time each page and the baselines."""
    with httpx.Client(base_url=base, timeout=60) as client:
        form = client.get("/signin").text
        token = re.search(r'name="csrf" value="([^"]+)"', form)
        assert token
        client.post("/signin", data={"csrf": token.group(1), "api_key": KEY,
                                     "email": "csm7@example.com"})  # fmt: skip
        inbox = client.get("/alerts").text
        since = re.search(r"/alerts/live\?since=([^&\"]+)", inbox)
        account = client.get("/accounts/acct-000042").text
        version = re.search(r'data-version="([^"]+)"', account)
        assert since and version
        floor, _ = timed(client, "/healthz", runs)
        api_client = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {KEY}"})
        api, _ = timed(api_client, "/v1/alerts?limit=25", runs)
        print(f"\nbaselines (median of {runs}): GET /healthz {floor:.1f} ms; "
              f"GET /v1/alerts?limit=25 (API) {api:.1f} ms\n")  # fmt: skip
        print(f"{'page':<58} {'median ms':>9} {'x /healthz':>10} {'x API':>6}  status")
        pages = [
            "/accounts", "/accounts?page=2000", "/accounts?band=red",
            "/accounts?band=yellow&segment=enterprise",
            "/accounts?owner=mine", "/accounts?q=company%200421", "/accounts?q=acct-0999",
            "/accounts?stale=1", "/accounts?open=1&page=40", "/accounts/acct-000042",
            "/alerts", "/alerts?page=1000", "/alerts?status=all&page=300",
            "/alerts?status=all&page=4000", "/alerts?status=snoozed", "/alerts?owner=mine",
            "/alerts?owner=mine&band=red", "/alerts?band=red&segment=enterprise",
            "/alerts?q=company%200421", "/alerts?stale=1", "/deliveries",
            f"/alerts/live?since={since.group(1)}",
            f"/accounts/acct-000042/live?version={version.group(1)}",
        ]  # fmt: skip
        worst, failed = 0.0, []
        for path in pages:
            ms, status = timed(client, path, runs)
            if "/live" not in path:
                worst = max(worst, ms)
            if status != (204 if "/live" in path else 200):  # a fast error is no page
                failed.append(f"{path} ({status})")
            shown = path if len(path) <= 58 else path[:55] + "..."
            print(f"{shown:<58} {ms:>9.1f} {ms / floor:>10.1f} {ms / api:>6.1f}  {status}")
        verdict = "under" if worst < TARGET_MS else "OVER"
        print(f"\nslowest page {worst:.1f} ms: {verdict} the {TARGET_MS:.0f} ms target")
        if failed:
            raise SystemExit(f"pages that did not answer as a page should: {', '.join(failed)}")


if __name__ == "__main__":
    main()
