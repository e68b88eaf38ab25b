"""Signing in to the workspace: API keys with the alerts scopes, a signed expiring HttpOnly
cookie, CSRF on every form, revocation, one-time links, signing out."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from services.alerts.app import create_app
from services.alerts.web.links import create_link
from services.alerts.web.session import COOKIE, new_person, sign
from services.web.api_keys import create_key, revoke_key
from tests.support.secrets import alerts_settings
from tests.support.workspace import csrf_of, seed_account, sign_in


@pytest.fixture
def client(engine: Engine, tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(alerts_settings(engine, tmp_path), background=False)) as client:
        yield client


def test_pages_send_a_stranger_to_sign_in_and_back_after(client: TestClient) -> None:
    answer = client.get("/accounts?band=red", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/signin?next=%2Faccounts%3Fband%3Dred"
    form = client.get(answer.headers["location"])
    assert 'name="next" value="/accounts?band=red"' in form.text
    signed = client.post(
        "/signin", data={"csrf": csrf_of(form), "api_key": "key-1", "next": "/accounts?band=red"},
        follow_redirects=False,
    )  # fmt: skip
    assert (signed.status_code, signed.headers["location"]) == (303, "/accounts?band=red")


def test_the_session_cookie_is_signed_httponly_samesite_and_expiring(client: TestClient) -> None:
    answer = sign_in(client, "key-1")
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith(COOKIE))
    flags = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"httponly", "max-age", "path", "samesite"} <= flags
    assert "samesite=lax" in cookie.lower() and "max-age=28800" in cookie.lower()
    assert client.get("/accounts").status_code == 200
    value = client.cookies[COOKIE]
    body, mac = value.split(".")
    client.cookies.set(COOKIE, body + "." + mac[::-1])
    assert client.get("/accounts", follow_redirects=False).status_code == 303


def test_an_expired_session_signs_out(client: TestClient) -> None:
    key = client.app.state.session_key  # type: ignore[attr-defined]
    old = new_person("configured-x", frozenset({"*"}), "kim@example.com", now=0)
    client.cookies.set(COOKIE, sign(old, key))
    assert client.get("/accounts", follow_redirects=False).status_code == 303


@pytest.mark.parametrize(
    ("key", "status", "says"),
    [("nope", 401, "unknown API key"), ("", 401, "unknown API key")],
)
def test_a_bad_key_is_refused_with_the_reason(
    client: TestClient, key: str, status: int, says: str
) -> None:
    answer = sign_in(client, key)
    assert answer.status_code == status and says in answer.text
    assert COOKIE not in client.cookies


def test_a_key_without_the_alerts_scopes_cannot_sign_in(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        _, secret = create_key(session, "backend", ["events:usage"], datetime.now(UTC))
    answer = sign_in(client, secret)
    assert answer.status_code == 403 and "alerts:read" in answer.text


def test_a_read_only_key_sees_pages_but_cannot_act(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    now = datetime.now(UTC)
    seed_account(sessions, "acme", "red", now)
    with sessions.begin() as session:
        _, secret = create_key(session, "kim@example.com", ["alerts:read"], now)
    assert sign_in(client, secret, email="").status_code == 303
    inbox = client.get("/alerts")
    assert "kim@example.com" in inbox.text and "/acknowledge" not in inbox.text
    alert_id = inbox.text.split('id="alert-')[1].split('"')[0]
    denied = client.post(f"/alerts/{alert_id}/acknowledge", data={"csrf": csrf_of(inbox)})
    assert denied.status_code == 403 and "alerts:write" in denied.text


def test_a_revoked_key_ends_its_sessions(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        row, secret = create_key(session, "kim", ["alerts:read", "alerts:write"], datetime.now(UTC))
    sign_in(client, secret)
    assert client.get("/accounts").status_code == 200
    with sessions.begin() as session:
        revoke_key(session, row.id, datetime.now(UTC))
    assert client.get("/accounts", follow_redirects=False).status_code == 303


def test_forms_without_the_session_csrf_token_are_refused(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    seed_account(sessions, "acme", "red", datetime.now(UTC))
    sign_in(client, "key-1")
    inbox = client.get("/alerts")
    alert_id = inbox.text.split('id="alert-')[1].split('"')[0]
    for token in (None, "forged"):
        data = {} if token is None else {"csrf": token}
        refused = client.post(f"/alerts/{alert_id}/acknowledge", data=data)
        assert refused.status_code == 403 and "CSRF" in refused.text
    assert client.post("/signout", data={}).status_code == 403
    taken = client.post(
        f"/alerts/{alert_id}/acknowledge", headers={"X-CSRF-Token": csrf_of(inbox)},
    )  # fmt: skip
    assert taken.status_code == 200  # htmx sends the token as a header


def test_the_sign_in_form_has_its_own_csrf_token(client: TestClient) -> None:
    client.get("/signin")
    answer = client.post("/signin", data={"csrf": "guess", "api_key": "key-1"})
    assert answer.status_code == 403 and "expired" in answer.text


def test_signing_out_drops_the_session(client: TestClient) -> None:
    sign_in(client, "key-1")
    page = client.get("/accounts")
    out = client.post("/signout", data={"csrf": csrf_of(page)}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/signin"
    assert client.get("/accounts", follow_redirects=False).status_code == 303


def test_a_sign_in_link_works_once(client: TestClient, sessions: sessionmaker[Session]) -> None:
    now = datetime.now(UTC)
    with sessions.begin() as session:
        row, _ = create_key(session, "demo", ["alerts:read", "alerts:write"], now)
        token = create_link(session, row.id, "kim@example.com", now)
        expired = create_link(session, row.id, None, now - timedelta(hours=2))
    used = client.get(f"/signin/link/{token}", follow_redirects=False)
    assert used.status_code == 303 and used.headers["location"] == "/accounts"
    assert "kim@example.com" in client.get("/accounts").text
    client.cookies.clear()
    again = client.get(f"/signin/link/{token}", follow_redirects=False)
    assert again.status_code == 401 and "used already or has expired" in again.text
    assert client.get(f"/signin/link/{expired}", follow_redirects=False).status_code == 401


def test_only_a_path_of_this_site_is_followed_after_sign_in(client: TestClient) -> None:
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        form = client.get("/signin")
        answer = client.post(
            "/signin", data={"csrf": csrf_of(form), "api_key": "key-1", "next": target},
            follow_redirects=False,
        )  # fmt: skip
        assert answer.headers["location"] == "/accounts"
