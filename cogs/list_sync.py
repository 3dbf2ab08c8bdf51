"""Background jobs that keep the list fresh: the scheduled sync, and noticing versions imported by others."""

from __future__ import annotations

import asyncio
from typing import Any

from discord.ext import commands, tasks

from bot.app import SanctionsBot
from bot.core import ANNOUNCED_POLL_SECONDS
from bot.tasks import create_task, guarded
from cogs._loops import BackgroundLoops

CHECK_SECONDS = 60.0
VERSION_POLL_SECONDS = 30.0


class ListSyncCog(BackgroundLoops, commands.Cog):
    """Runs the list sync when due, and refreshes caches when the store gets a new version."""

    def __init__(self, bot: SanctionsBot) -> None:
        self.bot = bot
        self._follow: asyncio.Task[None] | None = None

    def background_loops(self) -> list[tasks.Loop[Any]]:
        """The scheduled sync (unless SYNC_INTERVAL_MINUTES is 0) and the new-version poll."""
        if self.bot.core.settings.sync_interval_minutes > 0:
            return [self.sync_loop, self.version_loop]
        return [self.version_loop]

    async def cog_load(self) -> None:
        """Start the loops, and on a store that announces new versions listen for them (the poll a safety net)."""
        if self.bot.run_background and self.bot.core.db.announces:
            self.version_loop.change_interval(seconds=ANNOUNCED_POLL_SECONDS)
            follow = self.bot.core.keep_following_versions(ready=self.bot.wait_until_ready)
            self._follow = create_task(follow, name="follow-list-versions")
        await super().cog_load()

    async def cog_unload(self) -> None:
        """Stop the loops and the listening."""
        await super().cog_unload()
        if self._follow is not None:
            self._follow.cancel()

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

    @tasks.loop(seconds=VERSION_POLL_SECONDS)
    @guarded("new list versions", base=VERSION_POLL_SECONDS)
    async def version_loop(self) -> None:
        """Pick up versions written by another process (e.g. `sanctionsbot import` while the bot runs)."""
        await self.bot.core.after_import()


async def setup(bot: SanctionsBot) -> None:
    """Load the extension."""
    await bot.add_cog(ListSyncCog(bot))
