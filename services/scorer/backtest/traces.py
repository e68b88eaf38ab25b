"""What a backtest keeps per account and scorer: the risk and band at each midnight, and changes."""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass, field

from schemas.health import BAND_RANK

BANDS = ("unknown", "red", "yellow", "green")
"""Bands by their code in `Trace.bands` (the index)."""
BAND_CODE = {name: code for code, name in enumerate(BANDS)}
CRITICAL_CODES = frozenset(
    {
        "billing.payment_failed",
        "billing.dispute_opened",
        "billing.cancellation_scheduled",
        "support.urgent_ticket",
    }
)
NO_RISK = math.nan
"""The risk of a day without a score (no data yet)."""


@dataclass
class Account:
    """One account of the history: its segment and when it churned (its label)."""

    account_id: str
    segment: str | None = None
    churn_day: float | None = None
    """When it churned, in days after the start of the history; None: retained."""

    @property
    def churned(self) -> bool:
        """Whether the account churns within the history."""
        return self.churn_day is not None


@dataclass(frozen=True)
class Change:
    """A published change (or a baseline's band move): when, in days, of which kinds, and the
    reason codes it gave."""

    day: float
    kinds: frozenset[str]
    codes: tuple[str, ...] = ()


@dataclass
class Trace:
    """One scorer's view of one account: risk and band at each midnight, and its changes.

    Risks are kept as doubles (NaN: no score) and bands as codes, so a long history of many
    accounts stays small.
    """

    account: Account
    risks: array[float] = field(default_factory=lambda: array("d"))
    bands: bytearray = field(default_factory=bytearray)
    changes: list[Change] = field(default_factory=list)

    def add(self, risk: float | None, band: str) -> None:
        """Note the next midnight's risk and band."""
        self.risks.append(NO_RISK if risk is None else risk)
        self.bands.append(BAND_CODE[band])

    def risk(self, day: int) -> float | None:
        """The risk at the midnight starting `day` (None: no score)."""
        value = self.risks[day]
        return None if value != value else value

    def band(self, day: int) -> str:
        """The band at the midnight starting `day`."""
        return BANDS[self.bands[day]]


def change_kinds(previous: str, current: str, first_reason: str | None = None) -> frozenset[str]:
    """The kinds of a change: initial, into_yellow, into_red, recovery, critical, drop."""
    kinds = {"critical"} if first_reason in CRITICAL_CODES else set()
    if previous not in BAND_RANK or current not in BAND_RANK:
        kinds.add("initial")
    elif BAND_RANK[current] < BAND_RANK[previous]:
        kinds.add("into_red" if current == "red" else "into_yellow")
    elif BAND_RANK[current] > BAND_RANK[previous]:
        kinds.add("recovery")
    elif not kinds:
        kinds.add("drop")
    return frozenset(kinds)
