"""The outbox worker: claims due webhook deliveries, sends them signed, records the outcome."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from services.alerts import metrics, signing
from services.alerts.retry import next_attempt_at, parse_retry_after
from services.alerts.store import claim_due, utcnow, wake_snoozed
from services.alerts.tables import DeliveryRow, WebhookEndpointRow
from services.settings import Settings

log = logging.getLogger(__name__)
CHANNEL = "webhook"
CLAIM_LIMIT = 50


@dataclass(frozen=True)
class Job:
    """A claimed delivery with what is needed to send it."""

    delivery_id: str
    url: str
    secret: str
    body: bytes
    attempts: int


@dataclass(frozen=True)
class Outcome:
    """What one attempt gave."""

    delivery_id: str
    status_code: int | None
    error: str | None
    retry_after: float | None

    @property
    def delivered(self) -> bool:
        """A 2xx answer."""
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def gone(self) -> bool:
        """410: the receiver asks us to stop sending to this endpoint."""
        return self.status_code == 410


class DeliveryWorker:
    """Sends due deliveries until stopped; several workers may run against one database."""

    def __init__(
        self, sessions: sessionmaker[Session], settings: Settings, client: httpx.AsyncClient
    ) -> None:
        self.sessions, self.settings, self.client = sessions, settings, client
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
            outcomes = await asyncio.gather(*(self._send(job) for job in jobs))
            await asyncio.to_thread(self._record, outcomes)
        await asyncio.to_thread(self._update_gauges)
        return len(jobs)

    def _wake_snoozed(self) -> None:
        with self.sessions.begin() as session:
            wake_snoozed(session, utcnow())

    def _claim(self) -> list[Job]:
        with self.sessions.begin() as session:
            rows = claim_due(session, utcnow(), self.lease, CLAIM_LIMIT)
            endpoints = {
                e.id: e
                for e in session.scalars(
                    select(WebhookEndpointRow).where(
                        WebhookEndpointRow.id.in_({r.endpoint_id for r in rows})
                    )
                )
            }
            return [
                Job(
                    r.id,
                    endpoints[r.endpoint_id].url,
                    endpoints[r.endpoint_id].secret,
                    r.body,
                    r.attempts,
                )
                for r in rows
            ]

    async def _send(self, job: Job) -> Outcome:
        now = utcnow()
        headers = signing.headers(job.secret, job.delivery_id, int(now.timestamp()), job.body)
        headers["user-agent"] = "healthmon-webhooks/1"
        try:
            response = await self.client.post(
                job.url, content=job.body, headers=headers, timeout=self.settings.webhook_timeout_s
            )
        except httpx.HTTPError as exc:
            return Outcome(job.delivery_id, None, f"{type(exc).__name__}: {exc}", None)
        retry_after = parse_retry_after(response.headers.get("retry-after"), now)
        error = None if response.is_success else response.text[:500]
        return Outcome(job.delivery_id, response.status_code, error, retry_after)

    def _record(self, outcomes: list[Outcome]) -> None:
        now = utcnow()
        with self.sessions.begin() as session:
            for outcome in outcomes:
                row = session.get(DeliveryRow, outcome.delivery_id)
                if row is None or row.status != "pending":
                    continue
                apply_outcome(row, outcome, self.settings.webhook_retry_schedule, now)
                if outcome.gone:
                    endpoint = session.get(WebhookEndpointRow, row.endpoint_id)
                    if endpoint is not None:
                        endpoint.enabled = False
                        log.warning("endpoint %s answered 410 and was disabled", endpoint.id)
                result = {"delivered": "delivered", "gave_up": "gave_up"}.get(row.status, "failed")
                metrics.DELIVERIES.labels(CHANNEL, result).inc()

    def _update_gauges(self) -> None:
        with self.sessions() as session:
            count, oldest = session.execute(
                select(func.count(), func.min(DeliveryRow.created_at)).where(
                    DeliveryRow.status == "pending"
                )
            ).one()
        metrics.PENDING.set(count)
        metrics.OLDEST_PENDING.set(0 if oldest is None else (utcnow() - oldest).total_seconds())


def apply_outcome(row: DeliveryRow, outcome: Outcome, schedule: list[float], now: datetime) -> None:
    """Move a delivery on after an attempt: delivered, retried later, or given up."""
    row.attempts += 1
    row.locked_until = None
    row.last_status_code = outcome.status_code
    row.last_error = outcome.error
    if outcome.delivered:
        row.status, row.delivered_at = "delivered", now
        return
    retry_at = (
        None if outcome.gone else next_attempt_at(row.attempts, schedule, now, outcome.retry_after)
    )
    if retry_at is None:
        row.status = "gave_up"
    else:
        row.next_attempt_at = retry_at
