"""The churn simulator of bench/ (its modules import each other as top-level modules)."""

from __future__ import annotations

import sys
from pathlib import Path

BENCH = str(Path(__file__).resolve().parents[2] / "bench")
if BENCH not in sys.path:
    sys.path.append(BENCH)

from churn_figures import run as simulator_figures  # noqa: E402
from churn_plan import Config  # noqa: E402
from churn_sim import write_ndjson  # noqa: E402

__all__ = ["Config", "simulator_figures", "write_ndjson"]
