"""The alerts FastAPI application with its change consumer and delivery worker."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from services.alerts.consumer import ChangeConsumer
from services.alerts.delivery import DeliveryWorker
from services.alerts.outbound import OutboundPolicy
from services.alerts.routes import accounts, alerts, endpoints, rules
from services.alerts.routing import EMAIL_CHANNELS, read_routes_file
from services.alerts.secret_box import seal_plain, secret_box_of
from services.alerts.store.alerts import utcnow
from services.alerts.store.routes import routes_of, sync_file_routes
from services.alerts.web.feed import WorkspaceFeed
from services.alerts.web.mount import install_workspace
from services.db.sql import Database, make_engine, require_schema, session_factory
from services.settings import Settings
from services.web.api_keys import KeyStore
from services.web.app import service_app

log = logging.getLogger(__name__)


def create_app(settings: Settings, background: bool = True) -> FastAPI:
    """Build the app; with `background` the consumer and delivery worker run in the lifespan."""
    engine = make_engine(settings.sqlalchemy_url)
    require_schema(engine)  # SQLite is migrated; a server database must be current
    sessions = session_factory(engine)
    load_routes(settings, sessions)
    box = secret_box_of(settings)
    with sessions.begin() as session:
        if sealed := seal_plain(session, box):
            log.info("sealed the plain-text secrets of %d webhook endpoints", sealed)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if not background:
            yield
            engine.dispose()  # tests make many apps: each gives its connections back
            return
        worker = DeliveryWorker(sessions, settings, box)
        consumer = ChangeConsumer(settings, sessions, worker.wake.set)
        app.state.consumer, app.state.wake_delivery = consumer, worker.wake.set
        feed = WorkspaceFeed(settings, sessions)
        tasks = [asyncio.create_task(c.run()) for c in (worker, consumer, feed)]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        engine.dispose()

    async def ready(request: Request) -> str | None:
        try:
            await asyncio.to_thread(_ping, request)
        except Exception as exc:
            return f"database not reachable: {exc!r}"
        consumer = request.app.state.consumer
        if consumer is not None and not consumer.connected:
            return "not connected to Kafka"
        return None

    app = service_app(
        settings,
        KeyStore(Database(settings.sqlalchemy_url, sessions)),
        ready,
        (alerts.router, endpoints.router, rules.router, accounts.router),
        title="healthmon alerts",
        summary="Alerts raised from risk changes, webhook endpoints and account health.",
        lifespan=lifespan,
    )
    app.state.sessions = sessions
    app.state.secret_box = box
    app.state.outbound = OutboundPolicy.of(settings)
    app.state.consumer = None
    install_workspace(app, settings)
    return app


def _ping(request: Request) -> None:
    with request.app.state.sessions() as session:
        session.execute(text("SELECT 1"))


def load_routes(settings: Settings, sessions: sessionmaker[Session]) -> None:
    """Sync the routes file into the routes table; warn about email routes without SMTP."""
    with sessions.begin() as session:
        if settings.routes_file is not None:
            specs = read_routes_file(settings.routes_file.read_text())
            sync_file_routes(session, specs, utcnow())
        routes = routes_of(session)
    emailing = [r.name for r in routes if any(c.type in EMAIL_CHANNELS for c in r.channels)]
    if emailing and settings.smtp_host is None:
        log.warning(
            "routes %s send email but no SMTP server is set (HEALTHMON_SMTP_HOST): their email "
            "is not sent", ", ".join(repr(n) for n in emailing),
        )  # fmt: skip
