"""What the clients raise."""

from __future__ import annotations

from schemas.errors import FieldError


class InvalidEvent(ValueError):
    """The event breaks the contract; nothing was sent. `errors` names each field and why."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        listed = "; ".join(f"{'.'.join(map(str, e.loc)) or '(event)'}: {e.msg}" for e in errors)
        super().__init__(f"invalid event: {listed}")


class SendFailed(RuntimeError):
    """Records the broker or the API did not accept; `failures` pairs each with its error."""

    def __init__(self, failures: list[tuple[str, BaseException | str]]) -> None:
        self.failures = failures
        first_id, first = failures[0]
        super().__init__(f"{len(failures)} not sent, e.g. {first_id}: {first}")
