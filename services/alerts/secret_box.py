"""Webhook signing secrets encrypted at rest (Fernet): the first key seals, every key opens."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.alerts.signing import PREFIX
from services.alerts.tables import WebhookEndpointRow
from services.settings import Settings

log = logging.getLogger(__name__)
KEY_FILE = "secret-key"


class SecretKeyError(Exception):
    """The secret keys are missing, malformed, or do not open a stored secret."""


class SecretBox:
    """Seals secrets with the first key; opens what any of the keys sealed."""

    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise SecretKeyError("no secret key given")
        try:
            self.fernet = MultiFernet([Fernet(key.strip().encode()) for key in keys])
        except ValueError as exc:
            raise SecretKeyError(
                "a secret key is not a Fernet key (32 url-safe base64 bytes; make one with "
                "`healthmon secrets new-key`)"
            ) from exc

    def seal(self, secret: str) -> str:
        """The stored form of `secret`."""
        return self.fernet.encrypt(secret.encode()).decode()

    def open(self, stored: str) -> str:
        """The secret of a stored value; a plain one (stored before encryption) as it is."""
        if is_plain(stored):
            return stored
        return self._with_keys(self.fernet.decrypt, stored)

    def reseal(self, stored: str) -> str:
        """`stored` sealed with the first key (plain values sealed for the first time)."""
        if is_plain(stored):
            return self.seal(stored)
        return self._with_keys(self.fernet.rotate, stored)

    @staticmethod
    def _with_keys(step: Callable[[bytes], bytes], stored: str) -> str:
        """`step` (decrypt, rotate) applied to a sealed value; SecretKeyError when no key
        opens it."""
        try:
            return step(stored.encode()).decode()
        except InvalidToken as exc:
            raise SecretKeyError(
                "a webhook secret does not open with any key in HEALTHMON_SECRET_KEYS"
            ) from exc


def is_plain(stored: str) -> bool:
    """Whether a stored secret was written in plain text (before encryption at rest)."""
    return stored.startswith(PREFIX)


def new_key() -> str:
    """A fresh key for HEALTHMON_SECRET_KEYS."""
    return Fernet.generate_key().decode()


def secret_box_of(settings: Settings) -> SecretBox:
    """The box of HEALTHMON_SECRET_KEYS; without keys, with SQLite only, a key generated once
    in the data directory (file mode 0600); a server database needs the keys set."""
    keys = [k.get_secret_value() for k in settings.secret_keys]
    if keys:
        return SecretBox(keys)
    if not settings.sqlalchemy_url.startswith("sqlite"):
        raise SecretKeyError(
            "HEALTHMON_SECRET_KEYS is required with a server database: every alerts instance "
            "must seal and open webhook secrets with the same keys (make one with `healthmon "
            "secrets new-key`)"
        )
    return SecretBox([local_key(settings.data_dir)])


def local_key(data_dir: Path) -> str:
    """The key kept in the data directory, created (mode 0600) on first use."""
    path = data_dir / KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first
        else:
            with os.fdopen(fd, "w") as file:
                file.write(new_key() + "\n")
            log.warning(
                "no HEALTHMON_SECRET_KEYS: webhook secrets are sealed with a key generated in "
                "%s; keep it with the database, or set HEALTHMON_SECRET_KEYS", path
            )  # fmt: skip
    return path.read_text().strip()


def reseal_all(session: Session, box: SecretBox) -> int:
    """Seal every stored webhook secret with the first key (plain ones too); how many rows."""
    count = 0
    for row in session.scalars(select(WebhookEndpointRow).with_for_update()):
        row.secret = box.reseal(row.secret)
        if row.previous_secret is not None:
            row.previous_secret = box.reseal(row.previous_secret)
        count += 1
    return count


def seal_plain(session: Session, box: SecretBox) -> int:
    """Seal the secrets still stored in plain text (written before encryption); how many rows."""
    count = 0
    for row in session.scalars(select(WebhookEndpointRow)):
        plain = [v for v in (row.secret, row.previous_secret) if v is not None and is_plain(v)]
        if plain:
            row.secret = box.reseal(row.secret) if is_plain(row.secret) else row.secret
            if row.previous_secret is not None and is_plain(row.previous_secret):
                row.previous_secret = box.seal(row.previous_secret)
            count += 1
    return count
