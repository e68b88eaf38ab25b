"""Prometheus metrics of ingest (no per-account labels)."""

from prometheus_client import Counter, Gauge, Histogram

EVENTS = Counter(
    "healthmon_ingest_events_total",
    "Events and account updates by source, kind, outcome and the reason for a rejection",
    ["source", "kind", "outcome", "reason"],
)
REJECTED_REQUESTS = Counter(
    "healthmon_ingest_rejected_requests_total", "Requests answered with an error, by reason",
    ["reason"],
)  # fmt: skip
REASONS = {
    401: "unauthorized",
    403: "forbidden",
    413: "too_large",
    415: "not_json",
    422: "invalid",
    429: "rate_limited",
    503: "kafka_unavailable",
}
"""The reason label of each error status; any other is `other`."""


def count_event(source: str, kind: str, reason: str | None = None, count: int = 1) -> None:
    """Count events accepted (no reason) or rejected for `reason`."""
    outcome = "accepted" if reason is None else "rejected"
    EVENTS.labels(source, kind, outcome, reason or "none").inc(count)


def count_ignored(source: str) -> None:
    """Count a well-formed message that changes nothing (e.g. a webhook type health ignores)."""
    EVENTS.labels(source, "none", "ignored", "none").inc()


PRODUCE_SECONDS = Histogram(
    "healthmon_ingest_produce_seconds", "Time until Kafka acknowledged a request's records",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)  # fmt: skip
IN_FLIGHT = Gauge("healthmon_ingest_requests_in_flight", "HTTP requests being handled")
