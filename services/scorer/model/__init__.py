"""The health model: pure functions over account state, no I/O and no Faust."""

from services.scorer.model.apply import MODEL_VERSION, apply, apply_traits
from services.scorer.model.state import AccountState

__all__ = ["MODEL_VERSION", "AccountState", "apply", "apply_traits"]
