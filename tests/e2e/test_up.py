"""`healthmon up --demo`: the README's first command on a fresh data directory."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

import httpx
import pytest

from services.local.ports import free_port

REQUEST_TIMEOUT_S = 30.0
"""httpx's default of 5 s is too short for a whole demo system (broker, three services, the
seeded workload) sharing two busy cores; a service that hangs still fails the test."""


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


def start_up(
    data_dir: Path, *args: str, ignoring: Iterable[signal.Signals] = ()
) -> subprocess.Popen[str]:
    """`healthmon up ARGS` on `data_dir`, started with the signals `ignoring` ignored (SIG_IGN),
    as a script run with `trap '' INT TERM` or `nohup` would start it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEALTHMON_")}
    env |= {"HEALTHMON_DATA_DIR": str(data_dir), "COLUMNS": "200"}
    ignored = tuple(ignoring)

    def ignore() -> None:
        for signum in ignored:
            signal.signal(signum, signal.SIG_IGN)

    return subprocess.Popen(
        [sys.executable, "-m", "services.cli", "up", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        preexec_fn=ignore,
    )


def children_of(pid: int) -> list[int]:
    """The processes `pid` started (for `up`: the broker and the three services)."""
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False)
    return [int(p) for p in found.stdout.split()]


def alive(pids: Iterable[int]) -> list[int]:
    """Those of `pids` that still run."""
    running = []
    for pid in pids:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            continue
        running.append(pid)
    return running


def gone_within(pids: list[int], timeout_s: float) -> list[int]:
    """Wait up to `timeout_s` for `pids` to exit; those still running."""
    deadline = time.monotonic() + timeout_s
    while alive(pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return alive(pids)


def test_up_demo_runs_everything_shows_alerts_and_stops_cleanly_keeping_files_private(
    tmp_path: Path,
) -> None:
    process = start_up(tmp_path / "state", "--demo")
    started: list[int] = []
    try:
        output = read_until(process, r"running; press Ctrl-C", timeout_s=240)
        started = children_of(process.pid)
        urls = dict(
            re.findall(r"^(ingest|scorer|alerts)\s+(http://127\.0\.0\.1:\d+)$", output, re.M)
        )
        assert set(urls) == {"ingest", "scorer", "alerts"}, output
        assert re.search(r"^broker\s+kafka://127\.0\.0\.1:\d+\s+\(noida\)$", output, re.M), output
        key = re.search(r"^api key (\S+)$", output, re.M)
        assert key, output
        shown = re.search(r"alerts: (\d+) need attention, (\d+) resolved", output)
        assert shown and int(shown.group(1)) > 0, output
        assert re.search(r"│ acme-\d+ +│ (open|acknowledged|snoozed|resolved) ", output), output
        listed = httpx.get(
            f"{urls['alerts']}/v1/alerts",
            headers={"Authorization": f"Bearer {key.group(1)}"},
            timeout=REQUEST_TIMEOUT_S,
        ).json()["items"]
        assert {a["band"] for a in listed} <= {"yellow", "red", "green"} and listed
        link = re.search(r"(http://127\.0\.0\.1:\d+/signin/link/\S+)", output)
        assert link and "Next steps:" in output, output
        with httpx.Client(follow_redirects=True, timeout=REQUEST_TIMEOUT_S) as browser:
            page = browser.get(link.group(1))
            assert page.status_code == 200 and "csm1@example.com" in page.text
            assert "Acme" in browser.get(f"{urls['alerts']}/alerts").text
            assert browser.get(link.group(1)).status_code == 401  # one time only
        state = tmp_path / "state"
        log = state / "logs" / "webhooks.log"
        deadline = time.monotonic() + 20  # Slack messages are paced at one a second
        while time.monotonic() < deadline and not (
            log.exists() and "POST /slack" in log.read_text() and list(state.glob("mail/*.eml"))
        ):
            time.sleep(0.5)
        assert list((state / "mail").glob("*.eml")), "no alert mail reached the mail catcher"
        hooks = log.read_text()
        assert "POST /hooks signature=valid" in hooks and "POST /slack slack" in hooks
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(60)

    assert len(started) == 4 and alive(started) == [], "a service or the broker outlived `up`"
    state = tmp_path / "state"
    exposed = [str(p.relative_to(state)) for p in state.rglob("*") if p.stat().st_mode & 0o077]
    assert exposed == [], "files or directories of the data directory that others may use"


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_up_stops_everything_within_10s_on_a_signal_even_when_started_with_signals_ignored(
    tmp_path: Path, signum: signal.Signals
) -> None:
    state = tmp_path / "state"
    process = start_up(state, ignoring=(signal.SIGINT, signal.SIGTERM))
    started: list[int] = []
    try:
        output = read_until(process, r"running; press Ctrl-C", timeout_s=120)
        started = children_of(process.pid)
        assert len(started) == 4, output
        assert not re.search(r"ERROR|Traceback|ECONNREFUSED", output), output
        printed = dict(re.findall(r"^(ingest|scorer|alerts)\s+(http://\S+)$", output, re.M))
        written = dict(
            re.findall(
                r"^(INGEST|SCORER|ALERTS)_URL=(\S+)$", (state / "urls.env").read_text(), re.M
            )
        )
        assert {k.lower(): v for k, v in written.items()} == printed
        began = time.monotonic()
        process.send_signal(signum)
        process.wait(10)
        assert gone_within(started, 10 - (time.monotonic() - began)) == []
        assert process.returncode == 0
        assert not (state / "urls.env").exists(), "the addresses of a stopped `up` were kept"
    finally:
        for pid in alive([process.pid, *started]):
            os.kill(pid, signal.SIGKILL)


def test_the_services_of_up_end_with_it_even_when_it_is_killed(tmp_path: Path) -> None:
    process = start_up(tmp_path / "state")
    started: list[int] = []
    try:
        read_until(process, r"running; press Ctrl-C", timeout_s=120)
        started = children_of(process.pid)
        cmdlines = {pid: Path(f"/proc/{pid}/cmdline").read_bytes() for pid in started}
        services = [pid for pid, cmd in cmdlines.items() if b"services.cli" in cmd]
        assert len(services) == 3, cmdlines
        process.kill()
        process.wait(10)
        assert gone_within(services, 10) == []
    finally:
        for pid in alive([process.pid, *started]):
            os.kill(pid, signal.SIGKILL)


def readme_try_it(port: int) -> str:
    """The README's "Try it" commands, with the receiver on `port` and time for the alert."""
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    block = re.search(r"^## Try it\n.*?```sh\n(.*?)```", readme, re.S | re.M)
    assert block, "README has no Try it commands"
    script = block.group(1).replace("9000", str(port))
    assert "kill %1" in script
    return script.replace("kill %1", "sleep 5; kill %1")


def test_the_readme_try_it_commands_bring_an_alert_to_a_receiver_on_this_machine(
    tmp_path: Path,
) -> None:
    process = start_up(tmp_path / ".healthmon")
    started: list[int] = []
    try:
        read_until(process, r"running; press Ctrl-C", timeout_s=120)
        started = children_of(process.pid)
        (tmp_path / ".venv").symlink_to(sys.prefix)
        env = {k: v for k, v in os.environ.items() if not k.startswith("HEALTHMON_")}
        tried = subprocess.run(
            ["bash", "-e", "-c", readme_try_it(free_port())],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert tried.returncode == 0, tried.stderr
        received = re.findall(r"POST /hooks id=(\S+) signature=(\S+)$", tried.stdout, re.M)
        assert received and all(check == "valid" for _, check in received), tried.stdout
        assert '"type":"alert.created"' in tried.stdout and '"account_id":"acme"' in tried.stdout
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(20)
        for pid in alive(started):
            os.kill(pid, signal.SIGKILL)
