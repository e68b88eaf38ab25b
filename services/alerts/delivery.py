"""The outbox worker: claims due deliveries, sends each through its channel (signed webhook,
Slack, email), records every attempt and moves the delivery on."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from services.alerts import metrics, signing
from services.alerts.channels.email import alert_email, digest_email, send_email
from services.alerts.channels.outcome import SendOutcome
from services.alerts.channels.slack import SlackSender, slack_message
from services.alerts.channels.view import health_url
from services.alerts.retry import next_attempt_at, parse_retry_after
from services.alerts.store import claim_due, delivering_of, utcnow, wake_snoozed
from services.alerts.tables import DeliveryAttemptRow, DeliveryRow, WebhookEndpointRow
from services.codec import dumps, loads
from services.settings import Settings

log = logging.getLogger(__name__)
CLAIM_LIMIT = 50


@dataclass(frozen=True)
class Job:
    """A claimed delivery with what is needed to send it."""

    delivery_id: str
    channel: str
    target: str
    """The endpoint's URL, the Slack webhook URL or the email address."""
    secrets: list[str]
    body: bytes
    attempts: int


@dataclass(frozen=True)
class Attempt:
    """One attempt and how it went."""

    delivery_id: str
    outcome: SendOutcome
    duration_ms: float


def endpoint_secrets(endpoint: WebhookEndpointRow, now: datetime) -> list[str]:
    """The secrets to sign with: the current one, and the previous during a rotation."""
    previous = endpoint.previous_secret
    until = endpoint.previous_secret_until
    if previous and until is not None and until > now:
        return [endpoint.secret, previous]
    return [endpoint.secret]


class DeliveryWorker:
    """Sends due deliveries until stopped; several workers may run against one database."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        settings: Settings,
        client: httpx.AsyncClient,
        claim_limit: int = CLAIM_LIMIT,
    ) -> None:
        self.sessions, self.settings, self.client = sessions, settings, client
        self.claim_limit = claim_limit
        self.slack = SlackSender(client, timeout_s=settings.webhook_timeout_s)
        self.smtp = settings.smtp()
        self.wake = asyncio.Event()
        self.lease = timedelta(seconds=settings.webhook_timeout_s * 3)

    async def run(self) -> None:
        """Deliver forever, waking on `wake` or every poll interval."""
        while True:
            try:
                sent = await self.run_once()
            except Exception:
                log.exception("delivery round failed; retrying")
                sent = 0
            if sent:
                continue
            self.wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), self.settings.delivery_poll_s)

    async def run_once(self) -> int:
        """Reopen alerts whose snooze ended (their notifications join the outbox), then claim
        and send one round of due deliveries; return how many were attempted."""
        await asyncio.to_thread(self._wake_snoozed)
        jobs = await asyncio.to_thread(self._claim)
        if jobs:
            digests: dict[str, list[Job]] = {}
            for job in jobs:
                if job.channel == "digest":
                    digests.setdefault(job.target, []).append(job)
            singles = [job for job in jobs if job.channel != "digest"]
            sent = await asyncio.gather(
                *(self._send(job) for job in singles),
                *(self._digest(owner, group) for owner, group in digests.items()),
            )
            attempts = [attempt for group in sent for attempt in group]
            await asyncio.to_thread(self._record, attempts)
        await asyncio.to_thread(self._update_gauges)
        return len(jobs)

    def _wake_snoozed(self) -> None:
        with self.sessions.begin() as session:
            wake_snoozed(session, utcnow(), delivering_of(self.settings))

    def _claim(self) -> list[Job]:
        now = utcnow()
        with self.sessions.begin() as session:
            rows = claim_due(session, now, self.lease, self.claim_limit)
            ids = {r.endpoint_id for r in rows if r.endpoint_id}
            endpoints = {
                e.id: e
                for e in session.scalars(
                    select(WebhookEndpointRow).where(WebhookEndpointRow.id.in_(ids))
                )
            }
            jobs = []
            for row in rows:
                endpoint = endpoints.get(row.endpoint_id or "")
                if endpoint is not None:
                    target, secrets = endpoint.url, endpoint_secrets(endpoint, now)
                else:
                    target, secrets = row.target or "", []
                jobs.append(Job(row.id, row.channel, target, secrets, row.body, row.attempts))
            return jobs

    async def _send(self, job: Job) -> list[Attempt]:
        started = time.perf_counter()
        if job.channel == "webhook":
            outcome = await self._webhook(job)
        elif job.channel == "slack":
            outcome = await self.slack.send(job.target, slack_message(*self._view(job)))
        elif job.channel == "email" and self.smtp is not None:
            view, url = self._view(job)
            message = alert_email(view, [job.target], self.smtp.sender, url, job.delivery_id)
            outcome = await send_email(message, self.smtp)
        else:
            outcome = SendOutcome.failed(
                None, f"cannot send {job.channel}: not configured", permanent=True
            )
        return [Attempt(job.delivery_id, outcome, 1000 * (time.perf_counter() - started))]

    async def _digest(self, owner: str, jobs: list[Job]) -> list[Attempt]:
        """One mail for all of `owner`'s due digest notifications, latest per alert."""
        started = time.perf_counter()
        if self.smtp is None:
            outcome = SendOutcome.failed(None, "cannot send digest: no SMTP server", permanent=True)
        else:
            latest = {view["id"]: view for view in (loads(job.body)["data"] for job in jobs)}
            day = utcnow().date()
            message = digest_email(
                owner, list(latest.values()), day, self.smtp.sender, self.settings.public_url
            )
            outcome = await send_email(message, self.smtp)
        duration_ms = 1000 * (time.perf_counter() - started)
        return [Attempt(job.delivery_id, outcome, duration_ms) for job in jobs]

    def _view(self, job: Job) -> tuple[dict[str, Any], str]:
        """The alert of a notification and the link to its account's health."""
        view: dict[str, Any] = loads(job.body)["data"]
        return view, health_url(self.settings.public_url, view["account_id"])

    async def _webhook(self, job: Job) -> SendOutcome:
        return await post_webhook(
            self.client, job.target, job.secrets, job.delivery_id, job.body,
            self.settings.webhook_timeout_s,
        )  # fmt: skip

    def _record(self, attempts: list[Attempt]) -> None:
        now = utcnow()
        with self.sessions.begin() as session:
            for attempt in attempts:
                row = session.get(DeliveryRow, attempt.delivery_id)
                if row is None or row.status != "pending":
                    continue
                apply_outcome(row, attempt.outcome, self.settings.webhook_retry_schedule, now)
                session.add(
                    DeliveryAttemptRow(
                        delivery_id=row.id,
                        attempt=row.attempts,
                        at=now,
                        status_code=attempt.outcome.status_code,
                        error=attempt.outcome.error,
                        duration_ms=attempt.duration_ms,
                    )
                )
                if row.endpoint_id is not None:
                    endpoint = session.get(WebhookEndpointRow, row.endpoint_id)
                    if endpoint is not None:
                        self._watch_endpoint(endpoint, attempt.outcome, now)
                result = {"delivered": "delivered", "gave_up": "gave_up"}.get(row.status, "failed")
                metrics.DELIVERIES.labels(row.channel, result).inc()
                metrics.ATTEMPTS.labels(row.channel).inc()

    def _watch_endpoint(
        self, endpoint: WebhookEndpointRow, outcome: SendOutcome, now: datetime
    ) -> None:
        """Disable an endpoint that answered 410 or has failed for too long, and say so."""
        if outcome.ok:
            endpoint.failing_since = None
            return
        endpoint.failing_since = endpoint.failing_since or now
        failing_s = (now - endpoint.failing_since).total_seconds()
        reason = None
        if outcome.status_code == 410:
            reason = "the receiver answered 410 Gone"
        elif failing_s >= self.settings.webhook_disable_after_s:
            reason = f"every delivery failed for {failing_s / 3600:.1f} hours"
        if reason is not None and endpoint.enabled:
            endpoint.enabled, endpoint.disabled_at, endpoint.disabled_reason = False, now, reason
            log.warning(
                "webhook endpoint %s (%s) disabled: %s; re-enable it with PATCH "
                "/v1/webhook-endpoints/%s",
                endpoint.id, endpoint.url, reason, endpoint.id,
            )  # fmt: skip

    def _update_gauges(self) -> None:
        with self.sessions() as session:
            count, oldest = session.execute(
                select(func.count(), func.min(DeliveryRow.created_at)).where(
                    DeliveryRow.status == "pending"
                )
            ).one()
            disabled = session.scalar(
                select(func.count()).where(WebhookEndpointRow.enabled.is_(False))
            )
        metrics.DISABLED_ENDPOINTS.set(disabled or 0)
        metrics.PENDING.set(count)
        metrics.OLDEST_PENDING.set(0 if oldest is None else (utcnow() - oldest).total_seconds())


async def post_webhook(
    client: httpx.AsyncClient,
    url: str,
    secrets: list[str],
    msg_id: str,
    body: bytes,
    timeout_s: float,
) -> SendOutcome:
    """POST one message signed per Standard Webhooks and classify the answer."""
    now = utcnow()
    headers = signing.headers(secrets, msg_id, int(now.timestamp()), body)
    headers["user-agent"] = "healthmon-webhooks/1"
    try:
        response = await client.post(url, content=body, headers=headers, timeout=timeout_s)
    except httpx.HTTPError as exc:
        return SendOutcome.failed(None, f"{type(exc).__name__}: {exc}", permanent=False)
    if response.is_success:
        return SendOutcome.sent(response.status_code)
    return SendOutcome.failed(
        response.status_code,
        response.text[:500] or f"HTTP {response.status_code}",
        permanent=response.status_code == 410,  # the receiver asks us to stop
        retry_after_s=parse_retry_after(response.headers.get("retry-after"), now),
    )


async def send_ping(
    client: httpx.AsyncClient, url: str, secrets: list[str], timeout_s: float
) -> tuple[SendOutcome, float]:
    """A signed `webhook.ping` message, once; its outcome and how long it took (ms)."""
    now = utcnow()
    body = dumps({"type": "webhook.ping", "timestamp": now, "data": {}})
    started = time.perf_counter()
    outcome = await post_webhook(client, url, secrets, f"ping_{uuid.uuid4().hex}", body, timeout_s)
    return outcome, 1000 * (time.perf_counter() - started)


def apply_outcome(
    row: DeliveryRow, outcome: SendOutcome, schedule: list[float], now: datetime
) -> None:
    """Move a delivery on after an attempt: delivered, retried later, or given up."""
    row.attempts += 1
    row.locked_until = None
    row.last_status_code = outcome.status_code
    row.last_error = outcome.error
    if outcome.ok:
        row.status, row.delivered_at = "delivered", now
        return
    retry_at = (
        None
        if outcome.permanent
        else next_attempt_at(row.attempts, schedule, now, outcome.retry_after_s)
    )
    if retry_at is None:
        row.status = "gave_up"
    else:
        row.next_attempt_at = retry_at
