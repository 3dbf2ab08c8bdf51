"""Keep feed fetches off private networks: http(s) only, and no private, loopback or link-local addresses.

Names are checked where aiohttp resolves them (so a DNS answer that changes between a check and the connection
cannot slip through), literal IP addresses at the start of the request and at every redirect.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver
from yarl import URL

from bot.errors import FeedRefused, quote

log = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
AddressPolicy = Callable[[IPAddress], bool]
MAX_URL_LENGTH = 2048


# IPv6 ranges that carry an IPv4 address in their last 32 bits: NAT64 (RFC 6052, and the local-use prefix of
# RFC 8215), IPv4-compatible (::a.b.c.d, deprecated), IPv4-mapped (::ffff:a.b.c.d) and IPv4-translated
# (::ffff:0:a.b.c.d, RFC 2765). 6to4 (2002::/16) carries it in bits 16–47.
_LAST_32_BITS = tuple(
    ipaddress.IPv6Network(n) for n in ("64:ff9b::/96", "64:ff9b:1::/48", "::/96", "::ffff:0:0/96", "::ffff:0:0:0/96")
)
_SITE_LOCAL = ipaddress.IPv6Network("fec0::/10")  # deprecated (RFC 3879), never public


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (NAT64, 6to4, IPv4-compatible/-mapped/-translated), if any."""
    if address.sixtofour is not None:
        return address.sixtofour
    if any(address in net for net in _LAST_32_BITS):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def public_only(address: IPAddress) -> bool:
    """True for globally routable unicast addresses (not private, loopback, link-local, reserved, …).

    An IPv6 address that carries an IPv4 one is judged by that IPv4 address; site-local fec0::/10 is refused."""
    if isinstance(address, ipaddress.IPv6Address):
        if address in _SITE_LOCAL:
            return False
        carried = embedded_ipv4(address)
        if carried is not None:
            address = carried
    return address.is_global and not address.is_multicast


def allow_all(_address: IPAddress) -> bool:
    """Every address (FEEDS_ALLOW_PRIVATE=true, for tests on 127.0.0.1)."""
    return True


def check_feed_url(raw: str) -> str:
    """A feed URL cleaned for storing (scheme and host lower-cased, no fragment); FeedRefused if unusable."""
    text = raw.strip()
    if not text:
        raise FeedRefused("Give the address of an RSS or Atom feed, e.g. `https://press.un.org/en/rss.xml`.")
    if len(text) > MAX_URL_LENGTH:
        raise FeedRefused(f"That address is too long (over {MAX_URL_LENGTH} characters).")
    if any(ch.isspace() for ch in text):
        raise FeedRefused(f"{quote(text)} contains spaces; a feed address has none.")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise FeedRefused(f"{quote(text)} is not a valid address.") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise FeedRefused(f"{quote(text)}: only http:// and https:// feeds can be followed.")
    host = (parts.hostname or "").lower().rstrip(".")
    if not host:
        raise FeedRefused(f"{quote(text)} has no host name.")
    if parts.username or parts.password:
        raise FeedRefused("Feed addresses with a user name or password are not accepted.")
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def _literal(host: str | None) -> IPAddress | None:
    if not host:
        return None
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def _refuse(host: str) -> FeedRefused:
    # Never the address a name resolved to: a refusal must not tell a stranger what is behind a name.
    return FeedRefused(
        f"Refused: {quote(host, 100)} does not lead to a public internet address; feeds must be on the public internet."
    )


class GuardedResolver(AbstractResolver):
    """A resolver that refuses a name if any address it resolves to is not allowed by the policy."""

    def __init__(self, policy: AddressPolicy, inner: AbstractResolver | None = None) -> None:
        self._policy = policy
        self._inner = inner or DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """Resolve through the inner resolver, then check every address."""
        results = await self._inner.resolve(host, port, family)
        for result in results:
            address = ipaddress.ip_address(result["host"])
            if not self._policy(address):
                log.warning("feed address refused host=%s address=%s", host, address)
                raise _refuse(host)
        return results

    async def close(self) -> None:
        """Close the inner resolver."""
        await self._inner.close()


def guard_trace(policy: AddressPolicy) -> aiohttp.TraceConfig:
    """Checks literal IP hosts (which skip the resolver) at the start of a request and at every redirect."""

    async def on_start(_session: aiohttp.ClientSession, _ctx: SimpleNamespace, params: Any) -> None:
        _check_url(params.url, policy)

    async def on_redirect(_session: aiohttp.ClientSession, _ctx: SimpleNamespace, params: Any) -> None:
        location = params.response.headers.get("Location")
        if location:
            _check_url(params.url.join(URL(location)), policy)

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_start)
    trace.on_request_redirect.append(on_redirect)
    return trace


def _check_url(url: URL, policy: AddressPolicy) -> None:
    if url.scheme not in ("http", "https"):
        raise FeedRefused(f"Refused: a redirect to {quote(str(url), 100)}; only http(s) is followed.")
    address = _literal(url.host)
    if address is not None and not policy(address):
        raise _refuse(url.host or "")


def guarded_session(policy: AddressPolicy, *, resolver: AbstractResolver | None = None) -> aiohttp.ClientSession:
    """An HTTP session whose every connection obeys the address policy."""
    # The feed service's per-server and per-host limits bound what runs; this is only the outer ceiling.
    connector = aiohttp.TCPConnector(resolver=GuardedResolver(policy, resolver), limit=100, ttl_dns_cache=300)
    return aiohttp.ClientSession(connector=connector, trace_configs=[guard_trace(policy)])
