"""Sealing webhook secrets: the first key seals, every key opens, resealing moves secrets to the
first key, plain secrets from before encryption still open."""

from __future__ import annotations

import pytest

from services.alerts.secret_box import SecretBox, SecretKeyError, is_plain, new_key
from services.alerts.signing import new_secret


def test_a_sealed_secret_opens_and_shows_nothing_of_itself() -> None:
    box, secret = SecretBox([new_key()]), new_secret()
    sealed = box.seal(secret)
    assert box.open(sealed) == secret
    assert secret.removeprefix("whsec_") not in sealed and not is_plain(sealed)


def test_a_rotation_opens_with_old_keys_and_reseals_with_the_new_one() -> None:
    old, new = new_key(), new_key()
    secret = new_secret()
    sealed_before = SecretBox([old]).seal(secret)
    during = SecretBox([new, old])
    assert during.open(sealed_before) == secret
    resealed = during.reseal(sealed_before)
    assert SecretBox([new]).open(resealed) == secret
    with pytest.raises(SecretKeyError, match="does not open"):
        SecretBox([old]).open(resealed)


def test_plain_secrets_from_before_open_as_they_are_and_reseal_sealed() -> None:
    box, plain = SecretBox([new_key()]), new_secret()
    assert box.open(plain) == plain
    assert box.open(box.reseal(plain)) == plain and not is_plain(box.reseal(plain))


@pytest.mark.parametrize("keys", [[], ["not-a-fernet-key"]])
def test_missing_or_malformed_keys_are_refused(keys: list[str]) -> None:
    with pytest.raises(SecretKeyError):
        SecretBox(keys)
