"""Running the `healthmon` command as a user would, on a data directory of its own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def healthmon(
    data_dir: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`healthmon ARGS` with no HEALTHMON_ settings but its data directory (its SQLite database)
    and `env`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEALTHMON_")} | (env or {})
    env["HEALTHMON_DATA_DIR"] = str(data_dir)
    command = [sys.executable, "-m", "services.cli", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
