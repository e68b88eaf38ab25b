"""What `healthmon up` does around its services: the local key, and stopping in order."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

from services.local.broker import Broker
from services.local.up import Child, api_key, local_environment, stop_all
from services.settings import Settings

RECORD_SIGTERM = """
import signal, sys, time
def stop(*_):
    with open(sys.argv[1], "a") as out:
        out.write(sys.argv[2] + "\\n")
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
print("ready", flush=True)
while True:
    time.sleep(0.05)
"""


def test_the_generated_api_key_file_is_owner_only_from_the_start(tmp_path: Path) -> None:
    before = os.umask(0o022)
    try:
        key = api_key(tmp_path)
    finally:
        os.umask(before)
    path = tmp_path / "api-key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert key.startswith("hm_") and api_key(tmp_path) == key


def recorder(name: str, record: Path, new_session: bool = False) -> subprocess.Popen[bytes]:
    """A process that writes `name` to `record` when it gets SIGTERM."""
    process = subprocess.Popen(
        [sys.executable, "-c", RECORD_SIGTERM, str(record), name],
        stdout=subprocess.PIPE, start_new_session=new_session,
    )  # fmt: skip
    assert process.stdout is not None and process.stdout.readline() == b"ready\n"
    return process


def test_ingest_stops_first_and_the_broker_last_after_a_pause(tmp_path: Path) -> None:
    record = tmp_path / "stopped"
    children = [
        Child(name, "", "", recorder(name, record), tmp_path / name, (tmp_path / name).open("ab"))
        for name in ("ingest", "scorer", "alerts")  # the order `up` starts them in
    ]
    broker_process = recorder("broker", record, new_session=True)
    broker = Broker("noida", 0, tmp_path, broker_process, tmp_path / "broker.log")
    began = time.monotonic()
    stop_all(children, broker, settle_s=0.5)
    assert record.read_text().split() == ["ingest", "scorer", "alerts", "broker"]
    assert time.monotonic() - began >= 0.5
    assert all(c.process.returncode == 0 for c in children) and broker_process.returncode == 0


def test_a_local_system_may_send_webhooks_to_receivers_on_this_machine(tmp_path: Path) -> None:
    env = local_environment(Settings(data_dir=tmp_path), None)
    assert env["HEALTHMON_WEBHOOK_ALLOW_NETWORKS"] == "127.0.0.0/8,::1/128"


def test_networks_the_operator_allowed_are_left_as_they_are(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, webhook_allow_networks=["10.1.0.0/16"])
    assert "HEALTHMON_WEBHOOK_ALLOW_NETWORKS" not in local_environment(settings, None)
