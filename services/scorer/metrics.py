"""Prometheus metrics of the scorer (no per-account labels)."""

from prometheus_client import Counter, Gauge, Histogram

EVENTS = Counter(
    "healthmon_scorer_events_total", "Input messages by topic and outcome", ["topic", "outcome"]
)
CHANGES = Counter("healthmon_scorer_changes_total", "Risk changes published by band", ["band"])
BATCH_SECONDS = Histogram("healthmon_scorer_batch_seconds", "Time to score and emit one batch")
STALE_SOURCES = Gauge("healthmon_scorer_stale_sources", "Input sources that have gone quiet")
ACCOUNTS = Gauge("healthmon_scorer_accounts", "Accounts whose state this worker holds")
PARTITIONS = Gauge("healthmon_scorer_partitions", "Input partitions assigned to this worker")
BATCH_FAILURES = Counter(
    "healthmon_scorer_batch_failures_total",
    "Batches abandoned because scoring one record failed (the worker restores its state and "
    "tries again; a record failing repeatedly becomes a dead letter with outcome poison)",
)
EVENT_TO_CHANGE = Histogram(
    "healthmon_event_to_change_seconds",
    "From ingest receiving an event to the risk change it caused being published",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600),
)
NEWEST_EVENT = Gauge(
    "healthmon_scorer_newest_event_timestamp_seconds",
    "Event time of the newest event scored, per source (usage, ticket, payment); "
    "time() minus it is the event-time freshness of that source",
    ["source"],
)
