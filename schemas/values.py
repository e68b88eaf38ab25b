"""Value types the contracts share: ids that can be keys, finite JSON values, UTC times.

Ingest validates input with these and the scorer decodes with the same ones, so both agree on
what is valid.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Annotated, Any, Union

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field
from pydantic_core import PydanticCustomError
from typing_extensions import TypeAliasType

CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
"""Unicode control characters (C0, DEL, C1), NUL among them."""
NO_CONTROL_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*$"


def no_control(value: str) -> str:
    """`value`, refused when it holds a control character."""
    if found := CONTROL.search(value):
        raise PydanticCustomError(
            "control_character",
            "must not contain control characters (found U+{char} at {at})",
            {"char": f"{ord(found.group()):04X}", "at": found.start()},
        )
    return value


Id = Annotated[
    str,
    Field(min_length=1, max_length=200, json_schema_extra={"pattern": NO_CONTROL_PATTERN}),
    AfterValidator(no_control),
]
"""An id that may become a Kafka key, a table key or a log line: no control characters."""

Int64 = Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]
# mypy cannot follow this recursive alias; pydantic can.
JsonValue = TypeAliasType(  # type: ignore[misc]
    "JsonValue",
    Union[Int64, float, str, bool, list["JsonValue"], dict[str, "JsonValue"], None],  # type: ignore[misc]  # noqa: UP007
)
"""Any JSON value; integers beyond 64 bits (which not every consumer can read) become floats."""


def _non_finite_at(value: Any) -> str | None:
    """The JSON path (below `value`) of a NaN or infinite number in it, else None."""
    if isinstance(value, float):
        return None if math.isfinite(value) else ""
    if isinstance(value, list):
        items: Any = enumerate(value)
    elif isinstance(value, dict):
        items = value.items()
    else:
        return None
    for key, item in items:
        if (below := _non_finite_at(item)) is not None:
            return f"[{key}]{below}" if isinstance(key, int) else f".{key}{below}"
    return None


def finite_json(value: Any) -> Any:
    """`value`, refused when it holds NaN or an infinite number (1e400 parses to one), which
    JSON cannot carry."""
    if (path := _non_finite_at(value)) is not None:
        where = f" (at {path.lstrip('.')})" if path else ""
        raise PydanticCustomError(
            "finite_number",
            "numbers must be finite: NaN and Infinity are not JSON{where}",
            {"where": where},
        )
    return value


FiniteJson = Annotated[JsonValue, BeforeValidator(finite_json)]  # type: ignore[misc]
"""A JSON value without NaN or infinite numbers."""
FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]


def to_utc(value: datetime) -> datetime:
    """`value` in UTC, refused when that falls outside the calendar (years 1-9999)."""
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise PydanticCustomError(
            "datetime_outside_calendar", "falls outside years 1-9999 once converted to UTC"
        ) from None


UtcDatetime = Annotated[AwareDatetime, AfterValidator(to_utc)]
"""A time with an offset (RFC 3339), converted to UTC."""
