"""Name search over the latest list: the service that holds the current index and swaps it whole after an import.

The work is split by job: `bot.normalize` (names to comparable keys), `search_index` (the index and finding
candidates), `search_score` (one query against one name), `search_complete` (autocomplete),
`search_references` (reference numbers as typed) and `bot.search_results` (what a search returns).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import re
import sys

from bot.errors import InvalidOption, ListNotLoaded
from bot.hangul import has_jamo
from bot.memory import collector_paused
from bot.models import ListVersion
from bot.normalize import fold
from bot.search_results import CLOSE_SCORE, Hit, IndexedEntry, SearchResult
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
MAX_NAMES = 5
# Names in double or typographic quotes (not apostrophes: they are part of names like Ch'o'l).
_QUOTED = re.compile(r'["“”„«»]([^"“”„«»]+)["“”„«»]')


_PIECE = 4096


def _shrink(value: object, depth: int = 0) -> None:
    """Empty a list or dict a piece at a time (the GIL can change hands between pieces); look one level into
    the index's own helper objects."""
    if isinstance(value, list):
        while value:
            del value[-_PIECE:]
    elif isinstance(value, dict):
        while value:
            for key in list(itertools.islice(value, _PIECE)):
                del value[key]
    elif depth == 0 and hasattr(value, "__dict__") and type(value).__module__.startswith("bot."):
        for inner in list(vars(value).values()):
            _shrink(inner, depth + 1)


def _build_index(version: ListVersion, holder: list[dict[str, StoredEntry]], references: list[str]) -> SearchIndex:
    """Build the index in a worker thread, and free the decoded records here too, a piece at a time."""
    stored = holder.pop()
    entries = [s.entry for s in stored.values()]
    try:
        return SearchIndex(version, entries, references)
    finally:
        _shrink(entries)
        _shrink(stored)


def release_in_pieces(holder: list[SearchIndex]) -> None:
    """Free a replaced index piece by piece, in a worker thread: freeing it whole is one long C call that holds
    the GIL (50 ms at 10x the list) and stalls the event loop. Only an index nobody else holds is taken apart."""
    index = holder.pop()
    if sys.getrefcount(index) > 2:  # this frame and getrefcount's argument: someone else still uses it
        return
    for value in list(vars(index).values()):
        _shrink(value)


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
    """Holds the current SearchIndex and rebuilds it, off the event loop, whenever a new version arrives."""

    def __init__(self, db: Database, lists: ListService) -> None:
        self._db = db
        self._lists = lists
        self._index: SearchIndex | None = None
        self._build_lock = asyncio.Lock()
        lists.add_listener(self._on_version)

    @property
    def index(self) -> SearchIndex | None:
        """The index in use (None before the first list is loaded)."""
        return self._index

    def require_index(self) -> SearchIndex:
        """The index in use, or ListNotLoaded."""
        if self._index is None:
            raise ListNotLoaded()
        return self._index

    async def _on_version(self, version: ListVersion, _old: ListVersion | None) -> None:
        await self.rebuild(version)

    async def rebuild(self, version: ListVersion) -> SearchIndex:
        """Build an index of one version and swap it in (queries keep using the old one until then)."""
        async with self._build_lock:
            with collector_paused():  # a full collection over a large index would stall the event loop
                holder = [await store.version_entries(self._db, version.id)]
                references = await store.all_references(self._db)
                index = await asyncio.to_thread(_build_index, version, holder, references)
            replaced = [self._index] if self._index is not None else []
            self._index = index  # one assignment: a query sees the old index or the new one, never a mix
            if replaced:
                await asyncio.to_thread(release_in_pieces, replaced)
            log.info(
                "search index built version=%d entries=%d names=%d ms=%.0f",
                version.id,
                len(index.entries),
                index.name_count,
                index.build_seconds * 1000,
            )
            return index

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
        index = self._index
        return index.name_choices(text[:MAX_QUERY]) if index is not None else []

    def reference_choices(self, text: str) -> list[tuple[str, str]]:
        """Autocomplete for reference numbers (nothing before a list is loaded)."""
        index = self._index
        return index.reference_choices(text[:MAX_QUERY]) if index is not None else []

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
