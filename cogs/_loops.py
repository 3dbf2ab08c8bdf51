"""Cogs with guarded background loops: one way to start them, stop them, and wait for the bot before the first pass."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from discord.ext import tasks

from bot.tasks import LoopHealth

if TYPE_CHECKING:
    from bot.app import SanctionsBot


async def _wait_until_ready(cog: BackgroundLoops) -> None:
    # The first pass needs the connection (guilds, shards) that the loop's work is scoped by.
    await cog.bot.wait_until_ready()
    await asyncio.sleep(0)


class BackgroundLoops:
    """Put before `commands.Cog` in a cog's bases: its `background_loops()` start in cog_load (never in the
    terminal, which runs no background work), each after the bot is ready, and stop in cog_unload."""

    bot: SanctionsBot

    @property
    def loop_health(self) -> LoopHealth:
        """Where the loop guard (`bot.tasks.guarded`) records failures and backoff."""
        return self.bot.loop_health

    def background_loops(self) -> list[tasks.Loop[Any]]:
        """The loops this cog runs (a cog may leave one out by its settings)."""
        raise NotImplementedError

    async def cog_load(self) -> None:
        """Start the loops (not in the terminal)."""
        if self.bot.run_background:
            for loop in self.background_loops():
                loop.before_loop(_wait_until_ready)
                loop.start()

    async def cog_unload(self) -> None:
        """Stop the loops."""
        for loop in self.background_loops():
            loop.cancel()
