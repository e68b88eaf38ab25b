"""API-key authentication shared by the HTTP services: `Authorization: Bearer <key>`."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.settings import Settings

_bearer = HTTPBearer(auto_error=False, description="An API key from HEALTHMON_API_KEYS.")


def settings_of(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


def require_api_key(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """The caller's key; 401 when it is missing or unknown."""
    challenge = {"WWW-Authenticate": "Bearer"}
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "missing API key: send Authorization: Bearer <key>",
            headers=challenge,
        )  # fmt: skip
    given = credentials.credentials.encode()
    if not any(
        hmac.compare_digest(given, k.encode()) for k in settings_of(request).api_key_values()
    ):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "unknown API key", headers=challenge)
    return credentials.credentials


ApiKey = Annotated[str, Depends(require_api_key)]
