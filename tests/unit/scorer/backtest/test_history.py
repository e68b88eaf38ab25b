"""Reading a history file: plain or gzipped NDJSON, events and account updates, bad lines."""

from __future__ import annotations

import gzip
from pathlib import Path

import orjson
import pytest

from schemas import AccountUpdate
from services.scorer.backtest.history import HistoryError, Skipped, read_history

EVENT = {
    "event_id": "e1",
    "account_id": "acme",
    "kind": "usage",
    "type": "active",
    "occurred_at": "2025-09-01T10:00:00Z",
    "received_at": "2025-09-01T10:00:01Z",
    "source": "sdk",
    "properties": {"user_id": "u1"},
}
UPDATE = {
    "account_id": "acme",
    "segment": "enterprise",
    "updated_at": "2025-09-01T09:00:00Z",
    "source": "crm",
}


def lines(*values: object) -> bytes:
    return b"".join((v if isinstance(v, bytes) else orjson.dumps(v)) + b"\n" for v in values)


def test_plain_and_gzipped_files_give_the_same_records(tmp_path: Path) -> None:
    body = lines(
        UPDATE,
        EVENT,
        {
            **EVENT,
            "event_id": "e2",
            "kind": "ticket",
            "type": "ticket_opened",
            "properties": {"ticket_id": "t1"},
        },
    )
    plain, packed = tmp_path / "h.ndjson", tmp_path / "h.ndjson.gz"
    plain.write_bytes(body)
    packed.write_bytes(gzip.compress(body))
    read = [list(read_history(p, Skipped())) for p in (plain, packed)]
    assert read[0] == read[1]
    records = read[0]
    assert [r.line for r in records] == [1, 2, 3]
    assert isinstance(records[0].item, AccountUpdate)
    assert records[0].item.segment == "enterprise"
    assert [getattr(r.item, "kind", None) for r in records] == [None, "usage", "ticket"]
    assert records[1].at == pytest.approx(1756720800.0)


def test_an_account_update_may_say_its_kind(tmp_path: Path) -> None:
    path = tmp_path / "h.ndjson"
    path.write_bytes(lines({**UPDATE, "kind": "account"}))
    [record] = read_history(path, Skipped())
    assert isinstance(record.item, AccountUpdate)


def test_bad_lines_are_reported_with_their_line_number_and_reason(tmp_path: Path) -> None:
    path = tmp_path / "h.ndjson"
    path.write_bytes(
        lines(
            EVENT,
            b"{not json",
            {**EVENT, "kind": "invoice"},
            [1, 2],
            {**EVENT, "occurred_at": "yesterday"},
            b"",
            {**EVENT, "event_id": "e9"},
        )
    )
    skipped = Skipped()
    records = list(read_history(path, skipped))
    assert [r.line for r in records] == [1, 7]
    assert skipped.count == 4
    assert [where for where, _ in skipped.lines] == ["line 2", "line 3", "line 4", "line 5"]
    reasons = dict(skipped.lines)
    assert reasons["line 2"].startswith("not JSON")
    assert "unknown kind 'invoice'" in reasons["line 3"]
    assert reasons["line 4"] == "not a JSON object"
    assert "occurred_at" in reasons["line 5"]


def test_a_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(HistoryError, match="cannot read"):
        list(read_history(tmp_path / "nope.ndjson", Skipped()))


def test_a_truncated_gzip_file_is_an_error_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "h.ndjson.gz"
    path.write_bytes(gzip.compress(lines(*[EVENT] * 2000))[:-40])
    with pytest.raises(HistoryError, match="cannot read past line"):
        list(read_history(path, Skipped()))
