"""API-key authentication shared by the HTTP services: `Authorization: Bearer <key>`."""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.api_keys import SCOPES, Caller, KeyStore, hash_secret
from services.rate_limit import RateLimiter
from services.settings import Settings

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
    """The caller; 401 when the key is missing, unknown or revoked, 429 over its rate limit."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "missing API key: send Authorization: Bearer <key>",
            headers=CHALLENGE,
        )  # fmt: skip
    return caller_for(request, credentials.credentials)


CHALLENGE = {"WWW-Authenticate": "Bearer"}


def caller_for(request: Request, secret: str) -> Caller:
    """The caller holding `secret`; 401 when it is unknown or revoked, 429 over its rate limit."""
    configured = settings_of(request).api_key_values()
    if any(hmac.compare_digest(secret.encode(), k.encode()) for k in configured):
        # a key from HEALTHMON_API_KEYS: every scope
        found: Caller | str = Caller("configured-" + hash_secret(secret)[:12], frozenset({"*"}))
    else:
        keys: KeyStore = request.app.state.keys
        found = keys.find(secret)
    if isinstance(found, str):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, f"{found} API key", headers=CHALLENGE)
    limiter: RateLimiter = request.app.state.limiter
    if wait := limiter.take(found.key_id):
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"rate limit of this API key passed ({limiter.rate:g} requests/s, bursts of "
            f"{limiter.burst:g}); retry after the time in Retry-After",
            headers={"Retry-After": RateLimiter.retry_after(wait)},
        )
    return found


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
