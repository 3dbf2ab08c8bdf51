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
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from bot import tasks
from bot.clock import Clock
from bot.errors import (
    InvalidOption,
    UserError,
    quote,
)
from bot.models import ListVersion
from bot.models_watch import NewAlert, Watch, WatchServer
from bot.services.lists import ListService
from bot.services.outbox import SEND_CONCURRENCY, Outbox, SendReport, SendsThroughOutbox
from bot.services.search import (
    Hit,
    IndexedEntry,
    SearchIndex,
    SearchService,
)
from bot.services.watch_alerts import AlertPost, AlertPosts, CheckReport, compose_alerts
from bot.services.watch_changes import (
    EXACT_LEVEL,
    MAX_NAME_HITS,
    MAX_THRESHOLD,
    MIN_THRESHOLD,
    ChangeSet,
    EntryChange,
    NameMatch,
    NearMiss,
    WatchHit,
)
from bot.services.watch_targets import MAX_NOTE, MAX_TARGET, check_threshold, clean_note, parse_target
from bot.sharding import ShardScope
from bot.store import lists as list_store
from bot.store import watches as store
from bot.store.db import Database
from bot.tasks import InFlight
from bot.text import one_line

__all__ = [  # what the answers, render and tests know this module by
    "EXACT_LEVEL",
    "MAX_NOTE",
    "MAX_TARGET",
    "MAX_THRESHOLD",
    "MIN_THRESHOLD",
    "AddResult",
    "AlertPost",
    "ChangeSet",
    "CheckReport",
    "CurrentMatches",
    "EntryChange",
    "NameMatch",
    "NearMiss",
    "Overview",
    "TestResult",
    "WatchHit",
    "WatchService",
    "check_threshold",
    "clean_note",
    "parse_target",
]

log = logging.getLogger(__name__)

CHANGE_SETS_KEPT = 4


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


# --- The service ------------------------------------------------------------------------------------------


class WatchService(SendsThroughOutbox):
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
        outbox.register("alert", AlertPosts(db, clock))
        self._concurrency = concurrency
        self.scope: ShardScope | None = None
        # Work in progress (set by open_core): a graceful shutdown waits for alerts being sent.
        self.work: InFlight | None = None
        self._change_sets: OrderedDict[int, ChangeSet] = OrderedDict()
        self._change_set_lock = asyncio.Lock()
        self._run_lock = asyncio.Lock()
        self._send_lock = asyncio.Lock()
        lists.add_listener(self._on_version)

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
        name = one_line(role_name or "")[:100] or None
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
                        compose_alerts, self.outbox, change_set, [settings[g] for g in behind if g in watches], watches
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
