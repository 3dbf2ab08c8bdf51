"""Joining and leaving servers: suspend a removed server's feeds, digests and alerts; resume them on return;
delete its data 30 days after it left (a guarded loop)."""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord.ext import commands, tasks

from bot.app import SanctionsBot
from bot.tasks import guarded
from cogs._loops import BackgroundLoops

log = logging.getLogger(__name__)

PURGE_HOURS = 6.0


class GuildsCog(BackgroundLoops, commands.Cog):
    """Listens for the bot being removed from and added to servers."""

    def __init__(self, bot: SanctionsBot) -> None:
        self.bot = bot

    def background_loops(self) -> list[tasks.Loop[Any]]:
        """The purge loop."""
        return [self.purge_loop]

    @commands.Cog.listener()
    async def on_guild_remove(self, guild: discord.Guild) -> None:
        """Removed (kicked, banned, or the server deleted): suspend, keep the data for now."""
        await self.bot.core.guilds.left(guild.id)

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        """Added (again): resume anything suspended."""
        await self.bot.core.guilds.returned(guild.id)

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """Removed while offline, Discord sends no GUILD_DELETE: compare the servers it lists with ours."""
        scope = self.bot.scope
        await self.bot.core.guilds.reconcile(
            {g.id for g in self.bot.guilds}, scope.owns if scope is not None else lambda _guild_id: True
        )

    @commands.Cog.listener()
    async def on_guild_available(self, guild: discord.Guild) -> None:
        """A server seen at connection time (e.g. re-added while the bot was offline): resume it too."""
        await self.bot.core.guilds.returned(guild.id)

    @tasks.loop(hours=PURGE_HOURS)
    @guarded("server data clean-up", base=PURGE_HOURS * 3600)
    async def purge_loop(self) -> None:
        """Delete the data of servers the bot left 30 days ago or more."""
        await self.bot.core.guilds.purge_expired()


async def setup(bot: SanctionsBot) -> None:
    """Load the extension."""
    await bot.add_cog(GuildsCog(bot))
