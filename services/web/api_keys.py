"""API keys per source, stored hashed in the SQL database, each with the scopes it may use."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from services.db.expiring import CachedStore, Expiring
from services.db.sql import Base

SCOPES = {
    "events:usage": "send usage events",
    "events:ticket": "send ticket events",
    "events:payment": "send payment events",
    "events:*": "send events of every kind",
    "accounts:write": "send account traits",
    "alerts:read": "read alerts, webhook endpoints and account health",
    "alerts:write": "acknowledge, snooze and resolve alerts; manage webhook endpoints",
    "*": "everything",
}
SECRET_PREFIX = "hm_"
CACHE_S = 5.0
"""How long an answer about a secret is kept: the most a new key or a revocation waits."""
CACHE_ENTRIES = 10_000
"""Most known keys, and apart from them most unknown secrets, whose answers are kept."""


class ScopeError(ValueError):
    """A scope that does not exist."""


class ApiKeyRow(Base):
    """One API key: only a hash of its secret is kept."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]]
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


@dataclass(frozen=True)
class Caller:
    """Who is calling: the key's id and its scopes."""

    key_id: str
    scopes: frozenset[str]

    def allows(self, scope: str) -> bool:
        """Whether the key has `scope`, directly or through a wildcard."""
        family = scope.split(":", 1)[0] + ":*"
        return bool({scope, family, "*"} & self.scopes)


def hash_secret(secret: str) -> str:
    """The stored form of a secret (SHA-256: the secrets are random, so no salt is needed)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def check_scopes(scopes: list[str]) -> list[str]:
    """The scopes, deduplicated and sorted; ScopeError names any unknown one."""
    unknown = sorted(set(scopes) - SCOPES.keys())
    if unknown or not scopes:
        raise ScopeError(
            f"unknown scope(s) {', '.join(unknown)}; valid: {', '.join(SCOPES)}"
            if unknown
            else f"give at least one scope; valid: {', '.join(SCOPES)}"
        )
    return sorted(set(scopes))


def create_key(
    session: Session, name: str, scopes: list[str], now: datetime
) -> tuple[ApiKeyRow, str]:
    """A new key and its secret (shown once; only its hash is stored)."""
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    row = ApiKeyRow(
        id="key_" + secrets.token_hex(6),
        name=name,
        secret_hash=hash_secret(secret),
        scopes=check_scopes(scopes),
        created_at=now,
        revoked_at=None,
    )
    session.add(row)
    return row, secret


def list_keys(session: Session) -> list[ApiKeyRow]:
    """Every key, oldest first."""
    return list(session.scalars(select(ApiKeyRow).order_by(ApiKeyRow.created_at, ApiKeyRow.id)))


def revoke_key(session: Session, key_id: str, now: datetime) -> ApiKeyRow | None:
    """Revoke a key (kept, marked revoked); None if there is no such key."""
    row = session.get(ApiKeyRow, key_id)
    if row is not None and row.revoked_at is None:
        row.revoked_at = now
    return row


class KeyStore(CachedStore):
    """Looks up callers by secret in the database, remembering answers for `ttl_s` seconds.

    Known keys (valid or revoked) and unknown secrets are cached apart, each bounded, so that
    a flood of random secrets cannot push out the keys in use.
    """

    TTL_S, MAX_ENTRIES = CACHE_S, CACHE_ENTRIES

    def clear(self) -> None:
        """Forget every cached answer."""
        self._known: Expiring[str, Caller | str] = self.cache()
        self._unknown: Expiring[str, str] = self.cache()

    def cached(self, secret: str) -> Caller | str | None:
        """The cached answer for `secret`, None when the database must be asked."""
        digest = hash_secret(secret)
        with self._lock:
            hit = self._known.get(digest) or self._unknown.get(digest)
        return None if hit is None else hit[0]

    def find(self, secret: str) -> Caller | str:
        """The caller, or why the secret is refused (`unknown` or `revoked`); blocking I/O."""
        found = self.cached(secret)
        if found is not None:
            return found
        digest = hash_secret(secret)
        with self.database.sessions()() as session:
            row = session.scalar(select(ApiKeyRow).where(ApiKeyRow.secret_hash == digest))
        if row is None:
            with self._lock:
                self._unknown.put(digest, "unknown")
            return "unknown"
        found = "revoked" if row.revoked_at is not None else Caller(row.id, frozenset(row.scopes))
        with self._lock:
            self._known.put(digest, found)
        return found
