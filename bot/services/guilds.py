"""Leaving and rejoining servers: suspend a server's feeds, digests and alerts when the bot is removed, resume
them if it comes back, and delete the server's data RETENTION_DAYS after it left."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from bot.clock import Clock
from bot.store import guilds as store
from bot.store.db import Database

log = logging.getLogger(__name__)

RETENTION_DAYS = 30


class GuildLifecycle:
    """What happens to a server's data as the bot leaves and rejoins it."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        # The departed servers, read once: every server announces itself on each connection (on_guild_available),
        # and only a departed one needs a write.
        self._departed: set[int] | None = None

    async def _known_departed(self) -> set[int]:
        if self._departed is None:
            self._departed = set(await store.departed(self._db))
        return self._departed

    async def left(self, guild_id: int) -> None:
        """The bot was removed: stop fetching the server's feeds, suspend its digests and alerts."""
        known = await self._known_departed()
        if await store.mark_departed(self._db, guild_id, self._clock.now().isoformat(timespec="seconds")):
            log.info("server left; feeds, digests and alerts suspended guild=%s", guild_id)
        known.add(guild_id)

    async def returned(self, guild_id: int) -> bool:
        """The bot is in the server (again): resume whatever was suspended; True if something was."""
        known = await self._known_departed()
        if guild_id not in known:
            return False
        resumed = await store.mark_returned(self._db, guild_id)
        known.discard(guild_id)
        if resumed:
            log.info("server rejoined; feeds, digests and alerts resumed guild=%s", guild_id)
        return resumed

    async def reconcile(self, present: set[int], owns: Callable[[int], bool]) -> list[int]:
        """After connecting: servers with data here that Discord no longer lists for this bot (of this process's
        shards) were left while it was offline: suspend them (as on_guild_remove would have). Their ids."""
        if not present:
            # A bot in no server at all is likelier a glitch than the truth: suspend nothing on its word.
            return []
        known = await self._known_departed()
        gone = sorted(g for g in await store.guilds_with_data(self._db) if g not in present and owns(g))
        for guild_id in gone:
            if guild_id not in known:
                log.info("server left while the bot was offline guild=%s", guild_id)
                await self.left(guild_id)
        for guild_id in sorted(known & present):
            await self.returned(guild_id)
        return gone

    async def departed(self) -> dict[int, str]:
        """Servers left and not rejoined, with when."""
        return await store.departed(self._db)

    async def purge_expired(self) -> list[int]:
        """Delete the data of servers left RETENTION_DAYS ago or more; their ids."""
        cutoff = self._clock.now() - dt.timedelta(days=RETENTION_DAYS)
        gone = await store.purge_departed(self._db, cutoff.isoformat(timespec="seconds"))
        self._departed = None  # read afresh (another process may have purged or recorded some too)
        for guild_id in gone:
            log.info("server data deleted guild=%s days_since_left>=%d", guild_id, RETENTION_DAYS)
        return gone
