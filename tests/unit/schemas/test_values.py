"""Shared value types: ids without control characters, finite numbers, times in the calendar."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from schemas import EVENT_ADAPTER, EVENT_IN_ADAPTER, AccountTraits
from schemas.errors import field_errors
from tests.support.events import event_dict

PAYMENT = {"account_id": "a", "kind": "payment", "type": "invoice_paid"}


def errors_of(data: dict[str, Any]) -> list[tuple[list[str | int], str]]:
    with pytest.raises(ValidationError) as info:
        EVENT_IN_ADAPTER.validate_python(data)
    return [(e.loc, e.type) for e in field_errors(info.value.errors(), data)]


@pytest.mark.parametrize("char", ["\x00", "\x1f", "\n", "\x7f", "\x85"])
def test_ids_refuse_control_characters(char: str) -> None:
    assert errors_of({**PAYMENT, "account_id": f"a{char}b"}) == [
        (["account_id"], "control_character")
    ]
    assert errors_of({**PAYMENT, "event_id": f"e{char}"}) == [(["event_id"], "control_character")]
    with pytest.raises(ValidationError, match="control characters"):
        AccountTraits(account_id=f"x{char}")


def test_ids_keep_every_other_character() -> None:
    event = EVENT_IN_ADAPTER.validate_python({**PAYMENT, "account_id": "Zoë 株式会社 ✓ \u00a0"})
    assert event.account_id == "Zoë 株式会社 ✓ \u00a0"


def test_the_topic_decoder_refuses_what_ingest_refuses() -> None:
    with pytest.raises(ValidationError, match="control characters"):
        EVENT_ADAPTER.validate_python(event_dict("usage", "login", account="a\x00"))


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-Infinity", "1e400", "-1e400"])
def test_properties_refuse_numbers_json_cannot_carry(text: str) -> None:
    value = json.loads(text)  # the parser FastAPI uses: 1e400 becomes inf
    flat = {**PAYMENT, "properties": {"n": value}}
    nested = {**PAYMENT, "properties": {"rows": [1, {"x": value}]}}
    amount = {**PAYMENT, "properties": {"amount": value}}
    assert errors_of(flat) == [(["properties", "n"], "finite_number")]
    assert errors_of(nested) == [(["properties", "rows"], "finite_number")]
    assert [loc for loc, _ in errors_of(amount)] == [["properties", "amount"]]


def test_a_non_finite_number_deep_in_a_property_is_located_in_the_message() -> None:
    with pytest.raises(ValidationError) as info:
        EVENT_IN_ADAPTER.validate_python(
            {**PAYMENT, "properties": {"rows": [1, {"x": float("nan")}]}}
        )
    [error] = field_errors(info.value.errors())
    assert error.loc == ["properties", "rows"] and "(at [1].x)" in error.msg


def test_account_mrr_must_be_finite() -> None:
    with pytest.raises(ValidationError) as info:
        AccountTraits(account_id="a", mrr=float("inf"))
    assert info.value.errors()[0]["loc"] == ("mrr",)


@pytest.mark.parametrize(
    "when", ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+01:00", "9999-12-31T23:00:00-01:00"]
)
def test_times_whose_utc_falls_outside_the_calendar_name_the_field(when: str) -> None:
    assert errors_of({**PAYMENT, "occurred_at": when}) == [
        (["occurred_at"], "datetime_outside_calendar")
    ]


def test_times_are_converted_to_utc() -> None:
    event = EVENT_IN_ADAPTER.validate_python(
        {**PAYMENT, "occurred_at": "0001-01-01T01:00:00+01:00"}
    )
    assert (
        event.occurred_at is not None
        and event.occurred_at.isoformat() == "0001-01-01T00:00:00+00:00"
    )


@pytest.mark.parametrize("kind", [["payment"], {"a": 1}, 3, None])
def test_a_kind_that_is_not_a_string_is_named(kind: Any) -> None:
    assert errors_of({**PAYMENT, "kind": kind}) == [(["kind"], "unknown_event_type")]
