"""The names of the metrics the services export, for checking dashboards and rules."""

from __future__ import annotations

import re

from prometheus_client import REGISTRY

import services.alerts.metrics
import services.ingest.metrics
import services.kafka.consumer_lag
import services.scorer.metrics

MODULES = (services.alerts.metrics, services.kafka.consumer_lag, services.ingest.metrics,
           services.scorer.metrics)  # fmt: skip


def exported() -> set[str]:
    """Every sample name the services' metrics expose (counters' _total, histograms' _bucket)."""
    assert MODULES  # imported for the metrics they register
    names = set()
    for metric in REGISTRY.collect():
        names.add(metric.name)
        names |= {sample.name for sample in metric.samples}
        if metric.type == "histogram":
            names |= {metric.name + suffix for suffix in ("_bucket", "_sum", "_count")}
        if metric.type == "counter":
            names.add(metric.name + "_total")
    return names


def queried(expression: str) -> set[str]:
    """The healthmon metrics a PromQL expression reads."""
    return set(re.findall(r"\bhealthmon_[a-z_]+", expression))
