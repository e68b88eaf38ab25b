"""Who may see the workspace: the session cookie read on every page, sign-in redirects, CSRF
checks on every form, and the scope an action needs."""

from __future__ import annotations

import hmac
from typing import Annotated
from urllib.parse import parse_qs, quote

from fastapi import Depends, HTTPException, Request, status
from sqlalchemy.orm import Session

from services.alerts.web.session import (
    COOKIE,
    CSRF_FIELD,
    CSRF_HEADER,
    Person,
    csrf_matches,
    verify,
)
from services.web.api_keys import ApiKeyRow, hash_secret
from services.web.auth import settings_of

CONFIGURED = "configured-"


class SignInRequired(Exception):
    """No valid session: the person is sent to the sign-in page, then back to `next_url`."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


def key_is_valid(session: Session, configured: frozenset[str], key_id: str) -> bool:
    """Whether the key a session was made with still works (not revoked, still configured)."""
    if key_id.startswith(CONFIGURED):
        short = key_id.removeprefix(CONFIGURED)
        return any(hmac.compare_digest(hash_secret(k)[:12], short) for k in configured)
    row = session.get(ApiKeyRow, key_id)
    return row is not None and row.revoked_at is None


def signed_in(request: Request) -> Person:
    """The person of the session cookie; SignInRequired without a valid one."""
    value = request.cookies.get(COOKIE)
    person = None if value is None else verify(value, request.app.state.session_key)
    if person is not None:
        configured = settings_of(request).api_key_values()
        with request.app.state.sessions() as session:
            if key_is_valid(session, configured, person.key_id):
                return person
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    raise SignInRequired(target)


SignedIn = Annotated[Person, Depends(signed_in)]


def sign_in_url(next_url: str) -> str:
    """The sign-in page, coming back to `next_url` after."""
    return "/signin" if next_url in ("", "/") else f"/signin?next={quote(next_url, safe='')}"


async def form_of(request: Request) -> dict[str, str]:
    """A URL-encoded form's fields (the first value of each)."""
    body = (await request.body()).decode("utf-8", errors="replace")
    return {name: values[0] for name, values in parse_qs(body, keep_blank_values=True).items()}


async def checked_form(request: Request, person: SignedIn) -> dict[str, str]:
    """The form of a signed-in person's POST; 403 unless it carries their CSRF token (as a field
    or, from htmx, the X-CSRF-Token header)."""
    form = await form_of(request)
    given = form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER)
    if not csrf_matches(person, given):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "the form's CSRF token is missing or stale: reload the page and try again",
        )
    return form


Form = Annotated[dict[str, str], Depends(checked_form)]


def require_scope(person: Person, scope: str) -> None:
    """403 unless the person's key has `scope`."""
    if not person.allows(scope):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"your API key lacks the scope {scope!r}: ask for a key with it to act on alerts",
        )
