"""Signing in with an API key (or a one-time link), and signing out."""

from __future__ import annotations

import hmac
import secrets

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.alerts.store.alerts import utcnow
from services.alerts.web.access import Form, SignedIn, form_of
from services.alerts.web.links import use_link
from services.alerts.web.render import page
from services.alerts.web.session import COOKIE, MAX_AGE_S, Person, new_person, sign
from services.web.api_keys import ApiKeyRow, Caller
from services.web.auth import authenticate, settings_of

router = APIRouter(include_in_schema=False)
SIGNIN_COOKIE = "hm_signin"
"""The sign-in form's own CSRF token (double submit: cookie and field must match)."""


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a path on this site, never another site."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/accounts"
    return value


def _cookie_flags(request: Request) -> dict[str, object]:
    secure = request.url.scheme == "https" or settings_of(request).public_url.startswith("https")
    return {"httponly": True, "samesite": "lax", "secure": secure, "path": "/"}


def start_session(request: Request, person: Person, to: str) -> RedirectResponse:
    """A redirect to `to` that sets the session cookie."""
    answer = RedirectResponse(to, status_code=303)
    cookie = sign(person, request.app.state.session_key)
    answer.set_cookie(COOKIE, cookie, max_age=MAX_AGE_S, **_cookie_flags(request))  # type: ignore[arg-type]
    answer.delete_cookie(SIGNIN_COOKIE, path="/")
    return answer


def _form(request: Request, error: str | None = None, status_code: int = 200) -> HTMLResponse:
    token = request.cookies.get(SIGNIN_COOKIE) or secrets.token_urlsafe(24)
    answer = page(
        request, "signin.html.j2", None, status_code, error=error, token=token,
        next=safe_next(request.query_params.get("next")),
    )  # fmt: skip
    flags = _cookie_flags(request) | {"samesite": "strict"}
    answer.set_cookie(SIGNIN_COOKIE, token, max_age=3600, **flags)  # type: ignore[arg-type]
    return answer


@router.get("/signin")
def signin_page(request: Request) -> HTMLResponse:
    return _form(request)


def _who(request: Request, caller: Caller, given: str) -> str:
    if given.strip():
        return given.strip()[:254]
    with request.app.state.sessions() as session:
        row = session.get(ApiKeyRow, caller.key_id)
    return row.name if row is not None and "@" in row.name else caller.key_id


@router.post("/signin", response_model=None)
async def signin(request: Request) -> Response:
    form = await form_of(request)
    expected = request.cookies.get(SIGNIN_COOKIE, "")
    if not expected or not hmac.compare_digest(form.get("csrf", ""), expected):
        return _form(request, "The sign-in form expired. Please try again.", 403)
    try:
        caller = await authenticate(request, form.get("api_key", "").strip())
    except HTTPException as exc:
        return _form(request, f"That key does not work: {exc.detail}.", exc.status_code)
    if not caller.allows("alerts:read"):
        return _form(request, "That key has no alerts scope (alerts:read).", 403)
    who = _who(request, caller, form.get("email", ""))
    person = new_person(caller.key_id, caller.scopes, who)
    return start_session(request, person, safe_next(form.get("next")))


@router.get("/signin/link/{token}", response_model=None)
def signin_link(request: Request, token: str) -> Response:
    with request.app.state.sessions.begin() as session:
        link = use_link(session, token, utcnow())
        key = None if link is None else session.get(ApiKeyRow, link.key_id)
        found = None
        if link is not None and key is not None and key.revoked_at is None:
            found = (key.id, frozenset(key.scopes), link.who or key.name)
    if found is None:
        return _form(request, "That sign-in link was used already or has expired.", 401)
    person = new_person(*found)
    return start_session(request, person, "/accounts")


@router.post("/signout")
def signout(request: Request, person: SignedIn, _form: Form) -> RedirectResponse:
    answer = RedirectResponse("/signin", status_code=303)
    answer.delete_cookie(COOKIE, path="/")
    return answer
