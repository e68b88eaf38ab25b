"""Email: the message of one alert, a CSM's daily digest, and sending over SMTP."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any, ClassVar, Literal

import aiosmtplib
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from schemas.alerts import Alert
from services.alerts.channels.base import Delivering, EachAlone, Notification
from services.alerts.channels.outcome import SendOutcome
from services.alerts.channels.view import NONE, health_url, one_line, score_text
from services.alerts.routing import next_digest_at

SUBJECT_LIMIT = 150
PREFIX = "[healthmon] "
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to send mail. `security`: plain, STARTTLS upgrade, or implicit TLS."""

    host: str
    port: int
    security: Literal["none", "starttls", "tls"] = "none"
    username: str | None = None
    password: str | None = None
    sender: str = "healthmon@localhost"
    timeout_s: float = 10.0
    # A PEM file of CAs to trust instead of the system's (e.g. a private relay's CA).
    ca_file: str | None = None


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _number(value: Any, places: int) -> str:
    return NONE if value is None else f"{float(value):.{places}f}"


def _alert_context(alert: Alert, url: str) -> dict[str, Any]:
    before, after = alert.change.previous, alert.change.current
    return {
        "alert_id": alert.id,
        "account": alert.account_id,
        "title": alert.title,
        "severity": alert.severity,
        "segment": alert.segment or NONE,
        "csm_owner": alert.csm_owner or "unassigned",
        "raised": _when(alert.created_at),
        "before": {"score": score_text(before.score), "band": before.band},
        "after": {"score": score_text(after.score), "band": after.band},
        "reasons": [r.message or r.code for r in alert.change.reasons],
        "components": [
            {
                "name": c.name,
                "score": _number(c.score, 1),
                "weight": _number(c.weight, 2),
                "contribution": _number(c.contribution, 1),
                "stale": c.stale,
            }
            for c in alert.change.components
        ],
        "health_url": url,
    }


def _message(
    subject: str,
    sender: str,
    to: Sequence[str],
    msg_id: str,
    sent: datetime,
    template: str,
    context: dict[str, Any],
) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = one_line(PREFIX + subject, SUBJECT_LIMIT)
    message["From"] = sender
    message["To"] = ", ".join(to)
    message["Date"] = format_datetime(sent.astimezone(UTC))
    message["Message-ID"] = msg_id
    message.set_content(_env.get_template(f"{template}.txt.j2").render(context))
    message.add_alternative(
        _env.get_template(f"{template}.html.j2").render(context), subtype="html"
    )
    return message


def alert_email(
    alert: Alert, to: list[str], sender: str, health_url: str, notification: str | None = None
) -> EmailMessage:
    """A text + HTML mail about one alert. Its Message-ID is derived from the alert id and the
    `notification` (the delivery's id: an alert notifies again when it gets worse or resolves),
    so a resent mail has the same id; later mails of an alert thread under its first one."""
    context = _alert_context(alert, health_url)
    thread = f"<{context['alert_id']}@healthmon>"
    message = _message(
        context["title"] or f"{context['account']} is {context['after']['band']}",
        sender,
        to,
        f"<{context['alert_id']}.{notification}@healthmon>" if notification else thread,
        alert.created_at,
        "alert",
        context,
    )
    if notification:
        message["In-Reply-To"] = message["References"] = thread
    return message


def digest_message_id(owner: str, day: date) -> str:
    """The Message-ID of `owner`'s digest for `day`: the same for every resend."""
    digest = hashlib.sha256(f"{owner}\n{day.isoformat()}".encode()).hexdigest()
    return f"<{digest}@healthmon>"


def digest_email(
    owner: str, alerts: list[Alert], day: date, sender: str, base_url: str
) -> EmailMessage:
    """One CSM's alerts of a day, newest first, in one text + HTML mail.

    Its Date is the newest alert's time (midnight UTC of `day` when there are none), so the
    same input always gives the same mail.
    """
    ordered = sorted(alerts, key=lambda a: a.created_at, reverse=True)
    items = [
        {
            "account": a.account_id,
            "title": a.title,
            "severity": a.severity,
            "band": a.band,
            "before": score_text(a.change.previous.score),
            "after": score_text(a.change.current.score),
            "raised": _when(a.created_at),
            "health_url": health_url(base_url, a.account_id),
        }
        for a in ordered
    ]
    critical = sum(1 for a in items if a["severity"] == "critical")
    context = {"owner": owner, "day": day.isoformat(), "alerts": items, "critical": critical}
    count = f"{len(items)} alert{'' if len(items) == 1 else 's'}"
    sent = ordered[0].created_at if ordered else datetime.combine(day, time(), UTC)
    return _message(
        f"Daily digest {day.isoformat()}: {count} ({critical} critical)",
        sender,
        [owner],
        digest_message_id(owner, day),
        sent,
        "digest",
        context,
    )


async def send_email(message: EmailMessage, config: SmtpConfig) -> SendOutcome:
    """Send `message` once. 5xx answers are permanent; 4xx and connection failures are not.

    When some recipients are refused but others accepted, the outcome is ok and names them.
    """
    try:
        refused, _reply = await aiosmtplib.send(
            message,
            sender=None if message["From"] else config.sender,
            hostname=config.host,
            port=config.port,
            username=config.username,
            password=config.password if config.username else None,
            use_tls=config.security == "tls",
            start_tls=config.security == "starttls",
            timeout=config.timeout_s,
            cert_bundle=config.ca_file,
        )
    except aiosmtplib.SMTPRecipientsRefused as exc:
        codes = [r.code for r in exc.recipients]
        error = "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in exc.recipients)
        return SendOutcome.failed(max(codes), error, permanent=all(c >= 500 for c in codes))
    except aiosmtplib.SMTPResponseException as exc:
        error = f"{exc.code} {exc.message}"
        return SendOutcome.failed(exc.code, error, permanent=exc.code >= 500)
    except (aiosmtplib.SMTPNotSupported, ValueError) as exc:
        # the server lacks what the config asks for (STARTTLS, AUTH), or the mail has no address
        return SendOutcome.failed(None, f"{type(exc).__name__}: {exc}", permanent=True)
    except (aiosmtplib.SMTPException, OSError) as exc:
        return SendOutcome.failed(None, f"{type(exc).__name__}: {exc}", permanent=False)
    if refused:
        error = "; ".join(f"{addr}: {r.code} {r.message}" for addr, r in refused.items())
        return SendOutcome.sent(250, f"refused: {error}")
    return SendOutcome.sent(250)


class EmailChannel(EachAlone):
    """Mails each alert to its address, when an SMTP server is configured."""

    name: ClassVar[str] = "email"

    def __init__(self, config: SmtpConfig, public_url: str) -> None:
        self.config, self.public_url = config, public_url

    @staticmethod
    def first_attempt_at(now: datetime, delivering: Delivering) -> datetime | None:
        """As any channel's, or None without an SMTP server."""
        return EachAlone.first_attempt_at(now, delivering) if delivering.email else None

    async def send(self, notifications: Sequence[Notification]) -> SendOutcome:
        """Mail the alert; the delivery id makes the Message-ID, so a resend keeps it."""
        [notification] = notifications
        alert = notification.alert()
        url = health_url(self.public_url, alert.account_id)
        message = alert_email(
            alert, [notification.target], self.config.sender, url, notification.delivery_id
        )
        return await send_email(message, self.config)


class DigestChannel(EmailChannel):
    """A CSM's daily digest: one mail a day gathering the latest of each of their alerts."""

    name: ClassVar[str] = "digest"
    batches: ClassVar[bool] = True

    @staticmethod
    def first_attempt_at(now: datetime, delivering: Delivering) -> datetime | None:
        """At the next digest hour, or None without an SMTP server."""
        return next_digest_at(now, delivering.digest_hour_utc) if delivering.email else None

    async def send(self, notifications: Sequence[Notification]) -> SendOutcome:
        """One mail for the owner's notifications, the latest of each alert."""
        owner, day = notifications[0].target, datetime.now(UTC).date()
        latest = {alert.id: alert for alert in (n.alert() for n in notifications)}
        message = digest_email(
            owner, list(latest.values()), day, self.config.sender, self.public_url
        )
        return await send_email(message, self.config)
