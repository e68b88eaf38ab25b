"""Raw consumed records and the dead letters made from them."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from aiokafka import ConsumerRecord

from schemas import DeadLetter

Stage = Literal["decode", "validate", "late", "process"]


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
    """A dead letter carrying the original bytes of `msg` and why it failed."""
    return DeadLetter(
        source_topic=msg.topic,
        partition=msg.partition,
        offset=msg.offset,
        key=None if msg.key is None else msg.key.decode("utf-8", "replace"),
        value_base64=base64.b64encode(msg.value or b"").decode(),
        error=error,
        stage=stage,
        service=service,
        failed_at=now,
    )
