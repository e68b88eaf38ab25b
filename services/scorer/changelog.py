"""The scorer's state changelog: one compacted record per account, on its input partition."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from schemas.codec import dumps, loads
from schemas.topics import TopicSpec
from services.scorer.model import AccountState

GROUP = "healthmon-scorer"
# Created with the contract topics, with as many partitions as the input topics: the state of an
# account lives on the partition its events are on, so a worker restores exactly what it owns.
CHANGELOG = TopicSpec(f"{GROUP}-account-state-changelog", AccountState, compacted=True)


class Stored(NamedTuple):
    """An account's changelog record: its state, and the changes it made that may not have been
    published yet (encoded as on the changes topic)."""

    partition: int
    state: AccountState
    outbox: list[bytes]


def encode_state(state: AccountState, outbox: Sequence[bytes] = ()) -> bytes:
    """A changelog value: compact JSON of the state, with its unpublished changes if any."""
    data = state.to_dict()
    if outbox:
        data["outbox"] = [change.decode() for change in outbox]
    return dumps(data)


def decode_record(value: bytes) -> tuple[AccountState, list[bytes]]:
    """The state a changelog value holds, and its unpublished changes."""
    data = loads(value)
    outbox = [change.encode() for change in data.pop("outbox", ())]
    return AccountState.from_dict(data), outbox


def decode_state(value: bytes) -> AccountState:
    """The state a changelog value holds."""
    return decode_record(value)[0]
