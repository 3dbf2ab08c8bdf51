"""The list as it stands: the latest version and its counts, kept in memory and refreshed after imports."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from bot.errors import ListNotLoaded, UnknownRegime
from bot.models import ListVersion, RegimeCount, SyncStatus
from bot.store import lists as store
from bot.store.db import Database

log = logging.getLogger(__name__)

# The sync record is read at most this often for answers (a query per answer cost more than the answer): this
# process's own syncs and every version refresh (the poll, LISTEN) forget it at once; another process's sync
# shows within this many seconds.
SYNC_STATUS_SECONDS = 5.0

VersionListener = Callable[[ListVersion, ListVersion | None], Awaitable[None]]


def regime_key(text: str) -> str:
    """Case- and punctuation-free form of a regime name, for matching what users type."""
    return re.sub(r"[^a-z0-9]", "", text.casefold())


@dataclass(frozen=True)
class CountAnswer:
    """Counts of one version, for one regime or all of them."""

    version: ListVersion
    regime: str | None
    counts: list[RegimeCount]
    # For a regime with no entries on this version: the last imported version that had some, with its counts.
    last_held: tuple[ListVersion, RegimeCount] | None = None

    @property
    def individuals(self) -> int:
        """Individuals over the regimes in the answer."""
        return sum(c.individuals for c in self.counts)

    @property
    def entities(self) -> int:
        """Entities over the regimes in the answer."""
        return sum(c.entities for c in self.counts)


def parse_time(text: str | None) -> dt.datetime | None:
    """An ISO time as written by the list ('…Z') or by us ('…+00:00'), aware (UTC if it has no zone)."""
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class Freshness:
    """How fresh the latest list is: when it was last known to be the UN's current list, and the sync's health.

    The list is known current from the moment it was generated; a later successful sync (one that found the
    same content, or no change) confirms it again. An import from a file or URL on the command line says
    nothing about what the UN publishes now, but it counts as a success of the bot's own (for /about).
    """

    version: ListVersion
    now: dt.datetime
    confirmed_at: dt.datetime
    max_age_hours: int
    last_success_at: dt.datetime | None
    last_success_by: str  # "sync" or "import"
    last_error: str | None = None
    failures: int = 0

    @property
    def age_hours(self) -> float:
        """Hours since the list was last known current."""
        return max(0.0, (self.now - self.confirmed_at).total_seconds() / 3600)

    @property
    def stale(self) -> bool:
        """Older than LIST_MAX_AGE_HOURS."""
        return self.age_hours > self.max_age_hours

    @property
    def sync_failing(self) -> bool:
        """The last sync attempt failed (the answers use the last good data)."""
        return bool(self.last_error) and self.failures > 0

    @property
    def ok(self) -> bool:
        """Fresh, and the last sync did not fail."""
        return not self.stale and not self.sync_failing


def assess_freshness(version: ListVersion, status: SyncStatus, now: dt.datetime, max_age_hours: int) -> Freshness:
    """The freshness of `version` given the sync record (pure: the rules in one place for answers and health)."""
    generated = parse_time(version.generated_at) or parse_time(version.imported_at) or now
    imported = parse_time(version.imported_at)
    synced = parse_time(status.last_success_at)
    confirmed = generated
    success: dt.datetime | None = imported
    by = "import"
    # A sync that succeeded after this version was imported saw the UN still publishing it (or nothing newer).
    if synced is not None and (imported is None or synced >= imported):
        confirmed = max(confirmed, synced)
        success, by = synced, "sync"
    return Freshness(
        version=version,
        now=now,
        confirmed_at=min(confirmed, now),
        max_age_hours=max_age_hours,
        last_success_at=success,
        last_success_by=by,
        last_error=status.last_error,
        failures=status.consecutive_failures,
    )


class ListService:
    """The latest version and its per-regime counts, cached; listeners hear about each new version."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._version: ListVersion | None = None
        self._counts: dict[str, RegimeCount] = {}
        self._listeners: list[VersionListener] = []
        self._refresh_lock = asyncio.Lock()
        self._sync_status: SyncStatus | None = None
        self._sync_read_at = 0.0

    @property
    def version(self) -> ListVersion | None:
        """The latest imported version, as of the last refresh."""
        return self._version

    def require_version(self) -> ListVersion:
        """The latest version, or ListNotLoaded."""
        if self._version is None:
            raise ListNotLoaded()
        return self._version

    def add_listener(self, listener: VersionListener) -> None:
        """Call `listener(new, old)` after each refresh that finds a newer version."""
        self._listeners.append(listener)

    async def refresh(self) -> bool:
        """Reload the latest version from the store; tell listeners if it changed. Return whether it did."""
        async with self._refresh_lock:
            self.forget_sync_status()  # the poll or announcement that brings versions also brings syncs
            latest = await store.latest_version(self._db)
            if latest is None or (self._version is not None and latest.id == self._version.id):
                return False
            counts = await store.version_counts(self._db, latest.id)
            old = self._version
            self._counts = {c.regime: c for c in counts}
            self._version = latest
            log.info("list version now id=%d generated=%s", latest.id, latest.generated_at)
            for listener in self._listeners:
                try:
                    await listener(latest, old)
                except Exception:
                    log.exception("version listener failed listener=%r", listener)
            return True

    def regimes(self) -> list[str]:
        """The regimes on the latest list, as the list spells them."""
        return sorted(self._counts)

    def resolve_regime(self, text: str, known: Sequence[str] | None = None) -> str:
        """The list's spelling of a regime a user typed (any case, common synonyms), or UnknownRegime."""
        names = list(known) if known is not None else self.regimes()
        wanted = regime_key(text)
        by_key = {regime_key(name): name for name in names}
        if wanted in by_key:
            return by_key[wanted]
        from bot.regimes import regime_synonyms  # the knowledge file: not read by imports and other non-answers

        synonym = regime_synonyms().get(wanted)
        if synonym and synonym in names:
            return synonym
        from rapidfuzz import fuzz, process  # only for a name that matched nothing: not loaded by every command

        choices = {name: regime_key(name) for name in names}
        close = process.extract(wanted, choices, scorer=fuzz.ratio, limit=3, score_cutoff=60)
        raise UnknownRegime(text, [name for _key, _score, name in close], known=names)

    async def freshness(self, now: dt.datetime, max_age_hours: int) -> Freshness:
        """How fresh the latest version is (ListNotLoaded without one), from the sync record as last read."""
        version = self.require_version()
        return assess_freshness(version, await self.sync_status(), now, max_age_hours)

    async def sync_status(self) -> SyncStatus:
        """The sync record, read again when older than SYNC_STATUS_SECONDS or forgotten."""
        status = self._sync_status
        if status is None or time.monotonic() - self._sync_read_at > SYNC_STATUS_SECONDS:
            read_at = time.monotonic()
            status = await store.sync_status(self._db)
            self._sync_status, self._sync_read_at = status, read_at
        return status

    def forget_sync_status(self) -> None:
        """A sync was recorded (or may have been, by another process): read the record again when next asked."""
        self._sync_status = None

    def counts(self, regime: str | None = None) -> CountAnswer:
        """Counts on the latest list, for one regime (resolved from what the user typed) or all."""
        version = self.require_version()
        if regime is None or not regime.strip():
            return CountAnswer(version, None, [self._counts[r] for r in sorted(self._counts)])
        name = self.resolve_regime(regime)
        return CountAnswer(version, name, [self._counts[name]])
