"""The outbound policy refuses every address that is not public, however it is spelled, unless
an operator allowed its network; answers are cut to a short printable excerpt."""

from __future__ import annotations

from ipaddress import ip_network

import pytest

from services.alerts.outbound import EXCERPT_CHARS, OutboundPolicy, Refused, excerpt


def public(host: str, port: int) -> list[str]:
    """A resolver answering with a public address (no lookup leaves the machine)."""
    return ["93.184.216.34"]


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1/hook", "loopback"),
        ("http://127.1/hook", "loopback"),
        ("http://0x7f000001/hook", "loopback"),
        ("http://2130706433/hook", "loopback"),
        ("http://[::1]/hook", "loopback"),
        ("http://[::ffff:127.0.0.1]/hook", "loopback"),
        ("http://[::ffff:169.254.169.254]/latest", "link-local"),
        ("http://[64:ff9b::a00:1]/hook", "private"),
        ("http://localhost:8080/hook", "loopback"),
        ("http://0.0.0.0/hook", "unspecified"),
        ("http://[::]/hook", "unspecified"),
        ("http://169.254.169.254/latest/meta-data", "link-local"),
        ("http://[fe80::1]/hook", "link-local"),
        ("http://10.1.2.3/hook", "private"),
        ("http://172.16.0.1/hook", "private"),
        ("http://192.168.1.1/hook", "private"),
        ("http://100.64.0.1/hook", "non-public"),
        ("http://[fd00::1]/hook", "unique-local"),
        ("http://224.0.0.1/hook", "multicast"),
        ("http://[ff02::1]/hook", "multicast"),
        ("http://240.0.0.1/hook", "reserved"),
    ],
)
def test_non_public_addresses_are_refused_in_any_spelling(url: str, reason: str) -> None:
    with pytest.raises(Refused, match=f"a {reason} address") as refused:
        OutboundPolicy().addresses(url)
    assert refused.value.permanent


@pytest.mark.parametrize("host", ["metadata.google.internal", "METADATA.google.internal."])
def test_metadata_services_are_refused_by_name_without_a_lookup(host: str) -> None:
    def no_lookup(host: str, port: int) -> list[str]:
        raise AssertionError("looked up")

    with pytest.raises(Refused, match="cloud metadata"):
        OutboundPolicy(resolve=no_lookup).addresses(f"http://{host}/computeMetadata/v1/")


def test_a_name_with_any_private_address_is_refused() -> None:
    policy = OutboundPolicy(resolve=lambda host, port: ["93.184.216.34", "10.0.0.5"])
    with pytest.raises(Refused, match=r"hooks\.example\.com resolves to 10\.0\.0\.5, a private"):
        policy.addresses("https://hooks.example.com/x")


def test_public_addresses_pass_and_allowed_networks_open_the_rest() -> None:
    assert OutboundPolicy(resolve=public).addresses("https://hooks.example.com/") == [
        "93.184.216.34"
    ]
    allowed = OutboundPolicy((ip_network("127.0.0.0/8"),))
    assert allowed.addresses("http://127.1:9/hook") == ["127.0.0.1"]
    assert allowed.addresses("http://[::ffff:127.0.0.1]:9/hook") == ["::ffff:127.0.0.1"]
    with pytest.raises(Refused):
        allowed.addresses("http://10.0.0.1/hook")


def test_only_http_urls_and_names_that_resolve_pass() -> None:
    with pytest.raises(Refused, match="only http and https"):
        OutboundPolicy(resolve=public).addresses("ftp://hooks.example.com/")

    def nxdomain(host: str, port: int) -> list[str]:
        raise OSError("Name or service not known")

    with pytest.raises(Refused, match="does not resolve") as refused:
        OutboundPolicy(resolve=nxdomain).addresses("https://nowhere.example.com/")
    assert not refused.value.permanent  # DNS may come back


def test_an_excerpt_is_short_printable_and_on_one_line() -> None:
    body = b"<html>\r\n\x1b[31m secret: " + b"x" * 10_000 + b"\xff"
    text = excerpt(body)
    assert len(text) == EXCERPT_CHARS and text.endswith("…")
    assert text.startswith("<html> ?[31m secret: xxx") and "\n" not in text
