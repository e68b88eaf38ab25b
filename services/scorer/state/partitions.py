"""The account states of the partitions a worker owns, in memory."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from services.scorer.changelog import Stored
from services.scorer.model import AccountState
from services.scorer.model.population import Population


class PartitionStates:
    """Each owned account's state and the partition it lives on; nothing of other partitions.
    The accounts of a partition are each other's population (model/population.py)."""

    def __init__(self) -> None:
        self.states: dict[str, AccountState] = {}
        self.partition_of: dict[str, int] = {}
        self.owned: set[int] = set()
        self.populations: dict[int, Population] = {}

    def __len__(self) -> int:
        return len(self.states)

    def get(self, account_id: str) -> AccountState | None:
        """The account's state, if this worker holds it."""
        return self.states.get(account_id)

    def clear(self) -> None:
        """Forget everything (a new consumer restores what it is assigned)."""
        self.states.clear()
        self.partition_of.clear()
        self.owned.clear()
        self.populations.clear()

    def place(self, partitions: Mapping[str, int]) -> None:
        """Note the partition of accounts a batch touched."""
        self.partition_of.update(partitions)

    def put(self, account_id: str, state: AccountState) -> int:
        """Keep the account's new state; return its partition."""
        partition = self.partition_of[account_id]
        self._hold(account_id, state, partition)
        return partition

    def lose(self, partitions: Iterable[int]) -> None:
        """Forget the accounts of partitions no longer owned."""
        lost = set(partitions)
        for account_id in [a for a, p in self.partition_of.items() if p in lost]:
            self.states.pop(account_id, None)
            del self.partition_of[account_id]
        for partition in lost:
            self.populations.pop(partition, None)

    def gain(self, restored: Mapping[str, Stored]) -> None:
        """Take the restored states of newly owned partitions."""
        for account_id, stored in restored.items():
            self.partition_of[account_id] = stored.partition
            self._hold(account_id, stored.state, stored.partition)

    def _hold(self, account_id: str, state: AccountState, partition: int) -> None:
        self.states[account_id] = state
        population = self.populations.get(partition)
        if population is None:
            population = self.populations[partition] = Population()
        if state.population is not population:
            population.add(state)
