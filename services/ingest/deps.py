"""FastAPI dependencies of ingest: the record sink, topic names and limits.

Cheap dependencies are `async def`: FastAPI runs plain `def` ones in a thread pool, which cost
about a millisecond of CPU per request here (bench/ingest.py).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.ingest.limits import Limits
from services.ingest.producer import RecordSink
from services.kafka.topics import TopicNames


async def get_sink(request: Request) -> RecordSink:
    """The sink created in the app's lifespan (overridable in tests)."""
    sink: RecordSink = request.app.state.sink
    return sink


async def get_topics(request: Request) -> TopicNames:
    """The deployment's topic names."""
    topics: TopicNames = request.app.state.topics
    return topics


async def get_limits(request: Request) -> Limits:
    """The record size and event time limits of the deployment."""
    limits: Limits = request.app.state.limits
    return limits


Sink = Annotated[RecordSink, Depends(get_sink)]
Topics = Annotated[TopicNames, Depends(get_topics)]
EventLimits = Annotated[Limits, Depends(get_limits)]
