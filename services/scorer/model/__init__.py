"""The health model: pure functions over account state, no I/O and no Faust."""

from services.scorer.model.apply import LateEvent, apply, apply_traits, evaluate, last_health
from services.scorer.model.config import HealthModel, ModelFileError, default_model, load_model
from services.scorer.model.state import AccountState

__all__ = [
    "AccountState",
    "HealthModel",
    "LateEvent",
    "ModelFileError",
    "apply",
    "apply_traits",
    "default_model",
    "evaluate",
    "last_health",
    "load_model",
]
