"""The scorer's state changelog: one compacted record per account, on its input partition."""

from __future__ import annotations

from collections.abc import Iterable

from aiokafka import AIOKafkaConsumer, TopicPartition

from schemas.topics import TopicSpec
from services.codec import dumps, loads
from services.scorer.model import AccountState

GROUP = "healthmon-scorer"
# Created with the contract topics, with as many partitions as the input topics: the state of an
# account lives on the partition its events are on, so a worker restores exactly what it owns.
CHANGELOG = TopicSpec(f"{GROUP}-account-state-changelog", AccountState, compacted=True)
RESTORE_FETCH_MS = 500


def encode_state(state: AccountState) -> bytes:
    """A changelog value: compact JSON of the state."""
    return dumps(state.to_dict())


def decode_state(value: bytes) -> AccountState:
    """The state a changelog value holds."""
    return AccountState.from_dict(loads(value))


async def restore(
    bootstrap: list[str], topic: str, partitions: Iterable[int]
) -> dict[str, tuple[int, AccountState]]:
    """The latest state of every account on `partitions` of the changelog, with its partition.

    Reads each partition from the beginning to the end offset it had when the read started;
    a tombstone (empty value) removes the account.
    """
    wanted = [TopicPartition(topic, p) for p in sorted(set(partitions))]
    if not wanted:
        return {}
    reader = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await reader.start()
    try:
        reader.assign(wanted)
        ends = await reader.end_offsets(wanted)
        pending = {tp for tp in wanted if ends[tp] > 0}
        await reader.seek_to_beginning(*pending)
        states: dict[str, tuple[int, AccountState]] = {}
        while pending:
            fetched = await reader.getmany(*pending, timeout_ms=RESTORE_FETCH_MS)
            for tp, records in fetched.items():
                for record in records:
                    if record.offset >= ends[tp] or record.key is None:
                        continue
                    account_id = record.key.decode()
                    if record.value:
                        states[account_id] = (tp.partition, decode_state(record.value))
                    else:
                        states.pop(account_id, None)
            for tp in list(pending):
                if await reader.position(tp) >= ends[tp]:
                    pending.discard(tp)
        return states
    finally:
        await reader.stop()
