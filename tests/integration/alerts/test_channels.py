"""Routed notifications through real receivers: a Slack stand-in, an SMTP server and webhook
endpoints; secret rotation, and endpoints that keep failing."""

from __future__ import annotations

from datetime import timedelta

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from standardwebhooks.webhooks import Webhook

from services.alerts.channels.base import Delivering
from services.alerts.routing import RouteSpec
from services.alerts.store.alerts import utcnow
from services.alerts.store.endpoints import create_endpoint, rotate_secret
from services.alerts.store.episodes import record_change
from services.alerts.store.routes import store_route
from services.alerts.tables import DeliveryAttemptRow, DeliveryRow, RouteRow, WebhookEndpointRow
from services.settings import Settings
from tests.integration.alerts.test_delivery import FAST, deliveries, drain
from tests.support.changes import risk_change
from tests.support.receiver import http_receiver
from tests.support.secrets import BOX, LOOPBACK
from tests.support.smtp import Mailbox, smtp_server


def add_route(sessions: sessionmaker[Session], spec: dict[str, object]) -> None:
    with sessions.begin() as session:
        row = RouteRow(id="route_test", created_at=utcnow())
        store_route(row, RouteSpec.model_validate(spec))
        session.add(row)


async def test_a_route_sends_slack_and_email_and_the_default_route_reaches_the_owner(
    sessions: sessionmaker[Session],
) -> None:
    mailbox = Mailbox()
    with http_receiver() as slack, smtp_server(mailbox) as port:
        channels = [
            {"type": "slack", "url": slack.url},
            {"type": "email", "to": ["cs-leads@example.com"]},
        ]
        add_route(
            sessions,
            {"name": "enterprise", "match": {"segments": ["enterprise"]}, "channels": channels},
        )
        with sessions.begin() as session:
            change = risk_change("green", "red", segment="enterprise", csm_owner="kim@example.com")
            record_change(session, change, utcnow())
        settings = FAST.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port})
        await drain(sessions, settings)
    [post] = slack.requests
    message = orjson.loads(post.body)
    assert "acct-1" in message["text"] and message["blocks"]
    assert {m["To"] for m in mailbox.received()} == {"kim@example.com", "cs-leads@example.com"}
    assert all(m["Message-ID"].startswith("<alert_") for m in mailbox.received())
    rows = deliveries(sessions)
    assert sorted(r.channel for r in rows) == ["email", "email", "slack"]
    assert {r.status for r in rows} == {"delivered"}
    with sessions() as session:
        assert len(session.scalars(select(DeliveryAttemptRow)).all()) == 3


async def test_without_an_smtp_server_email_routes_write_nothing(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        change = risk_change("green", "red", csm_owner="kim@example.com")
        record_change(session, change, utcnow(), delivering=Delivering(email=False))
    assert deliveries(sessions) == []


async def test_during_a_rotation_both_secrets_verify_the_message(
    sessions: sessionmaker[Session],
) -> None:
    with http_receiver() as receiver:
        with sessions.begin() as session:
            endpoint = create_endpoint(
                session, receiver.url, None, ["alert.created"], utcnow(), BOX
            )
            old = BOX.open(endpoint.secret)
            rotate_secret(endpoint, utcnow(), timedelta(hours=1), BOX)
            new = BOX.open(endpoint.secret)
            record_change(session, risk_change("green", "red"), utcnow())
        await drain(sessions)
    [request] = receiver.requests
    assert len(request.headers["webhook-signature"].split()) == 2
    for secret in (old, new):
        assert Webhook(secret).verify(request.body, request.headers)["type"] == "alert.created"


async def test_an_endpoint_failing_past_the_limit_is_disabled_and_says_why(
    sessions: sessionmaker[Session],
) -> None:
    settings = Settings(
        webhook_retry_schedule="0,0.05,0.05,0.05",  # type: ignore[arg-type]
        webhook_disable_after_s=0.1,
        webhook_allow_networks=LOOPBACK,  # type: ignore[arg-type]
    )
    with http_receiver([(500, {})] * 20) as receiver:
        with sessions.begin() as session:
            create_endpoint(session, receiver.url, None, ["alert.created"], utcnow(), BOX)
            record_change(session, risk_change("green", "red"), utcnow())
        await drain(sessions, settings)
    with sessions() as session:
        endpoint = session.scalars(select(WebhookEndpointRow)).one()
        assert not endpoint.enabled and "failed for" in (endpoint.disabled_reason or "")
        [row] = session.scalars(select(DeliveryRow)).all()
        attempts = session.scalars(select(DeliveryAttemptRow)).all()
        assert [a.status_code for a in attempts] == [500] * row.attempts


async def test_a_digest_route_sends_each_owner_one_mail_a_day(
    sessions: sessionmaker[Session],
) -> None:
    mailbox = Mailbox()
    with sessions.begin() as session:
        session.get(RouteRow, "route_default").enabled = False  # type: ignore[union-attr]
    add_route(sessions, {"name": "daily", "channels": [{"type": "csm_owner", "digest": True}]})
    for account in ("globex", "initech"):
        with sessions.begin() as session:
            change = risk_change("green", "red", account=account, csm_owner="kim@example.com")
            record_change(session, change, utcnow(), delivering=Delivering(digest_hour_utc=8))
    rows = deliveries(sessions)
    assert [r.channel for r in rows] == ["digest", "digest"]
    assert all(r.next_attempt_at.hour == 8 and r.next_attempt_at > utcnow() for r in rows)
    with sessions.begin() as session:  # the digest hour comes
        for row in session.scalars(select(DeliveryRow)):
            row.next_attempt_at = utcnow()
    with smtp_server(mailbox) as port:
        settings = FAST.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port})
        await drain(sessions, settings)
    [mail] = mailbox.received()
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert mail["To"] == "kim@example.com" and "globex" in text and "initech" in text
    assert {r.status for r in deliveries(sessions)} == {"delivered"}
