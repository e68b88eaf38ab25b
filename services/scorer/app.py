"""The faust-streaming app: consume the input topics in batches, score, publish, keep state."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import Any

import faust
from faust.sensors.prometheus import setup_prometheus_sensors
from faust.serializers import codecs

from services.codec import dumps, encode, loads
from services.messages import RawMessage
from services.scorer import metrics
from services.scorer.batch import score_batch, snapshot
from services.scorer.model import AccountState
from services.settings import Settings
from services.topics import topic_names

log = logging.getLogger(__name__)
APP_ID = "healthmon-scorer"


class StateCodec(codecs.Codec):
    """Changelog encoding of AccountState: compact orjson."""

    def _dumps(self, obj: Any) -> bytes:
        return dumps(obj.to_dict())

    def _loads(self, s: bytes) -> Any:
        return AccountState.from_dict(loads(s))


class Utf8Codec(codecs.Codec):
    """Table keys as the same UTF-8 bytes as the input topics' keys, so partitions line up."""

    def _dumps(self, obj: Any) -> bytes:
        return str(obj).encode()

    def _loads(self, s: bytes) -> Any:
        return s.decode()


codecs.register("healthmon_state", StateCodec())
codecs.register("utf8", Utf8Codec())


def create_app(settings: Settings) -> faust.App:
    """Build the scorer app for `settings`."""
    names = topic_names(settings)
    app = faust.App(
        settings.topic_prefix + APP_ID,
        broker=[f"kafka://{server}" for server in settings.bootstrap_list],
        store="memory://",
        topic_partitions=settings.topic_partitions,
        topic_replication_factor=settings.topic_replication_factor,
        topic_allow_declare=True,
        topic_disable_leader=True,
        broker_rebalance_timeout=settings.kafka_rebalance_timeout_s,
        broker_session_timeout=max(10.0, settings.kafka_rebalance_timeout_s),
        broker_heartbeat_interval=1.0,
        producer_acks=-1,
        datadir=str(settings.data_dir / "scorer"),
        web_enabled=True,
        web_bind=settings.scorer_host,
        web_port=settings.scorer_port,
        web_host=settings.scorer_host,
        consumer_auto_offset_reset="earliest",
        table_key_serializer="utf8",
        table_value_serializer="healthmon_state",
    )
    setup_prometheus_sensors(app)
    raw: dict[str, Any] = {"key_type": bytes, "value_type": bytes}
    raw |= {"key_serializer": "raw", "value_serializer": "raw"}
    inputs = app.topic(*names.scorer_inputs, **raw)
    changes = app.topic(names.health_changes, **raw)
    snapshots = app.topic(names.health_snapshots, **raw)
    dead_letters = app.topic(names.dead_letters, **raw)
    states = app.Table(
        "account-state",
        default=None,
        partitions=settings.topic_partitions,
        # Written once per account per batch, outside the per-event context, so the changelog
        # partition comes from the key: the same partition as the account's input events.
        use_partitioner=True,
    )

    @app.agent(inputs)
    async def score(stream: Any) -> None:
        async for events in stream.take_events(
            settings.scorer_batch_size, settings.scorer_batch_wait_s
        ):
            started = time.perf_counter()
            now = datetime.now(UTC)
            batch = [
                RawMessage(e.message.topic, e.message.partition, e.message.offset, e.key, e.value)
                for e in events
            ]
            result = score_batch(batch, names.account_updates, states.get, now)
            # Changes go out before state is stored: after a crash the events are re-applied and
            # the same changes re-sent with the same change_id, which consumers deduplicate.
            for change in result.changes:
                await changes.send(key=change.account_id.encode(), value=encode(change))
                metrics.CHANGES.labels(change.current.band).inc()
            for letter in result.dead_letters:
                key = None if letter.key is None else letter.key.encode()
                await dead_letters.send(key=key, value=encode(letter))
            for account_id, state in result.states.items():
                await snapshots.send(key=account_id.encode(), value=encode(snapshot(state, now)))
                states[account_id] = state
            for (topic, outcome), count in result.outcomes.items():
                metrics.EVENTS.labels(topic, outcome).inc(count)
            metrics.BATCH_SECONDS.observe(time.perf_counter() - started)

    @app.page("/healthz")
    async def healthz(web: Any, request: Any) -> Any:
        return web.json({"status": "ok"})

    return app
