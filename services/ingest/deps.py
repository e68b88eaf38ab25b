"""FastAPI dependencies of ingest: the record sink and topic names."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.ingest.producer import RecordSink
from services.topics import TopicNames


def get_sink(request: Request) -> RecordSink:
    """The sink created in the app's lifespan (overridable in tests)."""
    sink: RecordSink = request.app.state.sink
    return sink


def get_topics(request: Request) -> TopicNames:
    """The deployment's topic names."""
    topics: TopicNames = request.app.state.topics
    return topics


Sink = Annotated[RecordSink, Depends(get_sink)]
Topics = Annotated[TopicNames, Depends(get_topics)]
