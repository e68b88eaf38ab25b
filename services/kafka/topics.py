"""Topic names (with the configured prefix) and idempotent topic creation."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from schemas.topics import ALL_TOPICS, TopicSpec
from services.settings import KafkaSettings

log = logging.getLogger(__name__)
READY_TIMEOUT_S = 30.0
BOOTSTRAP_TIMEOUT_S = 4.0
"""How long a command waits for the first broker answer before it says none is reachable."""


class BrokerUnreachable(RuntimeError):
    """No broker of the configured bootstrap servers answered in time."""


def admin_client(
    settings: KafkaSettings, timeout_s: float = BOOTSTRAP_TIMEOUT_S
) -> KafkaAdminClient:
    """An admin client connected to the cluster; BrokerUnreachable after `timeout_s`."""
    servers = ",".join(settings.bootstrap_list)
    try:
        return KafkaAdminClient(
            bootstrap_servers=settings.bootstrap_list,
            client_id="healthmon-admin",
            bootstrap_timeout_ms=int(timeout_s * 1000),
        )
    except (KafkaError, OSError) as exc:
        raise BrokerUnreachable(
            f"no Kafka broker reachable at {servers} within {timeout_s:.0f}s "
            f"({type(exc).__name__}); check HEALTHMON_KAFKA_BOOTSTRAP_SERVERS or start one "
            "with `healthmon broker`"
        ) from exc


def reach_broker(settings: KafkaSettings) -> None:
    """Raise BrokerUnreachable unless a broker of `settings` answers."""
    admin_client(settings).close()


@dataclass(frozen=True)
class TopicNames:
    """The actual topic names of one deployment."""

    usage_events: str
    ticket_events: str
    payment_events: str
    account_updates: str
    health_changes: str
    health_snapshots: str
    dead_letters: str

    @classmethod
    def from_prefix(cls, prefix: str) -> TopicNames:
        """Names with `prefix` put before each contract topic's name (field `usage_events`:
        topic `usage-events`)."""
        return cls(**{spec.name.replace("-", "_"): prefix + spec.name for spec in ALL_TOPICS})

    def for_kind(self, kind: str) -> str:
        """The topic of an event kind."""
        return {
            "usage": self.usage_events,
            "ticket": self.ticket_events,
            "payment": self.payment_events,
        }[kind]

    @property
    def input_kinds(self) -> dict[str, str]:
        """Each scorer input topic and what it carries: usage, ticket, payment or account."""
        return {
            self.usage_events: "usage",
            self.ticket_events: "ticket",
            self.payment_events: "payment",
            self.account_updates: "account",
        }

    @property
    def scorer_inputs(self) -> tuple[str, ...]:
        """The co-partitioned topics the scorer consumes."""
        return tuple(self.input_kinds)


def topic_names(settings: KafkaSettings) -> TopicNames:
    """The topic names for these settings."""
    return TopicNames.from_prefix(settings.topic_prefix)


def _new_topic(name: str, spec: TopicSpec, settings: KafkaSettings) -> NewTopic:
    configs = {"cleanup.policy": "compact"} if spec.compacted else {}
    return NewTopic(
        name, settings.topic_partitions, settings.topic_replication_factor, topic_configs=configs
    )


def ensure_topics(settings: KafkaSettings, extra: Sequence[TopicSpec] = ()) -> list[str]:
    """Create every missing topic (the contract's and `extra`); return the names created.

    Safe to run any number of times; BrokerUnreachable when no broker answers.
    """
    admin = admin_client(settings)
    try:
        existing = set(admin.list_topics())
        created = []
        for spec in (*ALL_TOPICS, *extra):
            name = settings.topic_prefix + spec.name
            if name in existing:
                continue
            try:
                admin.create_topics([_new_topic(name, spec, settings)])
                created.append(name)
            except TopicAlreadyExistsError:
                log.debug("topic %s was created concurrently", name)
        _wait_until_served(admin, created, settings.topic_partitions)
        copartitioned = (
            *topic_names(settings).scorer_inputs,
            *(settings.topic_prefix + e.name for e in extra),
        )
        _check_copartitioned(admin, copartitioned)
        return created
    finally:
        admin.close()


class TopicLayoutError(RuntimeError):
    """Topics that must be co-partitioned are not (or are not served in time)."""


def _wait_until_served(admin: KafkaAdminClient, names: list[str], partitions: int) -> None:
    """Wait until the broker serves every partition of newly created topics with a leader.

    Some brokers answer metadata requests for a just-created topic with only part of its
    partitions; a client that caches that answer would refuse to write to the others.
    """
    deadline = time.monotonic() + READY_TIMEOUT_S
    while names and time.monotonic() < deadline:
        described = admin.describe_topics(names)
        if all(
            len([p for p in t["partitions"] if p["leader_id"] >= 0]) == partitions
            for t in described
        ):
            return
        time.sleep(0.1)
    if names:
        raise TopicLayoutError(f"topics {names} not served with {partitions} partitions in time")


def _check_copartitioned(admin: KafkaAdminClient, names: tuple[str, ...]) -> None:
    counts = {t["name"]: len(t["partitions"]) for t in admin.describe_topics(list(names))}
    if len(set(counts.values())) > 1:
        raise TopicLayoutError(
            f"the scorer's input topics and state changelog must have the same partition count, "
            f"found {counts} (was one of them created automatically by the broker?)"
        )
