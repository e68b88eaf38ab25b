"""`--from-topics`: the deployment's input topics, from the beginning, as a history file sorted by
event time (an external merge sort, so memory stays bounded however long the topics are)."""

from __future__ import annotations

import asyncio
import heapq
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from aiokafka import AIOKafkaConsumer, ConsumerRecord
from rich.console import Console

from schemas import AccountUpdate
from services.kafka.read import assign_all, read_to_end
from services.kafka.topics import reach_broker, topic_names
from services.scorer.backtest.history import Skipped, parse_line
from services.scorer.replay import KIND_ORDER
from services.settings import Settings

CHUNK_RECORDS = 200_000
"""Records sorted in memory at a time; larger histories are merged from sorted runs on disk."""


class _Runs:
    """Sorted runs of (key, line) written to disk, merged at the end."""

    def __init__(self, scratch: Path) -> None:
        self.scratch = scratch
        self.chunk: list[tuple[float, int, int, bytes]] = []
        self.files: list[Path] = []
        self.seq = 0

    def add(self, at: float, order: int, line: bytes) -> None:
        self.chunk.append((at, order, self.seq, line))
        self.seq += 1
        if len(self.chunk) >= CHUNK_RECORDS:
            self.spill()

    def spill(self) -> None:
        if not self.chunk:
            return
        self.chunk.sort()
        path = self.scratch / f"run-{len(self.files)}"
        with path.open("wb") as out:
            for at, order, seq, line in self.chunk:
                out.write(b"%r\t%d\t%d\t" % (at, order, seq) + line + b"\n")
        self.files.append(path)
        self.chunk = []

    def merged(self) -> Iterator[bytes]:
        self.spill()
        handles = [path.open("rb") for path in self.files]
        try:
            streams = [map(_split, handle) for handle in handles]
            for _, line in heapq.merge(*streams):
                yield line
        finally:
            for handle in handles:
                handle.close()


def _split(raw: bytes) -> tuple[tuple[float, int, int], bytes]:
    at, order, seq, line = raw.split(b"\t", 3)
    return (float(at), int(order), int(seq)), line


async def _read(settings: Settings, runs: _Runs, skipped: Skipped) -> int:
    names = topic_names(settings)
    kinds = names.input_kinds
    reader = AIOKafkaConsumer(bootstrap_servers=settings.bootstrap_list, enable_auto_commit=False)
    await reader.start()
    count = 0
    try:
        parts = await assign_all(reader, list(kinds))
        starts = await reader.beginning_offsets(parts)

        def keep(records: list[ConsumerRecord[bytes, bytes]]) -> None:
            nonlocal count
            for record in records:
                count += 1
                where = f"{record.topic}[{record.partition}] offset {record.offset}"
                value = record.value or b""
                try:
                    item = parse_line(value)
                except ValueError as exc:
                    skipped.add(where, str(exc))
                    continue
                at = item.updated_at if isinstance(item, AccountUpdate) else item.occurred_at
                line = value.replace(b"\n", b" ")  # JSON allows no raw newline in a string
                runs.add(at.timestamp(), KIND_ORDER[kinds[record.topic]], line)

        await read_to_end(reader, starts, keep)
    finally:
        await reader.stop()
    return count


def export_topics(settings: Settings, out: Path, console: Console) -> Skipped:
    """Write every valid record of the input topics to `out` in event-time order (account updates
    first at equal times); invalid ones are reported by topic, partition and offset."""
    reach_broker(settings)
    skipped = Skipped()
    with tempfile.TemporaryDirectory(prefix="healthmon-runs-") as scratch:
        runs = _Runs(Path(scratch))
        with console.status("reading the input topics"):
            count = asyncio.run(_read(settings, runs, skipped))
        with out.open("wb") as sink:
            _write(sink, runs.merged())
    console.print(f"read {count} records from the input topics")
    return skipped


def _write(sink: IO[bytes], lines: Iterator[bytes]) -> None:
    for line in lines:
        sink.write(line + b"\n")
