"""One alert per risk episode: what each change does to the account's latest alert."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.alerts.lifecycle import Decision, Episode, Policy, decide
from tests.support.changes import risk_change
from tests.support.events import T0

POLICY = Policy()
RED, YELLOW, GREEN = 0, 1, 2


def active(
    status: str = "open", worst: int = YELLOW, seen: frozenset[str] = frozenset()
) -> Episode:
    return Episode(status, worst, seen)  # type: ignore[arg-type]


def test_a_change_for_the_worse_opens_an_alert_and_a_healthy_one_does_not() -> None:
    assert decide(None, risk_change("green", "yellow"), T0, POLICY) == Decision("open", True)
    assert decide(None, risk_change("yellow", "green"), T0, POLICY) == Decision("none")
    assert decide(None, risk_change("unknown", "green"), T0, POLICY) == Decision("none")


def test_a_critical_signal_opens_an_alert_even_on_a_green_account() -> None:
    change = risk_change("green", "green", reason="billing.payment_failed")
    assert decide(None, change, T0, POLICY) == Decision("open", True)


@pytest.mark.parametrize("status", ["open", "acknowledged", "snoozed"])
def test_within_an_episode_only_getting_worse_notifies(status: str) -> None:
    episode = active(status, worst=YELLOW)
    assert decide(episode, risk_change("yellow", "red"), T0, POLICY) == Decision("worsen", True)
    assert decide(episode, risk_change("red", "yellow"), T0, POLICY) == Decision("update")
    assert decide(episode, risk_change("yellow", "yellow"), T0, POLICY) == Decision("update")
    new_signal = risk_change("yellow", "yellow", reason="billing.dispute_opened")
    assert decide(episode, new_signal, T0, POLICY) == Decision("worsen", True)
    seen = active(status, seen=frozenset({"billing.dispute_opened"}))
    assert decide(seen, new_signal, T0, POLICY) == Decision("update")


def test_recovering_to_the_resolve_band_resolves_the_episode() -> None:
    assert decide(active(), risk_change("yellow", "green"), T0, POLICY) == Decision("resolve", True)
    lenient = Policy(resolve_band="yellow")
    assert decide(active(worst=RED), risk_change("red", "yellow"), T0, lenient).action == "resolve"


def test_an_alert_for_a_critical_signal_on_a_green_account_waits_for_someone() -> None:
    """Green staying green says nothing about the failed payment: only a person resolves it."""
    episode = active(worst=GREEN, seen=frozenset({"billing.payment_failed"}))
    assert decide(episode, risk_change("green", "green"), T0, POLICY) == Decision("update")
    assert decide(episode, risk_change("unknown", "green"), T0, POLICY) == Decision("update")


def test_a_flapping_account_reopens_its_alert_instead_of_raising_new_ones() -> None:
    ended = Episode("resolved", YELLOW, frozenset(), resolved_at=T0)
    soon = T0 + timedelta(hours=1)
    assert decide(ended, risk_change("green", "yellow"), soon, POLICY) == Decision("reopen", False)
    assert decide(ended, risk_change("green", "red"), soon, POLICY) == Decision("reopen", True)
    later = T0 + POLICY.reopen_window + timedelta(seconds=1)
    assert decide(ended, risk_change("green", "yellow"), later, POLICY) == Decision("open", True)


def test_decisions_name_their_webhook_event_types() -> None:
    assert Decision("open", True).event_type == "alert.created"
    assert Decision("worsen", True).event_type == "alert.worsened"
    assert Decision("resolve", True).event_type == "alert.resolved"
    assert Decision("reopen", False).event_type is None
