"""Fetching one feed: the guarded HTTP session, a slot per host, the download and its parse in a child process."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import aiohttp
from aiohttp.abc import AbstractResolver

from bot.errors import FeedTooLarge, FetchFailed
from bot.fetch import FetchResult, fetch
from bot.redact import redact_url
from bot.services.feed_parsing import parse_isolated
from bot.services.fetch_limits import KeyedLimiter, host_key
from bot.services.netguard import AddressPolicy, guarded_session
from bot.sources.feeds import MAX_FEED_BYTES, MAX_ITEMS_PER_POLL, ParsedFeed

MAX_REDIRECTS = 3


class FeedFetcher:
    """Downloads feeds under an address policy, at most `per_host` at once from one host, and parses them."""

    def __init__(
        self,
        policy: AddressPolicy,
        *,
        per_host: int,
        session: aiohttp.ClientSession | None = None,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        # Which addresses fetches may connect to; settable until the first fetch opens the session.
        self.policy = policy
        # The name resolver under the policy check (None: the system's); tests set one that never uses DNS.
        self.resolver: AbstractResolver | None = None
        # The wait between a fetch's attempts; tests set one that does not wait.
        self.sleep = sleep
        self._session = session
        self._own_session = session is None
        self._hosts = KeyedLimiter(per_host)

    @property
    def session(self) -> aiohttp.ClientSession:
        """The guarded HTTP session (created on first use, inside the running loop)."""
        if self._session is None:
            self._session = guarded_session(self.policy, resolver=self.resolver)
        return self._session

    async def close(self) -> None:
        """Close the session this fetcher opened (one it was given is left open)."""
        if self._own_session and self._session is not None:
            await self._session.close()
            self._session = None

    async def fetch(
        self,
        url: str,
        *,
        client_timeout: aiohttp.ClientTimeout,
        attempts: int,
        etag: str | None = None,
        last_modified: str | None = None,
        backoff: float = 1.0,
    ) -> FetchResult:
        """Download a feed holding one of its host's slots (waiting at most the timeout)."""
        try:
            async with self._hosts.slot(host_key(url), wait=client_timeout.total):
                return await fetch(
                    self.session,
                    url,
                    max_bytes=MAX_FEED_BYTES,
                    etag=etag,
                    last_modified=last_modified,
                    timeout=client_timeout,
                    attempts=attempts,
                    backoff=backoff,
                    max_redirects=MAX_REDIRECTS,
                    too_large=FeedTooLarge,
                    sleep=self.sleep,
                )
        except TimeoutError:  # only the wait for a slot raises it; fetch turns its own timeouts into FetchFailed
            raise FetchFailed(
                f"{redact_url(url)}: its host is busy with other fetches; try again in a minute"
            ) from None

    async def parse(self, result: FetchResult) -> ParsedFeed:
        """Parse a download in a limited child process (bot/services/feed_parsing.py)."""
        return await parse_isolated(result.body, result.url, result.content_type, max_items=MAX_ITEMS_PER_POLL)
