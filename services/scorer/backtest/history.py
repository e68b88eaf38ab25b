"""Reading a history: NDJSON (gzipped or not), one record a line as it travels on the topics.

Events are told apart by their `kind` (usage, ticket, payment); a line without `kind` (or with
`"kind": "account"`) is an account update. A line that is not a valid record is not dropped
silently: it is counted and reported with its line number and the reason.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import orjson
from pydantic import ValidationError

from schemas import EVENT_ADAPTER, AccountUpdate, Event
from schemas.errors import describe, field_errors
from schemas.events import VOCABULARY

GZIP_MAGIC = b"\x1f\x8b"
KEPT_PROBLEMS = 20
"""How many skipped lines are reported one by one (all are counted)."""


class HistoryError(ValueError):
    """The history cannot be read at all (missing file, not NDJSON); the message says why."""


@dataclass(frozen=True)
class Record:
    """One valid line: where it was, its event time (POSIX seconds) and what it holds."""

    line: int
    at: float
    item: Event | AccountUpdate


@dataclass
class Skipped:
    """Lines that were left out: how many, and the first ones with their reason."""

    count: int = 0
    lines: list[tuple[str, str]] = field(default_factory=list)
    """Where each was (`line 12`, or a topic position) and why it was left out."""

    def add(self, where: str, reason: str) -> None:
        """Count a left-out record; keep the first ones with the reason."""
        self.count += 1
        if len(self.lines) < KEPT_PROBLEMS:
            self.lines.append((where, reason))


def parse_line(raw: bytes) -> Event | AccountUpdate:
    """The record one line holds; raises ValueError naming the problem."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    kind = data.get("kind")
    try:
        if kind is None or kind == "account":
            data.pop("kind", None)
            return AccountUpdate.model_validate(data)
        if kind not in VOCABULARY:
            raise ValueError(
                f"kind: unknown kind {kind!r} (usage, ticket, payment, or none for an "
                "account update)"
            )
        event: Event = EVENT_ADAPTER.validate_python(data)
        return event
    except ValidationError as exc:
        raise ValueError(describe(field_errors(exc.errors(), data))) from exc


def read_history(
    path: Path, skipped: Skipped, on_bytes: Callable[[int], None] | None = None
) -> Iterator[Record]:
    """Every valid record of the file in file order, streamed; bad lines go to `skipped`.

    `on_bytes` is told how many bytes of the file (as stored) have been read, now and then.
    """
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise HistoryError(f"cannot read {path}: {exc.strerror or exc}") from exc
    number = 0
    with raw:
        gzipped = raw.read(2) == GZIP_MAGIC
        raw.seek(0)
        stream: IO[bytes] = gzip.GzipFile(fileobj=raw, mode="rb") if gzipped else raw  # type: ignore[assignment]
        try:
            for number, line in enumerate(stream, 1):
                if on_bytes is not None and number % 4096 == 0:
                    on_bytes(raw.tell())
                if not line.strip():
                    continue
                try:
                    item = parse_line(line)
                except ValueError as exc:
                    skipped.add(f"line {number}", str(exc))
                    continue
                at = item.updated_at if isinstance(item, AccountUpdate) else item.occurred_at
                yield Record(number, at.timestamp(), item)
        except (OSError, EOFError) as exc:
            raise HistoryError(f"{path}: cannot read past line {number}: {exc}") from exc
        if on_bytes is not None:
            on_bytes(raw.tell())
