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


def public_only(address: IPAddress) -> bool:
    """True for globally routable unicast addresses (not private, loopback, link-local, reserved, …)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
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


def _refuse(host: str, address: IPAddress | None = None) -> FeedRefused:
    where = f" ({address})" if address is not None and str(address) != host else ""
    return FeedRefused(
        f"Refused: {quote(host, 100)}{where} is a private, loopback or link-local address; "
        "feeds must be on the public internet."
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
                raise _refuse(host, address)
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
        raise _refuse(url.host or "", address)


def guarded_session(policy: AddressPolicy, *, resolver: AbstractResolver | None = None) -> aiohttp.ClientSession:
    """An HTTP session whose every connection obeys the address policy."""
    # The feed service's per-server and per-host limits bound what runs; this is only the outer ceiling.
    connector = aiohttp.TCPConnector(resolver=GuardedResolver(policy, resolver), limit=100, ttl_dns_cache=300)
    return aiohttp.ClientSession(connector=connector, trace_configs=[guard_trace(policy)])
