"""FastAPI dependencies of the alerts service."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session


def get_session(request: Request) -> Iterator[Session]:
    """A session in a transaction committed when the request succeeds."""
    with request.app.state.sessions.begin() as session:
        yield session


DbSession = Annotated[Session, Depends(get_session)]
