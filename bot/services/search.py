"""Name search over the latest list: the service that holds the current index and swaps it whole after an import.

The work is split by job: `bot.normalize` (names to comparable keys), `search_index` (the index and finding
candidates), `search_score` (one query against one name), `search_complete` (autocomplete),
`search_references` (reference numbers as typed) and `bot.search_results` (what a search returns).
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
from collections import OrderedDict
from pathlib import Path

from bot.errors import InvalidOption, ListNotLoaded
from bot.hangul import has_jamo
from bot.memory import collector_paused, take_apart
from bot.models import ListVersion
from bot.normalize import fold
from bot.search_results import CLOSE_SCORE, Hit, IndexedEntry, SearchResult
from bot.services import search_cache
from bot.services.lists import ListService
from bot.services.search_exact import exact_level_keys, may_score_exact_level
from bot.services.search_identifiers import identifier_key
from bot.services.search_index import MAX_HITS, SearchIndex
from bot.services.search_score import FUZZY_CAP, MIN_SCORE, PARTIAL_CAP, WITHIN_MAX_WORDS, match_score
from bot.store import lists as store
from bot.store.db import Database
from bot.store.lists import StoredEntry
from bot.text import one_line

__all__ = [
    "CLOSE_SCORE",
    "FUZZY_CAP",
    "MAX_HITS",
    "MAX_QUERY",
    "MIN_QUERY",
    "MIN_SCORE",
    "PARTIAL_CAP",
    "WITHIN_MAX_WORDS",
    "Hit",
    "IndexedEntry",
    "SearchIndex",
    "SearchResult",
    "SearchService",
    "check_query",
    "exact_level_keys",
    "identifier_key",
    "match_score",
    "may_score_exact_level",
]

log = logging.getLogger(__name__)

MIN_QUERY = 2
MAX_QUERY = 100
MAX_CACHED_CHOICES = 2048  # autocomplete texts whose choices are kept (each at most 25 short pairs)
MAX_NAMES = 5
# Names in double or typographic quotes (not apostrophes: they are part of names like Ch'o'l).
_QUOTED = re.compile(r'["“”„«»]([^"“”„«»]+)["“”„«»]')


def _build_index(version: ListVersion, holder: list[dict[str, StoredEntry]], references: list[str]) -> SearchIndex:
    """Build the index in a worker thread, and free the decoded records here too, a piece at a time."""
    stored = holder.pop()
    entries = [s.entry for s in stored.values()]
    try:
        return SearchIndex(version, entries, references)
    finally:
        take_apart(entries)
        take_apart(stored)


def release_in_pieces(holder: list[object]) -> None:
    """Free a replaced index (and what was kept for it) piece by piece, in a worker thread: freeing it whole is one
    long C call that holds the GIL (50 ms at 10x the list) and stalls the event loop. An index someone else still
    holds is left to them: when they let go of it, its contents go to a background thread (SearchIndex.__del__)."""
    while holder:
        value = holder.pop()
        if isinstance(value, SearchIndex):
            if sys.getrefcount(value) > 2:  # this frame and getrefcount's argument: someone else still uses it
                del value
                continue
            parts = value.detach()
        else:
            parts = [value]
        del value
        for part in parts:
            take_apart(part)
        del parts


async def _load(path: Path) -> SearchIndex | None:
    with collector_paused():  # the loaded index is long-lived: frozen afterwards, never walked by the collector
        return await asyncio.to_thread(search_cache.load, path)


def check_query(name: str) -> str:
    """The query as searched, or InvalidOption for empty, one-character or over-long text."""
    cleaned = one_line(name)
    if len(cleaned) > MAX_QUERY:
        raise InvalidOption("name", f"that is {len(cleaned)} characters; names are searched with at most {MAX_QUERY}")
    if has_jamo(cleaned):
        raise InvalidOption(
            "name", "that has Hangul letters on their own; type whole syllables, e.g. 리원호 (read as Ri Won Ho)"
        )
    letters = fold(cleaned).replace(" ", "")
    if not letters:
        raise InvalidOption("name", "type a name to search for (letters or digits)")
    if len(letters) < MIN_QUERY:
        raise InvalidOption("name", f"type at least {MIN_QUERY} letters; one letter matches half the list")
    return cleaned


class SearchService:
    """Holds the current SearchIndex and swaps it whole when a new version arrives; builds it off the event loop
    (a child process for large lists), at most once per list version, and keeps it on disk for the next start."""

    def __init__(self, db: Database, lists: ListService, *, location: Path | str | None = None) -> None:
        self._db = db
        self._lists = lists
        # The store's: where the index is cached, what a child process opens (from its own working folder).
        self._location = location.absolute() if isinstance(location, Path) else location
        self._index: SearchIndex | None = None
        self._build_lock = asyncio.Lock()
        self._pending: dict[int, asyncio.Future[SearchIndex]] = {}  # version id -> index being built or loaded
        self.process_entries = search_cache.PROCESS_ENTRIES
        self.builds = 0  # indexes built here (not loaded from a cache file)
        self.loads = 0  # indexes loaded from a cache file
        lists.add_listener(self._on_version)
        # Autocomplete choices by (kind, text typed), for the index they came from: the same few prefixes are
        # typed again and again, and working them out cost more than the rest of an autocomplete interaction.
        self._choices: OrderedDict[tuple[str, str], list[tuple[str, str]]] = OrderedDict()
        self._choices_index: SearchIndex | None = None

    @property
    def index(self) -> SearchIndex | None:
        """The index in use (None before the first list is loaded)."""
        return self._index

    def require_index(self) -> SearchIndex:
        """The index in use, or ListNotLoaded."""
        if self._index is None:
            raise ListNotLoaded()
        return self._index

    async def _on_version(self, version: ListVersion, old: ListVersion | None) -> None:
        # The first version this process sees (its start-up): prepared, so a large list with no index on disk does
        # not hold up the start; a later one is built before the next listener (the watches) runs.
        await (self.prepare(version) if old is None else self.ensure(version))

    async def ensure(self, version: ListVersion) -> SearchIndex:
        """An index of `version`: the one in use, the one being built or loaded for it, or a new one (loaded from
        the cache file if there is one). However many answers ask at once, a version is built at most once."""
        index = self._index
        if index is not None and index.version.id == version.id:
            return index
        pending = self._pending.get(version.id)
        if pending is None:
            pending = self._start(version, fresh=False)
        # Shielded: an answer that gives up waiting does not cancel the build the others wait for.
        return await asyncio.shield(pending)

    async def prepare(self, version: ListVersion) -> None:
        """At start-up: the index of `version` ready before the first answer if it is on disk or quick to build; a
        large list with no index on disk is built in the background, so the bot connects at once (answers that
        search wait for that build, as ensure() does)."""
        if self._location is not None and await store.version_size(self._db, version.id) > self.process_entries:
            path = search_cache.cache_path(self._location, version, await store.newest_revision_id(self._db))
            if not await asyncio.to_thread(path.exists):
                if version.id not in self._pending:
                    self._start(version, fresh=False)
                return
        await self.ensure(version)

    async def close(self) -> None:
        """Stop builds in progress (a child process building an index is ended with them)."""
        pending = list(self._pending.values())
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    async def rebuild(self, version: ListVersion) -> SearchIndex:
        """Build an index of one version anew (never from the cache) and swap it in; queries keep using the old one
        until then. Answers that ask for this version meanwhile wait for this build."""
        return await asyncio.shield(self._start(version, fresh=True))

    def _start(self, version: ListVersion, *, fresh: bool) -> asyncio.Future[SearchIndex]:
        task = asyncio.ensure_future(self._produce(version, fresh=fresh))
        self._pending[version.id] = task

        def forget(done: asyncio.Future[SearchIndex]) -> None:
            if self._pending.get(version.id) is done:
                del self._pending[version.id]
            if not done.cancelled() and done.exception() is not None:
                log.error("search index build failed version=%d cause=%s", version.id, done.exception())

        task.add_done_callback(forget)
        return task

    async def _produce(self, version: ListVersion, *, fresh: bool) -> SearchIndex:
        async with self._build_lock:
            current = self._index
            if not fresh and current is not None and current.version.id == version.id:
                return current  # built by the build this one waited for
            index, how = await self._obtain(version, fresh=fresh)
            replaced: list[object] = [self._index] if self._index is not None else []
            self._index = index  # one assignment: a query sees the old index or the new one, never a mix
            del current
            # The choices kept for the replaced index hold it too (and are as stale): freed with it, off the loop.
            replaced.append(self._choices)
            self._choices, self._choices_index = OrderedDict(), None
            await asyncio.to_thread(release_in_pieces, replaced)
            log.info(
                "search index %s version=%d entries=%d names=%d build_ms=%.0f",
                how,
                version.id,
                len(index.entries),
                index.name_count,
                index.build_seconds * 1000,
            )
            return index

    async def _obtain(self, version: ListVersion, *, fresh: bool) -> tuple[SearchIndex, str]:
        """The index of a version and how it was had: loaded from its cache file, or built (and then cached)."""
        path: Path | None = None
        if self._location is not None:
            path = search_cache.cache_path(self._location, version, await store.newest_revision_id(self._db))
            if not fresh:
                index = await _load(path)
                if index is not None:
                    self.loads += 1
                    return index, "loaded"
        self.builds += 1
        location = self._location
        if (
            location is not None
            and path is not None
            and await store.version_size(self._db, version.id) > self.process_entries
        ):
            scratch = search_cache.scratch_path(path)
            built: SearchIndex | None = None
            try:
                await search_cache.build_in_process(location, version.id, scratch)
                built = await _load(scratch)
            finally:
                if built is None:
                    scratch.unlink(missing_ok=True)
            if built is None:
                raise RuntimeError("search index build failed: its file could not be read")
            await asyncio.to_thread(search_cache.adopt, scratch, path)
            return built, "built in a child process"
        with collector_paused():  # a full collection over a large index would stall the event loop
            holder = [await store.version_entries(self._db, version.id)]
            references = await store.all_references(self._db)
            index = await asyncio.to_thread(_build_index, version, holder, references)
        if path is not None:
            await asyncio.to_thread(search_cache.save, index, path)
        return index, "built"

    def search(self, name: str, *, regime: str | None = None, kind: str | None = None) -> SearchResult:
        """Check the query, resolve the regime, and search the current index."""
        query = check_query(name)
        index = self.require_index()
        resolved = self._lists.resolve_regime(regime) if regime and regime.strip() else None
        if kind is not None and kind not in ("individual", "entity"):
            raise InvalidOption("kind", "choose individual or entity")
        return index.search_result(query, regime=resolved, kind=kind)

    def search_names(self, name: str, *, regime: str | None = None, kind: str | None = None) -> list[SearchResult]:
        """Each name in quotes searched on its own (`Is "Kim Jong-un" or "Ri Won Ho" listed?`), else all."""
        check_query(name)
        quoted = [q for q in (" ".join(m.split()) for m in _QUOTED.findall(name)) if len(fold(q).replace(" ", "")) >= 2]
        if not quoted:
            return [self.search(name, regime=regime, kind=kind)]
        return [self.search(q, regime=regime, kind=kind) for q in dict.fromkeys(quoted[:MAX_NAMES])]

    def resolve_reference(self, text: str) -> str:
        """A reference number as the list spells it (see SearchIndex.resolve_reference)."""
        return self.require_index().resolve_reference(text)

    def name_choices(self, text: str) -> list[tuple[str, str]]:
        """Autocomplete for names (nothing before a list is loaded)."""
        return self._cached_choices("name", text[:MAX_QUERY])

    def reference_choices(self, text: str) -> list[tuple[str, str]]:
        """Autocomplete for reference numbers (nothing before a list is loaded)."""
        return self._cached_choices("reference", text[:MAX_QUERY])

    def _cached_choices(self, kind: str, text: str) -> list[tuple[str, str]]:
        """The index's choices for this text, kept (at most MAX_CACHED_CHOICES texts) until the index changes."""
        index = self._index
        if index is None:
            return []
        if self._choices_index is not index:
            self._choices.clear()
            self._choices_index = index
        key = (kind, text)
        found = self._choices.get(key)
        if found is None:
            found = index.name_choices(text) if kind == "name" else index.reference_choices(text)
            self._choices[key] = found
            while len(self._choices) > MAX_CACHED_CHOICES:
                self._choices.popitem(last=False)
        else:
            self._choices.move_to_end(key)
        return list(found)

    async def about(self) -> list[tuple[str, str]]:
        """The /about line: what the index holds."""
        index = self._index
        if index is None:
            return [("Name search", "No list loaded yet.")]
        return [
            (
                "Name search",
                f"{index.name_count:,} names of {len(index.entries):,} entries indexed "
                f"(list version of {index.version.generated_date}, built in "
                f"{index.build_seconds * 1000:.0f} ms)",
            )
        ]
