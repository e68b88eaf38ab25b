"""Issue 14 point 1: distinct active users are counted accurately up to 100,000 users per
account, in bounded state, whatever the order the users arrive in."""

from __future__ import annotations

import base64
import random
import re
from datetime import timedelta

import pytest

from services.scorer.changelog import decode_state, encode_state
from services.scorer.model import AccountState, default_model
from services.scorer.model.components import Part, usage
from services.scorer.model.sketch import ActiveUsers, user_hash
from services.scorer.model.state import DAY
from tests.support.events import T0, days, event
from tests.support.model import fold_all

BASE = default_model().base
DAY0 = int(T0.timestamp()) // DAY
STATE_BOUND = 8_000
"""Serialised state of one account, in bytes, however many users it has."""


def seats_message(part: Part) -> str:
    return next(s.message for s in part.signals if s.code == "usage.seats")


def active_estimate(message: str) -> int:
    found = re.match(r"(?:about )?(\d+) of \d+ seats", message)
    assert found, message
    return int(found.group(1))


@pytest.mark.parametrize("users", [600, 1_000, 1_500])
def test_the_seats_signal_counts_this_weeks_users_within_a_few_percent(users: int) -> None:
    use = [
        event("usage", "active", user_id=f"user-{n}", at=T0 + timedelta(minutes=5 * n))
        for n in range(users)
    ]
    state, _ = fold_all(use, AccountState("acct-1", traits={"seats": 2_000}))
    message = seats_message(usage(state, BASE, int(use[-1].occurred_at.timestamp())))
    assert active_estimate(message) == pytest.approx(users, rel=0.04), message
    assert message.endswith("of 2000 seats active this week")


def week_of_users(users: int, seed: int = 1) -> list[tuple[int, int]]:
    """(user hash, day) for `users` users over 15 days, each active on a share of the days that
    is their own (some daily, some once in a while)."""
    rng = random.Random(seed)
    seen = []
    for n in range(users):
        share = rng.random()
        hashed = user_hash(f"user-{n}")
        seen += [(hashed, DAY0 + d) for d in range(15) if rng.random() < share]
    return seen


def distinct_since(seen: list[tuple[int, int]], first_day: int) -> int:
    return len({user for user, day in seen if day >= first_day})


@pytest.mark.parametrize("users", [100, 600, 1_000, 1_500, 10_000, 100_000])
def test_distinct_users_of_a_window_are_estimated_within_a_few_percent(users: int) -> None:
    seen = week_of_users(users)
    sketch = ActiveUsers()
    for user, day in seen:
        sketch.add(user, day)
    for first_day in (DAY0 + 8, DAY0):
        count, exact = sketch.count(first_day)
        assert count == pytest.approx(distinct_since(seen, first_day), rel=0.04)
        assert exact == (users <= 100)


def test_the_state_of_an_account_with_100000_users_stays_bounded() -> None:
    state = AccountState("acct-1", traits={"seats": 150_000})
    for user, day in week_of_users(100_000):
        state.users.add(user, day)
    encoded = encode_state(state)
    assert len(encoded) <= STATE_BOUND
    assert decode_state(encoded).users == state.users


@pytest.mark.parametrize("users", [50, 129, 3_000])
def test_the_same_users_in_any_order_give_the_same_state(users: int) -> None:
    seen = week_of_users(users, seed=users)
    states = []
    for order in range(3):
        random.Random(order).shuffle(seen)
        state = AccountState("acct-1")
        for user, day in seen:
            state.users.add(user, day)
        states.append(state.to_dict())
    assert states[0] == states[1] == states[2]


def test_users_leave_the_window_and_old_days_are_pruned() -> None:
    for users in (20, 5_000):  # exact, then a HyperLogLog
        sketch = ActiveUsers()
        for n in range(users):
            sketch.add(user_hash(f"old-{n}"), DAY0)
            sketch.add(user_hash(f"new-{n}"), DAY0 + 10)
        assert sketch.count(DAY0 + 4)[0] == pytest.approx(users, rel=0.04)
        assert sketch.count(DAY0)[0] == pytest.approx(2 * users, rel=0.04)
        assert sketch.prune(DAY0)
        assert sketch.count(DAY0)[0] == pytest.approx(users, rel=0.04)
        assert not sketch.prune(DAY0)


def test_a_small_account_reads_an_exact_count() -> None:
    use = [
        event("usage", "active", user_id=f"u{n % 6}", at=T0 + days(d) + timedelta(hours=n))
        for d in range(7)
        for n in range(12)
    ]
    state, _ = fold_all(use, AccountState("acct-1", traits={"seats": 20}))
    assert seats_message(usage(state, BASE, int(use[-1].occurred_at.timestamp()))) == (
        "6 of 20 seats were active this week"
    )


def test_states_stored_with_the_old_per_day_bitmaps_still_load() -> None:
    state, _ = fold_all(
        [event("usage", "active", user_id="u1", at=T0)],
        AccountState("acct-1", traits={"seats": 20}),
    )
    data = state.to_dict()
    day = DAY0
    bits = (1 << 3) | (1 << 77) | (1 << 127)
    data["users"] = [
        [day - 1, base64.b64encode((1 << 3).to_bytes(16, "big")).decode()],
        [day, base64.b64encode(bits.to_bytes(16, "big")).decode()],
    ]
    loaded = AccountState.from_dict(data)
    assert loaded.users.count(day - 1) == (3, True)  # a set bit stands for one user
    assert loaded.users.count(day) == (3, True)
    loaded.users.add(user_hash("u1"), day)
    assert loaded.users.count(day) == (4, True)
    assert AccountState.from_dict(loaded.to_dict()).users == loaded.users


def test_a_count_kept_up_to_date_as_users_arrive_equals_a_fresh_one() -> None:
    sketch = ActiveUsers()
    for n in range(3_000):
        sketch.add(user_hash(f"user-{n % 1_700}"), DAY0 + n % 11)
        if n % 97 == 0:
            fresh = ActiveUsers.decode(sketch.encode())
            assert sketch.count(DAY0 + 4) == fresh.count(DAY0 + 4)
    sketch.prune(DAY0 + 5)
    assert sketch.count(DAY0 + 4) == ActiveUsers.decode(sketch.encode()).count(DAY0 + 4)
