"""Two model files on the same events: the accounts whose band they disagree on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.scorer.backtest.replay import Replayed
from services.scorer.backtest.traces import Trace


@dataclass(frozen=True)
class Disagreement:
    """One account the two models band differently: at the end, and on how many days."""

    account_id: str
    band: str
    other_band: str
    score: float | None
    other_score: float | None
    days: int
    """Midnights on which the bands differed."""
    first_day: str | None
    """The first such midnight (ISO date)."""


def _score(trace: Trace, day: int) -> float | None:
    risk = trace.risk(day)
    return None if risk is None else round(100 - risk, 2)


def disagreements(replayed: Replayed, model: str, other: str) -> list[Disagreement]:
    """Every account whose band differs between the two models at some midnight; those that
    differ at the end first, then by days of disagreement."""
    out = []
    last = replayed.span.days - 1
    for mine, theirs in zip(replayed.traces[model], replayed.traces[other], strict=True):
        differ = [d for d in range(len(mine.bands)) if mine.bands[d] != theirs.bands[d]]
        if not differ:
            continue
        first = replayed.span.at(differ[0]).date().isoformat()
        end = last if last >= 0 else 0
        out.append(
            Disagreement(
                mine.account.account_id,
                mine.band(end),
                theirs.band(end),
                _score(mine, end),
                _score(theirs, end),
                len(differ),
                first,
            )
        )
    out.sort(key=lambda d: (d.band == d.other_band, -d.days, d.account_id))
    return out


def comparison(replayed: Replayed, model: str, other: str) -> dict[str, Any]:
    """The disagreements as JSON-ready data, with totals."""
    found = disagreements(replayed, model, other)
    account_days = sum(len(t.bands) for t in replayed.traces[model])
    return {
        "accounts": len(replayed.accounts),
        "accounts_differ_at_end": sum(d.band != d.other_band for d in found),
        "accounts_ever_differ": len(found),
        "account_days_differ": sum(d.days for d in found),
        "account_days": account_days,
        "disagreements": [d.__dict__ for d in found],
    }
