"""The churn simulation: deterministic for a seed, valid events, the stated churn and patterns."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from churn_plan import PATTERNS, Config, plan
from churn_sim import account_records, main, record_time, records

from schemas import EVENT_ADAPTER, AccountUpdate

SMALL = Config(accounts=60, days=120)


@pytest.fixture(scope="module")
def history() -> list[dict[str, object]]:
    return list(records(SMALL))


def test_the_same_seed_gives_the_same_history(history: list[dict[str, object]]) -> None:
    assert plan(SMALL) == plan(SMALL)
    assert list(records(SMALL)) == history
    other = Config(accounts=60, days=120, seed=SMALL.seed + 1)
    assert plan(other) != plan(SMALL)


def test_every_record_is_valid_and_the_history_is_in_event_time_order(
    history: list[dict[str, object]],
) -> None:
    for record in history:
        if "kind" in record:
            EVENT_ADAPTER.validate_python(record)
        else:
            AccountUpdate.model_validate(record)
    times = [record_time(r) for r in history]
    assert times == sorted(times)
    ids = [r["event_id"] for r in history if "kind" in r]
    assert len(ids) == len(set(ids))
    assert {r["type"] for r in history if "kind" in r} >= {
        "active", "feature_used", "nps_response", "ticket_opened", "ticket_closed", "csat_rating",
        "invoice_paid", "payment_failed", "payment_recovered", "subscription_changed",
        "subscription_ended",
    }  # fmt: skip


def test_fifteen_percent_churn_in_five_equal_patterns() -> None:
    accounts = plan(Config())
    churners = [a for a in accounts if a.churned]
    assert len(accounts) == 600 and len(churners) == 90
    assert Counter(a.pattern for a in churners) == dict.fromkeys(PATTERNS, 18)
    assert Counter(a.segment for a in accounts).keys() == {"enterprise", "mid_market", "self_serve"}
    confounders = Counter(c for a in accounts for c in a.confounders)
    assert all(confounders[c] >= 20 for c in ("growth", "rightsizing", "onboarding"))


def test_churners_end_with_subscription_ended_and_retained_accounts_do_not() -> None:
    for account in plan(SMALL):
        events = [r for r in account_records(SMALL, account) if "kind" in r]
        ended = [r for r in events if r["type"] == "subscription_ended"]
        if account.churn_day is None:
            assert not ended
            continue
        assert len(ended) == 1 and ended[0] is events[-1]
        assert ended[0]["occurred_at"] == SMALL.at(account.churn_day)


def test_everyone_is_quieter_in_the_holiday_week_and_at_weekends(
    history: list[dict[str, object]],
) -> None:
    per_day = Counter(
        (r["occurred_at"] - SMALL.start).days  # type: ignore[operator]
        for r in history
        if r.get("type") == "active"
    )
    christmas = (SMALL.start.replace(month=12, day=24) - SMALL.start).days
    holiday = sum(per_day[d] for d in range(christmas, christmas + 7))
    before = sum(per_day[d] for d in range(christmas - 21, christmas - 14))
    assert holiday < 0.5 * before
    weekday = sum(per_day[d] for d in range(7, 70) if SMALL.at(d).weekday() < 5) / 45
    weekend = sum(per_day[d] for d in range(7, 70) if SMALL.at(d).weekday() >= 5) / 18
    assert weekend < 0.5 * weekday
    assert SMALL.at(1) - SMALL.at(0) == timedelta(days=1)


def test_the_command_writes_ndjson(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "history.ndjson.gz"
    main(["--accounts", "5", "--days", "70", "--out", str(out)])
    assert "5 accounts" in capsys.readouterr().out
    assert out.stat().st_size > 0


def _usage(records: list[dict[str, Any]], start: float, end: float, config: Config) -> int:
    low, high = config.at(start), config.at(end)
    return sum(1 for r in records if r.get("kind") == "usage" and low <= r["occurred_at"] < high)


def test_each_churn_pattern_shows_in_the_events() -> None:
    config = Config()
    churners = [a for a in plan(config) if a.churned and a.segment != "enterprise"]
    usage: Counter[str] = Counter()
    tickets: Counter[str] = Counter()
    for account in churners:
        assert account.onset_day is not None and account.churn_day is not None
        events = account_records(config, account)
        onset, churn = account.onset_day, account.churn_day
        if account.pattern == "usage_decay":
            usage["before"] += _usage(events, max(0.0, onset - 28), onset, config)
            usage["last"] += _usage(events, churn - 14, churn, config) * 2
        if account.pattern == "billing_trouble":
            assert any(r.get("type") == "payment_failed" for r in events), account
        if account.pattern == "support_pain":
            opened = [r["occurred_at"] for r in events if r.get("type") == "ticket_opened"]
            after = sum(t >= config.at(onset) for t in opened)
            tickets["before"] += len(opened) - after
            tickets["after"] += after
            tickets["days_before"] += int(onset)
            tickets["days_after"] += int(churn - onset)
    assert usage["last"] < 0.5 * usage["before"]
    rate_after = tickets["after"] / tickets["days_after"]
    assert rate_after > 2 * tickets["before"] / tickets["days_before"]
