"""The ingest FastAPI application."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.db.sql import Database
from services.ingest.account_mappings import MappingStore
from services.ingest.limits import Limits
from services.ingest.metrics import IN_FLIGHT, REASONS, REJECTED_REQUESTS
from services.ingest.producer import RecordSink, kafka_sink
from services.ingest.routes import accounts, events, mappings, segment, webhooks
from services.ingest.segment import OPENAPI_DEFS
from services.kafka.topics import topic_names
from services.settings import Settings
from services.web.api_keys import KeyStore
from services.web.app import service_app
from services.web.http import add_component_schemas


class RequestMetrics:
    """ASGI middleware counting requests in flight and error answers by reason."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def counting(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] >= 400:
                REJECTED_REQUESTS.labels(REASONS.get(message["status"], "other")).inc()
            await send(message)

        with IN_FLIGHT.track_inprogress():
            await self.app(scope, receive, counting)


def create_app(settings: Settings, sink: RecordSink | None = None) -> FastAPI:
    """Build the app; without `sink` a Kafka producer is started in the lifespan."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # the schema is required at start, never on a request (SQLite is migrated here)
        await asyncio.to_thread(database.sessions)
        if sink is not None:
            app.state.sink = sink
            yield
            return
        kafka = kafka_sink(settings)
        await kafka.start()
        app.state.sink = kafka
        try:
            yield
        finally:
            await kafka.stop()

    async def ready(request: Request) -> str | None:
        sink_: RecordSink = request.app.state.sink
        return await sink_.problem()

    database = Database(settings.sqlalchemy_url)
    app = service_app(
        settings,
        KeyStore(database),
        ready,
        (events.router, accounts.router, mappings.router),
        title="healthmon ingest",
        summary="Send product-usage, ticket and payment events and account traits.",
        lifespan=lifespan,
    )
    app.state.topics = topic_names(settings)
    app.state.limits = Limits.of(settings)
    app.state.database = database
    app.state.mappings = MappingStore(database)
    app.add_middleware(RequestMetrics)
    app.include_router(segment.router)
    app.include_router(webhooks.router)
    add_component_schemas(app, OPENAPI_DEFS)
    return app
