"""Keep the local copy of the UN list fresh: fetch UN_LIST_URL (conditional GET) and import what changed."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

import aiohttp

from bot import backoff
from bot.clock import Clock
from bot.errors import FetchFailed, ImportRefused
from bot.fetch import fetch
from bot.redact import redact_url
from bot.services.importer import ImportResult, ListImporter
from bot.sources.un_xml import MAX_LIST_BYTES
from bot.store import lists as store
from bot.store.db import Database

log = logging.getLogger(__name__)

MAX_BACKOFF_MINUTES = 24 * 60


@dataclass(frozen=True)
class SyncResult:
    """What one sync did: imported a version, found nothing new, or failed (data kept)."""

    outcome: Literal["imported", "unchanged", "not_modified", "failed"]
    result: ImportResult | None = None
    error: str | None = None
    next_attempt_at: dt.datetime | None = None


class ListSync:
    """Fetch and import the list; record every attempt; back off after failures."""

    def __init__(
        self,
        db: Database,
        importer: ListImporter,
        session: aiohttp.ClientSession,
        clock: Clock,
        *,
        url: str,
        interval_minutes: int,
        timeout: aiohttp.ClientTimeout | None = None,
        sleep: Callable[[float], Awaitable[object]] | None = None,
        rng: backoff.Uniform | None = None,
        on_recorded: Callable[[], object] | None = None,
    ) -> None:
        self._db = db
        self._on_recorded = on_recorded  # told after each attempt is recorded (the answers' freshness)
        self._importer = importer
        self._session = session
        self._clock = clock
        self.url = url
        self.interval_minutes = interval_minutes
        self._timeout = timeout
        self._sleep = sleep
        self._rng = rng

    def backoff_minutes(self, failures: int) -> int:
        """The longest wait after `failures` failures in a row: 5, 10, 20, … minutes, capped at a day and at the
        interval. The wait itself is drawn below it (retry_minutes): processes failing together retry apart."""
        cap = min(MAX_BACKOFF_MINUTES, self.interval_minutes or MAX_BACKOFF_MINUTES)
        return int(backoff.ceiling(max(failures, 1), 5, cap))

    def retry_minutes(self, failures: int) -> float:
        """The wait after `failures` failures: full jitter below backoff_minutes (bot.backoff), at least a minute."""
        top = self.backoff_minutes(failures)
        return max(1.0, backoff.delay(1, top, top, self._rng))

    async def due(self) -> bool:
        """True when the next attempt time has come (or was never set)."""
        status = await store.sync_status(self._db)
        if not status.next_attempt_at:
            return True
        return self._clock.now() >= dt.datetime.fromisoformat(status.next_attempt_at)

    async def run(self, *, force: bool = False) -> SyncResult:
        """One sync attempt. Failures are recorded and returned, never raised: the last good data stays."""
        now = self._clock.now()
        status = await store.sync_status(self._db)
        have_list = await store.latest_version(self._db) is not None
        kwargs = {"sleep": self._sleep} if self._sleep else {}
        try:
            fetched = await fetch(
                self._session,
                self.url,
                max_bytes=MAX_LIST_BYTES,
                etag=status.etag if have_list else None,
                last_modified=status.last_modified if have_list else None,
                timeout=self._timeout,
                **kwargs,  # type: ignore[arg-type]
            )
            if fetched.not_modified:
                next_at = await self._record_success(now)
                log.info("list sync not modified url=%s", redact_url(self.url))
                return SyncResult("not_modified", next_attempt_at=next_at)
            result = await self._importer.import_bytes(fetched.body, redact_url(self.url), force=force)
        except (FetchFailed, ImportRefused) as exc:
            failures = status.consecutive_failures + 1
            next_at = now + dt.timedelta(minutes=self.retry_minutes(failures))
            await store.record_sync(
                self._db,
                attempt_at=now.isoformat(timespec="seconds"),
                ok=False,
                error=exc.message,
                next_attempt_at=next_at.isoformat(timespec="seconds"),
            )
            self._recorded()
            log.warning("list sync failed url=%s failures=%d error=%s", redact_url(self.url), failures, exc.message)
            return SyncResult("failed", error=exc.message, next_attempt_at=next_at)
        next_at = await self._record_success(now, etag=fetched.etag, last_modified=fetched.last_modified)
        return SyncResult(result.status, result=result, next_attempt_at=next_at)

    async def _record_success(
        self, now: dt.datetime, *, etag: str | None = None, last_modified: str | None = None
    ) -> dt.datetime:
        """Record a good attempt (keeping the old validators where none are given); the next attempt's time."""
        next_at = now + dt.timedelta(minutes=self.interval_minutes or 360)
        await store.record_sync(
            self._db,
            attempt_at=now.isoformat(timespec="seconds"),
            ok=True,
            next_attempt_at=next_at.isoformat(timespec="seconds"),
            etag=etag,
            last_modified=last_modified,
        )
        self._recorded()
        return next_at

    def _recorded(self) -> None:
        if self._on_recorded is not None:
            self._on_recorded()
