"""An in-memory record sink for tests of the HTTP layer (integration tests use a broker)."""

from __future__ import annotations

from collections.abc import Sequence

import orjson

from services.ingest.producer import ProduceError, Record


class MemorySink:
    """Keeps records; can be told to fail like an unreachable cluster."""

    def __init__(self) -> None:
        self.records: list[Record] = []
        self.failing = False

    async def send_all(self, records: Sequence[Record]) -> None:
        if self.failing:
            raise ProduceError("Kafka did not accept the records: timeout")
        self.records.extend(records)

    async def problem(self) -> str | None:
        return "Kafka not reachable" if self.failing else None

    def values(self, topic: str) -> list[dict]:  # type: ignore[type-arg]
        """The decoded values sent to `topic`, in order."""
        return [orjson.loads(r.value) for r in self.records if r.topic == topic]
