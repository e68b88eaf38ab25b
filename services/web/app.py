"""The FastAPI app both HTTP services start from: API keys with their rate limit, the shared
middleware and error bodies, self-hosted docs, and the operations routes."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, FastAPI
from starlette.types import Lifespan

from services.settings import Settings
from services.web.api_keys import KeyStore
from services.web.auth import RATE_LIMITED
from services.web.http import ReadyCheck, install_common, ops_router
from services.web.rate_limit import RateLimiter


def service_app(
    settings: Settings,
    keys: KeyStore,
    ready: ReadyCheck,
    keyed: Sequence[APIRouter],
    *,
    title: str,
    summary: str,
    lifespan: Lifespan[FastAPI],
) -> FastAPI:
    """An app whose `keyed` routers answer callers with an API key from `keys` (or the
    settings), each key held to the configured rate; `ready` answers /readyz."""
    app = FastAPI(title=title, version="1", summary=summary, lifespan=lifespan)
    app.state.settings = settings
    app.state.keys = keys
    app.state.limiter = RateLimiter(settings.rate_limit_per_s, settings.rate_limit_burst)
    install_common(app, settings.max_body_bytes)
    app.include_router(ops_router(ready))
    for router in keyed:
        app.include_router(router, responses=RATE_LIMITED)
    return app
