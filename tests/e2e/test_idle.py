"""An idle `healthmon up` costs next to nothing, on each local broker."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

IDLE = Path(__file__).parent.parent.parent / "bench" / "idle.py"
MOST_PERCENT = 2.0
"""Of one core, for ingest, scorer, alerts and `up` together (the broker aside)."""


def test_an_idle_system_uses_under_two_percent_of_a_core_on_both_brokers() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEALTHMON_")}
    measured = subprocess.run(
        [sys.executable, str(IDLE), "--rest", "15", "--window", "60", "--json"],
        env=env, capture_output=True, text=True, timeout=240, check=True,
    )  # fmt: skip
    shares = json.loads(measured.stdout.splitlines()[-1])
    assert set(shares) == {"noida", "tansu"}
    for engine, parts in shares.items():
        assert {"ingest", "scorer", "alerts"} <= set(parts), (engine, parts)
        assert parts["ours"] < MOST_PERCENT, (engine, parts)
