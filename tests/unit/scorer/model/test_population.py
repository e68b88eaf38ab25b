"""Issue 14 point 2 (seasonality): an account's usage is judged beside its segment's."""

from __future__ import annotations

from collections.abc import Mapping

from schemas import AccountUpdate
from services.scorer.model import AccountState, apply_traits
from services.scorer.model.components import usage
from services.scorer.model.population import Population, level
from services.scorer.model.state import DAY
from services.scorer.state.partitions import PartitionStates
from tests.support.events import T0, days, event
from tests.support.model import fold_all
from tests.unit.scorer.model.test_usage_trends import (
    HOLIDAY,
    NO_CALENDAR,
    clean_account,
    holiday_account,
    signal,
)

SPEC = NO_CALENDAR.base
TODAY = 100


def given(counts: Mapping[int, int], segment: str = "mid_market") -> Population:
    """A population whose segment has `counts` accounts active per day."""
    population = Population()
    population.counts[segment] = dict(counts)
    return population


def steady(first: int, last: int, active: int) -> dict[int, int]:
    return dict.fromkeys(range(first, last), active)


def test_a_segment_at_its_usual_level_reads_one() -> None:
    assert level(steady(TODAY - 40, TODAY, 30), SPEC, TODAY) == 1.0


def test_a_segment_half_as_active_this_week_reads_one_half() -> None:
    counts = steady(TODAY - 40, TODAY - 7, 30) | steady(TODAY - 7, TODAY, 15)
    assert level(counts, SPEC, TODAY) == 0.5


def test_a_segment_a_little_below_its_norm_reads_as_usual() -> None:
    counts = steady(TODAY - 40, TODAY - 7, 30) | steady(TODAY - 7, TODAY, 27)
    assert level(counts, SPEC, TODAY) == 1.0


def test_a_growing_segment_reads_no_more_than_one() -> None:
    counts = steady(TODAY - 40, TODAY - 7, 30) | steady(TODAY - 7, TODAY, 60)
    assert level(counts, SPEC, TODAY) == 1.0


def test_a_segment_with_too_few_accounts_has_no_level() -> None:
    assert level(steady(TODAY - 40, TODAY, 19), SPEC, TODAY) is None


def test_today_does_not_count_so_the_level_holds_all_day() -> None:
    counts = steady(TODAY - 40, TODAY, 30)
    assert level(counts | {TODAY: 2}, SPEC, TODAY) == level(counts, SPEC, TODAY) == 1.0


def holiday_state(population: Population | None) -> tuple[AccountState, int]:
    """The holiday account of test_usage_trends (a fifth of its usage for 9 days) under a model
    without a calendar, judged on the 8th quiet day."""
    state = clean_account(holiday_account(HOLIDAY + 9), model=NO_CALENDAR)
    state.population = population
    state.forget()
    return state, int((T0 + days(HOLIDAY + 8)).timestamp())


def quiet_segment(share: float) -> Population:
    """A segment of 40 accounts a day, `share` of them on the days the account was quiet (its
    week is the 7 days before the 8th)."""
    first = int(T0.timestamp()) // DAY + HOLIDAY + 1
    return given(steady(first - 60, first, 40) | steady(first, first + 8, int(40 * share)))


def test_an_account_that_quiets_down_with_its_segment_keeps_its_marks_and_says_why() -> None:
    state, at = holiday_state(quiet_segment(0.2))
    activity = signal(usage(state, SPEC, at), "usage.activity")
    assert activity.score == 100
    assert "while its segment runs at 20% of its usual level" in activity.message


def test_an_account_that_quiets_down_while_its_segment_holds_steady_is_marked_down() -> None:
    state, at = holiday_state(quiet_segment(1.0))
    activity = signal(usage(state, SPEC, at), "usage.activity")
    assert activity.score < 50
    assert "segment" not in activity.message


def test_without_a_population_the_account_is_judged_on_its_own() -> None:
    alone, at = holiday_state(None)
    steady_segment, _ = holiday_state(quiet_segment(1.0))
    assert usage(alone, SPEC, at) == usage(steady_segment, SPEC, at)


def account(account_id: str, segment: str, active_days: list[int]) -> AccountState:
    update = AccountUpdate(account_id=account_id, segment=segment, updated_at=T0, source="crm")
    state = apply_traits(AccountState(account_id), update)
    state.activity = dict.fromkeys(active_days, 3)
    return state


def test_each_active_account_counts_once_a_day_in_its_segment() -> None:
    population = Population()
    population.add(account("a", "smb", [1, 2, 3]))
    population.add(account("b", "smb", [2, 3]))
    population.add(account("c", "enterprise", [3]))
    assert population.counts == {"smb": {1: 1, 2: 2, 3: 2}, "enterprise": {3: 1}}


def test_usage_folded_in_counts_the_day_once_and_a_new_segment_takes_the_days_along() -> None:
    population = Population()
    state = account("a", "smb", [])
    population.add(state)
    fold_all(
        [event("usage", "active", account="a", user_id="u", at=T0 + days(n / 3)) for n in range(6)],
        state,
    )
    active = sorted(state.activity)
    assert len(active) < 6 and population.counts["smb"] == dict.fromkeys(active, 1)
    update = AccountUpdate(account_id="a", segment="mid_market", updated_at=T0, source="crm")
    apply_traits(state, update)
    assert population.counts == {
        "smb": dict.fromkeys(active, 0),
        "mid_market": dict.fromkeys(active, 1),
    }


def test_a_level_asked_again_after_a_late_day_counts_it() -> None:
    population = given(steady(TODAY - 40, TODAY, 30))
    assert population.level("mid_market", SPEC, TODAY) == 1.0
    for day in range(TODAY - 21, TODAY - 14):
        for _ in range(30):
            population.note_active("mid_market", day)  # a week of the norm came in late
    assert population.level("mid_market", SPEC, TODAY) < 1.0


def test_the_accounts_of_one_partition_are_each_others_population() -> None:
    held = PartitionStates()
    held.place({"a": 0, "b": 0, "c": 1})
    for account_id in "abc":
        held.put(account_id, account(account_id, "smb", [1]))
    a, b, c = (held.get(account_id) for account_id in "abc")
    assert a is not None and b is not None and c is not None
    assert a.population is b.population is not c.population
    assert a.population is not None and a.population.counts == {"smb": {1: 2}}
    held.put("a", a)  # a batch writes it back: it is not counted twice
    assert a.population.counts == {"smb": {1: 2}}
    held.lose([0])
    assert held.get("a") is None and set(held.populations) == {1}
