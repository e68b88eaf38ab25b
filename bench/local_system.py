"""`healthmon up` on a fresh data directory and ports of its own, for the benches."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from services.local.ports import free_port

SERVICES = ("INGEST", "SCORER", "ALERTS")


@dataclass(frozen=True)
class LocalSystem:
    """A running `healthmon up`: its process, where each service listens, its API key."""

    process: subprocess.Popen[str]
    urls: dict[str, str]
    """By service: `ingest`, `scorer`, `alerts`."""
    api_key: str


@contextmanager
def local_system(engine: str) -> Iterator[LocalSystem]:
    """Start `healthmon up` on `engine` and wait until it runs; stop it (SIGINT) afterwards.
    Ports are picked here, so that systems side by side do not race for the defaults."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEALTHMON_")}
    with tempfile.TemporaryDirectory() as state:
        ports = {name: free_port() for name in ("BROKER", *SERVICES)}
        env |= {f"HEALTHMON_{name}_PORT": str(port) for name, port in ports.items()}
        env |= {"HEALTHMON_DATA_DIR": state, "HEALTHMON_BROKER_ENGINE": engine}
        up = subprocess.Popen(
            [sys.executable, "-m", "services.cli", "up"], env=env, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        try:
            assert up.stdout is not None
            for line in up.stdout:
                if "running; press Ctrl-C" in line:
                    break
            else:
                raise SystemExit(f"healthmon up ({engine}) did not start")
            urls = {name.lower(): f"http://127.0.0.1:{ports[name]}" for name in SERVICES}
            yield LocalSystem(up, urls, Path(state, "api-key").read_text().strip())
        finally:
            os.killpg(up.pid, signal.SIGINT)
            up.wait(30)
