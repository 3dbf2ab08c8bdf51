"""Each server's news feeds: defaults, checked adds within limits, finding, removing, keywords, on-demand refresh."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import aiohttp
from rapidfuzz import fuzz, process

from bot import backoff
from bot.clock import Clock
from bot.errors import (
    DuplicateFeed,
    FeedRefused,
    FetchFailed,
    InvalidOption,
    NotAFeed,
    UnknownFeed,
    UserError,
    quote,
)
from bot.redact import redact_url
from bot.services.feed_fetcher import FeedFetcher
from bot.services.feed_keywords import DEFAULT_KEYWORDS, MAX_KEYWORDS, KeywordMatcher, split_keywords
from bot.services.feed_polling import POLLS_PER_GUILD, FeedPoller, PollOutcome
from bot.services.netguard import AddressPolicy, allow_all, check_feed_url, public_only
from bot.sources.feeds import fold
from bot.store import feeds as store
from bot.store.db import Database
from bot.store.feeds import GuildFeed

log = logging.getLogger(__name__)

DEFAULT_FEEDS: tuple[tuple[str, str], ...] = (
    ("https://press.un.org/en/rss.xml", "UN Press — meetings coverage and press releases"),
    (
        "https://news.un.org/feed/subscribe/en/news/topic/peace-and-security/feed/rss.xml",
        "UN News — Peace and Security",
    ),
    (
        "https://www.securitycouncilreport.org/rss/whats-in-blue.xml",
        "Security Council Report — What's in Blue",
    ),
)
MAX_FEEDS_PER_GUILD = 20
NAME_MAX_LENGTH = 100
ADDS_PER_GUILD = 2  # /feeds add checks at once per server (more are refused at once, not queued)
# Downloads at once from one host, whoever asked: more than one server can hold (its adds and its polls), so no
# single server can fill a host's slots and hold up the others' fetches from it.
FETCHES_PER_HOST = ADDS_PER_GUILD + POLLS_PER_GUILD + 2
ADD_TIMEOUT = aiohttp.ClientTimeout(total=15, sock_connect=10, sock_read=10)
REFRESH_SECONDS = 6.0
ADD_RETRY_AFTER = dt.timedelta(minutes=1)  # a URL whose check failed is not fetched again for this long, …
ADD_RETRY_MAX = dt.timedelta(minutes=30)  # … doubling with each failure up to this
REFRESH_INTERVAL = dt.timedelta(minutes=5)  # /digest preview and send-now fetch a server's feeds at most this often


@dataclass(frozen=True)
class AddedFeed:
    """A feed a server now follows, with how many items it held (all counted as already seen)."""

    guild_feed: GuildFeed
    items: int
    warning: str | None


class FeedService:
    """Manages each server's feeds and keywords; polls the feeds servers follow through its poller."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        poll_minutes: int = 15,
        allow_private: bool = False,
        default_feeds: Sequence[tuple[str, str]] = DEFAULT_FEEDS,
        default_keywords: Sequence[str] = DEFAULT_KEYWORDS,
        policy: AddressPolicy | None = None,
        session: aiohttp.ClientSession | None = None,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self._db = db
        self._clock = clock
        self.default_feeds = tuple(default_feeds)
        self.default_keywords = tuple(default_keywords)
        self.fetcher = FeedFetcher(
            policy or (allow_all if allow_private else public_only),
            per_host=FETCHES_PER_HOST,
            session=session,
            sleep=sleep,
        )
        self.poller = FeedPoller(db, clock, self.fetcher, poll_minutes=poll_minutes)
        self._adding: dict[int, int] = {}  # guild → /feeds add checks running
        self._add_failures: dict[str, tuple[dt.datetime, int, str]] = {}  # url → (retry after, failures, why)
        self._refreshed: dict[int, dt.datetime] = {}  # guild → when its feeds were last refreshed on demand

    async def close(self) -> None:
        """Stop the polls still running and close the session this service opened."""
        await self.poller.close()
        await self.fetcher.close()

    # --- Servers: defaults, feeds, keywords ---------------------------------------------------------------

    async def ensure_guild(self, guild_id: int) -> None:
        """Give a server the default feeds and keywords the first time it uses feeds or digests."""
        if await store.is_set_up(self._db, guild_id):
            return
        feeds = [(check_feed_url(url), name) for url, name in self.default_feeds]
        if await store.set_up_guild(
            self._db, guild_id, feeds=feeds, keywords=self.default_keywords, now=self._clock.now()
        ):
            log.info("feeds set up guild=%s feeds=%d keywords=%d", guild_id, len(feeds), len(self.default_keywords))

    async def guild_feeds(self, guild_id: int) -> list[GuildFeed]:
        """The feeds a server follows (defaults added on first use)."""
        await self.ensure_guild(guild_id)
        return await store.guild_feeds(self._db, guild_id)

    async def add(self, guild_id: int, url: str, name: str | None = None) -> AddedFeed:
        """Follow a feed: checked, fetched and parsed now; what it holds now counts as already seen.

        At most ADDS_PER_GUILD at once per server: one server's slow or hanging feeds never hold up another's."""
        if self._adding.get(guild_id, 0) >= ADDS_PER_GUILD:
            raise UserError(
                f"This server is already checking {ADDS_PER_GUILD} new feeds; try again when they are done "
                "(a feed that does not answer is given up after "
                f"{ADD_TIMEOUT.total:.0f} s)."
            )
        self._adding[guild_id] = self._adding.get(guild_id, 0) + 1
        try:
            return await self._add(guild_id, url, name)
        finally:
            self._adding[guild_id] -= 1
            if not self._adding[guild_id]:
                del self._adding[guild_id]

    async def _add(self, guild_id: int, url: str, name: str | None) -> AddedFeed:
        await self.ensure_guild(guild_id)
        clean_url = check_feed_url(url)
        clean_name = self._clean_name(name) if name is not None else None
        current = await store.guild_feeds(self._db, guild_id)
        self._refuse_duplicate(current, clean_url)
        if len(current) >= MAX_FEEDS_PER_GUILD:
            raise InvalidOption(
                "url",
                f"this server already follows {MAX_FEEDS_PER_GUILD} feeds, the most allowed; "
                "remove one with `/feeds remove` first.",
            )
        known = await store.feed_by_url(self._db, clean_url)
        warning = None
        if known is not None and known.last_success_at is not None:
            title = known.title
        else:
            self._refuse_recent_failure(clean_url)
            try:
                result = await self.fetcher.fetch(clean_url, client_timeout=ADD_TIMEOUT, attempts=1)
                parsed = await self.fetcher.parse(result)
            except (FetchFailed, NotAFeed, FeedRefused) as exc:
                self._remember_failure(clean_url, exc.message)
                raise
            self._add_failures.pop(clean_url, None)
            final = check_feed_url(result.url)
            if final != clean_url:
                self._refuse_duplicate(current, final)
            now = self._clock.now()
            feed = await store.ensure_feed(self._db, clean_url, now)
            await self.poller.save_fetched(feed.id, result, parsed, now)
            title, warning = parsed.title, parsed.warning
        display = clean_name or self._clean_name(title, fallback=redact_url(clean_url))
        await store.add_guild_feed(self._db, guild_id, clean_url, display, self._clock.now())
        added = next(g for g in await store.guild_feeds(self._db, guild_id) if g.feed.url == clean_url)
        count = await store.feed_item_count(self._db, added.feed.id)
        log.info("feed added guild=%s feed=%d url=%s items=%d", guild_id, added.feed.id, redact_url(clean_url), count)
        return AddedFeed(added, count, warning)

    def _refuse_recent_failure(self, url: str) -> None:
        """Backoff for /feeds add: a URL that just failed its check answers with that failure, without a fetch."""
        failed = self._add_failures.get(url)
        now = self._clock.now()
        if failed is None or now >= failed[0]:
            return
        wait = max(1, int((failed[0] - now).total_seconds()))
        raise FeedRefused(f"{failed[2]} (That address was checked moments ago; it can be tried again in {wait} s.)")

    def _remember_failure(self, url: str, message: str) -> None:
        now = self._clock.now()
        failures = self._add_failures.get(url, (now, 0, ""))[1] + 1
        delay = dt.timedelta(
            seconds=backoff.ceiling(failures, ADD_RETRY_AFTER.total_seconds(), ADD_RETRY_MAX.total_seconds())
        )
        if len(self._add_failures) >= 10_000:  # forget what may be tried again; at worst, everything
            self._add_failures = {u: f for u, f in self._add_failures.items() if f[0] > now} or {}
            if len(self._add_failures) >= 10_000:
                self._add_failures.clear()
        self._add_failures[url] = (now + delay, failures, message)

    def _refuse_duplicate(self, current: Sequence[GuildFeed], url: str) -> None:
        for gf in current:
            if gf.feed.url == url:
                raise DuplicateFeed(f"This server already follows that feed (as {quote(gf.name, 100)}).")

    @staticmethod
    def _clean_name(raw: str, *, fallback: str = "") -> str:
        name = fold(raw)[:NAME_MAX_LENGTH].strip()
        if not name:
            if fallback:
                return fold(fallback)[:NAME_MAX_LENGTH]
            raise InvalidOption("name", "a feed name cannot be empty.")
        return name

    async def resolve(self, guild_id: int, text: str) -> GuildFeed:
        """One of the server's feeds by name, URL or list number; UnknownFeed with close names if none."""
        feeds = await self.guild_feeds(guild_id)
        wanted = fold(text)
        if not wanted:
            raise UnknownFeed("Name the feed to remove (see `/feeds list`).")
        for gf in feeds:
            if wanted.casefold() in (gf.name.casefold(), gf.feed.url.casefold()):
                return gf
        try:
            if check_feed_url(wanted) in {gf.feed.url for gf in feeds}:
                return next(gf for gf in feeds if gf.feed.url == check_feed_url(wanted))
        except FeedRefused:
            pass
        if wanted.isdigit() and 1 <= int(wanted) <= len(feeds):
            return feeds[int(wanted) - 1]
        close = process.extract(
            wanted, {i: gf.name for i, gf in enumerate(feeds)}, scorer=fuzz.WRatio, limit=3, score_cutoff=60
        )
        hint = " Did you mean " + ", ".join(quote(name, 100) for name, _s, _k in close) + "?" if close else ""
        raise UnknownFeed(f"This server follows no feed called {quote(wanted, 100)}.{hint}")

    async def remove(self, guild_id: int, text: str) -> GuildFeed:
        """Stop following a feed (by name, URL or list number)."""
        gf = await self.resolve(guild_id, text)
        await store.remove_guild_feed(self._db, guild_id, gf.feed.id)
        log.info("feed removed guild=%s feed=%d", guild_id, gf.feed.id)
        return gf

    async def keywords(self, guild_id: int) -> list[str]:
        """A server's keywords (defaults on first use)."""
        await self.ensure_guild(guild_id)
        return await store.keywords(self._db, guild_id)

    async def feed_names_as_set(self, guild_id: int) -> list[tuple[str, str]]:
        """(name, url) of a server's feeds without setting anything up (the defaults, if it has none yet).

        For autocomplete, which must never write."""
        if await store.is_set_up(self._db, guild_id):
            return [(gf.name, gf.feed.url) for gf in await store.guild_feeds(self._db, guild_id)]
        return [(name, url) for url, name in self.default_feeds]

    async def keywords_as_set(self, guild_id: int) -> list[str]:
        """A server's keywords without setting anything up: the defaults it would get, if it has none yet.

        For autocomplete, which must never write (it runs on every keystroke)."""
        if await store.is_set_up(self._db, guild_id):
            return await store.keywords(self._db, guild_id)
        return list(self.default_keywords)

    async def set_keywords(self, guild_id: int, raw: str) -> list[str]:
        """Replace a server's keywords with a comma-separated list."""
        words = split_keywords(raw)
        if len(words) > MAX_KEYWORDS:
            raise InvalidOption("keywords", f"at most {MAX_KEYWORDS} keywords, got {len(words)}.")
        await self.ensure_guild(guild_id)
        await store.replace_keywords(self._db, guild_id, words)
        return await store.keywords(self._db, guild_id)

    async def add_keywords(self, guild_id: int, raw: str) -> list[str]:
        """Add comma-separated keywords; return the ones that were new."""
        words = split_keywords(raw)
        current = await self.keywords(guild_id)
        have = {w.casefold() for w in current}
        new = [w for w in words if w.casefold() not in have]
        if len(current) + len(new) > MAX_KEYWORDS:
            raise InvalidOption(
                "keywords", f"a server can have at most {MAX_KEYWORDS} keywords (it has {len(current)})."
            )
        return await store.add_keywords(self._db, guild_id, new)

    async def remove_keywords(self, guild_id: int, raw: str) -> list[str]:
        """Remove comma-separated keywords (any case); InvalidOption if none of them was there."""
        words = split_keywords(raw)
        current = await self.keywords(guild_id)
        by_key = {w.casefold(): w for w in current}
        present = [by_key[w.casefold()] for w in words if w.casefold() in by_key]
        if not present:
            raise InvalidOption("keyword", f"{quote(', '.join(words))} is not among this server's keywords.")
        return await store.remove_keywords(self._db, guild_id, present)

    async def matcher(self, guild_id: int) -> KeywordMatcher:
        """The keyword matcher of a server."""
        return KeywordMatcher(await self.keywords(guild_id))

    # --- On demand --------------------------------------------------------------------------------------------

    async def refresh_guild(self, guild_id: int, *, seconds: float = REFRESH_SECONDS) -> list[PollOutcome]:
        """Poll a server's feeds now, each within a short timeout (for preview and send-now).

        At most once per REFRESH_INTERVAL per server (otherwise the stored items are used as they are), and never
        a feed that is backing off after failures."""
        now = self._clock.now()
        last = self._refreshed.get(guild_id)
        if last is not None and now - last < REFRESH_INTERVAL:
            log.info("feeds refresh skipped guild=%s last=%s", guild_id, last.isoformat(timespec="seconds"))
            return []
        self._refreshed[guild_id] = now
        if len(self._refreshed) > 10_000:  # forget servers whose interval is over
            self._refreshed = {g: t for g, t in self._refreshed.items() if now - t < REFRESH_INTERVAL}
        feeds = [
            gf.feed
            for gf in await self.guild_feeds(guild_id)
            if not gf.feed.failing or gf.feed.next_poll_at <= store.stamp(now)
        ]
        if not feeds:
            return []
        timeout = aiohttp.ClientTimeout(total=seconds, sock_connect=seconds, sock_read=seconds)
        tasks = [asyncio.ensure_future(self.poller.poll(f, client_timeout=timeout, attempts=1)) for f in feeds]
        # A poll already running with the longer loop timeout is not waited for beyond the short one.
        done, pending = await asyncio.wait(tasks, timeout=seconds + 1)
        for task in pending:
            task.cancel()
        return [t.result() for t in done if not t.cancelled() and t.exception() is None]
