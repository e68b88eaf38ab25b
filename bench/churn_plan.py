"""The accounts of a churn simulation: segments, sizes, churn patterns and confounders."""

from __future__ import annotations

import argparse
import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

SEED = 20261130
START = datetime(2025, 9, 1, tzinfo=UTC)
PATTERNS = ("usage_decay", "champion_left", "support_pain", "billing_trouble", "silent")
CONFOUNDERS = {
    "growth": 0.15,
    "rightsizing": 0.07,
    "team_vacation": 0.12,
    "payment_recovered": 0.12,
    "onboarding": 0.08,
}
"""Confounders of retained accounts, each drawn independently with this probability."""


@dataclass(frozen=True)
class Segment:
    """How accounts of one segment look: size, price, rhythm and support load."""

    name: str
    share: float
    seats_median: float
    seats_sigma: float
    seats_range: tuple[int, int]
    mrr_per_seat: float
    weekend: float
    """Weekend activity as a share of a weekday's."""
    holiday: float
    """Activity in the year-end holiday week as a share of a normal day's."""
    activity: tuple[float, float]
    """Beta(a, b) of a user's chance to be active on a weekday."""
    tickets_per_week: float


SEGMENTS = (
    Segment("enterprise", 0.12, 250, 0.8, (60, 3000), 45.0, 0.10, 0.20, (1.6, 2.6), 1.2),
    Segment("mid_market", 0.33, 40, 0.6, (12, 250), 55.0, 0.12, 0.25, (1.8, 2.4), 0.4),
    Segment("self_serve", 0.55, 6, 0.6, (1, 30), 30.0, 0.35, 0.40, (2.4, 2.0), 0.08),
)
SEGMENT_OF = {s.name: s for s in SEGMENTS}


def pattern_list(text: str) -> tuple[str, ...]:
    """`support_pain,billing_trouble` as the patterns it names (an option's type)."""
    patterns = tuple(p.strip() for p in text.split(",") if p.strip())
    unknown = sorted(set(patterns) - set(PATTERNS))
    if unknown or not patterns:
        raise argparse.ArgumentTypeError(
            f"unknown churn pattern {', '.join(unknown) or '(none)'}: of {', '.join(PATTERNS)}"
        )
    return patterns


@dataclass(frozen=True)
class Config:
    """What to simulate: how many accounts, how many days, from when, with which seed."""

    accounts: int = 600
    days: int = 180
    seed: int = SEED
    start: datetime = START
    churn_share: float = 0.15
    patterns: tuple[str, ...] = PATTERNS
    """The churn patterns drawn, in turn (a pattern named twice gets twice the share): a
    population whose churn shows in other components than usual, e.g. `("support_pain",)`."""
    segments: tuple[str, ...] = tuple(s.name for s in SEGMENTS)
    """The segments drawn, in proportion to their shares (fewer large accounts: a smaller
    history)."""

    @staticmethod
    def add_arguments(parser: argparse.ArgumentParser) -> None:
        """The options of a command that simulates: --accounts, --days, --seed, --churn-share
        and --patterns."""
        parser.add_argument("--accounts", type=int, default=Config.accounts)
        parser.add_argument("--days", type=int, default=Config.days)
        parser.add_argument("--seed", type=int, default=SEED)
        parser.add_argument("--churn-share", type=float, default=Config.churn_share)
        parser.add_argument(
            "--patterns",
            type=pattern_list,
            default=PATTERNS,
            help=f"churn patterns drawn in turn, comma-separated (of {', '.join(PATTERNS)})",
        )

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Config:
        """The simulation those options ask for."""
        return cls(
            accounts=args.accounts,
            days=args.days,
            seed=args.seed,
            churn_share=args.churn_share,
            patterns=args.patterns,
        )

    def at(self, day: float) -> datetime:
        """The time `day` days (fractional) after the start."""
        return self.start + timedelta(days=day)


@dataclass(frozen=True)
class Account:
    """One simulated account and its ground truth."""

    account_id: str
    segment: str
    seats: int
    mrr: float
    pattern: str | None = None
    """How it churns; None for a retained account."""
    churn_day: float | None = None
    """When it churns (`subscription_ended`), in days after the start."""
    onset_day: float | None = None
    """When its churn pattern starts to show."""
    joined_day: float = 0.0
    confounders: tuple[str, ...] = field(default_factory=tuple)

    @property
    def churned(self) -> bool:
        """Whether the account churns within the history."""
        return self.churn_day is not None


ONSET_DAYS = {
    "usage_decay": (30, 90),
    "champion_left": (20, 90),
    "support_pain": (25, 75),
    "billing_trouble": (10, 60),
    "silent": (30, 60),
}
"""How long before churn each pattern starts (uniform between the bounds, in days)."""


def plan(config: Config) -> list[Account]:
    """The accounts of the simulation: a `churn_share` of them churn, the `patterns` in turn."""
    rng = random.Random(f"{config.seed}:plan")
    count = config.accounts
    churners = sorted(rng.sample(range(count), round(count * config.churn_share)))
    patterns = config.patterns
    drawn_segments = [SEGMENT_OF[name] for name in config.segments]
    pattern_of = {index: patterns[k % len(patterns)] for k, index in enumerate(churners)}
    accounts = []
    for index in range(count):
        segment = rng.choices(drawn_segments, weights=[s.share for s in drawn_segments])[0]
        low, high = segment.seats_range
        seats = round(segment.seats_median * math.exp(rng.gauss(0, segment.seats_sigma)))
        seats = max(low, min(high, seats))
        mrr = round(seats * segment.mrr_per_seat * rng.uniform(0.7, 1.3), 2)
        account_id = f"acct-{index:04d}"
        pattern = pattern_of.get(index)
        if pattern is None:
            drawn = tuple(name for name, p in CONFOUNDERS.items() if rng.random() < p)
            joined = rng.uniform(0, 0.6 * config.days) if "onboarding" in drawn else 0.0
            accounts.append(
                Account(account_id, segment.name, seats, mrr, None, None, None, joined, drawn)
            )
            continue
        churn_day = rng.uniform(0.4 * config.days, config.days - 1.5)
        low_onset, high_onset = ONSET_DAYS[pattern]
        onset = max(1.0, churn_day - rng.uniform(low_onset, high_onset))
        accounts.append(Account(account_id, segment.name, seats, mrr, pattern, churn_day, onset))
    return accounts
