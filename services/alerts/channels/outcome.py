"""The result of one attempt to notify through a channel."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SendOutcome:
    """What one send gave; `permanent` means retrying the same message cannot succeed."""

    ok: bool
    status_code: int | None
    error: str | None
    retry_after_s: float | None
    permanent: bool

    @classmethod
    def sent(cls, status_code: int | None, error: str | None = None) -> SendOutcome:
        """A delivered message (`error` may note a partial failure, e.g. a refused recipient)."""
        return cls(True, status_code, error, None, False)

    @classmethod
    def failed(
        cls,
        status_code: int | None,
        error: str,
        *,
        permanent: bool,
        retry_after_s: float | None = None,
    ) -> SendOutcome:
        """A message that was not delivered."""
        return cls(False, status_code, error, retry_after_s, permanent)
