"""Prometheus metrics of ingest (no per-account labels)."""

from prometheus_client import Counter, Gauge, Histogram

EVENTS = Counter(
    "healthmon_ingest_events_total", "Events and account updates by kind and outcome",
    ["kind", "outcome"],
)  # fmt: skip
PRODUCE_SECONDS = Histogram(
    "healthmon_ingest_produce_seconds", "Time until Kafka acknowledged a request's records",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)  # fmt: skip
IN_FLIGHT = Gauge("healthmon_ingest_requests_in_flight", "HTTP requests being handled")
