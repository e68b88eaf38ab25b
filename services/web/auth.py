"""API-key authentication shared by the HTTP services: `Authorization: Bearer <key>`."""

from __future__ import annotations

import asyncio
import hmac
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.settings import Settings
from services.web.api_keys import SCOPES, Caller, KeyStore, hash_secret
from services.web.rate_limit import RateLimiter

_bearer = HTTPBearer(
    auto_error=False,
    description="A key made with `healthmon keys create`, or one of HEALTHMON_API_KEYS.",
)


def settings_of(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


async def require_api_key(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    """The caller; 401 when the key is missing, unknown or revoked, 429 over a rate limit."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "missing API key: send Authorization: Bearer <key>",
            headers=CHALLENGE,
        )  # fmt: skip
    return await authenticate(request, credentials.credentials)


CHALLENGE = {"WWW-Authenticate": "Bearer"}
RATE_LIMITED: dict[int | str, dict[str, Any]] = {
    429: {
        "description": "Too many requests with this API key, or too many failed "
        "authentications from this client address: retry after the seconds in Retry-After."
    }
}
"""The answer every route behind an API key may give, for its OpenAPI document."""


async def authenticate(request: Request, secret: str) -> Caller:
    """The caller holding `secret`, asking the database (when needed) off the event loop."""
    found = _known(request, secret)
    if found is None:
        keys: KeyStore = request.app.state.keys
        found = await asyncio.to_thread(keys.find, secret)
    return _admit(request, found)


def _known(request: Request, secret: str) -> Caller | str | None:
    """A configured or cached answer for `secret`; None when the database must be asked.

    Anything but a valid key gets 429 from an address that failed to authenticate too often.
    """
    configured = settings_of(request).api_key_values()
    if any(hmac.compare_digest(secret.encode(), k.encode()) for k in configured):
        # a key from HEALTHMON_API_KEYS: every scope
        return Caller("configured-" + hash_secret(secret)[:12], frozenset({"*"}))
    keys: KeyStore = request.app.state.keys
    found = keys.cached(secret)
    if isinstance(found, Caller):
        return found
    failures = failures_of(request)
    if wait := failures.wait(client_address(request)):
        raise too_many(
            f"too many failed authentications from this address ({failures.burst:g} at once, "
            f"then one every {1 / failures.rate:g} s)",
            wait,
        )
    return found


def _admit(request: Request, found: Caller | str) -> Caller:
    """The caller, or 401 (counted against the client address); 429 over the key's limit."""
    if isinstance(found, str):
        failures_of(request).take(client_address(request))
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, f"{found} API key", headers=CHALLENGE)
    limiter: RateLimiter = request.app.state.limiter
    if wait := limiter.take(found.key_id):
        raise too_many(
            f"rate limit of this API key passed ({limiter.rate:g} requests/s, bursts of "
            f"{limiter.burst:g})",
            wait,
        )
    return found


def too_many(why: str, wait: float) -> HTTPException:
    """429 saying `why`, with the seconds to wait in Retry-After."""
    return HTTPException(
        status.HTTP_429_TOO_MANY_REQUESTS,
        f"{why}; retry after the time in Retry-After",
        headers={"Retry-After": RateLimiter.retry_after(wait)},
    )


def client_address(request: Request) -> str:
    """The address of the client (the peer of the connection, or what the server trusts)."""
    return request.client.host if request.client else "unknown"


def failures_of(request: Request) -> RateLimiter:
    """The app's limiter of failed authentications per client address, made on first use."""
    state = request.app.state
    limiter: RateLimiter | None = getattr(state, "auth_failures", None)
    if limiter is None:
        settings = settings_of(request)
        limit = settings.auth_failure_limit
        rate = limit / settings.auth_failure_window_s if limit else 0.0
        limiter = state.auth_failures = RateLimiter(rate, max(1, limit))
    return limiter


ApiKey = Annotated[Caller, Depends(require_api_key)]


def forbidden(scope: str) -> HTTPException:
    """403 naming the scope the key lacks."""
    return HTTPException(
        status.HTTP_403_FORBIDDEN,
        f"this API key lacks the scope {scope!r} ({SCOPES[scope]})",
    )


def scoped(scope: str) -> Any:
    """A dependency: the caller, who must have `scope` (403 otherwise)."""

    async def check(caller: ApiKey) -> Caller:
        if not caller.allows(scope):
            raise forbidden(scope)
        return caller

    return Depends(check)


AlertsReader = Annotated[Caller, scoped("alerts:read")]
AlertsWriter = Annotated[Caller, scoped("alerts:write")]
