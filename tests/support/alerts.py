"""Alerts for tests of the channels and routes: a whole, valid alert with the given fields."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from schemas.alerts import Alert
from tests.support.changes import risk_change


def an_alert(fields: dict[str, Any]) -> Alert:
    """A valid alert with `fields` over it (`change` fields over those of a risk change)."""
    change = risk_change().model_dump(mode="json")
    change.update(fields.get("change", {}))
    raised = datetime(2026, 11, 20, 10, tzinfo=UTC)
    base: dict[str, Any] = {
        "id": "alert_1", "account_id": "acct-1", "status": "open", "severity": "warning",
        "band": change["current"]["band"], "score": change["current"]["score"], "title": "",
        "segment": None, "csm_owner": None, "created_at": raised, "updated_at": raised,
        "acknowledged_at": None, "acknowledged_by": None, "snoozed_until": None,
        "resolved_at": None, "resolution": None,
    }  # fmt: skip
    return Alert.model_validate({**base, **fields, "change": change})
