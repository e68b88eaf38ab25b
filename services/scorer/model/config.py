"""The model file: a versioned TOML document with every weight, window and threshold.

Profiles override parts of it for accounts of a segment or lifecycle stage; the resolved spec of
each profile is validated at load time, so a bad file fails at start with the field and reason.
"""

from __future__ import annotations

import tomllib
from functools import cached_property, lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from services.scorer.model.calendar import Holidays, check_entry, holidays
from services.scorer.model.features import KeyFeatures, table_of

COMPONENTS = ("usage", "support", "billing", "sentiment")
CRITICAL_SIGNALS = ("payment_failed", "dispute_opened", "subscription_canceled", "urgent_ticket")
DEFAULT_MODEL = "default.toml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def _below(self, low: str, high: str) -> Self:
        """This part, once its field `low` is checked to lie below its field `high`."""
        if getattr(self, low) >= getattr(self, high):
            raise ValueError(f"{low} must be below {high}")
        return self


class Bands(_Strict):
    """Band edges (score >= green is green, >= yellow is yellow, else red) and hysteresis."""

    green: float = Field(70, gt=0, le=100)
    yellow: float = Field(40, ge=0, lt=100)
    hysteresis: float = Field(3, ge=0, le=20)

    @model_validator(mode="after")
    def _ordered(self) -> Bands:
        return self._below("yellow", "green")


class ChangeRules(_Strict):
    """When a change is published."""

    drop_points: float = Field(10, gt=0, description="A drop of this many points ...")
    drop_window_days: float = Field(7, gt=0, description="... within this many days.")
    critical_signals: list[Literal[CRITICAL_SIGNALS]] = list(CRITICAL_SIGNALS)  # type: ignore[valid-type]


class TimeRules(_Strict):
    """Windows of event time."""

    lateness_days: float = Field(7, ge=0, description="Events older than this are dead letters.")
    baseline_days: int = Field(28, ge=14, le=56, description="The account's own norm.")
    recent_days: int = Field(7, ge=1, le=14, description="The window compared with the norm.")
    source_stale_hours: float = Field(24, gt=0, description="A source quiet this long is stale.")
    trend_days: float = Field(7, gt=0)
    long_baseline_days: int = Field(
        84,
        ge=28,
        le=112,
        description="The long norm: usage over this many days before the recent window, so a "
        "slow slide that the trailing baseline follows down still shows.",
    )


class UsageRules(_Strict):
    """Product usage: activity against the norm, seats, recency and breadth."""

    mode: Literal["adoption", "onboarding"] = "adoption"
    signal_weights: dict[Literal["activity", "seats", "recency", "breadth"], float] = {
        "activity": 0.35, "seats": 0.2, "recency": 0.3, "breadth": 0.15,
    }  # fmt: skip
    key_features: list[str] | dict[str, list[str]] = Field(
        [], description="Names (a list), or key feature -> name patterns (a table)."
    )
    seat_target: float = Field(0.6, gt=0, le=1, description="Share of seats active weekly = 100.")
    activity_min_norm: float = Field(
        1.0, gt=0, description="Weekly events below which an account has no activity norm."
    )
    breadth_target: float = Field(0.5, gt=0, le=1, description="Share of key features used = 100.")
    activity_full_ratio: float = Field(
        0.8, gt=0, le=2, description="Activity at this share of the norm or above scores 100 ..."
    )
    activity_zero_ratio: float = Field(0.2, ge=0, lt=1, description="... and at this share, 0.")
    decline_ratio: float = Field(
        0.5,
        ge=0,
        lt=1,
        description="This week and the week before both below this share of the norm hold the "
        "account at yellow: a slide two weeks long is news however clean the rest is.",
    )
    prior_events: float = Field(
        10,
        ge=0,
        description="Events added to both sides of every comparison with the norm, so that a "
        "handful of events less on a small account does not read as a slide.",
    )
    stopped_days: float = Field(
        7,
        gt=0,
        description="No usage for this many days (holidays not counted) ...",
    )
    stopped_events: float = Field(
        20,
        ge=0,
        description="... and for as long as the account's norm would have taken to make this "
        "many events holds the account at red: a collapse is never averaged away by clean "
        "billing and support, and a small account's quiet week is not a collapse.",
    )
    population_min_accounts: float = Field(
        20,
        gt=0,
        description="Accounts of a segment active on a usual day (on one scorer partition) from "
        "which an account's activity is judged against its segment's: when the segment's week "
        "runs below its norm, so may the account's.",
    )
    population_dip_ratio: float = Field(
        0.85,
        gt=0,
        le=1,
        description="A segment's week at this share of its norm or above counts as usual: a few "
        "dozen accounts' weeks wander by several percent, which is no season.",
    )
    recency_grace_days: float = Field(2, ge=0)
    recency_zero_days: float = Field(21, gt=0)
    time_to_value_days: float = Field(14, gt=0, description="Onboarding: days to first value.")

    @field_validator("key_features")
    @classmethod
    def _checked(cls, value: list[str] | dict[str, list[str]]) -> list[str] | dict[str, list[str]]:
        table_of(value)
        return value

    @cached_property
    def key(self) -> KeyFeatures:
        """The key features, matching feature names (built once: read on every evaluation)."""
        return KeyFeatures(table_of(self.key_features))

    @model_validator(mode="after")
    def _ratios_ordered(self) -> UsageRules:
        return self._below("activity_zero_ratio", "activity_full_ratio")


class SupportRules(_Strict):
    """Support load: open tickets, escalations, ticket rate and CSAT."""

    priority_penalty: dict[Literal["low", "normal", "high", "urgent"], float] = {
        "low": 3, "normal": 8, "high": 18, "urgent": 35,
    }  # fmt: skip
    escalation_penalty: float = 15
    rate_factor: float = Field(1.5, gt=1, description="Tickets this many times the norm ...")
    rate_penalty: float = Field(20, ge=0, description="... cost this many points.")
    csat_floor: float = Field(3.5, ge=1, le=5, description="Average CSAT below this costs points.")
    csat_penalty_per_point: float = 20
    stuck_days: float = Field(
        10,
        ge=0,
        description="A high-priority, urgent or escalated ticket open this many days since its "
        "last update holds the account at yellow: a customer waiting on us (0: never).",
    )


class BillingRules(_Strict):
    """Billing risk: failures, disputes, downgrades, cancellation, trial ending."""

    failed_payment_penalty: float = 40
    overdue_days: float = Field(
        7,
        gt=0,
        description="A payment whose last attempt failed this many days ago and is still "
        "unpaid holds the account at yellow: past the usual retries, it is a billing problem.",
    )
    dispute_penalty: float = 40
    cancellation_penalty: float = 60
    cancellation_band: Literal["red", "yellow", "none"] = Field(
        "red", description="A subscription set to cancel holds the account at this band."
    )
    downgrade_max_penalty: float = 40
    downgrade_window_days: float = 30
    trial_ending_penalty: float = 10


class SentimentRules(_Strict):
    """Sentiment: NPS and CSAT answers."""

    nps_weight: float = Field(0.6, ge=0)
    csat_weight: float = Field(0.4, ge=0)
    poor_csat: float = Field(2, ge=1, le=5, description="A CSAT rating this low or lower is poor.")
    poor_csat_count: int = Field(
        2,
        ge=0,
        description="This many poor CSAT ratings within `poor_csat_days`, and more poor than "
        "not, hold the account at yellow: repeated bad experiences, not one (0: never).",
    )
    poor_csat_days: float = Field(42, gt=0)


class Calendar(_Strict):
    """Holidays: days left out of every usage window and norm (see model/calendar.py)."""

    holidays: list[str] = Field(
        default_factory=list,
        description="`MM-DD` (yearly), `YYYY-MM-DD` (once), or ranges of either joined by `/`.",
    )

    @field_validator("holidays")
    @classmethod
    def _valid(cls, entries: list[str]) -> list[str]:
        return [check_entry(entry) for entry in entries]

    @cached_property
    def days(self) -> Holidays:
        """The calendar's holiday days (epoch day numbers) and its longest run."""
        return holidays(tuple(self.holidays))


class Spec(_Strict):
    """Everything that scores one account (the base model, or the base with a profile applied)."""

    weights: dict[Literal[COMPONENTS], float] = {  # type: ignore[valid-type]
        "usage": 0.4, "support": 0.25, "billing": 0.25, "sentiment": 0.1,
    }  # fmt: skip
    bands: Bands = Bands()
    changes: ChangeRules = ChangeRules()
    time: TimeRules = TimeRules()
    usage: UsageRules = UsageRules()
    support: SupportRules = SupportRules()
    billing: BillingRules = BillingRules()
    sentiment: SentimentRules = SentimentRules()
    calendar: Calendar = Calendar()

    @model_validator(mode="after")
    def _positive_weights(self) -> Spec:
        if sum(self.weights.values()) <= 0 or any(w < 0 for w in self.weights.values()):
            raise ValueError("weights must be non-negative and not all zero")
        return self


class Match(_Strict):
    """Which accounts a profile applies to (all given fields must match)."""

    segment: str | None = None
    lifecycle_stage: str | None = None


class Profile(_Strict):
    """Overrides of the base spec for matching accounts."""

    name: str
    match: Match
    overrides: dict[str, Any] = {}


class ModelFile(_Strict):
    """The whole model file."""

    version: str = Field(min_length=1, max_length=64)
    base: Spec = Spec()
    profiles: list[Profile] = []


class ModelFileError(ValueError):
    """The model file is missing, unreadable or invalid; the message says where and why."""


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        nested = isinstance(value, dict) and isinstance(out.get(key), dict)
        out[key] = _merge(out[key], value) if nested else value
    return out


def _explain(exc: ValidationError, where: str) -> str:
    lines = [f"{where}{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
    return "invalid model file:\n  " + "\n  ".join(lines)


class HealthModel:
    """A loaded model: its version, base spec and profiles, resolving the spec of any account."""

    def __init__(self, file: ModelFile) -> None:
        self.version = file.version
        self.base = file.base
        self.profiles = file.profiles
        for index, profile in enumerate(file.profiles):
            try:
                Spec.model_validate(_merge(file.base.model_dump(), profile.overrides))
            except ValidationError as exc:
                where = f"profiles[{index}] ({profile.name}).overrides."
                raise ModelFileError(_explain(exc, where)) from exc
        self._cache: dict[tuple[str | None, str | None], Spec] = {}

    def spec_for(self, segment: str | None, stage: str | None) -> Spec:
        """The base spec with the overrides of every matching profile applied in file order."""
        key = (segment, stage)
        if key not in self._cache:
            merged = self.base.model_dump()
            for profile in self.profiles:
                match = profile.match
                if match.segment in (None, segment) and match.lifecycle_stage in (None, stage):
                    merged = _merge(merged, profile.overrides)
            self._cache[key] = Spec.model_validate(merged)
        return self._cache[key]


def parse_model(text: str, source: str = "model file") -> HealthModel:
    """Parse and validate a model file's TOML text."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ModelFileError(f"{source} is not valid TOML: {exc}") from exc
    try:
        return HealthModel(ModelFile.model_validate(data))
    except ValidationError as exc:
        raise ModelFileError(_explain(exc, "")) from exc


def load_model(path: Path | None = None) -> HealthModel:
    """Load a model file, or the default model shipped with healthmon."""
    if path is None:
        return default_model()
    try:
        text = path.read_text()
    except OSError as exc:
        raise ModelFileError(f"cannot read model file {path}: {exc}") from exc
    return parse_model(text, str(path))


@lru_cache(maxsize=1)
def default_model() -> HealthModel:
    """The default model (services/scorer/model/default.toml)."""
    return parse_model(files(__package__).joinpath(DEFAULT_MODEL).read_text(), DEFAULT_MODEL)
