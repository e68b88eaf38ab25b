"""`healthmon status`: what a running deployment is doing, read from its services' health and
metrics endpoints and its database."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.alerts.tables import AccountHealthRow, AlertRow, RouteRow, WebhookEndpointRow
from services.local.up import URLS_FILE

LAG_LINE = re.compile(r'^healthmon_consumer_lag\{group="([^"]+)",[^}]*\}\s+([0-9.eE+-]+)$')


@dataclass
class Status:
    """A deployment's state as `healthmon status` prints it."""

    services: dict[str, str] = field(default_factory=dict)
    lag: dict[str, float] = field(default_factory=dict)
    bands: dict[str, int] = field(default_factory=dict)
    alerts: dict[str, int] = field(default_factory=dict)
    channels: dict[str, str] = field(default_factory=dict)


def service_urls(data_dir: Path, settings_urls: dict[str, str]) -> dict[str, str]:
    """Where the services are: the addresses a running `healthmon up` wrote, else settings."""
    urls = dict(settings_urls)
    written = data_dir / URLS_FILE
    if written.exists():
        for line in written.read_text().splitlines():
            name, _, value = line.partition("=")
            if name.endswith("_URL") and value:
                urls[name.removesuffix("_URL").lower()] = value
    return urls


def lag_of(metrics: str) -> dict[str, float]:
    """Records not yet consumed, summed per consumer group, from Prometheus text."""
    lag: dict[str, float] = defaultdict(float)
    for line in metrics.splitlines():
        if found := LAG_LINE.match(line):
            lag[found.group(1)] += float(found.group(2))
    return dict(lag)


def probe(urls: dict[str, str], timeout_s: float = 2.0) -> tuple[dict[str, str], dict[str, float]]:
    """Each service's readiness, and the consumer lag its metrics report."""
    paths = {"ingest": "/readyz", "scorer": "/healthz", "alerts": "/readyz"}
    services: dict[str, str] = {}
    lag: dict[str, float] = {}
    with httpx.Client(timeout=timeout_s) as client:
        for name, path in paths.items():
            url = urls.get(name)
            if url is None:
                continue
            try:
                answer = client.get(url + path)
                detail = answer.json().get("detail") if answer.status_code != 200 else None
                services[name] = f"ok ({url})" if detail is None else f"not ready: {detail}"
                if name != "ingest":
                    lag |= lag_of(client.get(url + "/metrics").text)
            except httpx.HTTPError as exc:
                services[name] = f"not reachable at {url} ({type(exc).__name__})"
    return services, lag


def from_database(session: Session, smtp: str | None) -> Status:
    """Accounts per band, alerts per status and the channels that are configured or off."""
    status = Status()
    bands = select(AccountHealthRow.band, func.count()).group_by(AccountHealthRow.band)
    status.bands = {band: count for band, count in session.execute(bands).tuples()}
    alerts = select(AlertRow.status, func.count()).group_by(AlertRow.status)
    status.alerts = {name: count for name, count in session.execute(alerts).tuples()}
    endpoints = session.scalar(
        select(func.count()).where(WebhookEndpointRow.enabled)
    ) or 0  # fmt: skip
    routes = session.scalars(select(RouteRow).where(RouteRow.enabled)).all()
    slack = sum(1 for r in routes for c in r.channels if c.get("type") == "slack")
    status.channels = {
        "email": f"on ({smtp})" if smtp else "off, no SMTP server set (HEALTHMON_SMTP_HOST)",
        "slack": f"{slack} route(s)" if slack else "off, no route sends to Slack",
        "webhooks": f"{endpoints} endpoint(s) enabled" if endpoints else "off, no endpoint",
    }
    return status
