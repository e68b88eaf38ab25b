"""send_email against a real aiosmtpd SMTP server: delivery, refusals, AUTH and TLS."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from services.alerts.channels.email import SmtpConfig, alert_email, send_email
from services.local.ports import free_port
from tests.support.alerts import an_alert
from tests.support.smtp import Mailbox
from tests.unit.alerts.channels.test_email import FULL

pytestmark = pytest.mark.integration
URL = "https://alerts.example.com/v1/accounts/acme/health"


Serve = Callable[..., tuple[Mailbox, SmtpConfig]]


@pytest.fixture
def serve() -> Iterator[Serve]:
    """Start an SMTP server on a free loopback port; returns its mailbox and a client config."""
    running: list[Controller] = []

    def start(
        mailbox: Mailbox | None = None, security: str = "none", **kwargs: Any
    ) -> tuple[Mailbox, SmtpConfig]:
        box = mailbox or Mailbox()
        port = free_port()
        controller = Controller(box, hostname="127.0.0.1", port=port, **kwargs)
        controller.start()
        running.append(controller)
        return box, SmtpConfig("127.0.0.1", port, security, timeout_s=5.0)  # type: ignore[arg-type]

    yield start
    for controller in running:
        controller.stop()


def mail(to: list[str] | None = None) -> EmailMessage:
    return alert_email(an_alert(FULL), to or ["kim@example.com"], "healthmon@example.com", URL)


async def test_the_mail_arrives_with_both_parts(serve: Serve) -> None:
    box, config = serve()

    outcome = await send_email(mail(["kim@example.com", "ops@example.com"]), config)

    assert (outcome.ok, outcome.status_code, outcome.error, outcome.permanent) == (
        True,
        250,
        None,
        False,
    )
    [envelope] = box.envelopes
    assert envelope.mail_from == "healthmon@example.com"
    assert envelope.rcpt_tos == ["kim@example.com", "ops@example.com"]
    [received] = box.received()
    assert received["Message-ID"] == "<alert_3f2a@healthmon>"
    assert received.get_content_type() == "multipart/alternative"
    text, html = received.get_body(("plain",)), received.get_body(("html",))
    assert text is not None and "A payment failed (invoice in_1)." in text.get_content()
    assert html is not None and f'<a href="{URL}">View health</a>' in html.get_content()


async def test_a_550_recipient_is_permanent(serve: Serve) -> None:
    box, config = serve(Mailbox({"gone@example.com": "550 5.1.1 No such user"}))

    outcome = await send_email(mail(["gone@example.com"]), config)

    assert (outcome.ok, outcome.status_code, outcome.permanent) == (False, 550, True)
    assert outcome.error is not None and "No such user" in outcome.error
    assert box.envelopes == []


async def test_a_4xx_recipient_is_retryable(serve: Serve) -> None:
    _box, config = serve(Mailbox({"busy@example.com": "451 4.3.0 Try again later"}))

    outcome = await send_email(mail(["busy@example.com"]), config)

    assert (outcome.ok, outcome.status_code, outcome.permanent) == (False, 451, False)


async def test_some_refused_recipients_still_deliver(serve: Serve) -> None:
    box, config = serve(Mailbox({"gone@example.com": "550 5.1.1 No such user"}))

    outcome = await send_email(mail(["kim@example.com", "gone@example.com"]), config)

    assert outcome.ok
    assert outcome.error is not None and "gone@example.com" in outcome.error
    assert box.envelopes[0].rcpt_tos == ["kim@example.com"]


async def test_no_server_is_retryable() -> None:
    outcome = await send_email(mail(), SmtpConfig("127.0.0.1", free_port(), timeout_s=2.0))

    assert (outcome.ok, outcome.status_code, outcome.permanent) == (False, None, False)


def authenticator(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and auth_data == (b"healthmon", b"s3cret")
    return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
@pytest.mark.parametrize(("password", "ok"), [("s3cret", True), ("wrong", False)])
async def test_auth_login(serve: Serve, password: str, ok: bool) -> None:
    box, config = serve(authenticator=authenticator, auth_required=True, auth_require_tls=False)
    authed = SmtpConfig(config.host, config.port, username="healthmon", password=password)

    outcome = await send_email(mail(), authed)

    assert outcome.ok is ok
    if ok:
        assert box.logins == [b"healthmon"]
    else:
        assert (outcome.status_code, outcome.permanent) == (535, True)
        assert box.envelopes == []


async def test_without_a_username_no_login_is_tried(serve: Serve) -> None:
    box, config = serve(authenticator=authenticator, auth_require_tls=False)

    outcome = await send_email(mail(), config)

    assert outcome.ok
    assert box.logins == []


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "healthmon test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def server_context(tls_files: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*tls_files)
    return context


async def test_starttls_with_auth(serve: Serve, tls_files: tuple[Path, Path]) -> None:
    box, config = serve(
        tls_context=server_context(tls_files),
        require_starttls=True,
        authenticator=authenticator,
        auth_required=True,
    )
    secure = SmtpConfig(
        config.host,
        config.port,
        "starttls",
        username="healthmon",
        password="s3cret",
        ca_file=str(tls_files[0]),
    )

    outcome = await send_email(mail(), secure)

    assert outcome.ok, outcome.error
    assert box.logins == [b"healthmon"]
    assert box.received()[0]["Message-ID"] == "<alert_3f2a@healthmon>"


async def test_plain_to_a_starttls_only_server_is_refused(
    serve: Serve, tls_files: tuple[Path, Path]
) -> None:
    box, config = serve(tls_context=server_context(tls_files), require_starttls=True)

    outcome = await send_email(mail(), config)

    assert (outcome.ok, outcome.status_code, outcome.permanent) == (False, 530, True)
    assert box.envelopes == []


async def test_implicit_tls(serve: Serve, tls_files: tuple[Path, Path]) -> None:
    box, config = serve(ssl_context=server_context(tls_files))
    secure = SmtpConfig(config.host, config.port, "tls", ca_file=str(tls_files[0]))

    outcome = await send_email(mail(), secure)

    assert outcome.ok, outcome.error
    assert len(box.envelopes) == 1


async def test_an_untrusted_certificate_is_not_accepted(
    serve: Serve, tls_files: tuple[Path, Path]
) -> None:
    _box, config = serve(ssl_context=server_context(tls_files))

    outcome = await send_email(mail(), SmtpConfig(config.host, config.port, "tls"))

    assert not outcome.ok
    assert outcome.error is not None and "CERTIFICATE_VERIFY_FAILED" in outcome.error
