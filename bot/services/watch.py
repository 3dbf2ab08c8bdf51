"""Watchlists: servers watch reference numbers (exactly) and names (through the name search), and are alerted
as soon as an imported list version changes an entry they watch.

Exactly once, across crashes, restarts and several processes:
1. Each server has a cursor, "alerts worked out through version N", set to the latest version when it first
   uses watchlists (its history never floods it). For every version after the cursor, the hits of the
   server's watches are worked out, the alert messages composed, and ONE transaction records them (an alert
   record per server and version, a hit row per (watch, version, entry)) and moves the cursor. A server
   already past the version (another pass or process got there first) is left alone.
2. Sending follows the digests: each message is posted with a nonce derived from the record's seed and its
   position, and `enforce_nonce`; progress is recorded per message; pending records are resumed after a
   restart with the same nonces; 403/404 pauses the server with the reason (alerts are kept and go out once
   `/watch channel` is run again); 5xx and timeouts are retried later, for up to a day.
Versions imported while the bot was down are worked out when it starts, because the cursors lag behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from bot import tasks
from bot.clock import Clock
from bot.errors import (
    InvalidOption,
    MalformedReference,
    UnknownReference,
    UserError,
    quote,
)
from bot.models import Change, ChangeKind, Entry, Kind, ListVersion
from bot.models_outbox import Post
from bot.models_watch import HitRecord, NewAlert, Watch, WatchKind, WatchServer
from bot.normalize import fold, name_key, strip_invisible
from bot.references import REFERENCE_LIKE, is_reference, parse_loose
from bot.services.delivery import Deliverer
from bot.services.lists import ListService
from bot.services.outbox import SEND_CONCURRENCY, Outbox, SendReport
from bot.services.search import (
    FUZZY_CAP,
    PARTIAL_CAP,
    WITHIN_MAX_WORDS,
    Hit,
    IndexedEntry,
    SearchIndex,
    SearchService,
)
from bot.sharding import ShardScope
from bot.store import lists as list_store
from bot.store import watches as store
from bot.store.db import Database
from bot.tasks import InFlight

log = logging.getLogger(__name__)

MIN_THRESHOLD, MAX_THRESHOLD = 50, 100
MIN_NAME_LETTERS = 3
MAX_TARGET = 100
MAX_NOTE = 200
MAX_NAME_HITS = 500  # per watched name and version: far more than any real change set gives one name
CHANGE_SETS_KEPT = 4
# At this score or more only exact-level matches count (exact, word order, romanization variants, a listed name
# inside the watched one): typos and parts of names are capped below it. The default threshold (90) is here.
EXACT_LEVEL = FUZZY_CAP + 1
assert PARTIAL_CAP < EXACT_LEVEL
# An amendment to any of these can change which names match: the entry's former names are searched too.
NAME_FIELDS = frozenset({"first_name", "second_name", "third_name", "fourth_name", "name_original_script", "aliases"})
_MENTION_LIKE = re.compile(r"@(everyone|here)\b|<[@#][!&]?\d*>?|<@|<#|<a?:\w+:\d+>", re.IGNORECASE)
_MARKDOWN = re.compile(r"[*_~`|>\\]")


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
    """Every whole-name form match_score compares for its exact-level scores, of every name of an index."""
    keys: set[str] = set()
    for tokens, variants in zip(index.name_tokens, index.name_variants, strict=True):
        keys.add("c" + "".join(tokens))
        keys.add("o" + "".join(sorted(tokens)))
        keys.add("v" + "".join(variants))
        keys.add("w" + "".join(sorted(variants)))
    return frozenset(keys)


def _may_score_exact_level(index: SearchIndex, keys: frozenset[str], target: str) -> bool:
    """True when some name of the index could score EXACT_LEVEL or more against the target in
    SearchIndex.search: the same folded words (in order or not), the same canonical romanization (in order or
    not) — for the target as typed or with run-together words split — or a listed name inside it."""
    q = name_key(target)
    if not q.tokens:
        return False
    candidates = [q]
    split = index.split_words(q)
    if split is not None:
        candidates.append(split)
    for key in candidates:
        forms = ("c" + key.compact, "o" + key.ordered, "v" + key.variant_compact, "w" + key.variant_ordered)
        if any(form in keys for form in forms):
            return True
    words = q.variants
    for start in range(len(words)):
        for end in range(start + 2, min(len(words), start + WITHIN_MAX_WORDS) + 1):
            if "v" + "".join(words[start:end]) in keys:
                return True
    return False


# --- Results of the commands ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CurrentMatches:
    """What a watch matches on the latest list: the listed entry (references) or the hits (names)."""

    hits: list[Hit] = field(default_factory=list)
    closest: Hit | None = None  # names: the best hit when none reaches the threshold
    entry: IndexedEntry | None = None  # references: the entry on the latest list
    known: bool = False  # references: in some imported version


@dataclass(frozen=True)
class AddResult:
    """A new watch, the server's settings, what it matches today, and how many watches the server holds."""

    watch: Watch
    server: WatchServer
    matches: CurrentMatches
    count: int
    limit: int
    version: ListVersion


@dataclass(frozen=True)
class Overview:
    """/watch list: settings, every watch with what it matches now, and the alerts still to send."""

    server: WatchServer | None
    watches: list[tuple[Watch, CurrentMatches]]
    pending: int
    limit: int
    version: ListVersion | None
    through: ListVersion | None


@dataclass(frozen=True)
class TestResult:
    """/watch test: what would fire against the latest change set (and the closest misses)."""

    change_set: ChangeSet | None
    latest: ListVersion | None
    threshold: int
    watch_count: int
    hits: list[WatchHit]
    near: list[NearMiss]


@dataclass
class CheckReport:
    """What working out alerts did."""

    versions: int = 0
    servers: int = 0
    watches: int = 0
    alerts: int = 0
    hits: int = 0
    seconds: float = 0.0


# --- Parsing what users type --------------------------------------------------------------------------------


def check_threshold(value: int) -> int:
    """A threshold is a whole score from 50 to 100."""
    if isinstance(value, bool) or not isinstance(value, int) or not MIN_THRESHOLD <= value <= MAX_THRESHOLD:
        raise InvalidOption(
            "value",
            f"the threshold is a search score from {MIN_THRESHOLD} to {MAX_THRESHOLD} "
            "(90, the default, alerts on exact names, aliases, word order and romanization variants)",
        )
    return value


def clean_note(note: str | None) -> str:
    """A note on one line, at most 200 characters (shown escaped wherever it appears)."""
    text = " ".join(strip_invisible(note or "").split())
    if len(text) > MAX_NOTE:
        raise InvalidOption("note", f"that is {len(text):,} characters; notes have at most {MAX_NOTE}")
    return text


def parse_target(text: str, index: SearchIndex) -> tuple[WatchKind, str, str]:
    """(kind, target as stored, key that makes two watches the same) for what /watch add was given.

    Two letters and a number (KPi.033, kpi33, QDe 12) is a reference number: watched exactly, also when it is not
    (or not yet) listed, once it is written like one (two letters, i or e, a dot, three digits; a near miss gets
    a suggestion). Anything else is a name of at least three letters or digits (a few listed names have digits,
    e.g. an alias like `Laskar 99`), searched fuzzily.
    """
    cleaned = " ".join(strip_invisible(text).split())
    if not cleaned:
        raise InvalidOption("target", "type a name (e.g. Kim Jong Un) or a reference number (e.g. KPi.033)")
    if len(cleaned) > MAX_TARGET:
        raise InvalidOption(
            "target", f"that is {len(cleaned):,} characters; a watched name or reference has at most {MAX_TARGET}"
        )
    if _MENTION_LIKE.search(cleaned):
        raise InvalidOption(
            "target",
            f"{quote(cleaned)} looks like a Discord mention; watch a name as the list writes it "
            "(e.g. Kim Jong Un) or a reference number (e.g. KPi.033)",
        )
    if _MARKDOWN.search(cleaned):
        raise InvalidOption(
            "target",
            f"{quote(cleaned)} has formatting characters (* _ ~ ` | > \\); names on the list have none, "
            "so type the name as plain text",
        )
    # Shaped roughly like a reference (KPi.033, kpi33, KP 33, QDe-001): resolved, or refused with a suggestion.
    if REFERENCE_LIKE.match(cleaned):
        try:
            reference = index.resolve_reference(cleaned)
        except UnknownReference:
            # Well-formed but never listed in the imported versions: watch it anyway (it may be listed later).
            loose = parse_loose(cleaned)
            if loose is None or not loose.well_formed:  # resolve_reference only says "unknown" for those
                raise
            reference = loose.canonical
        if not is_reference(reference):
            raise MalformedReference(cleaned, "reference numbers look like KPi.033")
        return "reference", reference, reference.casefold()
    letters = fold(cleaned).replace(" ", "")
    if len(letters) < MIN_NAME_LETTERS:
        raise InvalidOption(
            "target",
            f"{quote(cleaned)} is too short: watched names need at least {MIN_NAME_LETTERS} letters "
            "(shorter ones would match a good part of the list)",
        )
    key = name_key(cleaned)
    return "name", cleaned, " ".join(key.tokens)


# --- The service ------------------------------------------------------------------------------------------


class WatchService:
    """Watches and their settings, alerts worked out after each import, and their delivery."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        lists: ListService,
        search: SearchService,
        *,
        outbox: Outbox,
        limit: int = 100,
        concurrency: int = SEND_CONCURRENCY,
    ) -> None:
        self._db = db
        self._clock = clock
        self._search = search
        self.limit = limit
        self.outbox = outbox
        outbox.register("alert", _AlertPosts(db, clock))
        self._concurrency = concurrency
        self.scope: ShardScope | None = None
        # Work in progress (set by open_core): a graceful shutdown waits for alerts being sent.
        self.work: InFlight | None = None
        self._change_sets: OrderedDict[int, ChangeSet] = OrderedDict()
        self._change_set_lock = asyncio.Lock()
        self._run_lock = asyncio.Lock()
        self._send_lock = asyncio.Lock()
        lists.add_listener(self._on_version)

    @property
    def deliverer(self) -> Deliverer | None:
        """The outbox's way to Discord, installed on login (the terminal never sends)."""
        return self.outbox.deliverer

    @deliverer.setter
    def deliverer(self, value: Deliverer | None) -> None:
        self.outbox.deliverer = value

    @property
    def _sleep(self) -> Callable[[float], Awaitable[object]]:
        return self.outbox.sleep

    @_sleep.setter
    def _sleep(self, value: Callable[[float], Awaitable[object]]) -> None:
        self.outbox.sleep = value

    # --- Commands -----------------------------------------------------------------------------------------

    async def add(self, guild_id: int, target: str, note: str | None = None, *, user_id: int | None) -> AddResult:
        """Watch a reference or a name; say what it matches today. UserError for a bad, duplicate or extra one."""
        index = self._search.require_index()
        kind, stored, key = parse_target(target, index)
        text = clean_note(note)
        latest = await list_store.latest_version(self._db) or index.version
        outcome = await store.add_watch(
            self._db,
            guild_id=guild_id,
            kind=kind,
            target=stored,
            target_key=key,
            note=text,
            latest_version_id=latest.id,
            created_by=user_id,
            now=self._clock.now(),
            limit=self.limit,
        )
        what = f"reference {stored}" if kind == "reference" else f"the name {quote(stored)}"
        if outcome.outcome == "limit":
            raise UserError(
                f"This server already watches {outcome.count} names and references, the most it may; "
                "remove one with `/watch remove` first (see `/watch list`)."
            )
        if outcome.outcome == "duplicate" and outcome.watch is not None:
            raise UserError(f"This server already watches {what} (watch #{outcome.watch.id}; see `/watch list`).")
        assert outcome.watch is not None
        server = await store.server(self._db, guild_id)
        assert server is not None
        matches = await asyncio.to_thread(self._matches_now, index, outcome.watch, server.threshold)
        log.info("watch added guild=%s watch=%d kind=%s", guild_id, outcome.watch.id, kind)
        return AddResult(outcome.watch, server, matches, outcome.count, self.limit, index.version)

    @staticmethod
    def _matches_now(index: SearchIndex, watch: Watch, threshold: int) -> CurrentMatches:
        """What a watch matches on the latest list (the search index in use)."""
        if watch.kind == "reference":
            position = index.by_reference.get(watch.target)
            return CurrentMatches(
                entry=index.entries[position] if position is not None else None,
                known=watch.target.casefold() in index.references_casefold,
            )
        hits = index.search(watch.target, limit=MAX_NAME_HITS, min_score=MIN_THRESHOLD)
        above = [h for h in hits if h.score >= threshold]
        return CurrentMatches(hits=above, closest=None if above or not hits else hits[0])

    async def remove(self, guild_id: int, watch_id: int) -> Watch:
        """Stop a watch; UserError if the server has none with that id."""
        removed = await store.remove_watch(self._db, guild_id, watch_id)
        if removed is None:
            raise UserError(f"This server has no watch #{watch_id}; `/watch list` shows the ids.")
        log.info("watch removed guild=%s watch=%d", guild_id, watch_id)
        return removed

    async def overview(self, guild_id: int) -> Overview:
        """Settings, each watch with what it matches now, pending alerts (reads only)."""
        server = await store.server(self._db, guild_id)
        watches = await store.guild_watches(self._db, guild_id)
        index = self._search.index
        if index is not None:
            threshold = server.threshold if server else store.DEFAULT_THRESHOLD
            matches = await asyncio.to_thread(lambda: [self._matches_now(index, w, threshold) for w in watches])
        else:
            matches = [CurrentMatches() for _ in watches]
        through = None
        if server is not None and server.through_version_id:
            through = next(
                (v for v in await list_store.list_versions(self._db) if v.id == server.through_version_id), None
            )
        return Overview(
            server,
            list(zip(watches, matches, strict=True)),
            await store.pending_count(self._db, guild_id),
            self.limit,
            index.version if index else None,
            through,
        )

    async def _latest_id(self) -> int:
        latest = await list_store.latest_version(self._db)
        return latest.id if latest else 0

    async def set_channel(self, guild_id: int, channel_id: int) -> tuple[WatchServer, int]:
        """Send alerts to a channel (resuming a paused server); return the settings and alerts waiting to go."""
        server = await store.set_channel(
            self._db, guild_id, channel_id, latest_version_id=await self._latest_id(), now=self._clock.now()
        )
        pending = await store.pending_count(self._db, guild_id)
        log.info("watch channel set guild=%s channel=%s pending=%d", guild_id, channel_id, pending)
        if pending and self.deliverer is not None:
            tasks.create_task(self.send_pending(), name="watch-send")
        return server, pending

    async def set_threshold(self, guild_id: int, value: int) -> WatchServer:
        """Set the score at which watched names alert (50–100)."""
        check_threshold(value)
        return await store.set_threshold(
            self._db, guild_id, value, latest_version_id=await self._latest_id(), now=self._clock.now()
        )

    async def set_ping(self, guild_id: int, role_id: int | None, role_name: str | None = None) -> WatchServer:
        """Mention one role in alerts (None: mention nobody). @everyone is refused."""
        if role_id is not None and role_id == guild_id:
            raise InvalidOption("role", "alerts never ping @everyone; choose a role made for this")
        name = " ".join(strip_invisible(role_name or "").split())[:100] or None
        return await store.set_ping_role(
            self._db,
            guild_id,
            role_id,
            name if role_id is not None else None,
            latest_version_id=await self._latest_id(),
            now=self._clock.now(),
        )

    async def test(self, guild_id: int) -> TestResult:
        """Which of the server's watches would fire against the latest version that changed anything (reads only)."""
        server = await store.server(self._db, guild_id)
        threshold = server.threshold if server else store.DEFAULT_THRESHOLD
        watches = await store.guild_watches(self._db, guild_id)
        versions = await list_store.list_versions(self._db)
        latest = versions[-1] if versions else None
        changed = [v for v in versions if v.added + v.removed + v.amended]
        if not changed:
            return TestResult(None, latest, threshold, len(watches), [], [])
        change_set = await self.change_set(changed[-1])
        hits, near = await asyncio.to_thread(
            lambda: (change_set.hits(watches, threshold), change_set.near_misses(watches, threshold))
        )
        return TestResult(change_set, latest, threshold, len(watches), hits, near)

    # --- Change sets ----------------------------------------------------------------------------------------

    async def change_set(self, version: ListVersion) -> ChangeSet:
        """A version's changes, searchable (built off the event loop; the last few are kept)."""
        async with self._change_set_lock:
            cached = self._change_sets.get(version.id)
            if cached is not None:
                self._change_sets.move_to_end(version.id)
                return cached
            versions = await list_store.list_versions(self._db)
            previous = max((v for v in versions if v.id < version.id), key=lambda v: v.id, default=None)
            rows = await list_store.changes_with_revisions(self._db, version.id)
            changes = [EntryChange.of(change, old, new) for change, old, new in rows]
            built = await asyncio.to_thread(ChangeSet, version, previous, changes)
            self._change_sets[version.id] = built
            while len(self._change_sets) > CHANGE_SETS_KEPT:
                self._change_sets.popitem(last=False)
            log.info(
                "watch change set built version=%d changes=%d ms=%.0f",
                version.id,
                len(built),
                built.build_seconds * 1000,
            )
            return built

    # --- Working out alerts ---------------------------------------------------------------------------------

    async def _on_version(self, _new: ListVersion, _old: ListVersion | None) -> None:
        """A new version reached this process: work out its alerts now, and send them in the background."""
        if self.deliverer is None:
            return  # the terminal or a process that never logged in: the bot works them out when it sees them
        await self.check_versions()
        tasks.create_task(self.send_pending(), name="watch-send")

    async def run(self) -> tuple[CheckReport, SendReport]:
        """One pass of the loop: work out alerts for versions not yet checked, then send what is pending."""
        checked = await self.check_versions()
        sent = await self.send_pending()
        return checked, sent

    async def check_versions(self) -> CheckReport:
        """Record the alerts of every version after each server's cursor (this process's servers only)."""
        report = CheckReport()
        async with self._run_lock:
            started = time.perf_counter()
            latest = await list_store.latest_version(self._db)
            if latest is None:
                return report
            servers = await store.servers_behind(self._db, latest.id, self.scope)
            if not servers:
                return report
            through = {s.guild_id: s.through_version_id for s in servers}
            settings = {s.guild_id: s for s in servers}
            oldest = min(through.values())
            for version in [v for v in await list_store.list_versions(self._db) if v.id > oldest]:
                behind = [g for g, t in through.items() if t < version.id]
                if not behind:
                    continue
                alerts: list[NewAlert] = []
                if version.added + version.removed + version.amended:
                    change_set = await self.change_set(version)
                    watches = await store.watches_for_version(self._db, version.id, behind)
                    report.watches += sum(len(w) for w in watches.values())
                    alerts = await asyncio.to_thread(
                        _compose_alerts, self.outbox, change_set, [settings[g] for g in behind if g in watches], watches
                    )
                written = await store.record_alerts(
                    self._db, version_id=version.id, guild_ids=behind, alerts=alerts, now=self._clock.now()
                )
                for guild_id in behind:
                    through[guild_id] = version.id
                report.versions += 1
                report.servers += len(behind)
                report.alerts += len(written)
                report.hits += sum(len(a.hits) for a in alerts)
                if written:
                    log.info(
                        "watch alerts recorded version=%d servers=%d alerts=%d hits=%d",
                        version.id,
                        len(behind),
                        len(written),
                        sum(len(a.hits) for a in alerts),
                    )
            report.seconds = time.perf_counter() - started
        return report

    # --- Sending --------------------------------------------------------------------------------------------

    async def send_pending(self) -> SendReport:
        """Send every due alert of this process's servers (through the outbox), each server's in version order."""
        report = SendReport()
        if self.deliverer is None:
            return report
        async with self._send_lock, self.work.track() if self.work else contextlib.nullcontext():
            await self.outbox.send_due("alert", report, scope=self.scope)
            if report.sent or report.paused or report.retrying or report.failed:
                log.info(
                    "watch alerts sent=%d messages=%d paused=%d retrying=%d failed=%d",
                    report.sent,
                    report.messages,
                    report.paused,
                    report.retrying,
                    report.failed,
                )
        return report

    async def about(self) -> list[tuple[str, str]]:
        """The /about line: how many servers watch how much, and how many are paused."""
        servers, watches, paused = await store.counts(self._db)
        return [("Watchlists", f"{watches} watch(es) in {servers} server(s), {paused} paused")]


@dataclass(frozen=True)
class AlertPost:
    """What the outbox renders for one server's alert: the change set, the hits, and the role it may mention."""

    change_set: ChangeSet
    hits: list[WatchHit]
    role_id: int | None


def _compose_alerts(
    outbox: Outbox, change_set: ChangeSet, servers: Sequence[WatchServer], watches: dict[int, list[Watch]]
) -> list[NewAlert]:
    """The alert of each server that has hits in a change set: its messages and hit rows (CPU work, a thread)."""
    out: list[NewAlert] = []
    for server in servers:
        hits = change_set.hits(watches.get(server.guild_id, ()), server.threshold)
        if not hits:
            continue
        seed, payload = outbox.render("alert", AlertPost(change_set, hits, server.ping_role_id))
        out.append(
            NewAlert(
                server.guild_id,
                payload,
                seed,
                [
                    HitRecord(h.watch.id, change_set.version.id, h.change.reference, h.change.change, h.score)
                    for h in hits
                ],
            )
        )
    return out


class _AlertPosts:
    """What the outbox does for alerts: a channel that is gone or forbidden pauses the server with the reason and
    holds its alerts (they go out once `/watch channel` is run again)."""

    hold_when_unavailable = True

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def on_sent(self, post: Post) -> None:
        """Nothing to move: the server's cursor moved when the alert was recorded."""
        delivery = await store.delivery_of_post(self._db, post.id)
        if delivery is not None:
            log.info(
                "watch alert sent guild=%d version=%d messages=%d hits=%d",
                delivery.guild_id,
                delivery.version_id,
                len(delivery.payload),
                delivery.hit_count,
            )

    async def on_unavailable(self, post: Post, reason: str) -> None:
        """Pause the server's alerts, saying why."""
        await store.pause_server(self._db, post.guild_id, reason=reason, now=self._clock.now())
        log.warning("watch alerts paused guild=%d channel=%s reason=%s", post.guild_id, post.channel_id, reason)
