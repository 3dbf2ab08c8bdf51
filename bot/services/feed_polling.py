"""Feed polling: due feeds polled within overall and per-server limits, one at a time each, health and backoff kept."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import time
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot import backoff
from bot.clock import Clock
from bot.errors import FeedRefused, FetchFailed, NotAFeed
from bot.fetch import FetchResult
from bot.redact import redact_url
from bot.services.feed_fetcher import FeedFetcher
from bot.sources.feeds import ParsedFeed
from bot.store import feeds as store
from bot.store.db import Database
from bot.store.feeds import Feed

log = logging.getLogger(__name__)

MAX_BACKOFF_MINUTES = 12 * 60
POLL_CONCURRENCY = 16  # polls at once over all servers …
POLLS_PER_GUILD = 2  # … of which at most this many count against one server (see poll_due)
POLL_TIMEOUT = aiohttp.ClientTimeout(total=30, sock_connect=10, sock_read=20)
# A claimed feed is not due for others for this long, unless its poll records an outcome first.
POLL_LEASE = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class PollOutcome:
    """What one poll of one feed did."""

    feed_id: int
    url: str
    ok: bool
    new_items: int = 0
    error: str | None = None
    not_modified: bool = False


class FeedPoller:
    """Polls due feeds in the background within the limits, and records each poll in the feed's health."""

    def __init__(self, db: Database, clock: Clock, fetcher: FeedFetcher, *, poll_minutes: int) -> None:
        self._db = db
        self._clock = clock
        self._fetcher = fetcher
        self.poll_minutes = poll_minutes
        self._in_flight: dict[int, asyncio.Task[PollOutcome]] = {}
        self._polling: dict[int, int] = {}  # guild → polls running counted against it (poll_due's)
        self._passes: set[asyncio.Future[list[PollOutcome]]] = set()  # background passes (kept referenced)

    async def close(self) -> None:
        """Stop the passes and polls still running."""
        pending: list[asyncio.Future[Any]] = [*self._passes, *self._in_flight.values()]
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=2)

    def backoff_minutes(self, failures: int) -> int:
        """Minutes to the next poll after `failures` failures in a row: the interval, doubling, capped."""
        if failures <= 0:
            return self.poll_minutes
        return int(backoff.ceiling(failures, self.poll_minutes, MAX_BACKOFF_MINUTES))

    def _next_poll(self, now: dt.datetime, failures: int) -> dt.datetime:
        return now + dt.timedelta(minutes=self.backoff_minutes(failures))

    async def save_fetched(self, feed_id: int, result: FetchResult, parsed: ParsedFeed, now: dt.datetime) -> int:
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
            result = await self._fetcher.fetch(
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
            parsed = await self._fetcher.parse(result)
            added = await self.save_fetched(feed.id, result, parsed, now)
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


def _short_error(message: str, url: str) -> str:
    """An error without the feed's own URL in front (the health line already names the feed)."""
    for prefix in (f"{redact_url(url)}: ", f"{url}: "):
        if message.startswith(prefix):
            return message[len(prefix) :]
    return message
