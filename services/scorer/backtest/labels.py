"""Churn labels from a CSV file (`account_id,churned_at`), instead of `subscription_ended`."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

from services.scorer.backtest.history import HistoryError

HEADER = ["account_id", "churned_at"]


def read_labels(path: Path) -> dict[str, datetime]:
    """When each listed account churned (ISO 8601, UTC unless given); a bad row is an error
    naming its line."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise HistoryError(f"cannot read {path}: {exc.strerror or exc}") from exc
    rows = list(csv.reader(text.splitlines()))
    if not rows or [c.strip() for c in rows[0]] != HEADER:
        raise HistoryError(f"{path}: line 1: the header must be {','.join(HEADER)}")
    labels: dict[str, datetime] = {}
    for number, row in enumerate(rows[1:], 2):
        if not row or not "".join(row).strip():
            continue
        if len(row) != 2 or not row[0].strip():
            raise HistoryError(f"{path}: line {number}: expected account_id,churned_at")
        account_id, when = row[0].strip(), row[1].strip()
        try:
            churned = datetime.fromisoformat(when)
        except ValueError as exc:
            raise HistoryError(
                f"{path}: line {number}: churned_at {when!r} is not an ISO 8601 time"
            ) from exc
        if account_id in labels:
            raise HistoryError(f"{path}: line {number}: {account_id} is listed twice")
        labels[account_id] = churned if churned.tzinfo else churned.replace(tzinfo=UTC)
    return labels
