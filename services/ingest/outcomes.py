"""What a message from an outside source (Segment, Stripe, Zendesk) becomes: healthmon events and
account updates, links from the source's ids to accounts, or a rejection. Rejections are also
written as dead letters: those sources ignore our answers, so the record of what was refused and
why must live on our side."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from schemas import AccountUpdate, DeadLetter, Event
from schemas.codec import encode
from schemas.dead_letters import Stage
from schemas.errors import FieldError, describe
from services.ingest.producer import Record
from services.kafka.topics import TopicNames


@dataclass
class Translated:
    """What one message becomes."""

    events: list[Event] = field(default_factory=list)
    update: AccountUpdate | None = None
    links: list[tuple[str, str]] = field(default_factory=list)
    """(the source's id, account id) pairs the message reveals, to be remembered."""
    ignored: str | None = None
    """Why a well-formed message changes nothing (acknowledged and counted)."""

    @property
    def account_id(self) -> str | None:
        """The account the message is about."""
        if self.events:
            return self.events[0].account_id
        return None if self.update is None else self.update.account_id

    @property
    def event_id(self) -> str | None:
        """The id of its first event."""
        return self.events[0].event_id if self.events else None

    def records(self, topics: TopicNames) -> list[Record]:
        """Its events and account update as records, keyed by account id."""
        out = [
            Record(topics.for_kind(e.kind), e.account_id.encode(), encode(e)) for e in self.events
        ]
        if self.update is not None:
            key = self.update.account_id.encode()
            out.append(Record(topics.account_updates, key, encode(self.update)))
        return out


class Rejected(Exception):
    """Input that cannot be used: `reason` is the metrics label (`invalid`, `no_account`,
    `forbidden`), `errors` say which field and why."""

    def __init__(self, reason: str, errors: list[FieldError]) -> None:
        super().__init__(describe(errors))
        self.reason, self.errors = reason, errors

    @classmethod
    def at(cls, loc: list[str | int], msg: str, reason: str = "invalid") -> Rejected:
        """A rejection for one field."""
        return cls(reason, [FieldError(loc=loc, msg=msg, type=reason)])


def rejected_record(
    topics: TopicNames,
    endpoint: str,
    key: str | None,
    value: bytes,
    errors: list[FieldError],
    now: datetime,
) -> Record:
    """A dead-letter record of `value`, received on `endpoint`, with the fields at fault."""
    stage: Stage = "attribute" if any(e.type == "no_account" for e in errors) else "validate"
    letter = DeadLetter.of(value, key, describe(errors), stage, "ingest", now, endpoint)
    return Record(topics.dead_letters, (key or "").encode(), encode(letter))
