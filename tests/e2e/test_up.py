"""`healthmon up --demo`: the README's first command on a fresh data directory."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx


def read_until(process: subprocess.Popen[str], pattern: str, timeout_s: float) -> str:
    """Collect stdout lines until one matches `pattern`."""
    assert process.stdout is not None
    seen: list[str] = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            break
        seen.append(line)
        if re.search(pattern, line):
            return "".join(seen)
    raise AssertionError(f"no line matching {pattern!r} within {timeout_s}s:\n{''.join(seen)}")


def test_up_demo_runs_everything_shows_alerts_and_stops_cleanly_keeping_files_private(
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEALTHMON_")}
    env |= {"HEALTHMON_DATA_DIR": str(tmp_path / "state"), "COLUMNS": "200"}
    process = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "up", "--demo"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output = read_until(process, r"running; press Ctrl-C", timeout_s=240)
        urls = dict(
            re.findall(r"^(ingest|scorer|alerts)\s+(http://127\.0\.0\.1:\d+)$", output, re.M)
        )
        assert set(urls) == {"ingest", "scorer", "alerts"}, output
        assert re.search(r"^broker\s+kafka://127\.0\.0\.1:\d+\s+\(noida\)$", output, re.M), output
        key = re.search(r"^api key (\S+)$", output, re.M)
        assert key, output
        shown = re.search(r"alerts \((\d+) so far\)", output)
        assert shown and int(shown.group(1)) > 0, output
        listed = httpx.get(
            f"{urls['alerts']}/v1/alerts", headers={"Authorization": f"Bearer {key.group(1)}"}
        ).json()["items"]
        assert {a["band"] for a in listed} <= {"yellow", "red", "green"} and listed
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(60)

    def alive(*pgrep_args: str) -> list[str]:
        found = subprocess.run(["pgrep", *pgrep_args], capture_output=True, text=True, check=False)
        return found.stdout.split()

    assert alive("-g", str(process.pid)) == [], "a service outlived `up`"
    assert alive("-f", str(tmp_path)) == [], "the broker outlived `up`"
    state = tmp_path / "state"
    exposed = [str(p.relative_to(state)) for p in state.rglob("*") if p.stat().st_mode & 0o077]
    assert exposed == [], "files or directories of the data directory that others may use"
