"""Topic creation on a real broker: idempotent, compacted where due, co-partitioned."""

from __future__ import annotations

import pytest
from kafka import KafkaAdminClient
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic

from schemas.topics import ALL_TOPICS
from services.kafka.topics import TopicLayoutError, ensure_topics, topic_names
from services.local.broker import Broker
from services.settings import Settings


def settings_for(broker: Broker, prefix: str, partitions: int = 3) -> Settings:
    return Settings(
        kafka_bootstrap_servers=broker.bootstrap, topic_prefix=prefix, topic_partitions=partitions
    )


def test_topics_are_created_once_with_the_configured_partitions(
    broker: Broker, topic_prefix: str
) -> None:
    settings = settings_for(broker, topic_prefix)
    created = ensure_topics(settings)
    assert sorted(created) == sorted(topic_prefix + spec.name for spec in ALL_TOPICS)
    assert ensure_topics(settings) == []
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
    described = admin.describe_topics(created)
    admin.close()
    assert {len(t["partitions"]) for t in described} == {3}


def test_compacted_topics_are_created_with_cleanup_policy_compact(
    broker: Broker, topic_prefix: str
) -> None:
    if broker.engine == "tansu":
        pytest.skip("Tansu's memory storage answers DescribeConfigs with no configs to check")
    settings = settings_for(broker, topic_prefix)
    ensure_topics(settings)
    names = topic_names(settings)
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
    resources = [
        ConfigResource(ConfigResourceType.TOPIC, name)
        for name in (names.account_updates, names.health_snapshots, names.health_changes)
    ]
    configs = admin.describe_configs(resources)["topic"]
    admin.close()
    assert configs[names.account_updates]["cleanup.policy"]["value"] == "compact"
    assert configs[names.health_snapshots]["cleanup.policy"]["value"] == "compact"
    assert (
        configs[names.health_changes].get("cleanup.policy", {}).get("value", "delete") == "delete"
    )


def test_input_topics_with_different_partition_counts_are_refused(
    broker: Broker, topic_prefix: str
) -> None:
    settings = settings_for(broker, topic_prefix)
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
    admin.create_topics([NewTopic(topic_names(settings).ticket_events, 5, 1)])
    admin.close()
    with pytest.raises(TopicLayoutError, match="same partition count"):
        ensure_topics(settings)
