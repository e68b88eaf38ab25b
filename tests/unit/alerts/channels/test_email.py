"""The alert and digest mails: parts, headers, deterministic ids and HTML escaping."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime

from schemas.alerts import Alert
from services.alerts.channels.email import alert_email, digest_email, digest_message_id
from tests.support.alerts import an_alert
from tests.unit.alerts.channels.test_slack import ALERT

URL = "https://alerts.example.com/v1/accounts/acme/health"
FULL = copy.deepcopy(ALERT)
FULL["change"]["components"] = [
    {"name": "usage", "score": 80.0, "weight": 0.4, "contribution": 32.0, "stale": False},
    {"name": "billing", "score": 0.0, "weight": 0.3, "contribution": 0.0, "stale": True},
]


def parts(message: EmailMessage) -> tuple[str, str]:
    """The text and HTML bodies, read back from the serialised mail."""
    parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    text, html = parsed.get_body(("plain",)), parsed.get_body(("html",))
    assert text is not None and html is not None
    return str(text.get_content()), str(html.get_content())


def test_alert_mail_is_text_and_html() -> None:
    message = alert_email(
        an_alert(FULL), ["kim@example.com", "ops@example.com"], "hm@example.com", URL
    )

    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    assert message["From"] == "hm@example.com"
    assert message["To"] == "kim@example.com, ops@example.com"
    assert message["Subject"] == f"[healthmon] {ALERT['title']}"
    assert parsedate_to_datetime(message["Date"]) == datetime(2026, 11, 20, 10, 0, 3, tzinfo=UTC)
    text, html = parts(message)
    for body in (text, html):
        assert "acme" in body
        assert "critical" in body
        assert "A payment failed (invoice in_1)." in body
        assert "A sev-1 ticket is open." in body
        assert "NPS answer 2." in body
        assert URL in body
    assert "72 -> 31" in text and "green -> red" in text
    assert "72 &rarr; 31" in html
    assert "usage" in text and "32.0" in text and "(stale)" in text
    assert "<td>billing</td>" in html and '<td align="right">0.30</td>' in html
    assert f'<a href="{URL}">View health</a>' in html


def test_message_id_comes_from_the_alert_id() -> None:
    first = alert_email(an_alert(FULL), ["kim@example.com"], "hm@example.com", URL)
    again = alert_email(an_alert(FULL), ["other@example.com"], "hm@example.com", URL)

    assert first["Message-ID"] == again["Message-ID"] == "<alert_3f2a@healthmon>"


def test_subject_is_one_line_and_bounded() -> None:
    alert = copy.deepcopy(FULL)
    alert["title"] = "acme is red (31): " + "very long\nreason " * 40

    subject = alert_email(an_alert(alert), ["kim@example.com"], "hm@example.com", URL)["Subject"]

    assert len(subject) <= 150
    assert subject.startswith("[healthmon] acme is red (31): very long reason")
    assert subject.endswith("…")
    assert "\n" not in subject


def test_a_malicious_account_name_is_escaped_in_html() -> None:
    alert = copy.deepcopy(FULL)
    evil = '<script>alert("x")</script>'
    alert["account_id"] = evil
    alert["title"] = f"{evil} is red"
    alert["change"]["reasons"] = [{"code": "x", "message": "<img src=x onerror=alert(1)>"}]
    alert["change"]["components"][0]["name"] = "<b>usage</b>"

    text, html = parts(alert_email(an_alert(alert), ["kim@example.com"], "hm@example.com", URL))

    assert "<script>" not in html and "<img" not in html and "<b>usage" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert evil in text  # the text part is shown as-is, nothing to escape


def digest_alerts() -> list[Alert]:
    later = copy.deepcopy(FULL)
    later.update(
        id="alert_b",
        account_id="globex & co",
        severity="warning",
        band="yellow",
        title="globex & co is yellow (55): Usage fell.",
        created_at=datetime(2026, 11, 20, 15, 30, tzinfo=UTC),
    )
    later["change"]["current"] = {"score": 55.0, "band": "yellow"}
    return [an_alert(FULL), an_alert(later)]


def test_digest_lists_the_owners_alerts_newest_first() -> None:
    message = digest_email(
        "kim@example.com",
        digest_alerts(),
        date(2026, 11, 20),
        "hm@example.com",
        "https://alerts.example.com/",
    )

    assert message["To"] == "kim@example.com"
    assert message["Subject"] == "[healthmon] Daily digest 2026-11-20: 2 alerts (1 critical)"
    assert parsedate_to_datetime(message["Date"]) == datetime(2026, 11, 20, 15, 30, tzinfo=UTC)
    text, html = parts(message)
    assert text.index("globex & co is yellow") < text.index("acme is red")
    assert "https://alerts.example.com/v1/accounts/globex%20%26%20co/health" in text
    assert "https://alerts.example.com/v1/accounts/acme/health" in text
    assert "Score 72 -> 55" in text
    assert "globex &amp; co is yellow" in html
    assert 'href="https://alerts.example.com/v1/accounts/acme/health"' in html


def test_digest_message_id_is_owner_and_day() -> None:
    day = date(2026, 11, 20)
    message = digest_email("kim@example.com", digest_alerts(), day, "hm@x", "https://a")
    resent = digest_email("kim@example.com", digest_alerts()[:1], day, "hm@x", "https://a")
    other_day = digest_email("kim@example.com", [], date(2026, 11, 21), "hm@x", "https://a")
    other_owner = digest_email("lee@example.com", [], day, "hm@x", "https://a")

    assert (
        message["Message-ID"] == resent["Message-ID"] == digest_message_id("kim@example.com", day)
    )
    assert message["Message-ID"].startswith("<") and message["Message-ID"].endswith("@healthmon>")
    assert len(message["Message-ID"]) == len("<@healthmon>") + 64
    assert len({message["Message-ID"], other_day["Message-ID"], other_owner["Message-ID"]}) == 3


def test_empty_digest() -> None:
    message = digest_email("kim@example.com", [], date(2026, 11, 20), "hm@x", "https://a")

    assert message["Subject"] == "[healthmon] Daily digest 2026-11-20: 0 alerts (0 critical)"
    assert parsedate_to_datetime(message["Date"]) == datetime(2026, 11, 20, tzinfo=UTC)
    text, html = parts(message)
    assert "No alerts today." in text and "No alerts today." in html


def test_each_notification_of_an_alert_has_its_own_message_id_in_the_alerts_thread() -> None:
    created = alert_email(an_alert(FULL), ["kim@example.com"], "hm@example.com", URL, "msg_1")
    worsened = alert_email(an_alert(FULL), ["kim@example.com"], "hm@example.com", URL, "msg_2")
    resent = alert_email(an_alert(FULL), ["kim@example.com"], "hm@example.com", URL, "msg_1")
    assert created["Message-ID"] == resent["Message-ID"] != worsened["Message-ID"]
    assert created["Message-ID"].startswith(f"<{FULL['id']}.")
    assert created["References"] == worsened["In-Reply-To"] == f"<{FULL['id']}@healthmon>"
