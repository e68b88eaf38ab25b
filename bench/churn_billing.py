"""Support, survey, billing and lifecycle events of one simulated account."""

from __future__ import annotations

import math

from churn_events import (
    DETRACTOR_NPS,
    PROMOTER_NPS,
    Generator,
    poisson,
    seasonal,
    ticket,
)
from churn_plan import SEGMENT_OF

CANCEL_NOTICE_SHARE = 0.5
"""Share of churners (all patterns but silent) that schedule a cancellation before the end."""


def support(gen: Generator) -> None:
    """Tickets at the segment's rate (more, and worse, in support pain), onboarding bursts."""
    account, rng, config = gen.account, gen.rng, gen.config
    segment = SEGMENT_OF[account.segment]
    size = (account.seats / segment.seats_median) ** 0.5
    rate = segment.tickets_per_week * size * math.exp(rng.gauss(0, 0.5)) / 7
    pain = rng.uniform(3, 6)
    number = 0
    for day in range(int(account.joined_day), math.ceil(gen.end)):
        painful = account.pattern == "support_pain" and day >= (account.onset_day or 0)
        mean = rate * seasonal(config, segment, day) * (pain if painful else 1.0)
        for _ in range(poisson(rng, mean)):
            number += 1
            ticket(gen, day + rng.uniform(0.3, 0.8), painful, number)
    if "onboarding" in account.confounders:
        for _ in range(poisson(rng, 4 + 2 * math.log(account.seats + 1))):
            number += 1
            ticket(gen, account.joined_day + rng.uniform(0, 21), False, number)


def surveys(gen: Generator) -> None:
    """Two NPS waves; unhappy accounts answer as detractors, silent churners rarely answer."""
    account, rng, days = gen.account, gen.rng, gen.config.days
    unhappy = account.pattern in ("usage_decay", "support_pain", "champion_left")
    for wave in (0.2 * days, 0.65 * days):
        if rng.random() >= (0.1 if account.pattern == "silent" else 0.35):
            continue
        for _ in range(rng.randint(1, 1 + min(4, account.seats // 50))):
            day = wave + rng.uniform(0, 7)
            detractor = unhappy and account.onset_day is not None and day >= account.onset_day
            weights = DETRACTOR_NPS if detractor else PROMOTER_NPS
            score = rng.choices(range(11), weights=weights)[0]
            gen.emit("usage", "nps_response", day, score=score, user_id=f"u{rng.randint(0, 9)}")


def _failure(gen: Generator, day: float, invoice: str, recovers: bool, late: bool) -> None:
    """A failed invoice: retries every few days, then (perhaps) recovered."""
    rng = gen.rng
    for _ in range(rng.randint(1, 3)):
        gen.emit("payment", "payment_failed", day, invoice_id=invoice)
        day += rng.uniform(2, 3)
    if recovers:
        later = rng.uniform(5, 15) if late else rng.uniform(0, 6)
        gen.emit("payment", "payment_recovered", day + later, invoice_id=invoice)


def billing(gen: Generator) -> None:
    """Monthly invoices, recovered failures, rightsizing, upgrades and billing trouble."""
    account, rng, days = gen.account, gen.rng, gen.config.days
    mrr, troubled = account.mrr, account.pattern == "billing_trouble"
    onset = account.onset_day or math.inf
    first_failure = rng.randrange(6) if "payment_recovered" in account.confounders else -1
    day, k = account.joined_day + rng.uniform(0, 30), 0
    while day < gen.end:
        invoice = f"in_{account.account_id}_{k}"
        at = math.floor(day) + 0.25
        if troubled and day >= onset and (rng.random() < 0.75 or day - onset < 30):
            _failure(gen, at, invoice, rng.random() < 0.35, late=True)
        elif k == first_failure or rng.random() < 0.03:
            _failure(gen, at, invoice, recovers=True, late=False)
        else:
            gen.emit("payment", "invoice_paid", at, invoice_id=invoice, amount=mrr, currency="usd")
        day, k = day + 30, k + 1
    if troubled:  # the trouble starts with a failed charge, whatever the invoice cycle
        _failure(gen, onset, f"in_{account.account_id}_onset", rng.random() < 0.35, late=True)
    if troubled and rng.random() < 0.5:
        when = onset + rng.uniform(0, 10)
        after = round(mrr * rng.uniform(0.5, 0.8), 2)
        gen.emit("payment", "subscription_changed", when, mrr_before=mrr, mrr_after=after)
    if troubled and rng.random() < 0.3:
        when = rng.uniform(onset, gen.end)
        gen.emit("payment", "dispute_opened", when, dispute_id=f"dp_{account.account_id}")
    if "rightsizing" in account.confounders:
        when, share = rng.uniform(0.2 * days, 0.9 * days), rng.uniform(0.1, 0.35)
        after = round(mrr * (1 - share), 2)
        gen.emit("payment", "subscription_changed", when, mrr_before=mrr, mrr_after=after)
        gen.traits(when, seats=max(1, round(account.seats * (1 - share))), mrr=after)
    if "growth" in account.confounders and rng.random() < 0.5:
        when, share = rng.uniform(0.3 * days, 0.9 * days), rng.uniform(0.2, 0.5)
        after = round(mrr * (1 + share), 2)
        gen.emit("payment", "subscription_changed", when, mrr_before=mrr, mrr_after=after)
        gen.traits(when, seats=round(account.seats * (1 + share)), mrr=after)


def lifecycle(gen: Generator) -> None:
    """Traits at the start, onboarding, cancellation notice and the end of the subscription."""
    account, rng = gen.account, gen.rng
    joined = account.joined_day
    stage = "onboarding" if "onboarding" in account.confounders else "active"
    owner = None if account.segment == "self_serve" else f"csm{rng.randint(1, 8)}@example.com"
    gen.traits(
        joined,
        name=f"Customer {account.account_id[5:]}",
        segment=account.segment,
        seats=account.seats,
        mrr=account.mrr,
        lifecycle_stage=stage,
        **({"csm_owner": owner} if owner else {}),
    )
    if stage == "onboarding":
        gen.emit("payment", "subscription_started", joined + 0.01, mrr=account.mrr)
        gen.traits(joined + rng.uniform(21, 45), lifecycle_stage="active")
    if account.churn_day is None:
        return
    if account.pattern != "silent" and rng.random() < CANCEL_NOTICE_SHARE:
        gen.emit("payment", "subscription_canceled", account.churn_day - rng.uniform(1, 30))
    gen.emit("payment", "subscription_ended", account.churn_day)
    gen.traits(account.churn_day, lifecycle_stage="churned")
