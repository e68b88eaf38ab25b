"""The scorer's process: the worker in the background, and its health and metrics endpoints."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request

from services.scorer.model import HealthModel, load_model
from services.scorer.worker import ScorerWorker
from services.settings import Settings
from services.web.http import install_docs, ops_router


def create_app(settings: Settings, model: HealthModel | None = None) -> FastAPI:
    """The scorer for `settings` and the model file they name."""
    model = model or load_model(settings.model_file)
    worker = ScorerWorker(settings, model)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(worker.run())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    app = FastAPI(
        title="healthmon scorer",
        version="1",
        summary=f"Scores accounts with health model {model.version}.",
        lifespan=lifespan,
    )

    async def ready(request: Request) -> str | None:
        return None if worker.ready else "no partitions assigned and restored yet"

    app.include_router(ops_router(ready))
    install_docs(app)
    return app
