"""A seeded, deterministic churn simulation of B2B accounts, in the event topics' format.

Run `python bench/churn_sim.py --out history.ndjson.gz` to write the history (one topic value a
line, ordered by event time; account updates are the lines without `kind`); import it to get the
accounts with their ground truth (`plan`) and each account's records (`account_records`).
See docs/model.md for the generative assumptions.
"""

from __future__ import annotations

import argparse
import gzip
import heapq
import random
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import orjson
from churn_billing import billing, lifecycle, support, surveys
from churn_events import Generator, usage
from churn_plan import PATTERNS, SEED, Account, Config, plan

__all__ = ["PATTERNS", "SEED", "Account", "Config", "account_records", "plan", "records"]

Record = dict[str, Any]
"""One topic value: an event (with `kind`) or an account update (without)."""


def account_records(config: Config, account: Account) -> list[Record]:
    """The records of one account, ordered by event time (account updates first at a tie)."""
    gen = Generator(config, account, random.Random(f"{config.seed}:{account.account_id}"))
    lifecycle(gen)
    usage(gen)
    support(gen)
    surveys(gen)
    billing(gen)
    return [value for *_, value in sorted(gen.records, key=lambda r: r[:3])]


def record_time(record: Record) -> Any:
    """The event time of a record."""
    return record["occurred_at"] if "kind" in record else record["updated_at"]


def records(config: Config, accounts: list[Account] | None = None) -> Iterator[Record]:
    """Every record of the simulation, ordered by event time."""
    chosen = plan(config) if accounts is None else accounts
    streams = [account_records(config, account) for account in chosen]
    return heapq.merge(*streams, key=record_time)


def write_ndjson(config: Config, out: IO[bytes]) -> Counter[str]:
    """Write every record as a JSON line; return the count of each record type."""
    counts: Counter[str] = Counter()
    for record in records(config):
        counts[record.get("type", "account_update")] += 1
        out.write(orjson.dumps(record) + b"\n")
    return counts


def main(argv: list[str] | None = None) -> None:
    """Write a simulated history, or print a summary of it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    Config.add_arguments(parser)
    parser.add_argument("--out", type=Path, help="NDJSON file to write (.gz: gzipped)")
    args = parser.parse_args(argv)
    config = Config.from_args(args)
    accounts = plan(config)
    if args.out is None:
        counts = Counter(r.get("type", "account_update") for r in records(config, accounts))
    else:
        opener: Any = gzip.open if args.out.suffix == ".gz" else open
        with opener(args.out, "wb") as out:
            counts = write_ndjson(config, out)
    churners = Counter(a.pattern for a in accounts if a.pattern)
    print(f"{len(accounts)} accounts, {sum(churners.values())} churn: {dict(churners)}")
    print(f"{sum(counts.values())} records: {dict(counts.most_common())}")


if __name__ == "__main__":
    main(sys.argv[1:])
