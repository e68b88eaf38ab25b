"""The faust-streaming app: consume the input topics in batches, score, publish, keep state."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from typing import Any

import faust
from aiokafka import AIOKafkaConsumer
from faust.sensors.prometheus import setup_prometheus_sensors
from faust.serializers import codecs
from kafka.partitioner import murmur2

from schemas import HealthSnapshot, RiskChange
from schemas.topics import TopicSpec
from services.codec import dumps, encode, loads
from services.messages import RawMessage
from services.scorer import metrics
from services.scorer.batch import score_batch, snapshot
from services.scorer.model import AccountState, HealthModel, evaluate, load_model
from services.scorer.sources import SourceActivity, end_offset_totals
from services.settings import Settings
from services.topics import topic_names

log = logging.getLogger(__name__)
APP_ID = "healthmon-scorer"
TABLE = "account-state"
# Created by us, not left to Faust: some brokers ignore the partition count Faust asks for, and
# the changelog must have as many partitions as the input topics for state to follow its events.
CHANGELOG = TopicSpec(f"{APP_ID}-{TABLE}-changelog", AccountState, compacted=True)
YIELD_EVERY = 500


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


class StateValue:
    """The table's value type: tells Faust to use the AccountState codec, as is."""

    class _options:  # the attribute name Faust looks up
        serializer = "healthmon_state"

    @classmethod
    def from_data(cls, data: Any, preferred_type: Any = None) -> Any:
        return data


class AccountKey(StateValue):
    """The table's key type: plain UTF-8 account ids."""

    class _options:
        serializer = "utf8"


def default_partition(key: bytes, partitions: int) -> int:
    """The partition Kafka's default partitioner gives a key."""
    return int((murmur2(key) & 0x7FFFFFFF) % partitions)


def create_app(settings: Settings, model: HealthModel | None = None) -> faust.App:
    """Build the scorer app for `settings` and the model file they name."""
    model = model or load_model(settings.model_file)
    names = topic_names(settings)
    datadir = settings.data_dir / "scorer"
    datadir.mkdir(parents=True, exist_ok=True)
    app = faust.App(
        settings.topic_prefix + APP_ID,
        broker=[f"kafka://{server}" for server in settings.bootstrap_list],
        store="memory://",
        topic_partitions=settings.topic_partitions,
        topic_replication_factor=settings.topic_replication_factor,
        # Every topic, the changelog included, is created by `ensure_topics` before start.
        topic_allow_declare=False,
        topic_disable_leader=True,
        # No standby copies: the re-evaluation timer walks the table and must see only the
        # partitions this worker owns.
        table_standby_replicas=0,
        broker_rebalance_timeout=settings.kafka_rebalance_timeout_s,
        broker_session_timeout=max(10.0, settings.kafka_rebalance_timeout_s),
        broker_heartbeat_interval=1.0,
        producer_acks=-1,
        datadir=str(datadir),
        web_enabled=True,
        web_bind=settings.scorer_host,
        web_port=settings.scorer_port,
        web_host=settings.scorer_host,
        consumer_auto_offset_reset="earliest",
        consumer_group_instance_id=settings.scorer_instance_id,
    )
    setup_prometheus_sensors(app)
    raw: dict[str, Any] = {"key_type": bytes, "value_type": bytes}
    raw |= {"key_serializer": "raw", "value_serializer": "raw"}
    inputs = app.topic(*names.scorer_inputs, **raw)
    topic_kinds = {
        names.usage_events: "usage",
        names.ticket_events: "ticket",
        names.payment_events: "payment",
        names.account_updates: "account",
    }
    changes_topic = app.topic(names.health_changes, **raw)
    snapshots_topic = app.topic(names.health_snapshots, **raw)
    dead_letters = app.topic(names.dead_letters, **raw)
    states = app.Table(
        TABLE,
        default=None,
        partitions=settings.topic_partitions,
        # Written once per account per batch by `store`, outside the per-event context.
        use_partitioner=True,
        key_type=AccountKey,
        value_type=StateValue,
    )
    # The changelog partition of each account is the partition its input events are on, so a
    # worker recovers exactly the state of the partitions it is assigned.
    partition_of: dict[str, int] = {}

    def store(account_id: str, state: AccountState) -> None:
        partition = partition_of.get(account_id)
        if partition is None:
            partition = default_partition(account_id.encode(), settings.topic_partitions)
        states.data[account_id] = state
        states.send_changelog(partition, account_id, state)

    sources = SourceActivity()
    stale_sources: set[str] = set()

    async def publish(changes: list[RiskChange], snaps: list[HealthSnapshot]) -> None:
        # Changes go out before state is stored: after a crash the events are re-applied and
        # the same changes re-sent with the same change_id, which consumers deduplicate.
        for change in changes:
            await changes_topic.send(key=change.account_id.encode(), value=encode(change))
            metrics.CHANGES.labels(change.current.band).inc()
        for snap in snaps:
            await snapshots_topic.send(key=snap.account_id.encode(), value=encode(snap))

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
            result = score_batch(batch, topic_kinds, states.get, model, now)
            stale = frozenset(stale_sources)
            snaps = [snapshot(s, model, now, stale) for s in result.states.values()]
            await publish(result.changes, snaps)
            for letter in result.dead_letters:
                key = None if letter.key is None else letter.key.encode()
                await dead_letters.send(key=key, value=encode(letter))
            partition_of.update(result.partitions)
            for account_id, state in result.states.items():
                store(account_id, state)
            for (topic, outcome), count in result.outcomes.items():
                metrics.EVENTS.labels(topic, outcome).inc(count)
            metrics.BATCH_SECONDS.observe(time.perf_counter() - started)

    offsets_reader: list[AIOKafkaConsumer] = []

    async def observe_sources() -> None:
        if not offsets_reader:
            reader = AIOKafkaConsumer(bootstrap_servers=settings.bootstrap_list)
            await reader.start()
            offsets_reader.append(reader)
        await offsets_reader[0].topics()  # refreshes metadata
        topic_source = {t: k for t, k in topic_kinds.items() if k != "account"}
        totals = await end_offset_totals(offsets_reader[0], topic_source)
        for topic, total in totals.items():
            sources.observe(topic_source[topic], total, time.time())

    @app.timer(interval=settings.scorer_evaluate_interval_s)  # type: ignore[untyped-decorator]
    async def reevaluate() -> None:
        """Silence is not health: re-score accounts that heard nothing, and mark quiet sources."""
        try:
            await observe_sources()
        except Exception:
            log.exception("could not read the input topics' end offsets")
        max_age = model.base.time.source_stale_hours * 3600
        stale = sources.stale(time.time(), max_age)
        stale_changed = stale != stale_sources
        stale_sources.clear()
        stale_sources.update(stale)
        metrics.STALE_SOURCES.set(len(stale))
        now = datetime.now(UTC)
        horizon = now.timestamp() - settings.scorer_evaluate_interval_s
        for count, (account_id, state) in enumerate(list(states.items()), 1):
            if not stale_changed and (state.evaluated_at or 0) > horizon:
                continue
            _, change = evaluate(state, model, now, stale)
            if change is not None or stale_changed:
                await publish([change] if change else [], [snapshot(state, model, now, stale)])
            if change is not None:
                store(account_id, state)
            if count % YIELD_EVERY == 0:
                await asyncio.sleep(0)

    @app.page("/healthz")
    async def healthz(web: Any, request: Any) -> Any:
        return web.json({"status": "ok", "model_version": model.version})

    return app
