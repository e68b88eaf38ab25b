"""What the scorer reads: its address, its batches and the health model file."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, PositiveFloat

from services.settings.base import HealthmonSettings


class ScorerSettings(HealthmonSettings):
    """The scorer worker's address, batching, re-evaluation and model."""

    scorer_host: str = Field("127.0.0.1", description="Address of the scorer's web/metrics port.")
    scorer_port: int = Field(6066, description="Port of the scorer's web/metrics endpoint.")
    scorer_batch_size: int = Field(
        5000,
        ge=1,
        description="Most events scored in one batch (one commit, one state write per account).",
    )
    scorer_batch_wait_s: PositiveFloat = Field(
        0.05, description="Longest wait for a batch to fill before it is scored."
    )
    scorer_evaluate_interval_s: PositiveFloat = Field(
        60.0, description="How often quiet accounts and sources are re-evaluated."
    )
    scorer_instance_id: str | None = Field(
        None,
        description="Static group membership id of this scorer worker: a restarted worker with "
        "the same id takes its partitions back at once.",
    )
    model_file: Path | None = Field(
        None, description="Health model file (TOML); default: the model shipped with healthmon."
    )
