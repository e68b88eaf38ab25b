"""Slack incoming webhooks: the Block Kit message of an alert, and a paced sender."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar

import httpx

from schemas.alerts import Alert
from services.alerts.channels.base import EachAlone, Notification
from services.alerts.channels.outcome import SendOutcome
from services.alerts.channels.view import NONE, health_url, one_line, score_text
from services.alerts.outbound import Refused, failure_text, post_bounded
from services.alerts.retry import parse_retry_after

HEADER_LIMIT = 150
SECTION_LIMIT = 3000
FIELD_LIMIT = 2000
TOP_REASONS = 3
BAND_EMOJI = {
    "red": ":red_circle:",
    "yellow": ":large_yellow_circle:",
    "green": ":large_green_circle:",
}
# Slack's answers that no retry will fix (https://api.slack.com/messaging/webhooks#handling_errors)
PERMANENT_ERRORS = frozenset(
    {
        "invalid_payload",
        "user_not_found",
        "channel_not_found",
        "channel_is_archived",
        "action_prohibited",
        "posting_to_general_channel_denied",
        "no_service",
        "no_service_id",
        "no_team",
        "team_disabled",
        "invalid_token",
    }
)


def escape(text: str) -> str:
    """Text made literal in Slack mrkdwn: &, < and > as entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mrkdwn(text: str, limit: int) -> str:
    """Escaped `text` of at most `limit` characters, never cutting an entity in two."""
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    return re.sub(r"&[a-z]*$", "", escaped[: limit - 1]) + "…"


def _field(label: str, value: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": f"*{label}*\n" + mrkdwn(value, FIELD_LIMIT - len(label) - 3)}


def slack_message(alert: Alert, health_url: str) -> dict[str, Any]:
    """The incoming-webhook payload for an alert: fallback `text` and Block Kit `blocks`."""
    before, after = alert.change.previous, alert.change.current
    account = alert.account_id
    band = alert.band
    header = f"{BAND_EMOJI.get(band, ':white_circle:')} {account} is {band}"
    reasons = [r.message or r.code for r in alert.change.reasons[:TOP_REASONS]]
    reason_lines = "\n".join(f"• {escape(one_line(m, SECTION_LIMIT))}" for m in reasons)
    reason_text = "*Why*\n" + (reason_lines or "_No reasons given._")
    if len(reason_text) > SECTION_LIMIT:
        reason_text = re.sub(r"&[a-z]*$", "", reason_text[: SECTION_LIMIT - 1]) + "…"
    when = alert.created_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return {
        "text": mrkdwn(alert.title or header, SECTION_LIMIT),
        "blocks": [
            {
                "type": "header",
                "text": {"type": "plain_text", "text": one_line(header, HEADER_LIMIT)},
            },
            {
                "type": "section",
                "fields": [
                    _field(
                        "Score, latest change",
                        f"{score_text(before.score)} → {score_text(after.score)}",
                    ),
                    _field("Band, latest change", f"{before.band} → {after.band}"),
                    _field("Severity", alert.severity),
                    _field("Segment", alert.segment or NONE),
                    _field("CSM owner", alert.csm_owner or "unassigned"),
                ],
            },
            {"type": "section", "text": {"type": "mrkdwn", "text": reason_text}},
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "View health"},
                        "url": health_url,
                        "action_id": "view_health",
                    }
                ],
            },
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": mrkdwn(f"Alert {alert.id} · raised {when}", 300),
                    }
                ],
            },
        ],
    }


class SlackSender:
    """Posts payloads to incoming webhooks, at most one per `interval_s` per webhook URL.

    Sends to one URL are serialised: each starts `interval_s` after the previous one to that
    URL finished. Different URLs do not wait for each other.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        interval_s: float = 1.0,
        timeout_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.client, self.interval_s, self.timeout_s = client, interval_s, timeout_s
        self.clock, self.sleep = clock, sleep
        self._locks: dict[str, asyncio.Lock] = {}
        self._last: dict[str, float] = {}

    async def send(self, webhook_url: str, payload: dict[str, Any]) -> SendOutcome:
        """Post `payload` once, after waiting for this URL's pace, and classify the answer."""
        lock = self._locks.setdefault(webhook_url, asyncio.Lock())
        async with lock:
            last = self._last.get(webhook_url)
            if last is not None:
                wait = last + self.interval_s - self.clock()
                if wait > 0:
                    await self.sleep(wait)
            try:
                return await self._post(webhook_url, payload)
            finally:
                self._last[webhook_url] = self.clock()
                self._forget_idle()

    def _forget_idle(self) -> None:
        if len(self._last) < 256:
            return
        horizon = self.clock() - self.interval_s
        for url in [u for u, t in self._last.items() if t < horizon]:
            if not self._locks[url].locked():
                del self._last[url], self._locks[url]

    async def _post(self, url: str, payload: dict[str, Any]) -> SendOutcome:
        body, headers = json.dumps(payload).encode(), {"content-type": "application/json"}
        try:
            answer = await post_bounded(self.client, url, body, headers, self.timeout_s)
        except Refused as exc:
            error = failure_text(exc, self.timeout_s)
            return SendOutcome.failed(None, error, permanent=exc.permanent)
        except (httpx.HTTPError, TimeoutError) as exc:
            return SendOutcome.failed(None, failure_text(exc, self.timeout_s), permanent=False)
        return classify(answer.status_code, answer.excerpt, answer.headers.get("retry-after"))


def classify(status: int, body: str, retry_after: str | None) -> SendOutcome:
    """The outcome of a Slack webhook answer."""
    if 200 <= status < 300:
        return SendOutcome.sent(status)
    code = body.strip()
    error = f"{status} {code[:200]}".strip()
    if status == 429:
        wait = parse_retry_after(retry_after, datetime.now(UTC))
        return SendOutcome.failed(status, error, permanent=False, retry_after_s=wait)
    permanent = code in PERMANENT_ERRORS or (400 <= status < 500 and status != 408)
    return SendOutcome.failed(status, error, permanent=permanent)


class SlackChannel(EachAlone):
    """Posts each alert as a Block Kit message to a Slack incoming webhook, paced per URL."""

    name: ClassVar[str] = "slack"

    def __init__(self, sender: SlackSender, public_url: str) -> None:
        self.sender, self.public_url = sender, public_url

    async def send(self, notifications: Sequence[Notification]) -> SendOutcome:
        """Post the alert's message to the notification's Slack webhook."""
        [notification] = notifications
        alert = notification.alert()
        message = slack_message(alert, health_url(self.public_url, alert.account_id))
        return await self.sender.send(notification.target, message)
