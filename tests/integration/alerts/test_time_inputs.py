"""Times sent to the alerts API, over the edges of the calendar and of UTC offsets: snooze
`until` and replay `since`/`until` answer 4xx naming the field, never 5xx."""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from services.alerts.app import create_app
from services.alerts.store import record_change
from services.settings import Settings
from tests.support.changes import risk_change
from tests.support.events import T0
from tests.support.secrets import LOOPBACK, TEST_SECRET_KEY

KEY = {"Authorization": "Bearer key-1"}
EDGES = settings(
    max_examples=60, deadline=None, database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)  # fmt: skip


@pytest.fixture
def client(engine: Engine, tmp_path: Path) -> Iterator[TestClient]:
    settings_ = Settings(
        api_keys="key-1",  # type: ignore[arg-type]
        database_url=engine.url.render_as_string(hide_password=False),
        data_dir=tmp_path,
        secret_keys=TEST_SECRET_KEY,  # type: ignore[arg-type]
        webhook_allow_networks=LOOPBACK,  # type: ignore[arg-type]
    )
    with TestClient(create_app(settings_, background=False)) as test_client:
        yield test_client


def offset_text(minutes: int) -> str:
    if minutes == 0:
        return "Z"
    sign = "+" if minutes > 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


@st.composite
def edge_times(draw: st.DrawFn) -> str:
    """RFC 3339 times near the ends of the calendar and with offsets up to a day."""
    year = draw(st.sampled_from([1, 2, 1969, 1970, 2026, 9998, 9999]) | st.integers(1, 9999))
    month = draw(st.sampled_from([1, 12]) | st.integers(1, 12))
    day = draw(st.sampled_from([1, 28, 31]) | st.integers(1, 28))
    day = min(day, calendar.monthrange(year, month)[1])
    hour, minute = draw(
        st.sampled_from([(0, 0), (23, 59)]) | st.tuples(st.integers(0, 23), st.integers(0, 59))
    )
    offset = draw(st.sampled_from([-1439, -1, 0, 1, 1439]) | st.integers(-1439, 1439))
    return f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:59{offset_text(offset)}"


def leaves_the_calendar(text: str) -> bool:
    """Whether the time, converted to UTC, falls outside years 1-9999."""
    local, offset = text[:19], text[19:]
    minutes = (
        0 if offset == "Z" else int(offset[0] + "1") * (int(offset[1:3]) * 60 + int(offset[4:6]))
    )
    try:
        datetime.fromisoformat(local).replace(
            tzinfo=timezone(timedelta(minutes=minutes))
        ).astimezone(UTC)
    except OverflowError:
        return True
    return False


def raise_alert(sessions: sessionmaker[Session]) -> str:
    with sessions.begin() as session:
        recorded = record_change(session, risk_change("green", "red"), T0)
    assert recorded is not None
    return recorded[0].id


def test_snooze_until_any_time_is_never_a_server_error(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    alert = raise_alert(sessions)

    @EDGES
    @given(until=edge_times())
    @example(until="9999-12-31T23:59:59-23:59")
    @example(until="0001-01-01T00:00:00+01:00")
    def snooze(until: str) -> None:
        response = client.post(f"/v1/alerts/{alert}/snooze", json={"until": until}, headers=KEY)
        assert response.status_code < 500, response.text
        if leaves_the_calendar(until):
            assert response.status_code == 422
            assert response.json()["detail"][0]["loc"] == ["until"]

    snooze()


def test_replay_since_and_until_any_time_is_never_a_server_error(client: TestClient) -> None:
    created = client.post(
        "/v1/webhook-endpoints", json={"url": "http://127.0.0.1:9/hook"}, headers=KEY
    )
    assert created.status_code == 201, created.text
    path = f"/v1/webhook-endpoints/{created.json()['id']}/replay"

    @EDGES
    @given(since=edge_times(), until=edge_times() | st.none())
    @example(since="0001-01-01T00:00:00+01:00", until=None)
    @example(since="2026-01-01T00:00:00Z", until="9999-12-31T23:59:59-23:59")
    def replay(since: str, until: str | None) -> None:
        body = {"since": since, **({"until": until} if until else {})}
        response = client.post(path, json=body, headers=KEY)
        assert response.status_code < 500, response.text
        wrong = [f for f, t in (("since", since), ("until", until)) if t and leaves_the_calendar(t)]
        if wrong:
            assert response.status_code == 422
            assert [e["loc"] for e in response.json()["detail"]] == [[f] for f in wrong]

    replay()
