"""`healthmon status` and `healthmon alerts list` on a real database, and what they read."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from services.local.status import from_database, lag_of, service_urls
from tests.support.cli import healthmon
from tests.support.workspace import seed_account


def test_lag_is_summed_per_consumer_group() -> None:
    metrics = "\n".join([
        "# HELP healthmon_consumer_lag Records on a partition not yet consumed",
        'healthmon_consumer_lag{group="healthmon-alerts",partition="0",topic="t"} 3.0',
        'healthmon_consumer_lag{group="healthmon-alerts",partition="1",topic="t"} 4.0',
        'healthmon_consumer_lag{group="healthmon-scorer",partition="0",topic="u"} 0.0',
    ])  # fmt: skip
    assert lag_of(metrics) == {"healthmon-alerts": 7.0, "healthmon-scorer": 0.0}


def test_the_addresses_of_a_running_up_win_over_settings(tmp_path: Path) -> None:
    (tmp_path / "urls.env").write_text("ALERTS_URL=http://127.0.0.1:9\nSMTP_URL=127.0.0.1:25\n")
    urls = service_urls(tmp_path, {"alerts": "http://127.0.0.1:8001", "ingest": "http://x:1"})
    assert urls == {"alerts": "http://127.0.0.1:9", "ingest": "http://x:1", "smtp": "127.0.0.1:25"}


def test_bands_alerts_and_channels_come_from_the_database(
    sessions: sessionmaker[Session],
) -> None:
    now = datetime.now(UTC)
    for name, band in (("a", "red"), ("b", "yellow"), ("c", "green"), ("d", "green")):
        seed_account(sessions, name, band, now)
    with sessions() as session:
        status = from_database(session, smtp=None)
    assert status.bands == {"red": 1, "yellow": 1, "green": 2}
    assert status.alerts == {"open": 2}
    assert status.channels["email"] == "off, no SMTP server set (HEALTHMON_SMTP_HOST)"
    assert status.channels["webhooks"] == "off, no endpoint"


def test_the_commands_print_a_deployment_with_nothing_running(
    engine: Engine, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    url = engine.url.render_as_string(hide_password=False)
    seed_account(sessions, "acme", "red", datetime.now(UTC))
    ports = {f"HEALTHMON_{name}_PORT": "9" for name in ("ALERTS", "INGEST", "SCORER")}
    env = {"HEALTHMON_DATABASE_URL": url, **ports}
    done = healthmon(tmp_path, "status", env=env)
    assert done.returncode == 0, done.stderr
    assert "alerts   not reachable at http://127.0.0.1:9" in done.stdout
    assert "accounts 1 (red 1)" in done.stdout and "alerts   open 1" in done.stdout
    assert "email:    off, no SMTP server set" in done.stdout
    listed = healthmon(tmp_path, "alerts", "list", env=env)
    assert listed.returncode == 0 and "acme" in listed.stdout and "open" in listed.stdout
    bad = healthmon(tmp_path, "alerts", "list", "--status", "closed", env=env)
    assert bad.returncode == 2 and "one of active" in bad.stderr
