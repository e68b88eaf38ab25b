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


DbSession = Annotated[Session, Depends(get_session, scope="function")]
"""`scope="function"`: the transaction commits when the route returns, before the answer is
sent, so a client that has the answer can use what it created at once (FastAPI's default,
"request", commits only after the answer has gone out)."""
