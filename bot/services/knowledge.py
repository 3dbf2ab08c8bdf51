"""The knowledge files in the store: loaded at start-up (idempotently), reloaded on request, answered from.

Loading reads bot/data/*.toml, and writes only when a file's content changed: re-loading the same files
changes nothing. A file that breaks a rule is refused with a KnowledgeError and the store keeps what it had.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib.abc import Traversable
from pathlib import Path

from rapidfuzz import fuzz, process

from bot.clock import Clock
from bot.errors import (
    InvalidOption,
    KnowledgeError,
    KnowledgeNotLoaded,
    UnknownRegime,
    UnknownStatement,
    UnknownYear,
)
from bot.models import ListVersion
from bot.regimes import regime_synonyms
from bot.services.lists import CountAnswer, ListService, regime_key
from bot.sources.knowledge import (
    Chair,
    CouncilTerm,
    Knowledge,
    Measure,
    Panel,
    PanelEvent,
    Publication,
    Quote,
    Regime,
    Resolution,
    Statement,
    ViceChairs,
    bundled_directory,
    parse_knowledge,
    read_files,
    sha256,
)
from bot.store import knowledge as store
from bot.store.db import Database

log = logging.getLogger(__name__)

DEFAULT_REGIME = "DPRK"
MAX_SEARCH_CHARS = 200
SEARCH_LIMIT = 10

# What a kind of record is called in reports.
KIND_NAMES = {
    "terms": "council terms",
    "chairs": "chairs",
    "vice_chairs": "vice-chairs",
    "regimes": "regimes",
    "measures": "measures",
    "resolutions": "resolutions",
    "panels": "panels",
    "panel_events": "panel events",
    "publications": "publications",
    "statements": "statements",
    "quotes": "quotes",
}


# --- results ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KindChange:
    """What a reload did to one kind of record."""

    kind: str
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """The kind as people say it ('council terms')."""
        return KIND_NAMES.get(self.kind, self.kind)


@dataclass(frozen=True)
class LoadReport:
    """What a (re)load did: nothing, the first load, or the changes from the previous files."""

    status: str  # "unchanged", "loaded" (first time) or "updated"
    files_changed: tuple[str, ...] = ()
    changes: tuple[KindChange, ...] = ()
    counts: tuple[tuple[str, int], ...] = ()  # (file name, records)


@dataclass(frozen=True)
class Seat:
    """One member's seat in a year: permanent, or elected with its term."""

    member: str
    term: CouncilTerm

    @property
    def permanent(self) -> bool:
        """One of the five permanent members."""
        return self.term.permanent


@dataclass(frozen=True)
class MembersAnswer:
    """The fifteen members in a year, the chair and the vice-chairs, with the sources for each."""

    year: int
    first_year: int
    last_year: int
    permanent: tuple[Seat, ...]
    elected: tuple[Seat, ...]
    chair: Chair | None
    vice_chairs: ViceChairs | None


@dataclass(frozen=True)
class CommitteeInfo:
    """A regime's committee: name, mandate, resolution, measures, panel and the current list counts."""

    regime: Regime
    measures: tuple[Measure, ...]
    panel: Panel | None
    panel_events: tuple[PanelEvent, ...]
    counts: CountAnswer | None
    version: ListVersion | None
    chair: Chair | None = None
    year: int | None = None


@dataclass(frozen=True)
class ResolutionsAnswer:
    """A regime's resolutions in order."""

    regime: Regime
    resolutions: tuple[Resolution, ...]


@dataclass(frozen=True)
class StatementAnswer:
    """A statement in full: its quotes, what it responds to, and what answers or bears on it."""

    statement: Statement
    quotes: tuple[Quote, ...]
    publication: Publication
    responds_to: tuple[Statement, ...] = ()
    bears_on: tuple[Statement, ...] = ()
    responses: tuple[tuple[Statement, tuple[Quote, ...]], ...] = ()
    evidence: tuple[tuple[Statement, tuple[Quote, ...]], ...] = ()


@dataclass(frozen=True)
class QuoteSearchAnswer:
    """Quoted passages matching a search."""

    query: str
    hits: tuple[store.QuoteHit, ...]
    total: int
    publications: dict[str, Publication] = field(default_factory=dict)


# --- the service --------------------------------------------------------------------------------------------


class KnowledgeService:
    """Loads the knowledge files into the store and answers questions about the committee and statements."""

    def __init__(
        self, db: Database, lists: ListService, clock: Clock, directory: Traversable | Path | None = None
    ) -> None:
        self._db = db
        self._lists = lists
        self._clock = clock
        self.directory = directory if directory is not None else bundled_directory()
        self._lock = asyncio.Lock()
        self.last_error: str | None = None
        self.last_report: LoadReport | None = None

    # loading

    async def load(self) -> LoadReport:
        """Read, validate and store the files if they changed; KnowledgeError (store untouched) if broken."""
        async with self._lock:
            try:
                report = await self._load()
            except KnowledgeError as exc:
                self.last_error = exc.message
                log.error("knowledge files refused error=%s", exc.message)
                raise
            self.last_error = None
            self.last_report = report
            log.info(
                "knowledge files status=%s files_changed=%s records=%d",
                report.status,
                ",".join(report.files_changed) or "-",
                sum(n for _f, n in report.counts),
            )
            return report

    async def load_at_startup(self) -> LoadReport | None:
        """load(), but a broken file is logged and kept for /about instead of stopping the bot."""
        try:
            return await self.load()
        except KnowledgeError:
            return None

    async def _load(self) -> LoadReport:
        raw = await asyncio.to_thread(read_files, self.directory)
        stored = {f.name: f.sha256 for f in await store.files(self._db)}
        current = {name: sha256(data) for name, data in raw.items()}
        if stored and stored == current:
            counts = tuple((f.name, f.records) for f in await store.files(self._db))
            return LoadReport("unchanged", counts=counts)
        new = await asyncio.to_thread(parse_knowledge, raw)
        old = await store.load(self._db)
        await store.replace(self._db, new, self._clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"))
        changed_files = tuple(sorted(n for n in set(stored) | set(current) if stored.get(n) != current.get(n)))
        counts = tuple((f.name, f.records) for f in new.files)
        if old is None:
            return LoadReport("loaded", changed_files, counts=counts)
        return LoadReport("updated", changed_files, diff_knowledge(old, new), counts)

    async def _require_coverage(self) -> tuple[int, int]:
        span = await store.coverage(self._db)
        if span is None:
            raise KnowledgeNotLoaded(self.last_error)
        return span

    # council and chairs

    async def known_years(self) -> tuple[int, int]:
        """(first, last) year of the council data."""
        return await self._require_coverage()

    async def members(self, year: int) -> MembersAnswer:
        """The fifteen members in `year` (permanent and elected apart), the chair and the vice-chairs."""
        first, last = await self._require_coverage()
        if year < first:
            committee = await self.resolve_regime(DEFAULT_REGIME)
            if committee.established_on and str(year) < committee.established_on[:4]:
                day = dt.date.fromisoformat(committee.established_on)
                raise InvalidOption(
                    "year",
                    f"{year} is before the Committee existed: the 1718 Committee was established on "
                    f"{day.day} {day:%B %Y} by {committee.established_by}. Membership is known for {first}–{last}.",
                )
        if not first <= year <= last:
            raise UnknownYear(year, first, last)
        seats = [Seat(member, term) for member, term in await store.members(self._db, year)]
        return MembersAnswer(
            year=year,
            first_year=first,
            last_year=last,
            permanent=tuple(sorted((s for s in seats if s.permanent), key=lambda s: s.member)),
            elected=tuple(sorted((s for s in seats if not s.permanent), key=lambda s: s.member)),
            chair=await store.chair(self._db, year),
            vice_chairs=await store.vice_chairs(self._db, year),
        )

    # regimes

    async def regimes(self) -> list[Regime]:
        """Every regime in the knowledge files."""
        await self._require_coverage()
        return await store.regimes(self._db)

    async def resolve_regime(self, text: str | None) -> Regime:
        """The regime a user means (id, list spelling, committee number, alias, synonym), or UnknownRegime."""
        regimes = await self.regimes()
        wanted = regime_key(text or DEFAULT_REGIME)
        keys: dict[str, Regime] = {}
        for regime in regimes:
            names = [
                regime.id,
                regime.list_type,
                regime.name,
                *regime.aliases,
                *map(str, regime.committee_numbers),
            ]
            for name in names:
                if name:
                    keys.setdefault(regime_key(name), regime)
        if wanted in keys:
            return keys[wanted]
        synonym = regime_synonyms().get(wanted)
        if synonym and regime_key(synonym) in keys:
            return keys[regime_key(synonym)]
        choices = {r.id: regime_key(r.id) for r in regimes}
        close = process.extract(wanted, choices, scorer=fuzz.ratio, limit=3, score_cutoff=60)
        raise UnknownRegime(text or "", [key for _k, _score, key in close], known=[r.id for r in regimes])

    async def committee_info(self, regime_text: str | None, year: int) -> CommitteeInfo:
        """A regime's committee, measures and panel, and the latest list's counts (as /sanctions count)."""
        regime = await self.resolve_regime(regime_text)
        counts: CountAnswer | None = None
        version = self._lists.version
        # The same call /sanctions count makes, so the two answers always agree.
        if version is not None and regime.list_type and regime.list_type in self._lists.regimes():
            counts = self._lists.counts(regime.list_type)
        first, last = await self._require_coverage()
        chair = await store.chair(self._db, year) if regime.id == DEFAULT_REGIME and first <= year <= last else None
        return CommitteeInfo(
            regime=regime,
            measures=tuple(await store.measures(self._db, regime.id)),
            panel=await store.panel(self._db, regime.id),
            panel_events=tuple(await store.panel_events(self._db, regime.id)),
            counts=counts,
            version=version,
            chair=chair,
            year=year if chair else None,
        )

    async def resolutions(self, regime_text: str | None) -> ResolutionsAnswer:
        """A regime's resolutions in order (only the DPRK regime's are recorded in detail)."""
        regime = await self.resolve_regime(regime_text)
        return ResolutionsAnswer(regime, tuple(await store.resolutions(self._db, regime.id)))

    # statements

    async def statements(self) -> list[Statement]:
        """Every statement, newest first."""
        await self._require_coverage()
        return await store.statements(self._db)

    async def statement(self, statement_id: str) -> StatementAnswer:
        """One statement in full, or UnknownStatement with suggestions."""
        await self._require_coverage()
        wanted = statement_id.strip().casefold()
        found = await store.statement(self._db, wanted) if wanted else None
        if found is None:
            all_ids = [s.id for s in await store.statements(self._db)]
            close = process.extract(wanted, all_ids, scorer=fuzz.WRatio, limit=3, score_cutoff=60)
            raise UnknownStatement(statement_id, [c for c, _score, _i in close], known=all_ids)
        return await self._full(found)

    async def denial(self) -> StatementAnswer:
        """The DPRK mission's denial: the newest statement of kind 'denial'."""
        denials = [s for s in await self.statements() if s.kind == "denial"]
        if not denials:
            raise KnowledgeNotLoaded("statements.toml holds no statement of kind 'denial'")
        return await self._full(denials[0])

    async def _full(self, st: Statement) -> StatementAnswer:
        everything = await store.statements(self._db)
        by_id = {s.id: s for s in everything}
        publications = await store.publications(self._db)

        async def with_quotes(items: Sequence[Statement]) -> tuple[tuple[Statement, tuple[Quote, ...]], ...]:
            # Oldest first: answers read in the order they were given.
            ordered = sorted(items, key=lambda s: s.date)
            return tuple([(s, tuple(await store.quotes(self._db, s.id))) for s in ordered])

        return StatementAnswer(
            statement=st,
            quotes=tuple(await store.quotes(self._db, st.id)),
            publication=publications[st.source],
            responds_to=tuple(by_id[i] for i in st.responds_to if i in by_id),
            bears_on=tuple(by_id[i] for i in st.bears_on if i in by_id),
            responses=await with_quotes([s for s in everything if st.id in s.responds_to]),
            evidence=await with_quotes([s for s in everything if st.id in s.bears_on]),
        )

    async def statement_ids(self) -> list[tuple[str, str]]:
        """(id, a short label) for every statement, for autocomplete."""
        return [(s.id, f"{s.id} — {s.kind}, {s.date}") for s in await self.statements()]

    async def search_quotes(self, text: str) -> QuoteSearchAnswer:
        """Quoted passages containing every word of `text`; FTS syntax in it is treated as plain words."""
        await self._require_coverage()
        if len(text) > MAX_SEARCH_CHARS:
            raise InvalidOption("search", f"is {len(text)} characters long; at most {MAX_SEARCH_CHARS}")
        if not store.escape_fts(text):
            raise InvalidOption("search", "type at least one word to look for in the quoted passages")
        hits, total = await store.search_quotes(self._db, text, SEARCH_LIMIT)
        return QuoteSearchAnswer(text, tuple(hits), total, await store.publications(self._db))

    # about

    async def about_lines(self) -> list[tuple[str, str]]:
        """The /about section: files loaded, their record counts, and any load error."""
        stored = await store.files(self._db)
        lines = [f"{f.name}: {f.records} records" for f in stored]
        if stored:
            lines.append(f"Loaded {max(f.loaded_at for f in stored)}")
            span = await store.coverage(self._db)
            if span:
                lines.append(f"Council membership {span[0]}–{span[1]}")
        else:
            lines.append("Not loaded.")
        if self.last_error:
            lines.append(f"Last load refused: {self.last_error}")
        return [("Knowledge files", "\n".join(lines))]


def diff_knowledge(old: Knowledge, new: Knowledge) -> tuple[KindChange, ...]:
    """Per kind of record: keys added, removed and changed between two loads (unchanged kinds left out)."""
    out = []
    for kind in Knowledge.KINDS:
        before = {r.key: r for r in old.records(kind)}
        after = {r.key: r for r in new.records(kind)}
        added = tuple(k for k in after if k not in before)
        removed = tuple(k for k in before if k not in after)
        changed = tuple(k for k in after if k in before and _content(before[k]) != _content(after[k]))
        if added or removed or changed:
            out.append(KindChange(kind, added, removed, changed))
    return tuple(out)


def _content(record: object) -> object:
    """A record without its position (moving a quote is not changing it)."""
    if isinstance(record, Quote):
        return (record.statement, record.text, record.source, record.lead, record.note)
    return record
