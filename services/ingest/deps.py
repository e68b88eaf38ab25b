"""FastAPI dependencies of ingest: the record sink and topic names.

Cheap dependencies are `async def`: FastAPI runs plain `def` ones in a thread pool, which cost
about a millisecond of CPU per request here (bench/ingest.py).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.ingest.producer import RecordSink
from services.topics import TopicNames


async def get_sink(request: Request) -> RecordSink:
    """The sink created in the app's lifespan (overridable in tests)."""
    sink: RecordSink = request.app.state.sink
    return sink


async def get_topics(request: Request) -> TopicNames:
    """The deployment's topic names."""
    topics: TopicNames = request.app.state.topics
    return topics


Sink = Annotated[RecordSink, Depends(get_sink)]
Topics = Annotated[TopicNames, Depends(get_topics)]
