"""Why an account is where it is now, in a CSM's words: the current reasons that the accounts
API and the workspace both show, and the names of the score's parts. Pure functions of plain
data."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

WEAK_BELOW = 60.0
"""A component scoring under this is named among the current reasons."""
HOLDS = frozenset({"usage.stopped", "usage.declined", "billing.cancellation", "billing.overdue"})
"""Reasons that hold an account's band whatever its component scores say (docs/model.md)."""
COMPONENT_WORDS = {
    "usage": "Product usage",
    "support": "Support experience",
    "billing": "Billing",
    "sentiment": "Customer sentiment",
}


def in_words(words: Mapping[str, str], name: str) -> str:
    """`name` as `words` say it, else as a sentence: "payment_failed" is "Payment failed"."""
    return words.get(name, name.replace("_", " ").capitalize())


def component_name(name: str) -> str:
    """A component as a CSM calls it."""
    return in_words(COMPONENT_WORDS, name)


def current_reasons(
    snapshot: Mapping[str, Any], latest_change: Mapping[str, Any] | None
) -> list[str]:
    """Why the account is where it is now, most important first.

    The latest change's reasons, less those that only say something improved (they explain a
    move, not the state) unless the account is green, and those naming a weakness of a component
    that is no longer weak (a seat count from its first day, say; a hold stays); then each weak
    component that is not
    already named, and each source that went quiet. A healthy account with nothing to say gets
    one sentence saying so.
    """
    band = str(snapshot.get("band") or (latest_change or {}).get("current", {}).get("band"))
    reasons: list[str] = []
    named: set[str] = set()
    now_scores = {c.get("name"): c.get("score") for c in snapshot.get("components") or []}
    for reason in (latest_change or {}).get("reasons") or []:
        code = str(reason.get("code", ""))
        better = code.endswith(".improved") or code == "recovery"
        if band != "green" and better:
            continue
        if code.startswith("band."):
            continue
        outgrown = not better and code not in HOLDS
        if outgrown and _strong(now_scores.get(code.split(".", 1)[0])):
            continue  # a weakness the change saw that the account has since outgrown
        reasons.append(str(reason.get("message") or code))
        named.add(code.split(".", 1)[0])
    stale = set(snapshot.get("stale") or [])
    for component in sorted(
        snapshot.get("components") or [],
        key=lambda c: c.get("score") if c.get("score") is not None else 101,
    ):
        name, score = str(component.get("name")), component.get("score")
        if name in named:
            continue
        if component.get("stale") or name in stale:
            reasons.append(f"No {name} data is arriving from its source; it is left out.")
        elif score is not None and score < WEAK_BELOW:
            reasons.append(f"{component_name(name)} is weak: {score:.0f} of 100.")
        else:
            continue
        named.add(name)
    for name in sorted(stale - named):
        reasons.append(f"No {name} data is arriving from its source; it is left out.")
    if not reasons:
        score = snapshot.get("score")
        if band == "green":
            reasons.append("Every part of the score is in good shape.")
        elif score is None:
            reasons.append("Not enough data yet to score this account.")
        else:
            reasons.append(f"Score {float(score):.0f} puts the account in {band}.")
    return reasons


def _strong(score: Any) -> bool:
    return isinstance(score, int | float) and score >= WEAK_BELOW
