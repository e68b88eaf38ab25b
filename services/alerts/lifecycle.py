"""The life of an alert, decided without I/O: one alert per account per risk episode.

An episode starts when a change worsens an account's band or carries a critical signal. Later
changes of the same episode update its alert and notify again only when they make it worse (a
worse band, or a critical signal it has not had). The account recovering to `resolve_band`
resolves it. A change that would start an episode within `reopen_window` of the last one's end
reopens that alert instead, and notifies only if it is worse than that episode was, so an
account flapping on an edge does not produce a stream of alerts. Acknowledging and snoozing
silence an alert; it notifies again when it gets worse, and a snooze that ends while the account
is still at risk reopens it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from schemas import RiskChange
from schemas.alerts import AlertEventType
from schemas.health import BAND_RANK

Status = Literal["open", "acknowledged", "snoozed", "resolved"]
Action = Literal["none", "open", "reopen", "worsen", "update", "resolve"]
ACTIVE: frozenset[str] = frozenset({"open", "acknowledged", "snoozed"})
CRITICAL_REASONS = frozenset(
    {
        "billing.payment_failed",
        "billing.dispute_opened",
        "billing.cancellation_scheduled",
        "support.urgent_ticket",
    }
)
NOTIFY: dict[Action, AlertEventType] = {
    "open": "alert.created",
    "reopen": "alert.reopened",
    "worsen": "alert.worsened",
    "resolve": "alert.resolved",
}
"""The webhook event type each notifying action sends."""


@dataclass(frozen=True)
class Policy:
    """When episodes end and merge."""

    resolve_band: str = "green"
    reopen_window: timedelta = timedelta(hours=24)


@dataclass(frozen=True)
class Episode:
    """What the decision needs of the account's latest alert."""

    status: Status
    worst_rank: int
    """The worst band rank the episode reached (BAND_RANK: 0 is red)."""
    critical_seen: frozenset[str]
    resolved_at: datetime | None = None


@dataclass(frozen=True)
class Decision:
    """What to do with the alert, and whether to notify."""

    action: Action
    notify: bool = False

    @property
    def event_type(self) -> AlertEventType | None:
        """The webhook event type of the notification, if there is one."""
        return NOTIFY.get(self.action) if self.notify else None


def critical_codes(change: RiskChange) -> frozenset[str]:
    """The critical signals the change carries."""
    return frozenset(r.code for r in change.reasons if r.code in CRITICAL_REASONS)


def rank(band: str) -> int:
    """Band rank, worst first; `unknown` ranks as healthy (it never raises an alert)."""
    return BAND_RANK.get(band, BAND_RANK["green"])


def severity_of(change: RiskChange) -> str | None:
    """The severity a change deserves on its own: None unless the band worsened to yellow or red
    or a critical signal arrived."""
    current, previous = change.current.band, change.previous.band
    worse = current in ("yellow", "red") and BAND_RANK[current] < BAND_RANK.get(previous, 3)
    critical = bool(critical_codes(change))
    if not (worse or critical):
        return None
    return "critical" if current == "red" or (critical and current != "green") else "warning"


def _worse(episode: Episode, change: RiskChange) -> bool:
    return rank(change.current.band) < episode.worst_rank or bool(
        critical_codes(change) - episode.critical_seen
    )


def recovered(change: RiskChange, policy: Policy) -> bool:
    """Whether the change is a recovery to the resolve band: its band improved into it, with no
    critical signal. (A later change that merely stays green after a critical signal on a green
    account is not one: the signal is not known to be resolved.)"""
    current, previous = change.current.band, change.previous.band
    improved = previous in BAND_RANK and rank(current) > BAND_RANK[previous]
    return improved and rank(current) >= rank(policy.resolve_band) and not critical_codes(change)


def decide(latest: Episode | None, change: RiskChange, now: datetime, policy: Policy) -> Decision:
    """What a new change does to the account's latest alert."""
    if latest is not None and latest.status in ACTIVE:
        if recovered(change, policy):
            return Decision("resolve", notify=True)
        if _worse(latest, change):
            return Decision("worsen", notify=True)
        return Decision("update")
    if severity_of(change) is None:
        return Decision("none")
    recent = (
        latest is not None
        and latest.resolved_at is not None
        and now - latest.resolved_at < policy.reopen_window
    )
    if latest is not None and recent:
        return Decision("reopen", notify=_worse(latest, change))
    return Decision("open", notify=True)
