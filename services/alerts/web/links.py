"""One-time sign-in links: a token that signs its holder in once, as a given key, before it
expires (`healthmon up --demo` prints one)."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from services.alerts.web.tables import SignInLinkRow
from services.web.api_keys import hash_secret

LINK_TTL = timedelta(hours=1)


def create_link(
    session: Session, key_id: str, who: str | None, now: datetime, ttl: timedelta = LINK_TTL
) -> str:
    """A new link's token (only its hash is stored)."""
    token = secrets.token_urlsafe(24)
    session.add(
        SignInLinkRow(
            token_hash=hash_secret(token), key_id=key_id, who=who, created_at=now,
            expires_at=now + ttl, used_at=None,
        )
    )  # fmt: skip
    return token


def use_link(session: Session, token: str, now: datetime) -> SignInLinkRow | None:
    """The link of `token`, marked used; None if unknown, expired or used before (a
    conditional update, so two requests at once cannot both use it)."""
    digest = hash_secret(token)
    used = session.execute(
        update(SignInLinkRow)
        .where(SignInLinkRow.token_hash == digest, SignInLinkRow.used_at.is_(None))
        .where(SignInLinkRow.expires_at > now)
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if used.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return session.get(SignInLinkRow, digest)
