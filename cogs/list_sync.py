"""Background jobs that keep the list fresh: the scheduled sync, and noticing versions imported by others."""

from __future__ import annotations

import asyncio
import logging

from discord.ext import commands, tasks

from bot.app import SanctionsBot
from bot.tasks import LoopHealth, guarded

log = logging.getLogger(__name__)

CHECK_SECONDS = 60.0
VERSION_POLL_SECONDS = 30.0


class ListSyncCog(commands.Cog):
    """Runs the list sync when due, and refreshes caches when the store gets a new version."""

    def __init__(self, bot: SanctionsBot) -> None:
        self.bot = bot

    @property
    def loop_health(self) -> LoopHealth:
        """Where the guard records failures and backoff."""
        return self.bot.loop_health

    async def cog_load(self) -> None:
        """Start the loops (not in the terminal, which never runs background work)."""
        if self.bot.run_background:
            if self.bot.core.settings.sync_interval_minutes > 0:
                self.sync_loop.start()
            self.version_loop.start()

    async def cog_unload(self) -> None:
        """Stop the loops."""
        self.sync_loop.cancel()
        self.version_loop.cancel()

    @tasks.loop(seconds=CHECK_SECONDS)
    @guarded("list sync", base=CHECK_SECONDS)
    async def sync_loop(self) -> None:
        """Sync when the persisted next-attempt time has come (backoff after failures included)."""
        core = self.bot.core
        if not await core.sync.due():
            return
        result = await core.sync.run()
        if result.outcome == "imported":
            await core.after_import()

    @sync_loop.before_loop
    async def _before_sync(self) -> None:
        await self.bot.wait_until_ready()

    @tasks.loop(seconds=VERSION_POLL_SECONDS)
    @guarded("new list versions", base=VERSION_POLL_SECONDS)
    async def version_loop(self) -> None:
        """Pick up versions written by another process (e.g. `sanctionsbot import` while the bot runs)."""
        await self.bot.core.after_import()

    @version_loop.before_loop
    async def _before_versions(self) -> None:
        await self.bot.wait_until_ready()
        await asyncio.sleep(0)


async def setup(bot: SanctionsBot) -> None:
    """Load the extension."""
    await bot.add_cog(ListSyncCog(bot))
