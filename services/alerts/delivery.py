"""The outbox worker: claims due deliveries, sends each through its channel (signed webhook,
Slack, email; a digest's due notifications together), records every attempt and moves the
delivery on. Each delivery is sent and recorded on its own, so a slow destination never holds up
another's deliveries, and at most HEALTHMON_WEBHOOK_ENDPOINT_CONCURRENCY are in flight to one
destination."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from services.alerts import metrics
from services.alerts.channels.base import Channel, Notification
from services.alerts.channels.outcome import SendOutcome
from services.alerts.config import channels_of, delivering_of
from services.alerts.outbound import (
    OutboundPolicy,
    outbound_client,
)
from services.alerts.retry import next_attempt_at
from services.alerts.secret_box import SecretBox
from services.alerts.store.alerts import utcnow
from services.alerts.store.episodes import wake_snoozed
from services.alerts.store.outbox import claim_notifications, next_due
from services.alerts.tables import DeliveryAttemptRow, DeliveryRow, WebhookEndpointRow
from services.settings import Settings

log = logging.getLogger(__name__)
CLAIM_LIMIT = 50


@dataclass(frozen=True)
class Attempt:
    """One attempt and how it went."""

    delivery_id: str
    outcome: SendOutcome
    duration_ms: float


class DeliveryWorker:
    """Sends due deliveries until stopped; several workers may run against one database."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        settings: Settings,
        box: SecretBox,
        claim_limit: int = CLAIM_LIMIT,
        policy: OutboundPolicy | None = None,
    ) -> None:
        self.sessions, self.settings, self.box = sessions, settings, box
        self.client = outbound_client(policy or OutboundPolicy.of(settings))
        self.claim_limit = claim_limit
        self.channels = channels_of(settings, self.client)
        self.wake = asyncio.Event()
        self.lease = timedelta(seconds=settings.webhook_timeout_s * 3)
        self.in_flight: dict[str, int] = {}
        self.tasks: set[asyncio.Task[None]] = set()

    async def aclose(self) -> None:
        """Stop the sends in flight and close the HTTP client."""
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.client.aclose()

    async def run(self) -> None:
        """Deliver forever: start due deliveries as room frees up; between rounds, sleep until
        `wake` (an alert written here, a send ending) or until the outbox next has work, but
        never longer than the poll interval (work another process wrote)."""
        try:
            while True:
                self.wake.clear()  # before the round: a wake during it is kept
                wait = self.settings.delivery_poll_s
                try:
                    started = await self.dispatch()
                    due = await asyncio.to_thread(self._survey)
                    if due is not None and due > utcnow():
                        wait = min(wait, (due - utcnow()).total_seconds())
                except Exception:
                    log.exception("delivery round failed; retrying")
                    started = 0
                if started:
                    continue
                # asyncio.timeout, not wait_for: on Python 3.11 wait_for drops a cancellation
                # that comes as the event is set (a send ending), and the worker never stops
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(wait):
                        await self.wake.wait()
        finally:
            await self.aclose()

    async def run_once(self) -> int:
        """Start what is due and wait for every send in flight; return how many started."""
        started = await self.dispatch()
        while self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)
        await asyncio.to_thread(self._survey)
        return started

    async def dispatch(self) -> int:
        """Reopen alerts whose snooze ended (their notifications join the outbox), then claim
        due deliveries there is room for and start sending them; return how many."""
        await asyncio.to_thread(self._wake_snoozed)
        room = self.claim_limit - sum(self.in_flight.values())
        if room <= 0:
            return 0
        jobs = await asyncio.to_thread(self._claim, room)
        batches: dict[str, list[Notification]] = {}
        for job in jobs:
            self.in_flight[job.destination] = self.in_flight.get(job.destination, 0) + 1
            channel = self.channels.get(job.channel)
            if channel is not None and channel.batches:
                batches.setdefault(job.destination, []).append(job)
            else:
                self._start([job], self._send(channel, [job]))
        for batch in batches.values():
            self._start(batch, self._send(self.channels[batch[0].channel], batch))
        return len(jobs)

    def _start(self, jobs: list[Notification], sending: Awaitable[list[Attempt]]) -> None:
        task = asyncio.create_task(self._deliver(jobs, sending))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _deliver(self, jobs: list[Notification], sending: Awaitable[list[Attempt]]) -> None:
        """Send, then record at once, so this delivery's outcome waits for no other."""
        try:
            attempts = await sending
            await asyncio.to_thread(self._record, attempts)
        except Exception:
            log.exception("delivery of %s failed; its lease ends and it is retried",
                          ", ".join(job.delivery_id for job in jobs))  # fmt: skip
        finally:
            for job in jobs:
                left = self.in_flight.get(job.destination, 1) - 1
                if left > 0:
                    self.in_flight[job.destination] = left
                else:
                    self.in_flight.pop(job.destination, None)
            self.wake.set()

    def _room(self, destination: str) -> int:
        return self.settings.webhook_endpoint_concurrency - self.in_flight.get(destination, 0)

    def _wake_snoozed(self) -> None:
        with self.sessions.begin() as session:
            wake_snoozed(session, utcnow(), delivering_of(self.settings))

    def _claim(self, limit: int) -> list[Notification]:
        with self.sessions.begin() as session:
            return claim_notifications(session, utcnow(), self.lease, limit, self._room, self.box)

    async def _send(self, channel: Channel | None, jobs: Sequence[Notification]) -> list[Attempt]:
        """One attempt at `jobs` (one notification, or a batching channel's for a destination)
        through `channel`, the outcome recorded for each."""
        started = time.perf_counter()
        problem = next((job.problem for job in jobs if job.problem is not None), None)
        if problem is not None:
            outcome = SendOutcome.failed(None, problem, permanent=False)
        elif channel is None:
            outcome = SendOutcome.failed(
                None, f"cannot send {jobs[0].channel}: not configured", permanent=True
            )
        else:
            outcome = await channel.send(jobs)
        duration_ms = 1000 * (time.perf_counter() - started)
        return [Attempt(job.delivery_id, outcome, duration_ms) for job in jobs]

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
                metrics.ATTEMPT_SECONDS.labels(row.channel).observe(attempt.duration_ms / 1000)
                if row.status == "delivered":
                    waited = (now - row.created_at).total_seconds()
                    metrics.ALERT_TO_DELIVERY.labels(row.channel).observe(waited)

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

    def _survey(self) -> datetime | None:
        """Update the outbox gauges; return when the outbox next has work (see next_due)."""
        with self.sessions() as session:
            due = next_due(session, utcnow())
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
        return due


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
