"""The shipped Grafana dashboard charts only metrics the services export."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.metrics import exported, queried

DASHBOARD = Path(__file__).parent.parent / "deploy" / "grafana" / "dashboards" / "healthmon.json"


def test_every_metric_a_panel_queries_is_exported() -> None:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    names = {
        name
        for panel in panels
        for target in panel.get("targets", [])
        for name in queried(target["expr"])
    }
    assert names
    assert names - exported() == set()
