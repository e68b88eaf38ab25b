"""Workspace sessions: a signed, expiring cookie naming the API key a person signed in with, and
the CSRF token every form of theirs carries."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import asdict, dataclass

from services.alerts.secret_box import local_key
from services.settings import Settings

COOKIE = "hm_session"
MAX_AGE_S = 8 * 3600
"""A session lasts a working day; then the person signs in again."""
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"


@dataclass(frozen=True)
class Person:
    """Who is signed in: the API key's id and scopes, and the email they work as."""

    key_id: str
    scopes: tuple[str, ...]
    who: str
    csrf: str
    expires: int

    def allows(self, scope: str) -> bool:
        """Whether the key has `scope`, directly or through a wildcard."""
        family = scope.split(":", 1)[0] + ":*"
        return bool({scope, family, "*"} & set(self.scopes))


def session_key(settings: Settings) -> bytes:
    """The key that signs cookies, derived from the first secret key (HEALTHMON_SECRET_KEYS, or
    the one generated in the data directory with SQLite), so every alerts instance shares it."""
    keys = [k.get_secret_value() for k in settings.secret_keys]
    first = keys[0] if keys else local_key(settings.data_dir)
    return hmac.new(first.encode(), b"healthmon workspace sessions", hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_person(key_id: str, scopes: frozenset[str], who: str, now: float | None = None) -> Person:
    """A fresh session for a key, with its own CSRF token."""
    expires = int((time.time() if now is None else now) + MAX_AGE_S)
    return Person(key_id, tuple(sorted(scopes)), who, secrets.token_urlsafe(24), expires)


def sign(person: Person, key: bytes) -> str:
    """The cookie value: the session as JSON, then its HMAC-SHA256."""
    body = _b64(json.dumps(asdict(person), separators=(",", ":")).encode())
    mac = _b64(hmac.new(key, body.encode(), hashlib.sha256).digest())
    return f"{body}.{mac}"


def verify(value: str, key: bytes, now: float | None = None) -> Person | None:
    """The session a cookie holds; None if it is forged, malformed or expired."""
    body, _, mac = value.partition(".")
    expected = _b64(hmac.new(key, body.encode(), hashlib.sha256).digest())
    if not mac or not hmac.compare_digest(mac, expected):
        return None
    try:
        data = json.loads(_unb64(body))
        person = Person(
            str(data["key_id"]), tuple(data["scopes"]), str(data["who"]), str(data["csrf"]),
            int(data["expires"]),
        )  # fmt: skip
    except (ValueError, KeyError, TypeError):
        return None
    return person if person.expires > (time.time() if now is None else now) else None


def csrf_matches(person: Person, given: str | None) -> bool:
    """Whether a form or header carries the session's CSRF token."""
    return given is not None and hmac.compare_digest(given.encode(), person.csrf.encode())
