"""End-to-end latency of a running system under steady load: event to risk change, change to
alert, alert to webhook delivery, and one delivery attempt, as p50 and p99.

    python bench/latency.py                    # 2,000 events/s for 60 s, 3 runs, tansu
    python bench/latency.py --rate 500 --seconds 20 --runs 1 --engine noida

Each run starts `healthmon up` on a fresh data directory, registers a webhook receiver on this
machine, sends the synthetic workload (bench/workload.py, whose failed payments raise alerts)
through ingest's batch endpoint at a steady rate, waits until the scorer has read everything and
no delivery is pending, then reads the services' histograms from /metrics. Quantiles are
interpolated within buckets, as Prometheus's histogram_quantile does, so they are as coarse as
the buckets.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import orjson
from local_system import local_system
from prometheus_client.parser import text_string_to_metric_families
from workload import generate

from services.local.ports import free_port

FIGURES = {
    "event to change": ("scorer", "healthmon_event_to_change_seconds", {}),
    "change to alert": ("alerts", "healthmon_change_to_alert_seconds", {}),
    "alert to webhook delivery": (
        "alerts", "healthmon_alert_to_delivery_seconds", {"channel": "webhook"}),
    "webhook attempt": ("alerts", "healthmon_delivery_attempt_seconds", {"channel": "webhook"}),
}  # fmt: skip
BATCH = 100


class _Accept(BaseHTTPRequestHandler):
    """A webhook receiver that takes everything."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def quantile(q: float, buckets: list[tuple[float, float]]) -> float | None:
    """histogram_quantile over cumulative (upper bound, count) pairs, sorted by bound."""
    total = buckets[-1][1] if buckets else 0
    if not total:
        return None
    rank, lower, below = q * total, 0.0, 0.0
    for bound, count in buckets:
        if count >= rank:
            if bound == float("inf"):
                return lower
            return lower + (bound - lower) * (rank - below) / max(count - below, 1e-9)
        lower, below = bound, count
    return lower


def histogram(text: str, name: str, labels: dict[str, str]) -> list[tuple[float, float]]:
    """The cumulative buckets of one histogram series in a /metrics page."""
    found: list[tuple[float, float]] = []
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name + "_bucket" and labels.items() <= sample.labels.items():
                found.append((float(sample.labels["le"]), sample.value))
    return sorted(found)


def run_once(engine: str, rate: float, seconds: float) -> dict[str, tuple[float, float, int]]:
    """One run: {figure: (p50, p99, count)}."""
    events = int(rate * seconds)
    workload = generate(events, accounts=max(100, events // 50))
    bodies = []
    for i in range(0, events, BATCH):
        chunk = [orjson.loads(r.value) for r in workload.records[i : i + BATCH]]
        for event in chunk:
            del event["received_at"]
        bodies.append(orjson.dumps({"events": chunk}))
    receiver = ThreadingHTTPServer(("127.0.0.1", free_port()), _Accept)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        with local_system(engine) as system:
            urls = system.urls
            client = httpx.Client(headers={"Authorization": f"Bearer {system.api_key}"}, timeout=60)
            hook = f"http://127.0.0.1:{receiver.server_port}/hook"
            client.post(f"{urls['alerts']}/v1/webhook-endpoints", json={"url": hook})
            started = time.monotonic()
            for n, body in enumerate(bodies):
                time.sleep(max(0.0, started + n * BATCH / rate - time.monotonic()))
                answer = client.post(
                    f"{urls['ingest']}/v1/events/batch", content=body,
                    headers={"content-type": "application/json"},
                )  # fmt: skip
                answer.raise_for_status()
            _settle(client, urls, events)
            pages = {
                "scorer": client.get(f"{urls['scorer']}/metrics").text,
                "alerts": client.get(f"{urls['alerts']}/metrics").text,
            }
    finally:
        receiver.shutdown()
    figures = {}
    for label, (service, name, labels) in FIGURES.items():
        buckets = histogram(pages[service], name, labels)
        p50, p99 = quantile(0.5, buckets), quantile(0.99, buckets)
        count = int(buckets[-1][1]) if buckets else 0
        figures[label] = (p50 or 0.0, p99 or 0.0, count)
    return figures


def _settle(client: httpx.Client, urls: dict[str, str], events: int, limit_s: float = 300) -> None:
    """Wait until the scorer read every event and the alerts service has nothing pending."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        scorer = client.get(f"{urls['scorer']}/metrics").text
        alerts = client.get(f"{urls['alerts']}/metrics").text
        read = sum(
            s.value for f in text_string_to_metric_families(scorer) for s in f.samples
            if s.name == "healthmon_scorer_events_total"
        )  # fmt: skip
        pending = sum(
            s.value for f in text_string_to_metric_families(alerts) for s in f.samples
            if s.name == "healthmon_deliveries_pending"
        )  # fmt: skip
        if read >= events and pending == 0:
            time.sleep(6)  # the delivery worker's gauges lag a round
            return
        time.sleep(1)
    raise SystemExit("the system did not catch up within the time limit")


def main() -> None:
    """Run, then print each figure's median over the runs."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rate", type=float, default=2000.0, help="events per second")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the load")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--engine", choices=["noida", "tansu"], default="tansu")
    args = parser.parse_args()
    runs = []
    for n in range(args.runs):
        figures = run_once(args.engine, args.rate, args.seconds)
        runs.append(figures)
        shown = "; ".join(
            f"{label} p50 {p50:.3f} s p99 {p99:.3f} s (n={count})"
            for label, (p50, p99, count) in figures.items()
        )
        print(f"run {n + 1}: {shown}", flush=True)
    print(f"medians of {args.runs} runs, {args.rate:g} events/s for {args.seconds:g} s, "
          f"{args.engine}:")  # fmt: skip
    for label in FIGURES:
        p50 = statistics.median(r[label][0] for r in runs)
        p99 = statistics.median(r[label][1] for r in runs)
        print(f"  {label:<26} p50 {p50:7.3f} s   p99 {p99:7.3f} s")


if __name__ == "__main__":
    main()
