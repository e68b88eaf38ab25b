"""The worker's consumer-group shell, where it does not need a broker to show its behaviour."""

from __future__ import annotations

import pytest
from aiokafka import TopicPartition

from services.local.ports import free_port
from services.scorer.model import default_model
from services.scorer.worker import ScorerWorker, _Rebalance
from services.settings import Settings


async def test_a_takeover_that_cannot_restore_state_makes_the_loop_start_over() -> None:
    """aiokafka logs and swallows a rebalance listener's exception; the worker must not then sit
    idle with partitions it never restored."""
    nothing_listens = f"127.0.0.1:{free_port()}"
    worker = ScorerWorker(Settings(kafka_bootstrap_servers=nothing_listens), default_model())
    await _Rebalance(worker).on_partitions_assigned({TopicPartition("usage-events", 0)})
    assert not worker.ready
    with pytest.raises(RuntimeError, match="could not take over") as raised:
        worker.raise_takeover_failure()
    assert raised.value.__cause__ is not None
    worker.raise_takeover_failure()  # reported once: the next consumer starts clean
