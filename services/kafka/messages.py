"""Raw consumed records and the dead letters made from them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from aiokafka import ConsumerRecord

from schemas import DeadLetter
from schemas.dead_letters import Stage


class Message(Protocol):
    """What is read of a consumed record (a RawMessage, or aiokafka's ConsumerRecord as is)."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def key(self) -> bytes | None: ...
    @property
    def value(self) -> bytes | None: ...


@dataclass(frozen=True)
class RawMessage:
    """One consumed record."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None

    @classmethod
    def of(cls, record: ConsumerRecord[bytes, bytes]) -> RawMessage:
        """The message of a record consumed with aiokafka."""
        return cls(record.topic, record.partition, record.offset, record.key, record.value)


def dead_letter(msg: Message, error: str, stage: Stage, service: str, now: datetime) -> DeadLetter:
    """A dead letter carrying the original bytes of `msg` (cut to fit) and why it failed."""
    return DeadLetter.of(
        msg.value or b"",
        None if msg.key is None else msg.key.decode("utf-8", "replace"),
        error,
        stage,
        service,
        now,
        msg.topic,
        msg.partition,
        msg.offset,
    )
