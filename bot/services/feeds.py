"""News feeds: each server's feeds and keywords, polling with health and backoff, keyword matching."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver
from rapidfuzz import fuzz, process

from bot.clock import Clock
from bot.errors import (
    DuplicateFeed,
    FeedRefused,
    FeedTooLarge,
    FetchFailed,
    InvalidOption,
    NotAFeed,
    UnknownFeed,
    UserError,
    quote,
)
from bot.fetch import FetchResult, fetch
from bot.redact import redact_url
from bot.services.feed_parsing import parse_isolated
from bot.services.fetch_limits import KeyedLimiter, host_key
from bot.services.netguard import AddressPolicy, allow_all, check_feed_url, guarded_session, public_only
from bot.sources.feeds import MAX_FEED_BYTES, MAX_ITEMS_PER_POLL, ParsedFeed, fold
from bot.store import feeds as store
from bot.store.db import Database
from bot.store.feeds import Feed, GuildFeed

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
DEFAULT_KEYWORDS: tuple[str, ...] = (
    "sanction",
    "1718",
    "DPRK",
    "North Korea",
    "Democratic People's Republic of Korea",
    "Panel of Experts",
)
MAX_FEEDS_PER_GUILD = 20
MAX_KEYWORDS = 25
KEYWORD_MAX_LENGTH = 60
NAME_MAX_LENGTH = 100
MAX_REDIRECTS = 3
MAX_BACKOFF_MINUTES = 12 * 60
POLL_CONCURRENCY = 16  # polls at once over all servers …
POLLS_PER_GUILD = 2  # … of which at most this many count against one server (see poll_due)
ADDS_PER_GUILD = 2  # /feeds add checks at once per server (more are refused at once, not queued)
# Downloads at once from one host, whoever asked: more than one server can hold (its adds and its polls), so no
# single server can fill a host's slots and hold up the others' fetches from it.
FETCHES_PER_HOST = ADDS_PER_GUILD + POLLS_PER_GUILD + 2
POLL_TIMEOUT = aiohttp.ClientTimeout(total=30, sock_connect=10, sock_read=20)
ADD_TIMEOUT = aiohttp.ClientTimeout(total=15, sock_connect=10, sock_read=10)
REFRESH_SECONDS = 6.0
ADD_RETRY_AFTER = dt.timedelta(minutes=1)  # a URL whose check failed is not fetched again for this long, …
ADD_RETRY_MAX = dt.timedelta(minutes=30)  # … doubling with each failure up to this
REFRESH_INTERVAL = dt.timedelta(minutes=5)  # /digest preview and send-now fetch a server's feeds at most this often
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "＇": "'"})


class KeywordMatcher:
    """Whole-word, case-insensitive matching of a server's keywords (plural and possessive forms included)."""

    def __init__(self, keywords: Iterable[str]) -> None:
        words = sorted({k.strip() for k in keywords if k.strip()}, key=len, reverse=True)
        self.keywords = tuple(words)
        if not words:
            self._pattern: re.Pattern[str] | None = None
            return
        alternatives = []
        for word in words:
            tokens = word.translate(_APOSTROPHES).split()
            # Spaces and hyphens between the words of a phrase are interchangeable ("North-Korea").
            alternatives.append(r"[\s\-]+".join(re.escape(t) for t in tokens))
        self._pattern = re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?:'s|s|es)?(?!\w)", re.IGNORECASE)

    def matches(self, *texts: str) -> bool:
        """True if any keyword occurs as a whole word in any text; with no keywords, everything matches."""
        if self._pattern is None:
            return True
        return any(self._pattern.search(t.translate(_APOSTROPHES)) for t in texts if t)


def clean_keyword(raw: str) -> str:
    """A keyword as stored (whitespace folded), or InvalidOption saying what is wrong with it."""
    word = fold(raw)
    if not word:
        raise InvalidOption("keyword", "a keyword cannot be empty.")
    if len(word) > KEYWORD_MAX_LENGTH:
        raise InvalidOption("keyword", f"{quote(word)} is longer than {KEYWORD_MAX_LENGTH} characters.")
    if not any(ch.isalnum() for ch in word):
        raise InvalidOption("keyword", f"{quote(word)} has no letter or digit to match on.")
    return word


def split_keywords(raw: str) -> list[str]:
    """Comma- (or semicolon-) separated keywords, cleaned, without repeats (any case)."""
    out: list[str] = []
    for part in re.split(r"[,;\n]", raw):
        if part.strip():
            word = clean_keyword(part)
            if word.casefold() not in {w.casefold() for w in out}:
                out.append(word)
    if not out:
        raise InvalidOption("keywords", "give at least one keyword (several separated by commas).")
    return out


@dataclass(frozen=True)
class PollOutcome:
    """What one poll of one feed did."""

    feed_id: int
    url: str
    ok: bool
    new_items: int = 0
    error: str | None = None
    not_modified: bool = False


@dataclass(frozen=True)
class AddedFeed:
    """A feed a server now follows, with how many items it held (all counted as already seen)."""

    guild_feed: GuildFeed
    items: int
    warning: str | None


# A claimed feed is not due for others for this long, unless its poll records an outcome first.
POLL_LEASE = dt.timedelta(minutes=10)


class FeedService:
    """Polls the feeds servers follow, keeps their health, and manages each server's feeds and keywords."""

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
        self.poll_minutes = poll_minutes
        self.default_feeds = tuple(default_feeds)
        self.default_keywords = tuple(default_keywords)
        # Which addresses fetches may connect to; settable until the first fetch opens the session.
        self.policy: AddressPolicy = policy or (allow_all if allow_private else public_only)
        # The name resolver under the policy check (None: the system's); tests set one that never uses DNS.
        self.resolver: AbstractResolver | None = None
        self._session = session
        self._own_session = session is None
        self._sleep = sleep
        self._in_flight: dict[int, asyncio.Task[PollOutcome]] = {}
        self._hosts = KeyedLimiter(FETCHES_PER_HOST)
        self._adding: dict[int, int] = {}  # guild → /feeds add checks running
        self._add_failures: dict[str, tuple[dt.datetime, int, str]] = {}  # url → (retry after, failures, why)
        self._polling: dict[int, int] = {}  # guild → polls running counted against it (poll_due's)
        self._passes: set[asyncio.Future[list[PollOutcome]]] = set()  # background passes (kept referenced)
        self._refreshed: dict[int, dt.datetime] = {}  # guild → when its feeds were last refreshed on demand

    @property
    def session(self) -> aiohttp.ClientSession:
        """The guarded HTTP session (created on first use, inside the running loop)."""
        if self._session is None:
            self._session = guarded_session(self.policy, resolver=self.resolver)
        return self._session

    async def close(self) -> None:
        """Stop the polls still running and close the session this service opened."""
        pending: list[asyncio.Future[Any]] = [*self._passes, *self._in_flight.values()]
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=2)
        if self._own_session and self._session is not None:
            await self._session.close()
            self._session = None

    # --- Servers: defaults, feeds, keywords ---------------------------------------------------------------

    async def _save_fetched(self, feed_id: int, result: FetchResult, parsed: ParsedFeed, now: dt.datetime) -> int:
        """Store a successful fetch: its items, validators, title, and the next poll time; new items counted."""
        return await store.save_poll(
            self._db,
            feed_id,
            parsed.items,
            at=now,
            next_poll_at=self._next_poll(now, 0),
            title=parsed.title,
            kind=parsed.kind,
            etag=result.etag,
            last_modified=result.last_modified,
            warning=parsed.warning,
        )

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
                result = await self._fetch(clean_url, client_timeout=ADD_TIMEOUT, attempts=1)
                parsed = await self._parse(result)
            except (FetchFailed, NotAFeed, FeedRefused) as exc:
                self._remember_failure(clean_url, exc.message)
                raise
            self._add_failures.pop(clean_url, None)
            final = check_feed_url(result.url)
            if final != clean_url:
                self._refuse_duplicate(current, final)
            now = self._clock.now()
            feed = await store.ensure_feed(self._db, clean_url, now)
            await self._save_fetched(feed.id, result, parsed, now)
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
        delay = min(ADD_RETRY_MAX, ADD_RETRY_AFTER * 2 ** min(failures - 1, 10))
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

    # --- Polling --------------------------------------------------------------------------------------------

    def backoff_minutes(self, failures: int) -> int:
        """Minutes to the next poll after `failures` failures in a row: the interval, doubling, capped."""
        if failures <= 0:
            return self.poll_minutes
        return min(MAX_BACKOFF_MINUTES, self.poll_minutes * 2 ** min(failures - 1, 16))

    def _next_poll(self, now: dt.datetime, failures: int) -> dt.datetime:
        return now + dt.timedelta(minutes=self.backoff_minutes(failures))

    async def poll_due(self, limit: int = 100, *, wait: bool = True) -> list[PollOutcome]:
        """Poll the followed feeds whose time has come; one feed's failure raises nothing.

        At most POLL_CONCURRENCY at once, and at most POLLS_PER_GUILD counted against one server: a feed counts
        against whichever of its followers has the fewest polls running, so one server's slow feeds hold up
        only its own, also when it follows another server's feeds too. With wait (tests, the terminal) the pass
        returns when its feeds are done; without it (the loop) it returns at once and the polls go on in the
        background, so the next pass starts on time whatever this one meets. Feeds the limits hold back stay
        due for the next pass."""
        due = [f for f in await store.due_feeds(self._db, self._clock.now(), limit) if f.id not in self._in_flight]
        if not due:
            return []
        task = asyncio.ensure_future(self._poll_pass(due, await store.followers(self._db, [f.id for f in due])))
        if wait:
            return await task
        self._passes.add(task)
        task.add_done_callback(self._pass_done)
        return []

    def _pass_done(self, task: asyncio.Future[list[PollOutcome]]) -> None:
        self._passes.discard(task)
        if not task.cancelled() and task.exception() is not None:  # polls never raise; this would be a bug
            log.error("feed poll pass failed", exc_info=task.exception())

    async def _poll_pass(self, due: list[Feed], followers: dict[int, list[int]]) -> list[PollOutcome]:
        waiting = list(due)
        running: dict[asyncio.Future[PollOutcome], int] = {}
        outcomes: list[PollOutcome] = []
        while waiting or running:
            for feed in list(waiting):
                if sum(self._polling.values()) >= POLL_CONCURRENCY:
                    break
                owner = min(followers.get(feed.id) or [0], key=lambda g: self._polling.get(g, 0))
                if self._polling.get(owner, 0) >= POLLS_PER_GUILD:
                    continue
                waiting.remove(feed)
                if feed.id in self._in_flight:  # another pass (or a preview) is on it
                    continue
                # Processes sharing the store (PostgreSQL, several hosts) fetch each feed once per interval.
                now = self._clock.now()
                if not await store.claim_feed(self._db, feed.id, now, now + POLL_LEASE):
                    continue
                self._polling[owner] = self._polling.get(owner, 0) + 1
                running[asyncio.ensure_future(self.poll(feed))] = owner
            if not running:
                break  # what is left waits for slots other passes hold: the next pass takes it
            done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for finished in done:
                owner = running.pop(finished)
                self._polling[owner] -= 1
                if not self._polling[owner]:
                    del self._polling[owner]
                if not finished.cancelled() and finished.exception() is None:
                    outcomes.append(finished.result())
        return outcomes

    async def poll(
        self, feed: Feed, *, client_timeout: aiohttp.ClientTimeout = POLL_TIMEOUT, attempts: int = 2
    ) -> PollOutcome:
        """Fetch and store one feed (one poll per feed at a time); record success or failure in its health."""
        task = self._in_flight.get(feed.id)
        if task is None:
            task = asyncio.ensure_future(self._poll(feed, client_timeout, attempts))
            self._in_flight[feed.id] = task
            task.add_done_callback(functools.partial(self._finished, feed.id))
        # Shielded: a caller giving up (a preview's short wait) does not cancel a poll half-way through.
        return await asyncio.shield(task)

    def _finished(self, feed_id: int, _task: asyncio.Future[PollOutcome]) -> None:
        self._in_flight.pop(feed_id, None)

    async def _poll(self, feed: Feed, client_timeout: aiohttp.ClientTimeout, attempts: int) -> PollOutcome:
        started = time.perf_counter()
        try:
            result = await self._fetch(
                feed.url,
                etag=feed.etag,
                last_modified=feed.last_modified,
                client_timeout=client_timeout,
                attempts=attempts,
                backoff=2.0,
            )
            now = self._clock.now()
            if result.not_modified:
                await store.save_not_modified(self._db, feed.id, at=now, next_poll_at=self._next_poll(now, 0))
                log.info("feed polled feed=%d status=304 ms=%.0f", feed.id, (time.perf_counter() - started) * 1000)
                return PollOutcome(feed.id, feed.url, True, not_modified=True)
            parsed = await self._parse(result)
            added = await self._save_fetched(feed.id, result, parsed, now)
        except (FetchFailed, NotAFeed, FeedRefused) as exc:
            return await self._failed(feed, _short_error(exc.message, feed.url))
        except Exception as exc:  # anything else a hostile feed provokes still counts as a failure, with backoff
            log.exception("feed poll crashed feed=%d", feed.id)
            return await self._failed(feed, f"could not be read ({type(exc).__name__})")
        log.info(
            "feed polled feed=%d items=%d new=%d ms=%.0f",
            feed.id,
            len(parsed.items),
            added,
            (time.perf_counter() - started) * 1000,
        )
        return PollOutcome(feed.id, feed.url, True, new_items=added)

    async def _fetch(
        self,
        url: str,
        *,
        client_timeout: aiohttp.ClientTimeout,
        attempts: int,
        etag: str | None = None,
        last_modified: str | None = None,
        backoff: float = 1.0,
    ) -> FetchResult:
        """Download a feed holding one of its host's FETCHES_PER_HOST slots (waiting at most the timeout)."""
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
                    sleep=self._sleep,
                )
        except TimeoutError:  # only the wait for a slot raises it; fetch turns its own timeouts into FetchFailed
            raise FetchFailed(
                f"{redact_url(url)}: its host is busy with other fetches; try again in a minute"
            ) from None

    async def _parse(self, result: FetchResult) -> ParsedFeed:
        """Parse a download in a limited child process (bot/services/feed_parsing.py)."""
        return await parse_isolated(result.body, result.url, result.content_type, max_items=MAX_ITEMS_PER_POLL)

    async def _failed(self, feed: Feed, error: str) -> PollOutcome:
        """Record a failed poll: the reason, one more failure, the next poll pushed back (backoff)."""
        now = self._clock.now()
        try:
            failures = await store.save_failure(
                self._db, feed.id, at=now, error=error, next_poll_at=self._next_poll(now, feed.consecutive_failures + 1)
            )
        except Exception:  # the store itself failing: logged; the feed stays due and is tried again
            log.exception("feed failure not recorded feed=%d", feed.id)
            failures = feed.consecutive_failures + 1
        log.warning("feed poll failed feed=%d failures=%d error=%s", feed.id, failures, error)
        return PollOutcome(feed.id, feed.url, False, error=error)

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
        tasks = [asyncio.ensure_future(self.poll(f, client_timeout=timeout, attempts=1)) for f in feeds]
        # A poll already running with the longer loop timeout is not waited for beyond the short one.
        done, pending = await asyncio.wait(tasks, timeout=seconds + 1)
        for task in pending:
            task.cancel()
        return [t.result() for t in done if not t.cancelled() and t.exception() is None]


def _short_error(message: str, url: str) -> str:
    """An error without the feed's own URL in front (the health line already names the feed)."""
    for prefix in (f"{redact_url(url)}: ", f"{url}: "):
        if message.startswith(prefix):
            return message[len(prefix) :]
    return message
