"""What the workspace changes besides the alert lifecycle: assigning an alert to a CSM, and
sending a failed delivery again."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from services.alerts.store.episodes import AlertStateError
from services.alerts.tables import AlertEventRow, AlertRow, DeliveryRow
from services.alerts.web.tables import AlertAssigneeRow


def assign(session: Session, alert: AlertRow, assignee: str, actor: str, now: datetime) -> None:
    """Make `assignee` (a CSM's email) the one who works the alert; kept on its timeline."""
    if alert.status == "resolved":
        raise AlertStateError("a resolved alert cannot be assigned")
    row = session.get(AlertAssigneeRow, alert.id)
    if row is None:
        session.add(
            AlertAssigneeRow(
                alert_id=alert.id, assignee=assignee, assigned_by=actor, assigned_at=now
            )
        )
    else:
        row.assignee, row.assigned_by, row.assigned_at = assignee, actor, now
    alert.updated_at = now
    session.add(
        AlertEventRow(
            alert_id=alert.id, kind="assigned", actor=actor, note=f"to {assignee}", at=now
        )
    )


def replay_delivery(session: Session, failed: DeliveryRow, now: datetime) -> DeliveryRow:
    """Queue a delivery that gave up again, as a new message (a new webhook-id) due now."""
    if failed.status != "gave_up":
        raise AlertStateError(
            f"only a delivery that gave up can be replayed (it is {failed.status})"
        )
    again = DeliveryRow(
        id=f"msg_{uuid.uuid4().hex}", alert_id=failed.alert_id, channel=failed.channel,
        endpoint_id=failed.endpoint_id, target=failed.target, event_type=failed.event_type,
        body=failed.body, next_attempt_at=now, created_at=now,
    )  # fmt: skip
    session.add(again)
    return again
