"""/feeds: the news feeds and keywords a server's digests use, and the loop that polls the feeds."""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.answers import feeds as answers
from bot.app import SanctionsBot
from bot.tasks import guarded
from cogs._commands import answer_command
from cogs._loops import BackgroundLoops

log = logging.getLogger(__name__)

POLL_CHECK_SECONDS = 60.0


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class FeedsCog(
    BackgroundLoops,
    commands.GroupCog,
    group_name="feeds",
    group_description="News feeds and keywords for digests.",
):
    """The /feeds command group and the feed poll loop."""

    keywords = app_commands.Group(name="keywords", description="Keywords that pick the news for digests.")

    def __init__(self, bot: SanctionsBot) -> None:
        self.bot = bot
        super().__init__()

    def background_loops(self) -> list[tasks.Loop[Any]]:
        """The poll loop."""
        return [self.poll_loop]

    @tasks.loop(seconds=POLL_CHECK_SECONDS)
    @guarded("feed polling", base=POLL_CHECK_SECONDS)
    async def poll_loop(self) -> None:
        """Poll the feeds whose time has come (each every FEED_POLL_MINUTES, less often while failing)."""
        await self.bot.core.feeds.poller.poll_due(wait=False)  # slow feeds go on in the background

    async def _complete_feed(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        ctx = await self.bot.context_for(interaction)
        return [app_commands.Choice(name=n, value=v) for n, v in await answers.complete_feed(ctx, current)]

    async def _complete_keyword(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        ctx = await self.bot.context_for(interaction)
        return [app_commands.Choice(name=n, value=v) for n, v in await answers.complete_keyword(ctx, current)]

    @answer_command(
        name="add",
        description="Follow an RSS or Atom feed in this server's digests.",
        answer=answers.add,
        writes=True,
        defer=True,
    )
    @app_commands.describe(
        url="The feed's address (http or https)", name="How digests name it (the feed's title if left out)"
    )
    async def add(
        self,
        interaction: discord.Interaction,
        url: app_commands.Range[str, 1, 2048],
        name: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        """/feeds add."""

    @answer_command(name="remove", description="Stop following a feed.", answer=answers.remove, writes=True)
    @app_commands.describe(feed="The feed's name, address, or number in /feeds list")
    @app_commands.autocomplete(feed=_complete_feed)
    async def remove(self, interaction: discord.Interaction, feed: app_commands.Range[str, 1, 2048]) -> None:
        """/feeds remove."""

    @answer_command(
        name="list", description="This server's feeds and their health.", answer=answers.list_, writes=True
    )  # first use sets up the server's defaults
    async def list_(self, interaction: discord.Interaction) -> None:
        """/feeds list."""

    @answer_command(
        name="list",
        description="The keywords that pick news for digests.",
        answer=answers.keywords_list,
        writes=True,
        group=keywords,
    )  # first use sets up defaults,
    async def keywords_list(self, interaction: discord.Interaction) -> None:
        """/feeds keywords list."""

    @answer_command(
        name="set",
        description="Replace the keywords (comma-separated).",
        answer=answers.keywords_set,
        writes=True,
        group=keywords,
    )
    @app_commands.describe(keywords="e.g. sanction, DPRK, Panel of Experts")
    async def keywords_set(self, interaction: discord.Interaction, keywords: app_commands.Range[str, 1, 1500]) -> None:
        """/feeds keywords set."""

    @answer_command(
        name="add",
        description="Add keywords (comma-separated).",
        answer=answers.keywords_add,
        writes=True,
        group=keywords,
    )
    @app_commands.describe(keywords="One keyword or several separated by commas")
    async def keywords_add(self, interaction: discord.Interaction, keywords: app_commands.Range[str, 1, 1500]) -> None:
        """/feeds keywords add."""

    @answer_command(
        name="remove",
        description="Remove keywords (comma-separated).",
        answer=answers.keywords_remove,
        writes=True,
        group=keywords,
    )
    @app_commands.describe(keywords="One keyword or several separated by commas")
    @app_commands.autocomplete(keywords=_complete_keyword)
    async def keywords_remove(
        self, interaction: discord.Interaction, keywords: app_commands.Range[str, 1, 1500]
    ) -> None:
        """/feeds keywords remove."""


async def setup(bot: SanctionsBot) -> None:
    """Load the extension."""
    await bot.add_cog(FeedsCog(bot))
