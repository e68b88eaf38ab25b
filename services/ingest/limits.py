"""What ingest refuses beyond the contract: records too large for Kafka, event times out of range.

The contract (`schemas/`) says what an event is; these limits depend on the deployment and on
when the event arrives, so they are checked where ingest makes records.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from schemas.errors import FieldError
from services.ingest.outcomes import Rejected, Translated
from services.ingest.producer import Record
from services.settings import Settings

TOO_LARGE = "too_large"


@dataclass(frozen=True)
class Limits:
    """The largest record and the range of event times ingest accepts."""

    max_event_bytes: int
    max_future: timedelta
    earliest: datetime

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        """The limits the settings give."""
        return cls(
            settings.max_event_bytes,
            timedelta(seconds=settings.event_max_future_s),
            settings.event_earliest,
        )

    def time_error(
        self, occurred_at: datetime, received_at: datetime, loc: list[str | int]
    ) -> FieldError | None:
        """Why the event time at `loc` is refused, if it is."""
        if occurred_at > received_at + self.max_future:
            msg = (
                f"{occurred_at.isoformat()} is more than {self.max_future.total_seconds():g} s "
                "after ingest received it (HEALTHMON_EVENT_MAX_FUTURE_S)"
            )
            return FieldError(loc=loc, msg=msg, type="time_in_future")
        if occurred_at < self.earliest:
            msg = (
                f"{occurred_at.isoformat()} is before {self.earliest.isoformat()} "
                "(HEALTHMON_EVENT_EARLIEST)"
            )
            return FieldError(loc=loc, msg=msg, type="time_too_early")
        return None

    def size_error(self, record: Record) -> FieldError | None:
        """Why the record is too large to produce, if it is."""
        if len(record.value) <= self.max_event_bytes:
            return None
        msg = (
            f"larger than {self.max_event_bytes} bytes once encoded ({len(record.value)}; "
            "HEALTHMON_MAX_EVENT_BYTES)"
        )
        return FieldError(loc=[], msg=msg, type=TOO_LARGE)

    def check(
        self, translated: Translated, records: list[Record], time_loc: list[str | int]
    ) -> None:
        """Raise Rejected when a source message made an event out of range or a record too
        large; `time_loc` names the source field the event time came from."""
        for event in translated.events:
            if error := self.time_error(event.occurred_at, event.received_at, time_loc):
                raise Rejected("invalid", [error])
        for record in records:
            if error := self.size_error(record):
                raise Rejected(TOO_LARGE, [error])
