"""A fixed secret key for tests that store webhook endpoints."""

from __future__ import annotations

from services.alerts.secret_box import SecretBox

TEST_SECRET_KEY = "bEZ2dEh6a1hxV3BkR0FmNm9uQmJVR2pKc1VfM0xZTmE="
BOX = SecretBox([TEST_SECRET_KEY])
LOOPBACK = "127.0.0.0/8"
"""HEALTHMON_WEBHOOK_ALLOW_NETWORKS for tests whose receivers run on loopback."""
