"""Prometheus metrics of the alerts service (no per-account labels)."""

from prometheus_client import Counter, Gauge, Histogram

CHANGES = Counter("healthmon_alerts_changes_total", "Risk changes stored", ["outcome"])
POISON = Counter(
    "healthmon_alerts_poison_records_total",
    "Consumed records the database refused on their own; each became a dead letter",
)
CHANGE_TO_ALERT = Histogram(
    "healthmon_change_to_alert_seconds",
    "From the scorer publishing a risk change to the alert (and its notifications) it opened or "
    "worsened being stored",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
ALERTS = Counter("healthmon_alerts_raised_total", "Alerts raised by severity", ["severity"])
DELIVERIES = Counter(
    "healthmon_deliveries_total",
    "Delivery attempts by channel and outcome (delivered, failed and retried later, gave_up)",
    ["channel", "outcome"],
)
ATTEMPTS = Counter("healthmon_delivery_attempts_total", "Delivery attempts", ["channel"])
ATTEMPT_SECONDS = Histogram(
    "healthmon_delivery_attempt_seconds",
    "Duration of one delivery attempt (connect, send, answer) by channel",
    ["channel"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
ALERT_TO_DELIVERY = Histogram(
    "healthmon_alert_to_delivery_seconds",
    "From a notification being written with its alert to its delivery, retries included, by "
    "channel",
    ["channel"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 7200, 36000),
)
DISABLED_ENDPOINTS = Gauge(
    "healthmon_webhook_endpoints_disabled",
    "Webhook endpoints disabled (410 Gone, failing past HEALTHMON_WEBHOOK_DISABLE_AFTER_S, or "
    "by hand)",
)
PENDING = Gauge("healthmon_deliveries_pending", "Deliveries not yet delivered nor given up")
OLDEST_PENDING = Gauge(
    "healthmon_delivery_oldest_pending_seconds", "Age of the oldest pending delivery"
)
