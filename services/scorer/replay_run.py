"""`healthmon replay`: read the input topics, recompute under a model, publish and compare."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from schemas import Health, RiskChange
from schemas.codec import encode, loads
from schemas.topics import TopicSpec
from services.kafka.batched_sends import BatchedSends
from services.kafka.messages import RawMessage
from services.kafka.read import assign_all, read_to_end
from services.kafka.topics import ensure_topics, topic_names
from services.scorer.batch import snapshot_record
from services.scorer.changelog import CHANGELOG, GROUP, encode_state
from services.scorer.model import HealthModel, load_model
from services.scorer.replay import Comparison, Replayed, compare, model_change, recompute
from services.settings import Settings

Record = tuple[str, bytes, bytes, int | None]
"""A record to send: topic, key, value, partition (None: by key)."""

SHADOW_CHANGES = TopicSpec("health-changes-shadow", RiskChange)


class ReplayError(RuntimeError):
    """The replay cannot run as asked; the message says why."""


async def read_topics(
    bootstrap: list[str],
    topics: list[str],
    since: datetime | None,
    on_progress: Callable[[int, int], None],
) -> tuple[list[RawMessage], dict[TopicPartition, int]]:
    """Every record of `topics` (from `since`, by record timestamp) to their end; and the offset
    the read stopped at on each partition."""
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await reader.start()
    try:
        parts = await assign_all(reader, topics)
        ends = await reader.end_offsets(parts)
        starts = await reader.beginning_offsets(parts)
        if since is not None:
            found = await reader.offsets_for_times(
                {tp: int(since.timestamp() * 1000) for tp in parts}
            )
            # partitions with nothing at or after `since` are not read at all
            starts = {tp: at.offset for tp, at in found.items() if at is not None}
        total = sum(max(0, ends[tp] - starts[tp]) for tp in starts)
        messages: list[RawMessage] = []
        on_progress(0, total)

        def keep(records: list[ConsumerRecord[bytes, bytes]]) -> None:
            messages.extend(RawMessage.of(r) for r in records)
            on_progress(len(messages), max(total, len(messages)))

        ends = await read_to_end(reader, starts, keep)
        on_progress(len(messages), len(messages))
        return messages, ends
    finally:
        await reader.stop()


def live_health(messages: list[RawMessage]) -> dict[str, tuple[Health, int]]:
    """The latest snapshot per account: its health and the seq of its last change."""
    live: dict[str, tuple[Health, int]] = {}
    for msg in messages:
        if msg.key is None:
            continue
        if not msg.value:
            live.pop(msg.key.decode(), None)
            continue
        data = loads(msg.value)
        health = Health(score=data.get("score"), band=data.get("band", "unknown"))
        live[msg.key.decode()] = (health, int(data.get("last_change_seq", 0)))
    return live


async def _send_all(settings: Settings, records: Sequence[Record]) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.bootstrap_list, acks="all", max_batch_size=256 * 1024
    )
    await producer.start()
    try:
        out = BatchedSends(producer)
        for topic, key, value, partition in records:
            await out.send(topic, value, key, partition)
        await out.flush()
    finally:
        await producer.stop()


async def _scorers_running(settings: Settings) -> int:
    admin = AIOKafkaAdminClient(
        bootstrap_servers=settings.bootstrap_list, client_id="healthmon-replay"
    )
    await admin.start()
    try:
        [response] = await admin.describe_consumer_groups([settings.topic_prefix + GROUP])
        [group] = response.groups
        return len(group[5])  # (error, group_id, state, protocol_type, protocol, members, ...)
    finally:
        await admin.close()


async def _commit(settings: Settings, ends: dict[TopicPartition, int]) -> None:
    """Set the scorer group's offsets to where the replay stopped reading."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.bootstrap_list,
        group_id=settings.topic_prefix + GROUP,
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        consumer.assign(list(ends))
        await consumer.commit(ends)
    finally:
        await consumer.stop()


def go_live(
    settings: Settings,
    replayed: Replayed,
    live: dict[str, tuple[Health, int]],
    model: HealthModel,
    ends: dict[TopicPartition, int],
    now: datetime,
) -> int:
    """Make the replayed state the scorer's state; publish one change per account whose band
    moved and a snapshot per account. Returns the changes published."""
    names = topic_names(settings)
    changelog = settings.topic_prefix + CHANGELOG.name
    held: dict[str, bytes] = {}
    published: list[Record] = []
    for account_id, state in replayed.states.items():
        health, seq = live.get(account_id, (Health(score=None, band="unknown"), 0))
        change = model_change(state, health, seq, model, now)
        key = account_id.encode()
        if change is not None:
            held[account_id] = encode(change)
            published.append((names.health_changes, key, held[account_id], None))
        published.append((names.health_snapshots, key, snapshot_record(state, model, now), None))

    def stored(accounts: Iterable[str], with_changes: bool) -> list[Record]:
        return [
            (
                changelog,
                a.encode(),
                encode_state(replayed.states[a], [held[a]] if with_changes and a in held else []),
                replayed.partitions[a],
            )
            for a in accounts
        ]

    # As the scorer does: each state is stored with its change before the change is sent, and
    # again without it once the change is acknowledged.
    asyncio.run(_send_all(settings, stored(replayed.states, with_changes=True)))
    asyncio.run(_send_all(settings, published))
    asyncio.run(_send_all(settings, stored(held, with_changes=False)))
    asyncio.run(_commit(settings, ends))
    return len(held)


def run_replay(
    settings: Settings,
    model_file: Path,
    since: datetime | None,
    shadow: bool,
    console: Console,
) -> Comparison:
    """The whole command; raises ReplayError for what the user must fix."""
    model = load_model(model_file)
    if since is not None and not shadow:
        raise ReplayError(
            "--since needs --shadow: the live state must be rebuilt from the whole history"
        )
    if not shadow and (running := asyncio.run(_scorers_running(settings))):
        raise ReplayError(
            f"{running} scorer worker(s) are running: stop them before a live replay, then "
            f"start them with HEALTHMON_MODEL_FILE={model_file}"
        )
    ensure_topics(settings, extra=[CHANGELOG, SHADOW_CHANGES])
    names = topic_names(settings)
    topic_kinds = names.input_kinds
    with Progress(console=console, transient=False) as progress:
        reading = progress.add_task("reading input topics", total=None)

        def on_progress(done: int, total: int) -> None:
            progress.update(reading, completed=done, total=total)

        messages, ends = asyncio.run(
            read_topics(settings.bootstrap_list, list(topic_kinds), since, on_progress)
        )
        snapshots, _ = asyncio.run(
            read_topics(settings.bootstrap_list, [names.health_snapshots], None, lambda d, t: None)
        )
    now = datetime.now(UTC)
    replayed = recompute(messages, topic_kinds, model, now, settings.event_max_future_s)
    live = live_health(snapshots)
    comparison = compare({a: h for a, (h, _) in live.items()}, replayed)
    if shadow:
        shadow_topic = settings.topic_prefix + SHADOW_CHANGES.name
        asyncio.run(
            _send_all(
                settings,
                [(shadow_topic, c.account_id.encode(), encode(c), None) for c in replayed.changes],
            )
        )
        console.print(
            f"{len(replayed.changes)} changes under model {model.version} written to {shadow_topic}"
        )
    else:
        published = go_live(settings, replayed, live, model, ends, now)
        console.print(
            f"live state rebuilt under model {model.version} for {len(replayed.states)} accounts; "
            f"{published} changes published to {names.health_changes}"
        )
    report(console, replayed, comparison, model)
    return comparison


def report(
    console: Console, replayed: Replayed, comparison: Comparison, model: HealthModel
) -> None:
    """Print what was read and where the model disagrees with live health."""
    outcomes = ", ".join(f"{k} {v}" for k, v in sorted(replayed.outcomes.items()))
    console.print(f"{len(replayed.states)} accounts recomputed ({outcomes})")
    console.print(
        f"compared with live health for {comparison.accounts} accounts: "
        f"{len(comparison.band_differs)} would change band"
        + (
            f"; {len(comparison.only_replayed)} have no live health"
            if comparison.only_replayed
            else ""
        )
    )
    for title, rows in (
        ("band would differ", comparison.band_differs[:20]),
        ("biggest movers", comparison.movers),
    ):
        if not rows:
            continue
        table = Table(title=title)
        for column in ("account", "live", f"model {model.version}", "delta"):
            table.add_column(column)
        for d in rows:
            table.add_row(
                d.account_id,
                _label(d.live),
                _label(d.replayed),
                "" if d.delta is None else f"{d.delta:+.1f}",
            )
        console.print(table)


def _label(health: Health) -> str:
    return health.band if health.score is None else f"{health.band} {health.score:.0f}"
