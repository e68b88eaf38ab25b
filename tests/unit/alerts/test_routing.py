"""Routes: which notification goes where."""

from __future__ import annotations

from typing import Any

import pytest

from services.alerts.routing import Destination, RouteSpec, destinations, read_routes_file
from tests.support.alerts import an_alert

ALERT: dict[str, Any] = {
    "account_id": "acme", "segment": "enterprise", "band": "red", "severity": "critical",
    "csm_owner": "kim@example.com",
    "change": {"reasons": [{"code": "billing.payment_failed", "message": "A payment failed."}]},
}  # fmt: skip
SLACK = "https://hooks.slack.com/services/T/B/x"


def route(name: str, channels: list[dict[str, Any]], **match: Any) -> RouteSpec:
    return RouteSpec.model_validate({"name": name, "match": match, "channels": channels})


def test_every_matching_route_adds_its_channels_once_in_route_order() -> None:
    routes = [
        route("owner", [{"type": "csm_owner"}]),
        route("enterprise", [{"type": "slack", "url": SLACK}, {"type": "csm_owner"}],
              segments=["enterprise"]),
        route("smb", [{"type": "email", "to": ["smb@example.com"]}], segments=["smb"]),
        route("billing", [{"type": "webhook", "endpoint_id": "ep_1"}],
              reason_codes=["billing.payment_failed"]),
    ]  # fmt: skip
    assert destinations(routes, an_alert(ALERT), "alert.created") == [
        Destination("email", "kim@example.com"),
        Destination("slack", SLACK),
        Destination("webhook", "ep_1"),
    ]


@pytest.mark.parametrize(
    ("match", "hit"),
    [
        ({"bands": ["yellow"]}, False),
        ({"bands": ["red"], "severities": ["critical"]}, True),
        ({"owners": ["lee@example.com"]}, False),
        ({"reason_codes": ["support.urgent_ticket"]}, False),
        ({"event_types": ["alert.resolved"]}, False),
        ({"event_types": ["alert.created", "alert.worsened"]}, True),
    ],
)
def test_each_match_field_narrows_the_route(match: dict[str, Any], hit: bool) -> None:
    found = destinations(
        [route("r", [{"type": "csm_owner"}], **match)], an_alert(ALERT), "alert.created"
    )
    assert bool(found) is hit


def test_the_csm_owner_channel_needs_an_owner_and_disabled_routes_do_nothing() -> None:
    owner = route("owner", [{"type": "csm_owner"}])
    assert destinations([owner], an_alert({**ALERT, "csm_owner": None}), "alert.created") == []
    off = route("off", [{"type": "slack", "url": SLACK}]).model_copy(update={"enabled": False})
    assert destinations([off], an_alert(ALERT), "alert.created") == []


def test_a_routes_file_is_read_and_its_errors_name_the_field() -> None:
    text = """
[[routes]]
name = "Enterprise to Slack"
match = { segments = ["enterprise"] }
channels = [{ type = "slack", url = "https://hooks.slack.com/services/T/B/x" }]
"""
    [spec] = read_routes_file(text)
    assert spec.name == "Enterprise to Slack" and spec.match.segments == ["enterprise"]
    with pytest.raises(ValueError, match=r"routes\.0\.channels\.0\.email\.to"):
        read_routes_file('[[routes]]\nname = "x"\nchannels = [{ type = "email", to = ["nope"] }]')
    with pytest.raises(ValueError, match="not TOML"):
        read_routes_file("[[routes]")


def test_the_next_digest_is_today_at_the_hour_or_tomorrow() -> None:
    from datetime import UTC, datetime

    from services.alerts.routing import next_digest_at

    morning = datetime(2026, 11, 2, 6, 30, tzinfo=UTC)
    assert next_digest_at(morning, 8) == datetime(2026, 11, 2, 8, tzinfo=UTC)
    assert next_digest_at(morning, 6) == datetime(2026, 11, 3, 6, tzinfo=UTC)
    owner = route("digest", [{"type": "csm_owner", "digest": True}])
    assert destinations([owner], an_alert(ALERT), "alert.created") == [
        Destination("digest", "kim@example.com")
    ]
