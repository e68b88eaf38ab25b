"""The ingest FastAPI application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request

from services.account_mappings import MappingStore
from services.api_keys import KeyStore
from services.http import install_common, ops_router
from services.ingest.metrics import IN_FLIGHT, REASONS, REJECTED_REQUESTS
from services.ingest.producer import KafkaSink, RecordSink
from services.ingest.routes import accounts, events, mappings, segment, webhooks
from services.rate_limit import RateLimiter
from services.settings import Settings
from services.sql import Database
from services.topics import topic_names


def create_app(settings: Settings, sink: RecordSink | None = None) -> FastAPI:
    """Build the app; without `sink` a Kafka producer is started in the lifespan."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if sink is not None:
            app.state.sink = sink
            yield
            return
        kafka = KafkaSink(settings)
        await kafka.start()
        app.state.sink = kafka
        try:
            yield
        finally:
            await kafka.stop()

    app = FastAPI(
        title="healthmon ingest",
        version="1",
        summary="Send product-usage, ticket and payment events and account traits.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.topics = topic_names(settings)
    app.state.limiter = RateLimiter(settings.rate_limit_per_s, settings.rate_limit_burst)
    database = Database(settings.sqlalchemy_url)
    app.state.database = database
    app.state.keys = KeyStore(database)
    app.state.mappings = MappingStore(database)
    install_common(app, settings.max_body_bytes)

    @app.middleware("http")
    async def count_in_flight(request: Request, call_next):  # type: ignore[no-untyped-def]
        with IN_FLIGHT.track_inprogress():
            response = await call_next(request)
        if response.status_code >= 400:
            REJECTED_REQUESTS.labels(REASONS.get(response.status_code, "other")).inc()
        return response

    async def ready(request: Request) -> str | None:
        sink_: RecordSink = request.app.state.sink
        return await sink_.problem()

    app.include_router(ops_router(ready))
    app.include_router(events.router)
    app.include_router(accounts.router)
    app.include_router(mappings.router)
    app.include_router(segment.router)
    app.include_router(webhooks.router)
    return app
