"""The assembled core: settings, store, clock, HTTP session and services, opened and closed together.

`sanctionsbot run` hands a Core to the Discord bot; `sanctionsbot ask|import|sync|versions` use the same Core
without Discord, so the terminal answers through exactly the code Discord gets.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import aiohttp

from bot.clock import Clock, SystemClock
from bot.models import CommandInfo
from bot.render.digest import digest_messages
from bot.render.watch import alert_messages
from bot.services.digest import DigestComposer
from bot.services.feeds import FeedService
from bot.services.history import HistoryService
from bot.services.importer import ListImporter
from bot.services.knowledge import KnowledgeService
from bot.services.lists import ListService
from bot.services.outbox import Outbox
from bot.services.scheduler import DigestScheduler
from bot.services.search import SearchService
from bot.services.sync import ListSync
from bot.services.watch import WatchService
from bot.settings import Settings
from bot.store.db import Database
from bot.tasks import InFlight

log = logging.getLogger(__name__)


@dataclass
class Core:
    """Everything the answers and background jobs need; built once by open_core()."""

    settings: Settings
    db: Database
    clock: Clock
    session: aiohttp.ClientSession
    lists: ListService
    importer: ListImporter
    sync: ListSync
    knowledge: KnowledgeService
    feeds: FeedService
    digests: DigestScheduler
    search: SearchService
    history: HistoryService
    watches: WatchService
    # Answers and deliveries in progress: a graceful shutdown waits for them.
    work: InFlight = field(default_factory=InFlight)
    command_index: list[CommandInfo] = field(default_factory=list)
    # Each service may add lines to /about: async callables returning (field name, text) pairs.
    about_sections: list[Callable[[], Awaitable[list[tuple[str, str]]]]] = field(default_factory=list)

    async def after_import(self) -> None:
        """Refresh everything derived from the latest list version (caches, indexes, listeners)."""
        await self.lists.refresh()


@asynccontextmanager
async def open_core(
    settings: Settings,
    *,
    clock: Clock | None = None,
    session: aiohttp.ClientSession | None = None,
    writable: bool = True,
) -> AsyncIterator[Core]:
    """Open the store and an HTTP session, build the services, and close it all on the way out.

    With `writable` (the default), a store that cannot take a write (read-only file, full disk) is refused at
    once with StoreUnavailable, so the program exits cleanly at start-up instead of failing later.
    """
    clock = clock or SystemClock()
    db = await Database.open(settings.database_path)
    if writable:
        try:
            await db.check_writable()
        except BaseException:
            await db.close()
            raise
    own_session = session is None
    http = session or aiohttp.ClientSession()
    feeds = FeedService(db, clock, poll_minutes=settings.feed_poll_minutes, allow_private=settings.feeds_allow_private)
    try:
        importer = ListImporter(db, clock)
        lists = ListService(db)
        search = SearchService(db, lists)
        # Everything the bot posts on its own goes through one outbox, which renders each producer's data.
        outbox = Outbox(db, clock, {"digest": digest_messages, "alert": alert_messages})
        core = Core(
            settings=settings,
            db=db,
            clock=clock,
            session=http,
            lists=lists,
            importer=importer,
            sync=ListSync(
                db,
                importer,
                http,
                clock,
                url=settings.un_list_url,
                interval_minutes=settings.sync_interval_minutes,
            ),
            knowledge=KnowledgeService(db, lists, clock),
            feeds=feeds,
            digests=DigestScheduler(db, clock, DigestComposer(db, feeds), feeds, outbox),
            search=search,  # both listen for new versions: built before the first refresh
            history=HistoryService(db, lists),
            watches=WatchService(db, clock, lists, search, outbox=outbox, limit=settings.watch_limit),  # after search
        )
        core.digests.work = core.watches.work = core.work
        core.about_sections.append(core.search.about)
        core.about_sections.append(core.digests.about)
        core.about_sections.append(core.watches.about)
        await core.lists.refresh()
        # Idempotent: writes only if a knowledge file changed; a broken file is logged and shown in /about.
        await core.knowledge.load_at_startup()
        core.about_sections.append(core.knowledge.about_lines)
        yield core
    finally:
        await feeds.close()
        if own_session:
            await http.close()
        await db.close()
