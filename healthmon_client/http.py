"""`HealthmonClient`: events over HTTP to the ingest API, on httpx."""

from __future__ import annotations

import time
from typing import Any

import httpx

from healthmon_client.errors import InvalidEvent, SendFailed
from healthmon_client.validate import account_traits, event_in
from schemas import AccountTraits
from schemas.errors import FieldError
from schemas.events import EventIn

RETRY_STATUSES = frozenset({429, 502, 503, 504})
MAX_BATCH = 1000


class HealthmonClient:
    """Sends events and account traits to an ingest API with an API key.

    Events are validated before they are sent (InvalidEvent, nothing sent). A 429 or 503 is
    retried after the Retry-After the API gives, up to `retries` times; other errors raise
    httpx.HTTPStatusError with the API's JSON error. A returned event_id means the event is on
    Kafka.
    """

    def __init__(
        self, base_url: str, api_key: str, timeout_s: float = 10.0, retries: int = 3,
        transport: httpx.BaseTransport | None = None,
    ) -> None:  # fmt: skip
        self.http = httpx.Client(
            base_url=base_url,
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=timeout_s,
            transport=transport,
        )
        self.retries = retries

    def send(self, event: dict[str, Any] | EventIn) -> str:
        """Send one event; return its event_id."""
        body = event_in(event).model_dump(mode="json", exclude_none=True)
        response = self._post("/v1/events", body)
        return str(response.json()["event_id"])

    def send_batch(self, events: list[dict[str, Any] | EventIn]) -> list[str]:
        """Send events in batches of up to 1000; return their event_ids in order.

        Invalid events raise InvalidEvent before anything is sent; events the API still
        refuses (e.g. a kind the key may not send) raise SendFailed after the others are in.
        """
        bodies = [event_in(e).model_dump(mode="json", exclude_none=True) for e in events]
        ids: list[str] = []
        failures: list[tuple[str, BaseException | str]] = []
        for start in range(0, len(bodies), MAX_BATCH):
            chunk = bodies[start : start + MAX_BATCH]
            for result in self._post("/v1/events/batch", {"events": chunk}).json()["results"]:
                if result["status"] == "accepted":
                    ids.append(result["event_id"])
                else:
                    errors = [FieldError.model_validate(e) for e in result.get("errors") or []]
                    failures.append((f"event {start + result['index']}", str(InvalidEvent(errors))))
        if failures:
            raise SendFailed(failures)
        return ids

    def upsert_account(self, traits: dict[str, Any] | AccountTraits) -> None:
        """Create or update an account's traits."""
        body = account_traits(traits).model_dump(mode="json", exclude_none=True)
        self._post("/v1/accounts", body)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> HealthmonClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        for attempt in range(self.retries + 1):
            response = self.http.post(path, json=body)
            if response.status_code not in RETRY_STATUSES or attempt == self.retries:
                break
            time.sleep(float(response.headers.get("Retry-After", "1")))
        response.raise_for_status()
        return response
