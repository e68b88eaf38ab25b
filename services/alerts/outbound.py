"""The outbound requests policy: which addresses webhooks and Slack may reach, a transport that
connects only to the address it checked, and answers read within a size cap and a deadline."""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

import httpx

from services.settings import Settings

IPAddress = IPv4Address | IPv6Address
Network = IPv4Network | IPv6Network
Resolver = Callable[[str, int], list[str]]
"""Host and port to the addresses a connection may go to (getaddrinfo's answer)."""

MAX_ANSWER_BYTES = 4096
"""The most of an answer's body ever read."""
EXCERPT_CHARS = 200
"""The most of an answer's body ever shown or stored, after sanitising."""
BLOCKED_NAMES = frozenset(
    {"metadata", "metadata.google.internal", "metadata.goog", "instance-data", "metadata.azure.com"}
)
"""Cloud metadata services, refused by name whatever they resolve to."""
NAT64 = IPv6Network("64:ff9b::/96")
UNIQUE_LOCAL = IPv6Network("fc00::/7")


class Refused(Exception):
    """A URL the policy does not let us reach (`permanent` unless a lookup failed)."""

    def __init__(self, reason: str, *, permanent: bool = True) -> None:
        super().__init__(reason)
        self.reason, self.permanent = reason, permanent


def system_resolve(host: str, port: int) -> list[str]:
    """The addresses the system resolver gives, in its order (IP literals in any spelling it
    accepts, such as 127.1 or 0x7f000001, come back normalised)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def unwrap(ip: IPAddress) -> IPAddress:
    """The IPv4 address inside an IPv4-mapped or NAT64 IPv6 address, else the address."""
    if isinstance(ip, IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip in NAT64:
            return IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip


def forbidden_reason(ip: IPAddress) -> str | None:
    """Why the address is not a public one we may post to, or None."""
    ip = unwrap(ip)
    checks: list[tuple[bool, str]] = [
        (ip.is_unspecified, "unspecified"),
        (ip.is_loopback, "loopback"),
        (ip.is_link_local, "link-local"),
        (ip.is_multicast, "multicast"),
        (isinstance(ip, IPv6Address) and ip in UNIQUE_LOCAL, "unique-local"),
        (ip.is_reserved, "reserved"),
        (ip.is_private, "private"),
        (not ip.is_global, "non-public"),
    ]
    return next((reason for hit, reason in checks if hit), None)


@dataclass(frozen=True)
class OutboundPolicy:
    """Which URLs may be posted to: public addresses, plus networks an operator allowed."""

    allowed: Sequence[Network] = ()
    resolve: Resolver = field(default=system_resolve, compare=False)

    @classmethod
    def of(cls, settings: Settings, resolve: Resolver = system_resolve) -> OutboundPolicy:
        """The policy the settings describe (HEALTHMON_WEBHOOK_ALLOW_NETWORKS)."""
        return cls(tuple(settings.webhook_allow_networks), resolve)

    def addresses(self, url: str) -> list[str]:
        """The checked addresses `url` may be reached at; raises Refused if any is forbidden."""
        try:
            parsed = httpx.URL(url)
        except httpx.InvalidURL as exc:
            raise Refused(f"not a valid URL: {exc}") from exc
        if parsed.scheme not in ("http", "https"):
            raise Refused("only http and https URLs can be posted to")
        host = parsed.host.rstrip(".").lower()
        if not host:
            raise Refused("the URL has no host")
        if host in BLOCKED_NAMES:
            raise Refused(f"{host} is a cloud metadata service")
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        try:
            found = self.resolve(host, port)
        except (OSError, UnicodeError) as exc:
            raise Refused(f"{host} does not resolve ({exc})", permanent=False) from exc
        if not found:
            raise Refused(f"{host} does not resolve", permanent=False)
        for address in found:
            ip = ip_address(address.split("%", 1)[0])
            reason = forbidden_reason(ip)
            if reason is not None and not self._allows(ip):
                raise Refused(
                    f"{host} resolves to {ip}, a {reason} address; an operator can allow its "
                    "network with HEALTHMON_WEBHOOK_ALLOW_NETWORKS"
                )
        return found

    def _allows(self, ip: IPAddress) -> bool:
        candidates = {ip, unwrap(ip)}
        return any(c.version == n.version and c in n for c in candidates for n in self.allowed)


class PinnedTransport(httpx.AsyncBaseTransport):
    """Checks each request's URL against the policy at send time and connects to the very
    address it checked (so DNS rebinding cannot swap it), keeping Host and TLS SNI the name."""

    def __init__(self, policy: OutboundPolicy) -> None:
        self.policy = policy
        # no connection reuse: a pooled connection is keyed by address, not by name
        self.inner = httpx.AsyncHTTPTransport(limits=httpx.Limits(max_keepalive_connections=0))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send `request` to the first checked address of its host."""
        addresses = await asyncio.to_thread(self.policy.addresses, str(request.url))
        name = request.url.host
        request.url = request.url.copy_with(host=addresses[0].split("%", 1)[0])
        request.extensions = {**request.extensions, "sni_hostname": name}
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        """Close the connections."""
        await self.inner.aclose()


def outbound_client(policy: OutboundPolicy) -> httpx.AsyncClient:
    """An HTTP client for webhooks and Slack: policy-checked, pinned, no redirects followed."""
    return httpx.AsyncClient(transport=PinnedTransport(policy), follow_redirects=False)


@dataclass(frozen=True)
class Answer:
    """A receiver's answer: status, headers and at most MAX_ANSWER_BYTES of the body."""

    status_code: int
    headers: httpx.Headers
    head: bytes

    @property
    def is_success(self) -> bool:
        """A 2xx answer."""
        return 200 <= self.status_code < 300

    @property
    def excerpt(self) -> str:
        """The start of the body as one short line of printable text."""
        return excerpt(self.head)


def excerpt(body: bytes) -> str:
    """At most EXCERPT_CHARS of printable text from the start of `body`."""
    text = re.sub(r"\s+", " ", body.decode("utf-8", errors="replace"))
    text = "".join(c if c.isprintable() else "?" for c in text).strip()
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"


async def post_bounded(
    client: httpx.AsyncClient,
    url: str,
    content: bytes,
    headers: dict[str, str],
    deadline_s: float,
) -> Answer:
    """POST and read the answer's first MAX_ANSWER_BYTES, all within `deadline_s`; raises
    Refused, httpx.HTTPError or TimeoutError."""
    headers = {**headers, "accept-encoding": "identity"}
    async with asyncio.timeout(deadline_s):
        request = client.build_request("POST", url, content=content, headers=headers,
                                       timeout=deadline_s)  # fmt: skip
        response = await client.send(request, stream=True, follow_redirects=False)
        try:
            head = b""
            async for chunk in response.aiter_raw():
                head += chunk
                if len(head) >= MAX_ANSWER_BYTES:
                    break
        finally:
            await response.aclose()
    return Answer(response.status_code, response.headers, head[:MAX_ANSWER_BYTES])


def failure_text(exc: BaseException, deadline_s: float) -> str:
    """A short description of why a send failed before an answer."""
    if isinstance(exc, Refused):
        return f"refused by the outbound policy: {exc.reason}"
    if isinstance(exc, TimeoutError):
        return f"Timeout: no complete answer within the {deadline_s:g} s deadline"
    return excerpt(f"{type(exc).__name__}: {exc}".encode())
