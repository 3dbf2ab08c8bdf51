"""What one list version changed, searchable, and which watches it fires: the matching behind every alert and
/watch test. A watched name scores and explains itself exactly as it would in `/sanctions search`."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from bot.models import Change, ChangeKind, Entry, Kind, ListVersion
from bot.models_watch import Watch
from bot.services.search import FUZZY_CAP, PARTIAL_CAP, SearchIndex, exact_level_keys, may_score_exact_level

MIN_THRESHOLD, MAX_THRESHOLD = 50, 100
MAX_NAME_HITS = 500  # per watched name and version: far more than any real change set gives one name
# At this score or more only exact-level matches count (exact, word order, romanization variants, a listed name
# inside the watched one): typos and parts of names are capped below it. The default threshold (90) is here.
EXACT_LEVEL = FUZZY_CAP + 1
assert PARTIAL_CAP < EXACT_LEVEL
# An amendment to any of these can change which names match: the entry's former names are searched too.
NAME_FIELDS = frozenset({"first_name", "second_name", "third_name", "fourth_name", "name_original_script", "aliases"})


# --- What changed, and what fired ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EntryChange:
    """One entry a version added, amended or removed, with its record before and after."""

    reference: str
    change: ChangeKind
    kind: Kind
    regime: str
    name: str
    fields: tuple[str, ...]
    old: Entry | None
    new: Entry | None

    @classmethod
    def of(cls, change: Change, old: Entry | None, new: Entry | None) -> EntryChange:
        """From a stored change and its two revisions."""
        return cls(change.reference, change.change, change.kind, change.regime, change.name, change.fields, old, new)


@dataclass(frozen=True, slots=True)
class NameMatch:
    """A changed entry one watched name matches: the search's score and why, and the name it matched."""

    reference: str
    score: int
    reasons: tuple[str, ...]
    matched: str


@dataclass(frozen=True, slots=True)
class WatchHit:
    """One watch fired by one changed entry (score and reasons for names; None for references)."""

    watch: Watch
    change: EntryChange
    score: int | None = None
    reasons: tuple[str, ...] = ()
    matched: str | None = None


@dataclass(frozen=True, slots=True)
class NearMiss:
    """A watched name's best match in a change set when it stayed below the threshold (for /watch test)."""

    watch: Watch
    match: NameMatch
    change: EntryChange


class ChangeSet:
    """What one version changed, searchable: an index of the entries as they are now (added, amended) and one
    of what they were (removed entries, and amended entries whose names changed).

    The indexes are SearchIndex objects, so a watched name scores and explains itself exactly as it would in
    `/sanctions search`. Immutable once built; name searches are cached (one per distinct watched name).
    """

    def __init__(self, version: ListVersion, previous: ListVersion | None, changes: Sequence[EntryChange]) -> None:
        started = time.perf_counter()
        self.version = version
        self.previous = previous
        self.changes = {c.reference: c for c in changes}
        current = [c.new for c in changes if c.new is not None]
        former = [
            c.old
            for c in changes
            if c.old is not None and (c.change == "removed" or NAME_FIELDS.intersection(c.fields))
        ]
        self._current = SearchIndex(version, current) if current else None
        self._former = SearchIndex(version, former) if former else None
        self._names: dict[str, list[NameMatch]] = {}
        # What each amendment changed, as a renderer worked it out once for every server's alert.
        self.described: dict[str, list[str]] = {}
        self._exact_possible: dict[str, bool] = {}
        self._exact_keys = [(i, _exact_level_keys(i)) for i in (self._current, self._former) if i is not None]
        self.build_seconds = time.perf_counter() - started

    def __len__(self) -> int:
        return len(self.changes)

    def name_matches(self, target: str) -> list[NameMatch]:
        """Changed entries matching a name at MIN_THRESHOLD or more, best first (one per entry)."""
        cached = self._names.get(target)
        if cached is not None:
            return cached
        best: dict[str, NameMatch] = {}
        if self._current is not None:
            for hit in self._current.search(target, limit=MAX_NAME_HITS, min_score=MIN_THRESHOLD):
                best[hit.reference] = NameMatch(hit.reference, hit.score, hit.reasons, hit.matched)
        if self._former is not None:
            for hit in self._former.search(target, limit=MAX_NAME_HITS, min_score=MIN_THRESHOLD):
                held = best.get(hit.reference)
                if held is None or hit.score > held.score:
                    change = self.changes[hit.reference]
                    reasons = hit.reasons if change.change == "removed" else (*hit.reasons, "former name")
                    best[hit.reference] = NameMatch(hit.reference, hit.score, reasons, hit.matched)
        found = sorted(best.values(), key=lambda m: (-m.score, m.reference))
        self._names[target] = found
        return found

    def may_match_exactly(self, target: str) -> bool:
        """False when no changed name can score EXACT_LEVEL or more against a watched name, so the search can be
        skipped (most watched names, at the default threshold): such scores need the same whole name in one of
        match_score's four forms, or a listed name inside the watched one."""
        known = self._exact_possible.get(target)
        if known is None:
            known = self._exact_possible[target] = any(
                _may_score_exact_level(index, keys, target) for index, keys in self._exact_keys
            )
        return known

    def hits(self, watches: Sequence[Watch], threshold: int) -> list[WatchHit]:
        """Every (watch, changed entry) that fires at this threshold, in change then reference order."""
        out: list[WatchHit] = []
        for watch in watches:
            if watch.kind == "reference":
                change = self.changes.get(watch.target)
                if change is not None:
                    out.append(WatchHit(watch, change))
                continue
            if (
                threshold >= EXACT_LEVEL
                and watch.target not in self._names
                and not self.may_match_exactly(watch.target)
            ):
                continue
            for match in self.name_matches(watch.target):
                if match.score < threshold:
                    break  # best first
                out.append(WatchHit(watch, self.changes[match.reference], match.score, match.reasons, match.matched))
        return out

    def near_misses(self, watches: Sequence[Watch], threshold: int) -> list[NearMiss]:
        """For watched names that fire nothing: their best match below the threshold, if any."""
        out = []
        for watch in watches:
            if watch.kind != "name":
                continue
            matches = self.name_matches(watch.target)
            if matches and matches[0].score < threshold:
                out.append(NearMiss(watch, matches[0], self.changes[matches[0].reference]))
        return out


def _exact_level_keys(index: SearchIndex) -> frozenset[str]:
    """Every whole-name form (and identifier) that can score at the exact level, of every name of an index."""
    return exact_level_keys(index)


def _may_score_exact_level(index: SearchIndex, keys: frozenset[str], target: str) -> bool:
    """True when some name of the index could score EXACT_LEVEL or more against the target (see search_exact)."""
    return may_score_exact_level(index, keys, target)
