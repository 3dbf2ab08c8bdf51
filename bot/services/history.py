"""The list through time: counts on any date, changes between versions, one entry, yearly designations.

Everything is reconstructed from the imported versions. Counting on a date follows fixed rules (see
`HistoryService.count_as_of`) and says which versions it used and how sure it is.
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
import re
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from typing import Literal

from bot.errors import InvalidOption, UnknownReference, quote
from bot.models import Change, Entry, ListVersion, RegimeCount
from bot.regimes import RegimeInfo, regime_info, regime_start
from bot.services.lists import CountAnswer, ListService
from bot.store import lists as store
from bot.store.db import Database

log = logging.getLogger(__name__)

_ISO_DAY = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_OTHER_DAY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})$")


def parse_day(option: str, text: str, today: dt.date) -> dt.date:
    """A YYYY-MM-DD option value as a date no later than today; else InvalidOption saying what is wrong."""
    typed = text.strip()
    match = _ISO_DAY.match(typed)
    if match is None:
        hint = ""
        other = _OTHER_DAY.match(typed)
        if other:
            a, b, year = int(other.group(1)), int(other.group(2)), other.group(3)
            year = year if len(year) == 4 else ("20" if int(year) <= today.year % 100 else "19") + year
            if a > 12 >= b:
                hint = f" (for {typed}: {year}-{b:02d}-{a:02d})"
            elif b > 12 >= a:
                hint = f" (for {typed}: {year}-{a:02d}-{b:02d})"
            else:
                hint = f" ({typed} could be {year}-{b:02d}-{a:02d} or {year}-{a:02d}-{b:02d})"
        raise InvalidOption(option, f"{quote(typed)} is not a date; write dates as YYYY-MM-DD, e.g. 2018-05-02{hint}")
    year, month, day = (int(g) for g in match.groups())
    if not 1 <= month <= 12:
        raise InvalidOption(option, f"{quote(typed)} is not a real date: there is no month {month}")
    if year < 1 or not 1 <= day <= calendar.monthrange(year, month)[1]:
        days = calendar.monthrange(max(year, 1), month)[1]
        raise InvalidOption(
            option,
            f"{quote(typed)} is not a real date: {calendar.month_name[month]} {year} has {days} days",
        )
    value = dt.date(year, month, day)
    if value > today:
        raise InvalidOption(option, f"{value.isoformat()} is in the future (today is {today.isoformat()})")
    return value


@dataclass(frozen=True)
class RegimeRange:
    """Individuals and entities of one regime on a date, each as (at least, at most)."""

    regime: str
    individuals: tuple[int, int]
    entities: tuple[int, int]


Method = Literal["version", "between", "latest", "estimate", "before_first"]

# Versions at most this far apart leave no room for an entry to be listed and removed unseen between them.
PROVEN_GAP = dt.timedelta(days=1)


@dataclass(frozen=True)
class CountAsOf:
    """How many were listed on a date, how it was worked out, and from which versions."""

    day: dt.date
    regime: str | None
    method: Method
    rows: list[RegimeRange]
    versions: list[ListVersion]
    uncertain: int = 0
    # What the latest version before the date said (same scope), to show how far it was from the answer.
    before: tuple[ListVersion, int, int] | None = None

    @property
    def individuals(self) -> tuple[int, int]:
        """(at least, at most) individuals over the rows."""
        return sum(r.individuals[0] for r in self.rows), sum(r.individuals[1] for r in self.rows)

    @property
    def entities(self) -> tuple[int, int]:
        """(at least, at most) entities over the rows."""
        return sum(r.entities[0] for r in self.rows), sum(r.entities[1] for r in self.rows)

    # method "before_first": the earliest listing date of the regime in any imported version.
    first_listed: dt.date | None = None

    @property
    def gap(self) -> dt.timedelta | None:
        """For a count between two versions: how far apart they were generated."""
        if self.method != "between" or len(self.versions) != 2:
            return None
        first, second = (dt.date.fromisoformat(v.generated_date) for v in self.versions)
        return second - first

    @property
    def exact(self) -> bool:
        """True only when the versions prove the number: one generated that day, none listed yet under the
        regime, or versions so close together (a day) that nothing could be listed and removed between them."""
        if self.method in ("version", "before_first"):
            return True
        gap = self.gap
        return self.method == "between" and self.uncertain == 0 and gap is not None and gap <= PROVEN_GAP


@dataclass(frozen=True)
class VersionChanges:
    """What one version changed against the version before it."""

    version: ListVersion
    previous: ListVersion
    changes: list[Change]


@dataclass(frozen=True)
class ChangesAnswer:
    """Changes by version, newest first."""

    since: dt.date | None
    regime: str | None
    groups: list[VersionChanges]
    baseline: ListVersion
    latest: ListVersion


@dataclass(frozen=True)
class HistoryEvent:
    """One thing that happened to an entry in one version."""

    version: ListVersion
    what: Literal["first seen", "added", "amended", "removed"]
    fields: tuple[str, ...] = ()
    previous: ListVersion | None = None  # the imported version before `version`


@dataclass(frozen=True)
class EntryRecord:
    """An entry's latest stored record, whether it is still listed, and its history across versions."""

    entry: Entry
    current: bool
    last_seen: ListVersion
    latest: ListVersion
    baseline: ListVersion
    events: list[HistoryEvent]
    info: RegimeInfo | None


@dataclass(frozen=True)
class Timeline:
    """Entries of one version by the year they were listed."""

    version: ListVersion
    regime: str | None
    years: list[int]
    individuals: list[int]
    entities: list[int]
    undated: int = 0


@dataclass(frozen=True)
class RegimeRow:
    """One regime on the latest list."""

    regime: str
    info: RegimeInfo | None
    prefixes: tuple[str, ...]
    individuals: int
    entities: int


@dataclass(frozen=True)
class RegimesAnswer:
    """Every regime on the latest list."""

    version: ListVersion
    rows: list[RegimeRow] = field(default_factory=list)


class HistoryService:
    """Reads the version history; caches what never changes (a version's rows), forgets on a new version."""

    _CACHED_VERSIONS = 6

    def __init__(self, db: Database, lists: ListService) -> None:
        self._db = db
        self._lists = lists
        self._versions: list[ListVersion] | None = None
        self._rows: OrderedDict[int, list[tuple[str, str, str, str]]] = OrderedDict()
        lists.add_listener(self._on_version)

    async def _on_version(self, _new: ListVersion, _old: ListVersion | None) -> None:
        self._versions = None  # the version list grew; a version's own rows never change

    async def versions(self) -> list[ListVersion]:
        """Every imported version up to the current one, oldest first; ListNotLoaded if there is none.

        Versions another process imported since the last refresh wait for it, so that history answers,
        search and the footers all speak of the same latest version.
        """
        current = self._lists.require_version()
        if self._versions is None or self._versions[-1].id != current.id:
            self._versions = [v for v in await store.list_versions(self._db) if v.id <= current.id]
        return self._versions

    async def _version_rows(self, version_id: int) -> list[tuple[str, str, str, str]]:
        """(reference, kind, regime, listed_on) of a version's entries, kept for the last few versions."""
        if version_id in self._rows:
            self._rows.move_to_end(version_id)
            return self._rows[version_id]
        rows = await store.listed_on_by_version(self._db, version_id)
        self._rows[version_id] = rows
        while len(self._rows) > self._CACHED_VERSIONS:
            self._rows.popitem(last=False)
        return rows

    async def resolve_any_regime(self, text: str | None) -> str | None:
        """A regime any imported version held (Iran counts in 2017), or None for all; else UnknownRegime."""
        if text is None or not text.strip():
            return None
        known = await store.known_regimes(self._db)
        return self._lists.resolve_regime(text, known=sorted(known))

    async def absent_count(self, regime: str) -> CountAnswer:
        """Zero on the latest version for a regime only older versions hold, with the last version holding it."""
        versions = await self.versions()
        counts = await store.all_version_counts(self._db)
        last: tuple[ListVersion, RegimeCount] | None = None
        for version in reversed(versions):
            held = next((c for c in counts.get(version.id, []) if c.regime == regime and c.total), None)
            if held is not None:
                last = (version, held)
                break
        return CountAnswer(versions[-1], regime, [RegimeCount(regime, 0, 0)], last_held=last)

    # --- counts -----------------------------------------------------------------------------------

    async def count_as_of(self, day: dt.date, regime: str | None) -> CountAsOf:
        """How many were listed on `day` (already checked not to be in the future), for one regime or all.

        - A version generated that day answers exactly.
        - Otherwise the first version generated after the day: its entries listed on or before the day were
          certainly listed then. Entries removed between the versions around the day (and listed by then) may
          or may not have been: with any, the answer is a range; with none, it is exact.
        - After the latest version, the latest version answers. Before the first version, there is no removal
          record: the first version's listing dates give an estimate (delisted entries are missing).
        """
        versions = await self.versions()
        known = await store.known_regimes(self._db)
        start = self._start_of(regime, known)
        if start is not None and day < start:
            info = regime_info(regime) if regime else None
            what = f"the {regime} sanctions regime began" if regime else "the first regime on the list began"
            how = f", {info.resolution}" if info else ""
            raise InvalidOption("as_of", f"{day.isoformat()} is before {what} ({start.isoformat()}{how})")
        iso = day.isoformat()
        first_listed = known.get(regime or "") if regime is not None else None
        if first_listed and iso < first_listed:
            # The regime existed but nobody was designated under it yet: 0, exactly, and when the first came.
            rows = [RegimeRange(regime or "", (0, 0), (0, 0))]
            return CountAsOf(
                day, regime, "before_first", rows, [versions[0]], first_listed=dt.date.fromisoformat(first_listed)
            )
        same_day = [v for v in versions if v.generated_date == iso]
        if same_day:
            return await self._from_counts(day, regime, same_day[-1], "version")
        after = next((v for v in versions if v.generated_date > iso), None)
        before = next((v for v in reversed(versions) if v.generated_date < iso), None)
        if after is None:
            return await self._from_counts(day, regime, versions[-1], "latest")
        certain: Counter[tuple[str, str]] = Counter()
        possible: Counter[tuple[str, str]] = Counter()
        present = set()
        for reference, kind, entry_regime, listed_on in await self._version_rows(after.id):
            present.add(reference)
            if regime is not None and entry_regime != regime:
                continue
            if not listed_on:
                possible[(entry_regime, kind)] += 1  # no listing date: cannot say
            elif listed_on <= iso:
                certain[(entry_regime, kind)] += 1
        if before is None:
            rows = _ranges(certain, possible, regime)
            return CountAsOf(day, regime, "estimate", rows, [after], sum(possible.values()))
        for reference, kind, entry_regime, listed_on in await store.removals_between(self._db, before.id, after.id):
            if reference in present or (regime is not None and entry_regime != regime):
                continue
            if not listed_on or listed_on <= iso:
                possible[(entry_regime, kind)] += 1
        rows = _ranges(certain, possible, regime)
        said = [c for c in await store.version_counts(self._db, before.id) if regime is None or c.regime == regime]
        before_counts = (before, sum(c.individuals for c in said), sum(c.entities for c in said))
        return CountAsOf(day, regime, "between", rows, [before, after], sum(possible.values()), before_counts)

    async def _from_counts(self, day: dt.date, regime: str | None, version: ListVersion, method: Method) -> CountAsOf:
        counts = await store.version_counts(self._db, version.id)
        rows = [
            RegimeRange(c.regime, (c.individuals,) * 2, (c.entities,) * 2)  # type: ignore[arg-type]
            for c in counts
            if regime is None or c.regime == regime
        ]
        if regime is not None and not rows:
            rows = [RegimeRange(regime, (0, 0), (0, 0))]
        return CountAsOf(day, regime, method, rows, [version])

    @staticmethod
    def _start_of(regime: str | None, known: dict[str, str]) -> dt.date | None:
        def earliest(name: str) -> dt.date | None:
            first = known.get(name) or ""
            return regime_start(name, dt.date.fromisoformat(first) if first else None)

        if regime is not None:
            return earliest(regime)
        starts = [d for d in (earliest(name) for name in known) if d is not None]
        return min(starts) if starts else None

    # --- changes ----------------------------------------------------------------------------------

    async def changes(self, since: dt.date | None, regime: str | None) -> ChangesAnswer:
        """Changes recorded by versions generated after `since` (all versions if None), newest first."""
        versions = await self.versions()
        by_id = {v.id: v for v in versions}
        chosen = [v for v in versions[1:] if since is None or v.generated_date > since.isoformat()]
        grouped: dict[int, list[Change]] = {v.id: [] for v in chosen}
        if chosen:
            first_id = min(grouped)
            for change in await store.changes_after(self._db, first_id - 1, regime=regime):
                if change.version_id in grouped:
                    grouped[change.version_id].append(change)
        previous = {v.id: versions[i - 1] for i, v in enumerate(versions) if i > 0}
        groups = [VersionChanges(by_id[vid], previous[vid], grouped[vid]) for vid in sorted(grouped, reverse=True)]
        return ChangesAnswer(since, regime, groups, versions[0], versions[-1])

    # --- one entry --------------------------------------------------------------------------------

    async def entry(self, reference: str) -> EntryRecord:
        """The newest stored record of an entry (also a removed one) and its history, or UnknownReference."""
        versions = await self.versions()
        latest = versions[-1]
        by_id = {v.id: v for v in versions}
        stored = await store.revision_up_to(self._db, reference, latest.id)
        if stored is None:
            raise UnknownReference(reference)
        entry, last_id = stored
        holding = [vid for vid in await store.versions_holding(self._db, reference) if vid in by_id]
        changes = [c for c in await store.changes_of_reference(self._db, reference) if c.version_id in by_id]
        events: list[HistoryEvent] = []
        added_in = {c.version_id for c in changes if c.change == "added"}
        if holding and holding[0] not in added_in:
            events.append(HistoryEvent(by_id[holding[0]], "first seen"))
        previous = {v.id: versions[i - 1] for i, v in enumerate(versions) if i > 0}
        events.extend(
            HistoryEvent(by_id[c.version_id], c.change, c.fields, previous.get(c.version_id)) for c in changes
        )
        return EntryRecord(
            entry,
            last_id == latest.id,
            by_id[last_id],
            latest,
            versions[0],
            events,
            regime_info(entry.regime),
        )

    async def reference_span(self, prefix: str) -> tuple[str, str, int] | None:
        """The lowest and highest reference numbers with this prefix on the latest list, and how many there are."""
        latest = (await self.versions())[-1]
        numbered: list[tuple[int, str]] = []
        for reference, _kind, _regime, _listed in await self._version_rows(latest.id):
            head, _dot, number = reference.partition(".")
            if head.casefold() == prefix.casefold() and number.isdigit():
                numbered.append((int(number), reference))
        if not numbered:
            return None
        numbered.sort()
        return numbered[0][1], numbered[-1][1], len(numbered)

    # --- timeline and regimes ---------------------------------------------------------------------

    async def timeline(self, regime: str | None) -> Timeline:
        """Entries on the latest list by the year they were listed (one regime or all)."""
        latest = (await self.versions())[-1]
        per_year: Counter[tuple[int, str]] = Counter()
        undated = 0
        for _ref, kind, entry_regime, listed_on in await self._version_rows(latest.id):
            if regime is not None and entry_regime != regime:
                continue
            if len(listed_on) >= 4 and listed_on[:4].isdigit():
                per_year[(int(listed_on[:4]), kind)] += 1
            else:
                undated += 1
        if not per_year:
            return Timeline(latest, regime, [], [], [], undated)
        first, last = min(y for y, _k in per_year), max(y for y, _k in per_year)
        years = list(range(first, last + 1))
        return Timeline(
            latest,
            regime,
            years,
            [per_year[(y, "individual")] for y in years],
            [per_year[(y, "entity")] for y in years],
            undated,
        )

    async def regimes(self) -> RegimesAnswer:
        """Every regime on the latest list: committee, reference prefixes, counts."""
        latest = (await self.versions())[-1]
        prefixes: dict[str, set[str]] = {}
        for reference, _kind, entry_regime, _listed in await self._version_rows(latest.id):
            prefixes.setdefault(entry_regime, set()).add(reference.split(".", 1)[0])
        rows = [
            RegimeRow(
                c.regime,
                regime_info(c.regime),
                tuple(sorted(prefixes.get(c.regime, ()), key=_prefix_order)),
                c.individuals,
                c.entities,
            )
            for c in await store.version_counts(self._db, latest.id)
        ]
        return RegimesAnswer(latest, sorted(rows, key=lambda r: -(r.individuals + r.entities)))


def _prefix_order(prefix: str) -> tuple[str, int]:
    """Individuals (…i) before entities (…e)."""
    return prefix[:-1], 0 if prefix.endswith("i") else 1


def _ranges(
    certain: Counter[tuple[str, str]], possible: Counter[tuple[str, str]], regime: str | None
) -> list[RegimeRange]:
    regimes = sorted({r for r, _k in certain} | {r for r, _k in possible} | ({regime} if regime else set()))
    out = []
    for name in regimes:
        ind = certain[(name, "individual")]
        ent = certain[(name, "entity")]
        out.append(
            RegimeRange(name, (ind, ind + possible[(name, "individual")]), (ent, ent + possible[(name, "entity")]))
        )
    return out
