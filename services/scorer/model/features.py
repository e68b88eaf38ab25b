"""Key features: which product features count as one, by name or glob pattern from the model file.

Feature names are compared in snake case, so case, spaces, dots and dashes do not matter:
`Report Created`, `report-created` and `report_created` are one name (ingest names a Segment
track event the same way). In a pattern, `*` stands for any run of characters and `?` for one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

WILDCARDS = "*?"
UNSUPPORTED = re.compile(r"[\[\]{}!\\]")
CACHE_LIMIT = 4096
"""Feature names whose key features are remembered (a deployment sends a few hundred at most)."""


def snake(name: str) -> str:
    """`name` lower-cased, each run of other characters than letters, digits and wildcards one
    underscore."""
    return re.sub(r"[^a-z0-9*?]+", "_", name.lower()).strip("_")


def _check(name: str, patterns: Sequence[str]) -> None:
    if not snake(name):
        raise ValueError(f"key feature {name!r} needs a name with letters or digits")
    if not patterns:
        raise ValueError(f"key feature {name!r} has no patterns")
    for pattern in patterns:
        if not pattern.strip():
            raise ValueError(f"key feature {name!r}: empty pattern")
        if bad := UNSUPPORTED.search(pattern):
            raise ValueError(
                f"key feature {name!r}: pattern {pattern!r} has {bad.group()!r}; only * (any "
                "characters) and ? (one character) are wildcards"
            )
        if not snake(pattern).strip(WILDCARDS + "_"):
            raise ValueError(f"key feature {name!r}: pattern {pattern!r} matches every feature")


def table_of(key_features: Sequence[str] | Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """Key feature -> patterns, checked; a plain list names features matched by name only.
    Raises ValueError saying which feature and pattern is wrong."""
    if isinstance(key_features, Mapping):
        table = {name: list(patterns) for name, patterns in key_features.items()}
    else:
        table = {name: [name.replace("*", "").replace("?", "")] for name in key_features}
    seen: dict[str, str] = {}
    for name, patterns in table.items():
        _check(name, patterns)
        if (other := seen.setdefault(snake(name), name)) != name:
            raise ValueError(f"key features {other!r} and {name!r} are the same name")
    return table


def _regex(pattern: str) -> str:
    return "".join(
        ".*" if part == "*" else "." if part == "?" else re.escape(part)
        for part in re.split(r"([*?])", snake(pattern))
    )


class KeyFeatures:
    """Which key features a feature name is (the names in file order)."""

    def __init__(self, table: Mapping[str, Sequence[str]]) -> None:
        self.names = tuple(table)
        self._patterns = [
            (name, re.compile("|".join(_regex(p) for p in patterns)))
            for name, patterns in table.items()
        ]
        self._known: dict[str, tuple[str, ...]] = {}

    def __bool__(self) -> bool:
        return bool(self.names)

    def of(self, feature: str) -> tuple[str, ...]:
        """The key features `feature` counts as (usually none or one)."""
        known = self._known.get(feature)
        if known is None:
            name = snake(feature)
            known = tuple(key for key, regex in self._patterns if regex.fullmatch(name))
            if len(self._known) >= CACHE_LIMIT:
                self._known.clear()
            self._known[feature] = known
        return known
