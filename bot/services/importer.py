"""Import one UN Consolidated List: parse off the event loop, diff against the latest version, write atomically."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import msgspec

from bot.clock import Clock
from bot.errors import OutOfOrder, TooManyRemovals
from bot.memory import collector_paused
from bot.models import BOOKKEEPING_FIELDS, Entry, ListDiff, ListVersion, ParsedList, RegimeCount, diff_entries
from bot.sources.un_xml import parse_consolidated_list
from bot.store import lists as store
from bot.store.db import Database
from bot.store.list_import import ListWriter, import_transaction

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


# One encoding of each entry serves both its store record and its content hash; the output is byte for byte
# Entry.to_json() and the text Entry.content_hash() hashes (tests/services/test_import_serialise.py holds them equal).
_RECORD = msgspec.json.Encoder()
_CANONICAL = msgspec.json.Encoder(order="sorted")


def serialise(entries: Sequence[Entry]) -> tuple[list[str], list[str]]:
    """Each entry's content hash and stored JSON record (what Entry.content_hash and Entry.to_json give)."""
    hashes: list[str] = []
    records: list[str] = []
    for entry in entries:
        record = _RECORD.encode(entry)
        material = msgspec.json.decode(record)
        for name in BOOKKEEPING_FIELDS:
            del material[name]
        hashes.append(hashlib.sha256(_CANONICAL.encode(material)).hexdigest())
        records.append(record.decode())
    return hashes, records


def _prepare(data: bytes) -> tuple[ParsedList, list[str], list[str]]:
    """CPU work for a worker thread: parse, then hash and serialise every entry."""
    # The tree and the records hold no reference cycles: the collector's passes over them would find nothing.
    with collector_paused(freeze=False):
        parsed = parse_consolidated_list(data)
        hashes, records = serialise(parsed.entries)
    return parsed, hashes, records


class _Changed(Mapping[str, Entry]):
    """The previous version's entries for the diff: every reference, but only changed records decoded."""

    def __init__(self, revisions: dict[str, int], records: dict[int, Entry]) -> None:
        self._revisions = revisions
        self._records = records

    def __getitem__(self, reference: str) -> Entry:
        return self._records[self._revisions[reference]]  # KeyError for an unchanged entry: the diff never asks

    def __iter__(self) -> Iterator[str]:
        return iter(self._revisions)

    def __len__(self) -> int:
        return len(self._revisions)


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
        """Import list content; refuse (store untouched) if it is not a sound, newer UN list.

        The duplicate and order checks and the diff are made inside the write transaction that stores the version,
        so another process importing at the same time is either wholly before this import (and is compared with)
        or wholly after it: the newest list stays latest, and each diff is against its true predecessor.
        """
        async with self._lock:
            started = time.perf_counter()
            sha = hashlib.sha256(data).hexdigest()
            # A cheap early answer for the common case (a scheduled sync of unchanged bytes); checked again below.
            existing = await store.version_by_sha(self._db, sha)
            if existing is not None:
                return await self._unchanged(existing, started)
            parsed, hashes, records = await asyncio.to_thread(_prepare, data)
            async with import_transaction(self._db) as tx:
                existing = await tx.version_by_sha(sha)
                if existing is not None:  # imported by another process since the first check
                    previous = version = None
                else:
                    previous = await tx.latest_version()
                    # Revision ids and hashes only: a record is decoded just for the entries that changed.
                    previous_entries = await tx.version_revisions(previous.id) if previous else {}
                    diff = await self._checked_diff(parsed, hashes, previous, previous_entries, tx, force=force)
                    version = await tx.save_version(
                        generated_at=parsed.generated_at,
                        sha256=sha,
                        source=source,
                        imported_at=self._clock.now().isoformat(timespec="seconds"),
                        entries=parsed.entries,
                        hashes=hashes,
                        records=records,
                        diff=diff,
                        previous=previous_entries,
                    )
            if version is None:
                assert existing is not None
                return await self._unchanged(existing, started)
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

    async def _unchanged(self, existing: ListVersion, started: float) -> ImportResult:
        """The answer for content imported before: that version, and nothing changed."""
        counts = await store.version_counts(self._db, existing.id)
        log.info("list import unchanged sha256=%s version=%d", existing.sha256[:12], existing.id)
        return ImportResult("unchanged", existing, None, counts, ListDiff(), time.perf_counter() - started)

    @staticmethod
    async def _checked_diff(
        parsed: ParsedList,
        hashes: list[str],
        previous: ListVersion | None,
        previous_entries: dict[str, store.StoredRevision],
        tx: ListWriter,
        *,
        force: bool,
    ) -> ListDiff:
        """The diff against the latest version, after refusing an older list or too many removals (unless force)."""
        older = previous is not None and generated_time(parsed.generated_at) < generated_time(previous.generated_at)
        if older and previous is not None and not force:
            raise OutOfOrder(
                f"refused: this list was generated {parsed.generated_at[:10]}, before the latest imported "
                f"version ({previous.generated_at[:10]}); import versions in date order (or use --force)"
            )
        if previous is None:
            return ListDiff()  # the first version has nothing to be compared with
        new_hashes = {e.reference: h for e, h in zip(parsed.entries, hashes, strict=True)}
        old_hashes = {ref: s.content_hash for ref, s in previous_entries.items()}
        # Only removed and amended entries are read back (an unchanged one is never looked at by the diff).
        changed = [s.revision_id for ref, s in previous_entries.items() if new_hashes.get(ref) != s.content_hash]
        records = await tx.revision_entries(changed)
        old = _Changed({ref: s.revision_id for ref, s in previous_entries.items()}, records)
        diff = await asyncio.to_thread(
            diff_entries, old, {e.reference: e for e in parsed.entries}, old_hashes, new_hashes
        )
        if previous_entries and not force:
            share = len(diff.removed) / len(previous_entries)
            if share > MAX_REMOVAL_SHARE:
                raise TooManyRemovals(len(diff.removed), len(previous_entries), MAX_REMOVAL_SHARE)
        return diff
