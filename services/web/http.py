"""What both HTTP services share: body-size limit, error shape, health and metrics routes."""

from __future__ import annotations

import zlib
from collections.abc import Awaitable, Callable
from importlib.resources import files
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.exc import DataError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from schemas.errors import field_errors

ReadyCheck = Callable[[Request], Awaitable[str | None]]


class BodyTooLarge(Exception):
    """The request body passed the configured limit."""


class BodySizeLimit:
    """ASGI middleware answering 413 for bodies over `limit` bytes, declared or streamed."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._reject(scope, receive, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise BodyTooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except BodyTooLarge:
            await self._reject(scope, receive, send)

    async def _reject(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(413, f"request body larger than {self.limit} bytes")
        await response(scope, receive, send)


def error_response(
    status_code: int, detail: Any, headers: dict[str, str] | None = None
) -> JSONResponse:
    """The JSON error body every endpoint uses: {"detail": ...}."""
    return JSONResponse({"detail": detail}, status_code=status_code, headers=headers)


def ops_router(ready: ReadyCheck) -> APIRouter:
    """GET /healthz (process alive), /readyz (dependencies reachable) and /metrics."""
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="The process is alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get(
        "/readyz",
        summary="Dependencies are reachable",
        responses={503: {"description": "A dependency is not reachable"}},
    )
    async def readyz(request: Request) -> Response:
        problem = await ready(request)
        if problem:
            return error_response(503, problem)
        return JSONResponse({"status": "ready"})

    @router.get("/metrics", summary="Prometheus metrics", response_class=Response)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


async def require_json(request: Request) -> None:
    """415 unless a request with a body says it is JSON (`application/json` or `+json`)."""
    headers = request.headers
    empty = headers.get("content-length", "0") == "0" and "transfer-encoding" not in headers
    if request.method not in BODY_METHODS or empty:
        return
    given = request.headers.get("content-type", "")
    media = given.split(";", 1)[0].strip().lower()
    if media != "application/json" and not media.endswith("+json"):
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            f"send the body as JSON with Content-Type: application/json (got {given or 'none'!r})",
        )


def json_router(prefix: str, tag: str) -> APIRouter:
    """The router of one API resource under `prefix`, its requests with a body held to JSON."""
    return APIRouter(prefix=prefix, tags=[tag], dependencies=[Depends(require_json)])


DOCS_ASSETS = "/docs/assets"
SWAGGER_FILES = frozenset({"swagger-ui-bundle.js", "swagger-ui.css", "favicon.png"})
SWAGGER_DIR = Path(str(files("fastapi_offline").joinpath("static")))
"""Swagger UI 5's files as fastapi-offline ships them."""


def install_docs(app: FastAPI) -> None:
    """Serve /docs with Swagger UI's files from this service (fastapi-offline's), not a CDN;
    drop FastAPI's /redoc, which only works from a CDN."""
    dropped = {app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url}
    app.router.routes[:] = [r for r in app.router.routes if getattr(r, "path", None) not in dropped]
    app.redoc_url = None
    docs_url, openapi_url = app.docs_url or "/docs", app.openapi_url or "/openapi.json"

    @app.get(docs_url, include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} - API docs",
            swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_ASSETS}/favicon.png",
            swagger_ui_parameters={"validatorUrl": None},  # no badge from validator.swagger.io
        )

    @app.get(DOCS_ASSETS + "/{name}", include_in_schema=False)
    async def asset(name: str) -> FileResponse:
        if name not in SWAGGER_FILES:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no such file")
        return FileResponse(SWAGGER_DIR / name)


def install_common(app: FastAPI, max_body_bytes: int) -> None:
    """The shared middleware, self-hosted API docs, and 422 bodies that give each field's path
    inside the body."""
    app.add_middleware(BodySizeLimit, limit=max_body_bytes)
    install_docs(app)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = field_errors(exc.errors(), exc.body, root="body")
        return error_response(422, [e.model_dump() for e in errors])

    @app.exception_handler(DataError)
    async def unstorable(request: Request, exc: DataError) -> JSONResponse:
        # e.g. a NUL character, which PostgreSQL text cannot hold
        return error_response(422, f"a value the database cannot store: {exc.orig}")


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, gunzipped when sent with `Content-Encoding: gzip` (413 past `limit`
    bytes once unpacked, 400 when it is not gzip)."""
    body = await request.body()
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding in ("identity", ""):
        return body
    if encoding != "gzip":
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            f"Content-Encoding {encoding!r} is not supported (send gzip or none)",
        )
    unpacker = zlib.decompressobj(wbits=31)
    try:
        unpacked = unpacker.decompress(body, limit + 1)
    except zlib.error as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"body is not valid gzip: {exc}") from exc
    if len(unpacked) > limit:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE, f"request body larger than {limit} bytes unpacked"
        )
    return unpacked


def add_component_schemas(app: FastAPI, schemas: dict[str, Any]) -> None:
    """Add schemas that hand-written request bodies refer to to the OpenAPI components."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            build().setdefault("components", {}).setdefault("schemas", {}).update(schemas)
        return app.openapi_schema or build()

    app.openapi = openapi  # type: ignore[method-assign]
