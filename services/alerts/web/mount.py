"""Puts the workspace on the alerts app: its pages, static files and sign-in redirects."""

from __future__ import annotations

from fastapi import FastAPI, HTTPException, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from services.alerts.web import deliveries, inbox, pages, signin
from services.alerts.web.access import SignInRequired, sign_in_url, signed_in
from services.alerts.web.queries import Choices
from services.alerts.web.render import STATIC, page
from services.alerts.web.session import session_key
from services.scorer.model import load_model
from services.settings import Settings


def wants_page(request: Request) -> bool:
    """Whether an error should be shown as a page (a browser on a workspace path)."""
    path = request.url.path
    api = path.startswith(("/v1/", "/docs", "/openapi", "/healthz", "/readyz", "/metrics"))
    return not api and "text/html" in request.headers.get("accept", "")


def install_workspace(app: FastAPI, settings: Settings) -> None:
    """Serve the workspace under `/` beside the API."""
    app.state.session_key = session_key(settings)
    app.state.health_model = load_model(settings.model_file)
    app.state.choices = Choices()
    for router in (signin.router, pages.router, inbox.router, deliveries.router):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.exception_handler(SignInRequired)
    async def to_sign_in(request: Request, exc: SignInRequired) -> Response:
        target = sign_in_url(exc.next_url)
        if request.headers.get("HX-Request") == "true":
            return Response(status_code=401, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(HTTPException)
    async def as_page(request: Request, exc: HTTPException) -> Response:
        if not wants_page(request):
            return await http_exception_handler(request, exc)
        try:
            person = signed_in(request)
        except SignInRequired:
            person = None
        return page(
            request, "error.html.j2", person, exc.status_code, detail=exc.detail,
            status_code_=exc.status_code,
        )  # fmt: skip
