"""Per-account state kept by the scorer, and its compact serialised form."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

DEDUPE_WINDOW = 256
HISTORY_POINTS = 32


@dataclass
class AccountState:
    """Everything the model remembers about one account. Times are epoch seconds of event time."""

    account_id: str
    seq: int = 0
    events_seen: int = 0
    recent_ids: list[str] = field(default_factory=list)
    traits: dict[str, Any] = field(default_factory=dict)
    as_of: float | None = None
    last_activity_at: float | None = None
    open_tickets: dict[str, str] = field(default_factory=dict)
    escalations: int = 0
    tickets_seen: bool = False
    failed_payments: int = 0
    open_disputes: int = 0
    cancel_scheduled: bool = False
    payments_seen: bool = False
    nps: int | None = None
    score: float | None = None
    band: str = "unknown"
    history: list[tuple[float, float]] = field(default_factory=list)

    def seen(self, event_id: str) -> bool:
        """Whether this event id was already applied (within the dedupe window)."""
        return event_id in self.recent_ids

    def remember(self, event_id: str) -> None:
        """Record an applied event id, forgetting the oldest beyond the window."""
        self.recent_ids.append(event_id)
        if len(self.recent_ids) > DEDUPE_WINDOW:
            del self.recent_ids[: len(self.recent_ids) - DEDUPE_WINDOW]

    def record_score(self, at: float, score: float) -> None:
        """Keep a bounded history of scores for the 7-day trend."""
        if self.history and self.history[-1][0] == at:
            self.history[-1] = (at, score)
        else:
            self.history.append((at, score))
        if len(self.history) > HISTORY_POINTS:
            del self.history[: len(self.history) - HISTORY_POINTS]

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the changelog."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AccountState:
        """Rebuild from `to_dict` output."""
        data = dict(data)
        data["history"] = [tuple(point) for point in data.get("history", [])]
        return cls(**data)
