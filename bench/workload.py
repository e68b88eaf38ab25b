"""The synthetic input events both benches use: valid, mostly in event-time order, skewed over
accounts (a few busy ones, many quiet ones), checked against the event contract."""

from __future__ import annotations

import random
import shutil
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import orjson
from pydantic import ValidationError

from schemas import EVENT_ADAPTER
from services.local.broker import Broker, Engine, start_broker
from services.local.ports import free_port

DAYS = 28
LATE_JITTER_S = 7200
"""Events are up to this much older than their place in the stream (a little out of order)."""
SEED = 20240601
VALIDATE_FIRST = 500
"""Events validated against the contract: the first ones, plus a spread sample of as many."""

# The event mix: (kind, share). Within a kind the type is picked below.
USAGE_SHARE, FEATURE_SHARE, TICKET_SHARE = 0.80, 0.10, 0.06  # payment: the rest
FEATURES = ("dashboards", "exports", "alerts", "api", "sso", "reports", "integrations")
PRIORITIES = ("low", "normal", "high", "urgent")
PRIORITY_WEIGHTS = (0.30, 0.50, 0.15, 0.05)
PAYMENT_FAILED_SHARE = 0.10
SOURCES = {"usage": "api", "ticket": "zendesk", "payment": "stripe"}


class BenchError(RuntimeError):
    """The benchmark could not produce a valid figure."""


@dataclass(frozen=True)
class Record:
    """One pre-encoded input event."""

    kind: str
    key: bytes
    value: bytes


@dataclass(frozen=True)
class Workload:
    """The events of every run, in production order."""

    records: list[Record]
    accounts: int
    accounts_with_events: int
    types: Counter[str]
    mean_value_bytes: float


def _account_sequence(events: int, accounts: int, rng: random.Random) -> list[int]:
    """Account index per event: each account once (if events allow), the rest skewed, shuffled."""
    guaranteed = list(range(min(events, accounts)))
    # Skewed activity: a few accounts are much busier than most (Pareto weights).
    weights = [rng.paretovariate(1.5) for _ in range(accounts)]
    extra = rng.choices(range(accounts), weights=weights, k=max(0, events - accounts))
    sequence = guaranteed + extra
    rng.shuffle(sequence)
    return sequence


def generate(events: int, accounts: int, days: float = DAYS, seed: int = SEED) -> Workload:
    """`events` valid input events for `accounts` accounts over the last `days` days."""
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(days=days)
    step = timedelta(days=days) / max(events, 1)
    names = [f"acct-{i:06d}" for i in range(accounts)]
    open_tickets: dict[str, list[str]] = {}
    records: list[Record] = []
    types: Counter[str] = Counter()
    sample: list[tuple[int, bytes]] = []
    sample_every = max(1, events // VALIDATE_FIRST)
    for i, index in enumerate(_account_sequence(events, accounts, rng)):
        account = names[index]
        # Mostly increasing event time: position in the stream, minus a little jitter.
        jitter = timedelta(seconds=rng.randint(0, LATE_JITTER_S))
        occurred = max(start, start + step * i - jitter)
        kind, type_, props = _pick(account, i, open_tickets, rng)
        event: dict[str, Any] = {
            "event_id": f"evt-{i:09d}-{rng.getrandbits(32):08x}",
            "account_id": account,
            "kind": kind,
            "type": type_,
            "occurred_at": occurred,
            "received_at": min(now, occurred + timedelta(seconds=rng.randint(1, 30))),
            "source": SOURCES[kind],
            "properties": props,
            "schema_version": 1,
        }
        value = orjson.dumps(event, option=orjson.OPT_UTC_Z)
        records.append(Record(kind, account.encode("utf-8"), value))
        types[f"{kind}.{type_}"] += 1
        if i < VALIDATE_FIRST or i % sample_every == 0:
            sample.append((i, value))
    _validate(sample, types)
    return Workload(
        records=records,
        accounts=accounts,
        accounts_with_events=len({r.key for r in records}),
        types=types,
        mean_value_bytes=sum(len(r.value) for r in records) / max(len(records), 1),
    )


def _pick(
    account: str, i: int, open_tickets: dict[str, list[str]], rng: random.Random
) -> tuple[str, str, dict[str, Any]]:
    """Kind, type and properties of one event of `account`."""
    user = f"{account}-u{rng.randint(1, 12)}"
    roll = rng.random()
    if roll < USAGE_SHARE:
        return "usage", "active", {"user_id": user}
    if roll < USAGE_SHARE + FEATURE_SHARE:
        return "usage", "feature_used", {"user_id": user, "feature": rng.choice(FEATURES)}
    if roll < USAGE_SHARE + FEATURE_SHARE + TICKET_SHARE:
        tickets = open_tickets.setdefault(account, [])
        if tickets and rng.random() < 0.7:
            ticket = tickets.pop(rng.randrange(len(tickets)))
            return "ticket", "ticket_closed", {"ticket_id": ticket}
        ticket = f"{account}-t{i}"
        tickets.append(ticket)
        priority = rng.choices(PRIORITIES, weights=PRIORITY_WEIGHTS)[0]
        return "ticket", "ticket_opened", {"ticket_id": ticket, "priority": priority}
    type_ = "payment_failed" if rng.random() < PAYMENT_FAILED_SHARE else "invoice_paid"
    props = {
        "invoice_id": f"{account}-in{i}",
        "amount": float(rng.randint(100, 50_000)),
        "currency": "usd",
    }
    return "payment", type_, props


def _validate(sample: list[tuple[int, bytes]], types: Counter[str]) -> None:
    """Check sampled events (as the scorer sees them: decoded JSON) against the contract."""
    seen: set[str] = set()
    for i, value in sample:
        data = orjson.loads(value)
        try:
            EVENT_ADAPTER.validate_python(data)
        except ValidationError as exc:
            raise BenchError(f"generated event {i} breaks the contract: {exc}\n{data}") from exc
        seen.add(f"{data['kind']}.{data['type']}")
    if missing := set(types) - seen:
        raise BenchError(f"event types never validated (sample too small?): {sorted(missing)}")


def run_on_broker(engine: str, workdir: str, keep: bool, runs: Callable[[Broker], None]) -> int:
    """Start a local broker, call `runs` with it, stop it; exit status 0, or 1 when the bench
    failed (the work directory is then kept, and always when `keep`)."""
    broker = start_broker(cast(Engine, engine), free_port(), Path(workdir) / "broker")
    ok = False
    try:
        print(f"broker: {engine} at {broker.bootstrap}")
        runs(broker)
        ok = True
    except BenchError as exc:
        print(f"\nBENCH FAILED: {exc}", file=sys.stderr)
    finally:
        broker.stop()
        if ok and not keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"work directory (logs, broker data): {workdir}", file=sys.stderr)
    return 0 if ok else 1
