"""The assembled core: settings, store, clock, HTTP session and services, opened and closed together.

`sanctionsbot run` hands a Core to the Discord bot; `sanctionsbot ask|import|sync|versions` use the same Core
without Discord, so the terminal answers through exactly the code Discord gets.

Services are built (and their modules imported) on first use: `sanctionsbot import` never loads the digest
composer, the feed parser or Discord, and the name-search index is built only where a search needs it, once per
list version. The bot (`open_core(eager=True)`, the default) builds everything at start-up, as before.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from bot.clock import Clock, SystemClock
from bot.models import CommandInfo
from bot.services.lists import ListService
from bot.settings import Settings
from bot.store.db import Database
from bot.tasks import InFlight, LoopHealth

if TYPE_CHECKING:
    import aiohttp

    from bot.services.feeds import FeedService
    from bot.services.guilds import GuildLifecycle
    from bot.services.history import HistoryService
    from bot.services.importer import ListImporter
    from bot.services.knowledge import KnowledgeService, LoadReport
    from bot.services.outbox import Outbox
    from bot.services.scheduler import DigestScheduler
    from bot.services.search import SearchService
    from bot.services.sync import ListSync
    from bot.services.watch import WatchService

log = logging.getLogger(__name__)

AboutSection = Callable[[], Awaitable[list[tuple[str, str]]]]

# On PostgreSQL new versions are announced (LISTEN/NOTIFY); the poll is only a safety net for a lost connection.
ANNOUNCED_POLL_SECONDS = 300.0
# After the listening connection failed: the pause before listening again (the poll covers the gap meanwhile).
FOLLOW_RETRY_SECONDS = ANNOUNCED_POLL_SECONDS / 10
FOLLOW_LOOP = "listening for new list versions"  # its name in /about's "Background jobs" while it fails


class Core:
    """Everything the answers and background jobs need; built once by open_core(), each service on first use."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        clock: Clock,
        *,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self.settings = settings
        self.db = db
        self.clock = clock
        self._session = session
        self.own_session = session is None
        self.lists = ListService(db)
        # Answers and deliveries in progress: a graceful shutdown waits for them.
        self.work = InFlight()
        # Every background loop's failures and backoff (bot.tasks.guarded): shown in /about.
        self.loops = LoopHealth()
        self.command_index: list[CommandInfo] = []
        # Finished answers, kept per list version and knowledge revision (bot/answers/cache.py).
        self.answer_cache: OrderedDict[Hashable, object] = OrderedDict()
        # Answers being worked out right now, by the same key: a burst of one question works it out once.
        self.answer_pending: dict[Hashable, asyncio.Future[object]] = {}
        # Moves on each reload of the knowledge files that changed them: cached answers then go stale.
        self.knowledge_revision = 0
        # Each service may add lines to /about: async callables returning (field name, text) pairs.
        self.about_sections: list[AboutSection] = [
            self._search_about,
            self._digests_about,
            self._watches_about,
            self.loops.about,
            self._knowledge_about,
        ]
        self._importer: ListImporter | None = None
        self._sync: ListSync | None = None
        self._knowledge: KnowledgeService | None = None
        self._knowledge_loaded = False
        self._knowledge_loading: asyncio.Future[LoadReport | None] | None = None
        self._feeds: FeedService | None = None
        self._digests: DigestScheduler | None = None
        self._search: SearchService | None = None
        self._history: HistoryService | None = None
        self._watches: WatchService | None = None
        self._outbox: Outbox | None = None
        self._guilds: GuildLifecycle | None = None

    # --- the services, each built on first use ----------------------------------------------------------------

    @property
    def session(self) -> aiohttp.ClientSession:
        """The HTTP session (aiohttp and its TLS context are loaded only by what fetches)."""
        if self._session is None:
            import aiohttp

            self._session = aiohttp.ClientSession()
        return self._session

    @property
    def importer(self) -> ListImporter:
        """Imports list XML into the store."""
        if self._importer is None:
            from bot.services.importer import ListImporter

            self._importer = ListImporter(self.db, self.clock)
        return self._importer

    @property
    def sync(self) -> ListSync:
        """Fetches UN_LIST_URL and imports it when it changed."""
        if self._sync is None:
            from bot.services.sync import ListSync

            self._sync = ListSync(
                self.db,
                self.importer,
                self.session,
                self.clock,
                url=self.settings.un_list_url,
                interval_minutes=self.settings.sync_interval_minutes,
                on_recorded=self.lists.forget_sync_status,
            )
        return self._sync

    @property
    def knowledge(self) -> KnowledgeService:
        """The committee and statement knowledge (see ready_knowledge() for answers that read it)."""
        if self._knowledge is None:
            from bot.services.knowledge import KnowledgeService

            self._knowledge = KnowledgeService(self.db, self.lists, self.clock)
        return self._knowledge

    @property
    def feeds(self) -> FeedService:
        """News feeds: polling, parsing, keywords."""
        if self._feeds is None:
            from bot.services.feeds import FeedService

            settings = self.settings
            self._feeds = FeedService(
                self.db, self.clock, poll_minutes=settings.feed_poll_minutes, allow_private=settings.feeds_allow_private
            )
        return self._feeds

    @property
    def outbox(self) -> Outbox:
        """Everything the bot posts on its own (digests, alerts) goes out through it; it renders each producer's
        data with the renderer given here."""
        if self._outbox is None:
            from bot.render.digest import digest_messages
            from bot.render.watch import alert_messages
            from bot.services.outbox import Outbox

            self._outbox = Outbox(self.db, self.clock, {"digest": digest_messages, "alert": alert_messages})
        return self._outbox

    @property
    def digests(self) -> DigestScheduler:
        """Scheduled digests and their delivery."""
        if self._digests is None:
            from bot.services.digest import DigestComposer
            from bot.services.scheduler import DigestScheduler

            composer = DigestComposer(self.db, self.feeds)
            self._digests = DigestScheduler(self.db, self.clock, composer, self.feeds, self.outbox)
            self._digests.work = self.work
        return self._digests

    @property
    def search(self) -> SearchService:
        """Name search (its index may not be built yet: answers that search await ready_search())."""
        if self._search is None:
            from bot.services.search import SearchService

            # Rebuilt by the list's listener on new versions; cached beside the store, one file per version.
            self._search = SearchService(self.db, self.lists, location=self.settings.store_location())
        return self._search

    @property
    def history(self) -> HistoryService:
        """The version history: counts on a date, changes, entries across versions."""
        if self._history is None:
            from bot.services.history import HistoryService

            self._history = HistoryService(self.db, self.lists)
        return self._history

    @property
    def watches(self) -> WatchService:
        """Watchlists and their alerts."""
        if self._watches is None:
            from bot.services.watch import WatchService

            search = self.search  # first: its listener rebuilds the index before the watches' listener runs
            self._watches = WatchService(
                self.db, self.clock, self.lists, search, outbox=self.outbox, limit=self.settings.watch_limit
            )
            self._watches.work = self.work
        return self._watches

    @property
    def guilds(self) -> GuildLifecycle:
        """Servers the bot left: suspension, resumption, deletion after 30 days."""
        if self._guilds is None:
            from bot.services.guilds import GuildLifecycle

            self._guilds = GuildLifecycle(self.db, self.clock)
        return self._guilds

    # --- readiness for answers that need more than a built service --------------------------------------------

    async def ready_search(self) -> SearchService:
        """The search service with an index of the current list version (built here at most once per version)."""
        service = self.search
        version = self.lists.version
        if version is not None:
            await service.ensure(version)  # the index already built, or being built, for this version if any
        return service

    async def prepare_search(self) -> None:
        """At start-up: the index loaded or built before the first answer, or (a large list with no index on disk)
        built in the background while the bot connects; answers that search wait for it in ready_search()."""
        version = self.lists.version
        if version is not None:
            await self.search.prepare(version)

    async def ready_knowledge(self) -> KnowledgeService:
        """The knowledge service, its files loaded into the store if they changed (once per process)."""
        service = self.knowledge
        if self._knowledge_loaded:
            return service
        if self._knowledge_loading is None or (
            self._knowledge_loading.done() and self._knowledge_loading.exception() is not None
        ):
            # Idempotent: writes only if a knowledge file changed; a broken file is logged and shown in /about.
            self._knowledge_loading = asyncio.ensure_future(service.load_at_startup())
        loading = self._knowledge_loading
        # Every caller waits for the one load (shielded: a caller that gives up does not cancel it for the others);
        # only a finished load counts as loaded.
        await asyncio.shield(loading)
        self._knowledge_loaded = True
        return service

    async def reload_knowledge(self) -> LoadReport:
        """Re-read the knowledge files; a reload that changed them moves knowledge_revision, so answers cached from
        the old files are no longer used. KnowledgeError (store and revision untouched) if a file is broken."""
        report = await self.knowledge.load()
        if report.status != "unchanged":
            self.knowledge_revision += 1
        return report

    async def after_import(self) -> None:
        """Refresh everything derived from the latest list version (caches, indexes, listeners)."""
        await self.lists.refresh()

    async def follow_versions(self, listening: asyncio.Event | None = None) -> None:
        """PostgreSQL: refresh as soon as any process announces a new version (LISTEN), until cancelled.

        Announcements arrive on one held connection; each wakes one refresh (several at once make one)."""
        from bot.store.lists import VERSIONS_CHANNEL

        wake = asyncio.Event()
        async with self.db.listen(VERSIONS_CHANNEL, lambda _payload: wake.set()) as held:
            log.info("listening for new list versions channel=%s", VERSIONS_CHANNEL)
            self.loops.succeeded(FOLLOW_LOOP)  # (a failure before is no longer shown in /about)
            if listening is not None:
                listening.set()
            # Anything committed before the listener was in place, or while a lost connection was being replaced.
            await self.after_import()
            while True:
                await held.wait(wake)  # ListenLost (a StoreUnavailable) if the connection drops: the caller retries
                wake.clear()
                await self.after_import()

    async def keep_following_versions(
        self,
        *,
        ready: Callable[[], Awaitable[object]] | None = None,
        listening: asyncio.Event | None = None,
        pause: float = FOLLOW_RETRY_SECONDS,
    ) -> None:
        """follow_versions() until cancelled: if the listening connection fails, say so and listen again, at once
        if it had been listening for `pause` seconds or more, else after `pause` seconds (so failing tries come no
        faster than one a pause). `ready` is awaited first (the bot: until Discord is ready)."""
        if ready is not None:
            await ready()
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            try:
                await self.follow_versions(listening)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                state = self.loops.failed(FOLLOW_LOOP, exc, base=pause, cap=pause, logged=True)  # shown in /about
                log.exception(
                    "listening for new list versions failed; the 5-minute poll covers it, retrying reference=%s",
                    state.last_reference,
                )
                # A connection that served a while and then dropped (a server restart, a cut) is replaced at once:
                # every second deaf is a second of versions heard late.
                if loop.time() - started < pause:
                    await asyncio.sleep(pause)

    # --- /about, service by service ---------------------------------------------------------------------------

    async def _search_about(self) -> list[tuple[str, str]]:
        return await (await self.ready_search()).about()

    async def _digests_about(self) -> list[tuple[str, str]]:
        return await self.digests.about()

    async def _watches_about(self) -> list[tuple[str, str]]:
        return await self.watches.about()

    async def _knowledge_about(self) -> list[tuple[str, str]]:
        return await (await self.ready_knowledge()).about_lines()

    async def close(self) -> None:
        """Close what was opened here (feeds' session, our HTTP session); the store is closed by open_core."""
        if self._search is not None:
            await self._search.close()
        if self._feeds is not None:
            await self._feeds.close()
        if self.own_session and self._session is not None:
            await self._session.close()


@asynccontextmanager
async def open_core(
    settings: Settings,
    *,
    clock: Clock | None = None,
    session: aiohttp.ClientSession | None = None,
    writable: bool = True,
    eager: bool = True,
) -> AsyncIterator[Core]:
    """Open the store, build the services, and close it all on the way out.

    With `writable` (the default), a store that cannot take a write (read-only file, full disk) is refused at
    once with StoreUnavailable, so the program exits cleanly at start-up instead of failing later.
    With `eager` (the default: the bot), every service is built and the search index and knowledge files are
    ready before the first answer; without it (the terminal), each is built when first used.
    """
    clock = clock or SystemClock()
    db = await Database.open(settings.store_location())
    if writable:
        try:
            await db.check_writable()
        except BaseException:
            await db.close()
            raise
    core = Core(settings, db, clock, session=session)
    try:
        if eager:
            # Listeners in this order: the index is rebuilt before the watches work out alerts.
            for name in ("importer", "sync", "knowledge", "feeds", "digests", "search", "history", "watches"):
                getattr(core, name)
        await core.lists.refresh()
        if eager:
            await core.prepare_search()
            await core.ready_knowledge()
        yield core
    finally:
        await core.close()
        await db.close()
