"""Import one UN Consolidated List: parse off the event loop, diff against the latest version, write atomically."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import time
from dataclasses import dataclass
from typing import Literal

from bot.clock import Clock
from bot.errors import OutOfOrder, TooManyRemovals
from bot.models import ListDiff, ListVersion, ParsedList, RegimeCount, diff_entries
from bot.sources.un_xml import parse_consolidated_list
from bot.store import lists as store
from bot.store.db import Database

log = logging.getLogger(__name__)

MAX_REMOVAL_SHARE = 0.20


@dataclass(frozen=True)
class ImportResult:
    """What an import did: a new version (with its diff), or nothing because the bytes were already imported."""

    status: Literal["imported", "unchanged"]
    version: ListVersion
    previous: ListVersion | None
    counts: list[RegimeCount]
    diff: ListDiff
    seconds: float

    @property
    def changed_entries(self) -> bool:
        """True when the version added, removed or amended entries."""
        return self.status == "imported" and not self.diff.is_empty


def _prepare(data: bytes) -> tuple[ParsedList, list[str]]:
    """CPU work for a worker thread: parse, and hash every entry."""
    parsed = parse_consolidated_list(data)
    return parsed, [entry.content_hash() for entry in parsed.entries]


def generated_time(text: str) -> dt.datetime:
    """A dateGenerated value as an aware datetime (naive values are taken as UTC)."""
    when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


class ListImporter:
    """Turns list bytes into a stored version; the only writer of list versions."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        self._lock = asyncio.Lock()

    async def import_bytes(self, data: bytes, source: str, *, force: bool = False) -> ImportResult:
        """Import list content; refuse (store untouched) if it is not a sound, newer UN list."""
        async with self._lock:
            started = time.perf_counter()
            sha = hashlib.sha256(data).hexdigest()
            existing = await store.version_by_sha(self._db, sha)
            if existing is not None:
                counts = await store.version_counts(self._db, existing.id)
                log.info("list import unchanged sha256=%s version=%d", sha[:12], existing.id)
                return ImportResult("unchanged", existing, None, counts, ListDiff(), time.perf_counter() - started)
            parsed, hashes = await asyncio.to_thread(_prepare, data)
            previous = await store.latest_version(self._db)
            previous_entries = await store.version_entries(self._db, previous.id) if previous else {}
            older = previous is not None and generated_time(parsed.generated_at) < generated_time(previous.generated_at)
            if older and previous is not None and not force:
                raise OutOfOrder(
                    f"refused: this list was generated {parsed.generated_at[:10]}, before the latest imported "
                    f"version ({previous.generated_at[:10]}); import versions in date order (or use --force)"
                )
            if previous is None:
                diff = ListDiff()  # the first version has nothing to be compared with
            else:
                diff = await asyncio.to_thread(
                    diff_entries,
                    {ref: s.entry for ref, s in previous_entries.items()},
                    {e.reference: e for e in parsed.entries},
                    {ref: s.content_hash for ref, s in previous_entries.items()},
                    {e.reference: h for e, h in zip(parsed.entries, hashes, strict=True)},
                )
            if previous_entries and not force:
                share = len(diff.removed) / len(previous_entries)
                if share > MAX_REMOVAL_SHARE:
                    raise TooManyRemovals(len(diff.removed), len(previous_entries), MAX_REMOVAL_SHARE)
            version = await store.save_version(
                self._db,
                generated_at=parsed.generated_at,
                sha256=sha,
                source=source,
                imported_at=self._clock.now().isoformat(timespec="seconds"),
                entries=parsed.entries,
                hashes=hashes,
                diff=diff,
                previous=previous_entries,
            )
            counts = await store.version_counts(self._db, version.id)
            seconds = time.perf_counter() - started
            log.info(
                "list imported version=%d generated=%s entries=%d added=%d removed=%d amended=%d ms=%.0f",
                version.id,
                version.generated_at,
                version.entry_count,
                version.added,
                version.removed,
                version.amended,
                seconds * 1000,
            )
            return ImportResult("imported", version, previous, counts, diff, seconds)
