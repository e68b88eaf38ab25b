"""PoisonRecords: a record that fails repeatedly is given up; memory of failures is bounded."""

from __future__ import annotations

from services.kafka.messages import RawMessage
from services.scorer.batch import PoisonRecord
from services.scorer.poison import PoisonRecords


def poison(offset: int) -> PoisonRecord:
    return PoisonRecord(RawMessage("usage-events", 0, offset, b"a", b"{}"), "KeyError: 'x'")


def test_a_record_is_given_up_on_its_second_failure() -> None:
    records = PoisonRecords()
    assert not records.failed(poison(5))
    assert records.given_up == {}
    assert records.failed(poison(5))
    reason = records.given_up[("usage-events", 0, 5)]
    assert "failed 2 times" in reason and reason.endswith("KeyError: 'x'")


def test_failures_of_different_records_are_counted_apart() -> None:
    records = PoisonRecords()
    assert not records.failed(poison(1))
    assert not records.failed(poison(2))
    assert records.given_up == {}


def test_the_oldest_failures_are_forgotten_beyond_the_bound() -> None:
    records = PoisonRecords(give_up_after=1, remembered=3)
    for offset in range(5):
        records.failed(poison(offset))
    assert [position[2] for position in records.given_up] == [2, 3, 4]
    assert len(records.failures) == 3
