"""Records that made scoring fail: counted across restarts, given up after a few tries."""

from __future__ import annotations

from collections import OrderedDict

from services.scorer.batch import PoisonRecord, Position

GIVE_UP_AFTER = 2
"""Failures of one record before it is dead-lettered and skipped. The model is pure, so a record
that fails once fails again; the second try only rules out a fault outside it."""
REMEMBERED = 1000


class PoisonRecords:
    """Failing records by position, and the ones given up (both bounded, oldest forgotten)."""

    def __init__(self, give_up_after: int = GIVE_UP_AFTER, remembered: int = REMEMBERED) -> None:
        self.give_up_after, self.remembered = give_up_after, remembered
        self.failures: OrderedDict[Position, int] = OrderedDict()
        self.given_up: OrderedDict[Position, str] = OrderedDict()

    def failed(self, poison: PoisonRecord) -> bool:
        """Count a failure of the record; True when it is now given up."""
        count = self.failures.pop(poison.position, 0) + 1
        self.failures[poison.position] = count
        _bound(self.failures, self.remembered)
        if count < self.give_up_after:
            return False
        self.given_up[poison.position] = (
            f"scoring failed {count} times on this record, which is skipped: {poison.error}"
        )
        _bound(self.given_up, self.remembered)
        return True


def _bound(entries: OrderedDict[Position, int] | OrderedDict[Position, str], most: int) -> None:
    while len(entries) > most:
        entries.popitem(last=False)
