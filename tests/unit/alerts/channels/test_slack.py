"""The Slack message of an alert: its blocks, escaping and Slack's size limits."""

from __future__ import annotations

import copy
import json
from typing import Any

from services.alerts.channels.slack import classify, escape, slack_message
from tests.support.alerts import an_alert

URL = "https://alerts.example.com/v1/accounts/acme/health"
ALERT: dict[str, Any] = {
    "id": "alert_3f2a",
    "account_id": "acme",
    "status": "open",
    "severity": "critical",
    "band": "red",
    "score": 31.0,
    "title": "acme is red (31): A payment failed (invoice in_1) and is not recovered.",
    "segment": "enterprise",
    "csm_owner": "kim@example.com",
    "created_at": "2026-11-20T10:00:03Z",
    "change": {
        "change_id": "acme:7",
        "previous": {"score": 72.0, "band": "green"},
        "current": {"score": 31.0, "band": "red"},
        "reasons": [
            {"code": "billing.payment_failed", "message": "A payment failed (invoice in_1)."},
            {"code": "usage.drop", "message": "Weekly activity is 60% below its norm."},
            {"code": "support.sev1", "message": "A sev-1 ticket is open."},
            {"code": "nps.low", "message": "NPS answer 2."},
        ],
        "components": [],
        "trigger_event_ids": ["evt_1"],
        "model_version": "default-1",
    },
}


def block(message: dict[str, Any], kind: str, index: int = 0) -> dict[str, Any]:
    found: dict[str, Any] = [b for b in message["blocks"] if b["type"] == kind][index]
    return found


def test_message_carries_the_alert() -> None:
    message = slack_message(an_alert(ALERT), URL)

    assert message["text"] == ALERT["title"]
    assert block(message, "header")["text"] == {
        "type": "plain_text",
        "text": ":red_circle: acme is red",
    }
    fields = [f["text"] for f in block(message, "section")["fields"]]
    assert fields == [
        "*Score, latest change*\n72 → 31",
        "*Band, latest change*\ngreen → red",
        "*Severity*\ncritical",
        "*Segment*\nenterprise",
        "*CSM owner*\nkim@example.com",
    ]
    assert all(f["type"] == "mrkdwn" for f in block(message, "section")["fields"])
    button = block(message, "actions")["elements"][0]
    assert button["type"] == "button"
    assert button["text"]["text"] == "View health"
    assert button["url"] == URL
    json.dumps(message)  # JSON-ready


def test_only_the_top_three_reasons_as_a_bulleted_list() -> None:
    reasons = block(slack_message(an_alert(ALERT), URL), "section", 1)["text"]

    assert reasons["type"] == "mrkdwn"
    assert reasons["text"].splitlines() == [
        "*Why*",
        "• A payment failed (invoice in_1).",
        "• Weekly activity is 60% below its norm.",
        "• A sev-1 ticket is open.",
    ]


def test_missing_values_are_shown_as_such() -> None:
    alert = copy.deepcopy(ALERT)
    alert.update(segment=None, csm_owner=None, band="unknown")
    alert["change"]["previous"] = {"score": None, "band": "unknown"}
    alert["change"]["reasons"] = []

    message = slack_message(an_alert(alert), URL)

    fields = [f["text"] for f in block(message, "section")["fields"]]
    assert fields[0] == "*Score, latest change*\n— → 31"
    assert fields[3:] == ["*Segment*\n—", "*CSM owner*\nunassigned"]
    assert block(message, "header")["text"]["text"].startswith(":white_circle: ")
    assert "No reasons given" in block(message, "section", 1)["text"]["text"]


def test_user_text_is_escaped_in_mrkdwn() -> None:
    alert = copy.deepcopy(ALERT)
    alert["title"] = "a<b> & <!channel> <https://evil.example|click>"
    alert["segment"] = "<!here>"
    alert["change"]["reasons"] = [{"code": "x", "message": "R&D <@U123> spent > budget"}]

    message = slack_message(an_alert(alert), URL)

    assert message["text"] == "a&lt;b&gt; &amp; &lt;!channel&gt; &lt;https://evil.example|click&gt;"
    assert "*Segment*\n&lt;!here&gt;" in [f["text"] for f in block(message, "section")["fields"]]
    assert (
        "• R&amp;D &lt;@U123&gt; spent &gt; budget" in block(message, "section", 1)["text"]["text"]
    )
    assert escape("&amp;") == "&amp;amp;"


def test_slack_limits_are_respected() -> None:
    alert = copy.deepcopy(ALERT)
    alert["account_id"] = "a" * 400
    alert["title"] = "<" * 5000
    alert["segment"] = "&" * 5000
    alert["change"]["reasons"] = [{"code": "x", "message": "<&>" * 2000} for _ in range(3)]

    message = slack_message(an_alert(alert), URL)

    header = block(message, "header")["text"]["text"]
    assert len(header) <= 150 and header.endswith("…")
    for section in [b for b in message["blocks"] if b["type"] == "section"]:
        if "text" in section:
            assert len(section["text"]["text"]) <= 3000
        for field in section.get("fields", []):
            assert len(field["text"]) <= 2000
    assert len(message["text"]) <= 3000
    # a cut never leaves half an entity behind
    segment = block(message, "section")["fields"][3]["text"].removeprefix("*Segment*\n")
    assert segment.removesuffix("…").replace("&amp;", "") == ""


def test_answers_are_classified() -> None:
    assert classify(200, "ok", None).ok
    limited = classify(429, "rate_limited", "2")
    assert (limited.ok, limited.retry_after_s, limited.permanent) == (False, 2.0, False)
    assert classify(404, "no_service", None).permanent
    assert classify(410, "channel_is_archived", None).permanent
    assert classify(403, "invalid_token", None).permanent
    assert not classify(500, "", None).permanent
    assert not classify(503, "", None).permanent
    assert not classify(408, "", None).permanent
