"""Property-based: the ingest API over the edges of times, numbers and strings answers no 5xx, and
an invalid value gets a 4xx naming its field (in a batch, a rejected item naming it)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from services.ingest.app import create_app
from services.settings import Settings
from tests.support.edges import (
    IDS,
    NON_FINITE,
    NOT_STRINGS,
    NUMBERS,
    edge_times,
    has_control,
    in_utc,
    non_finite_in,
)
from tests.support.sinks import MemorySink

HEADERS = {"Authorization": "Bearer key-1", "content-type": "application/json"}
BASE: dict[str, Any] = {"account_id": "acme", "kind": "usage", "type": "login", "properties": {}}
EDGES = settings(
    max_examples=150, deadline=None, database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)  # fmt: skip


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings_ = Settings(api_keys="key-1", data_dir=tmp_path_factory.mktemp("ingest"))  # type: ignore[arg-type]
    with TestClient(create_app(settings_, sink=MemorySink())) as test_client:
        yield test_client


def post(client: TestClient, path: str, body: Any) -> Any:
    """Send `body` as Python's json writes it: NaN, Infinity and lone surrogates included."""
    return client.post(path, content=json.dumps(body).encode(), headers=HEADERS)


def assert_names(client: TestClient, event: dict[str, Any], field: str, invalid: bool) -> None:
    """Alone and in a batch, the event is accepted or refused naming only `field`; surely
    refused when `invalid`."""
    single = post(client, "/v1/events", event)
    assert single.status_code < 500, single.text
    if invalid:
        assert single.status_code == 422, single.text
    if single.status_code != 202:
        assert single.status_code == 422, single.text
        assert {e["loc"][0] for e in single.json()["detail"]} == {field}, single.text
    batch = post(client, "/v1/events/batch", {"events": [BASE, event]})
    assert batch.status_code == 200, batch.text
    first, item = batch.json()["results"]
    assert first["status"] == "accepted"
    assert item["status"] == ("accepted" if single.status_code == 202 else "rejected")
    if item["status"] == "rejected":
        assert {e["loc"][0] for e in item["errors"]} == {field}


@EDGES
@given(when=edge_times())
@example(when="9999-12-31T23:59:59-23:59")
@example(when="0001-01-01T00:00:00+01:00")
@example(when="9999-12-31T00:00:00Z")
def test_event_times_at_the_edges(client: TestClient, when: str) -> None:
    utc = in_utc(when)
    now = datetime.now(UTC)
    out_of_range = utc is None or utc > now + timedelta(minutes=5) or utc.year < 2000
    assert_names(client, {**BASE, "occurred_at": when}, "occurred_at", out_of_range)


@EDGES
@given(text=IDS, field=st.sampled_from(["account_id", "event_id"]))
@example(text="a\x00b", field="account_id")
@example(text="\ud800", field="event_id")
def test_ids_at_the_edges(client: TestClient, text: str, field: str) -> None:
    assert_names(client, {**BASE, field: text}, field, has_control(text))


@EDGES
@given(value=NUMBERS | NON_FINITE | st.lists(NUMBERS | NON_FINITE, max_size=3))
@example(value=float("nan"))
@example(value=float("inf"))
@example(value=[1, float("-inf")])
def test_property_numbers_at_the_edges(client: TestClient, value: Any) -> None:
    event = {**BASE, "type": "nps_response", "properties": {"score": 5, "extra": value}}
    assert_names(client, event, "properties", non_finite_in(value))


@EDGES
@given(kind=NOT_STRINGS | st.text(max_size=10))
@example(kind=["payment"])
@example(kind={"a": 1})
def test_kinds_that_are_not_a_kind(client: TestClient, kind: Any) -> None:
    assert_names(client, {**BASE, "kind": kind}, "kind", kind not in ("usage", "ticket", "payment"))


@EDGES
@given(when=edge_times(), sent=edge_times() | st.none(), user=IDS)
@example(when="9999-12-31T23:59:59-23:59", sent=None, user="u")
@example(when="0381-07-08T18:57:08Z", sent="2651-03-06T07:43:03+03:21", user="u")
@example(when="2026-01-01T00:00:00Z", sent=None, user="u\x00")
def test_segment_calls_at_the_edges(
    client: TestClient, when: str, sent: str | None, user: str
) -> None:
    call = {"userId": user, "event": "Signed In", "context": {"groupId": "acme"}, "timestamp": when}
    if sent:
        call["sentAt"] = sent
    single = post(client, "/v1/track", call)
    assert single.status_code < 500, single.text
    named = {e["loc"][0] for e in single.json()["detail"]} if single.status_code == 422 else set()
    assert named <= {"timestamp", "sentAt", "userId"}, single.text
    if in_utc(when) is None or (sent and in_utc(sent) is None):
        assert named & {"timestamp", "sentAt"}, single.text
    if has_control(user) and 0 < len(user) <= 200:
        assert "userId" in named, single.text
    batch = post(client, "/v1/batch", {"batch": [{"type": "track", **call}]})
    assert batch.status_code == 200, batch.text
    [item] = batch.json()["results"]
    assert item["status"] == ("accepted" if single.status_code == 200 else "rejected")
