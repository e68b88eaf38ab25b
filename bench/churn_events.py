"""The events of one simulated account, in the topic format, ordered by event time."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from churn_plan import SEGMENT_OF, Account, Config, Segment

FEATURES = (
    "reports",
    "dashboards",
    "integrations",
    "api",
    "search",
    "export",
    "alerts",
    "settings",
)
FEATURE_POPULARITY = (6, 8, 2, 1, 7, 4, 3, 2)
PRIORITIES = ("low", "normal", "high", "urgent")
CALM_PRIORITIES = (0.30, 0.50, 0.16, 0.04)
PAINFUL_PRIORITIES = (0.10, 0.40, 0.35, 0.15)
CALM_CSAT = (0.02, 0.03, 0.10, 0.30, 0.55)
PAINFUL_CSAT = (0.30, 0.30, 0.25, 0.10, 0.05)
PROMOTER_NPS = (1, 1, 1, 1, 2, 3, 4, 8, 14, 14, 10)
DETRACTOR_NPS = (3, 4, 6, 8, 8, 8, 6, 3, 1, 1, 0)
SOURCES = {"usage": "sdk", "ticket": "zendesk", "payment": "stripe", "account": "crm"}
ORDER = {"account": 0, "usage": 1, "ticket": 2, "payment": 3}


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth's method; the means here are small)."""
    if mean <= 0:
        return 0
    limit, k, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


@dataclass
class User:
    """One user of an account: how often they come, what they use, when they are away."""

    user_id: str
    p: float
    features: tuple[str, ...]
    joined: float = 0.0
    left: float = math.inf
    away: list[tuple[float, float]] = field(default_factory=list)


@dataclass
class Generator:
    """Collects one account's records (topic values), each with its sort key."""

    config: Config
    account: Account
    rng: random.Random
    records: list[tuple[float, int, int, dict[str, Any]]] = field(default_factory=list)

    @property
    def end(self) -> float:
        """The account's last moment: its churn or the end of the history."""
        return self.account.churn_day if self.account.churn_day is not None else self.config.days

    def emit(self, kind: str, type_: str, day: float, **properties: Any) -> None:
        """One event at `day`, left out when it falls after the account's end."""
        if (day >= self.end and type_ != "subscription_ended") or day < self.account.joined_day:
            return
        at = self.config.at(day)
        n = len(self.records)
        value = {
            "event_id": f"{self.account.account_id}-{kind[0]}{n:06d}",
            "account_id": self.account.account_id,
            "kind": kind,
            "type": type_,
            "occurred_at": at,
            "received_at": at + timedelta(seconds=self.rng.randint(1, 30)),
            "source": SOURCES[kind],
            "properties": properties,
            "schema_version": 1,
        }
        self.records.append((day, ORDER[kind], n, value))

    def traits(self, day: float, **traits: Any) -> None:
        """An account update at `day`."""
        value = {"account_id": self.account.account_id, **traits}
        value.update(updated_at=self.config.at(day), source=SOURCES["account"], schema_version=1)
        self.records.append((day, ORDER["account"], len(self.records), value))


def seasonal(config: Config, segment: Segment, day: int) -> float:
    """The calendar's effect on everyone: quiet weekends and the year-end holiday week."""
    date = config.at(day).date()
    factor = segment.weekend if date.weekday() >= 5 else 1.0
    if (date.month, date.day) >= (12, 24) or (date.month, date.day) <= (1, 1):
        return factor * segment.holiday
    if (date.month, date.day) in ((12, 22), (12, 23), (1, 2)):
        return factor * 0.6
    return factor


def pattern_factor(account: Account, day: float, floor: float) -> float:
    """How much of its usual activity a churning account keeps on `day`."""
    onset, end = account.onset_day, account.churn_day
    if onset is None or end is None or day < onset:
        return 1.0
    progress = min(1.0, (day - onset) / max(end - onset, 1.0))
    if account.pattern == "usage_decay":
        return float(floor**progress)
    return 1.0 - (1.0 - floor) * progress


def _users(gen: Generator, segment: Segment) -> list[User]:
    account, rng, days = gen.account, gen.rng, gen.config.days
    count = max(1, round(account.seats * rng.betavariate(6, 3)))
    users: list[User] = []
    for _ in range(count):
        p = rng.betavariate(*segment.activity)
        k = rng.randint(2, 5)
        features = tuple(rng.choices(FEATURES, weights=FEATURE_POPULARITY, k=k))
        away = []
        for _ in range(poisson(rng, days / 180)):
            start = rng.uniform(0, days)
            away.append((start, start + rng.randint(5, 12)))
        users.append(User(f"u{len(users)}", p, features, away=away))
    if "growth" in account.confounders:
        for _ in range(round(count * rng.uniform(0.3, 1.0))):
            p = rng.betavariate(*segment.activity)
            features = tuple(rng.choices(FEATURES, weights=FEATURE_POPULARITY, k=3))
            users.append(User(f"u{len(users)}", p, features, joined=rng.uniform(0, days)))
    if account.pattern == "champion_left" and account.onset_day is not None:
        champions = sorted(users, key=lambda u: -u.p)[: max(1, min(3, len(users) // 10))]
        for user in champions:
            user.left = account.onset_day
    return users


def usage(gen: Generator) -> None:
    """Users active on some days, each active day with a few feature uses."""
    account, rng, config = gen.account, gen.rng, gen.config
    segment = SEGMENT_OF[account.segment]
    users = _users(gen, segment)
    floor = {"usage_decay": 0.1, "champion_left": 0.5, "support_pain": 0.7, "silent": 0.75}
    drift = rng.uniform(0.6, 1.4) * floor.get(account.pattern or "", 0.9)
    vacation = rng.uniform(10, config.days - 20) if "team_vacation" in account.confounders else None
    vacation_days = rng.choice((7, 10, 14))
    weekly = 0.0
    for day in range(int(account.joined_day), math.ceil(gen.end)):
        if day % 7 == 0:
            weekly = 0.7 * weekly + rng.gauss(0, 0.12)
        factor = seasonal(config, segment, day) * math.exp(weekly)
        factor *= pattern_factor(account, day, min(drift, 1.0))
        if vacation is not None and vacation <= day < vacation + vacation_days:
            factor *= 0.3
        if account.joined_day and day < account.joined_day + 21:
            factor *= 0.3 + 0.7 * (day - account.joined_day) / 21
        for user in users:
            if not user.joined <= day < user.left or rng.random() >= user.p * factor:
                continue
            if any(a <= day < b for a, b in user.away):
                continue
            at = day + min(23.5, max(0.5, rng.gauss(14, 3))) / 24
            user_id = user.user_id
            gen.emit("usage", "active", at, user_id=user_id)
            for _ in range(poisson(rng, 0.8 * factor)):
                at += rng.uniform(0.001, 0.02)
                gen.emit(
                    "usage", "feature_used", at, user_id=user_id, feature=rng.choice(user.features)
                )


def ticket(gen: Generator, day: float, painful: bool, number: int) -> None:
    """One ticket: opened, perhaps escalated, closed after a while, perhaps rated."""
    rng = gen.rng
    ticket_id = f"{gen.account.account_id}-t{number}"
    priority = rng.choices(PRIORITIES, weights=PAINFUL_PRIORITIES if painful else CALM_PRIORITIES)[
        0
    ]
    gen.emit("ticket", "ticket_opened", day, ticket_id=ticket_id, priority=priority)
    if rng.random() < (0.3 if painful else 0.05 if priority in ("low", "normal") else 0.15):
        gen.emit("ticket", "ticket_escalated", day + rng.uniform(0.1, 1.5), ticket_id=ticket_id)
    median = (5.0 if painful else 1.5) * (0.4 if priority == "urgent" else 1.0)
    closed = day + median * math.exp(rng.gauss(0, 0.8))
    gen.emit("ticket", "ticket_closed", closed, ticket_id=ticket_id)
    if rng.random() < 0.35:
        score = rng.choices(range(1, 6), weights=PAINFUL_CSAT if painful else CALM_CSAT)[0]
        gen.emit(
            "ticket", "csat_rating", closed + rng.uniform(0.05, 1), score=score, ticket_id=ticket_id
        )
