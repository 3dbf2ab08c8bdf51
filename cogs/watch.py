"""/watch: a server's watched names and references, and the loop that alerts it when the list changes for them."""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.answers import watch as answers
from bot.app import SanctionsBot
from bot.tasks import guarded
from cogs._channels import PostableChannel, postable
from cogs._commands import answer_command
from cogs._loops import BackgroundLoops

log = logging.getLogger(__name__)

CHECK_SECONDS = 30.0
Channel = app_commands.Transform[discord.abc.GuildChannel, PostableChannel]


def _with_role_name(_interaction: discord.Interaction, options: dict[str, Any]) -> dict[str, Any]:
    """The chosen role's name too: only for showing which role was chosen; the core stores and checks the id."""
    return {**options, "role_name": getattr(options.get("role"), "name", None)}


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class WatchCog(
    BackgroundLoops,
    commands.GroupCog,
    group_name="watch",
    group_description="Alerts in a channel when the UN list changes for names or references you watch.",
):
    """The /watch command group and the alert loop."""

    def __init__(self, bot: SanctionsBot) -> None:
        self.bot = bot
        super().__init__()

    def background_loops(self) -> list[tasks.Loop[Any]]:
        """The alert loop."""
        return [self.alert_loop]

    @tasks.loop(seconds=CHECK_SECONDS)
    @guarded("watch alerts", base=CHECK_SECONDS)
    async def alert_loop(self) -> None:
        """Work out alerts for versions not yet checked (e.g. imported while the bot was down); send what waits."""
        await self.bot.core.watches.run()

    @answer_command(
        name="add",
        description="Watch a reference number (exactly) or a name (fuzzily); says what it matches today.",
        answer=answers.add,
        writes=True,
    )
    @app_commands.describe(
        target="A reference number such as KPi.033, or a name such as Kim Jong Un (3 letters or more)",
        note="Why you watch it (shown in alerts)",
    )
    async def add(
        self,
        interaction: discord.Interaction,
        target: app_commands.Range[str, 1, 100],
        note: app_commands.Range[str, 1, 200] | None = None,
    ) -> None:
        """/watch add."""

    @answer_command(
        name="list",
        description="This server's watches with what each matches now, and where alerts go.",
        answer=answers.list_watches,
    )
    async def list_(self, interaction: discord.Interaction) -> None:
        """/watch list."""

    @answer_command(
        name="remove",
        description="Stop watching something (by its id in /watch list).",
        answer=answers.remove,
        writes=True,
    )
    @app_commands.rename(watch_id="id")
    @app_commands.describe(watch_id="The watch's id, as /watch list shows it")
    async def remove(self, interaction: discord.Interaction, watch_id: app_commands.Range[int, 1, 2**53 - 1]) -> None:
        """/watch remove."""

    @answer_command(
        name="channel",
        description="Where alerts are posted (also resumes alerts paused by a channel problem).",
        answer=answers.channel,
        writes=True,
        prepare=postable,
    )
    @app_commands.describe(channel="The channel for alerts")
    async def channel(self, interaction: discord.Interaction, channel: Channel) -> None:
        """/watch channel."""

    @answer_command(
        name="threshold",
        description="The name-search score (50–100) at which watched names alert; 90 by default.",
        answer=answers.threshold,
        writes=True,
    )
    @app_commands.describe(value="100 exact only; 90 also aliases, word order, romanization; lower also typos")
    async def threshold(self, interaction: discord.Interaction, value: app_commands.Range[int, 50, 100]) -> None:
        """/watch threshold."""

    @answer_command(
        name="ping",
        description="Mention one role in alerts; leave the role out to mention nobody.",
        answer=answers.ping,
        writes=True,
        prepare=_with_role_name,
        passes=("role_name",),
    )
    @app_commands.describe(role="The role alerts mention (leave out to stop pinging)")
    async def ping(self, interaction: discord.Interaction, role: discord.Role | None = None) -> None:
        """/watch ping."""

    @answer_command(
        name="test",
        description="Which watches would fire against the latest list changes (only you see it).",
        answer=answers.test,
    )
    async def test(self, interaction: discord.Interaction) -> None:
        """/watch test."""


async def setup(bot: SanctionsBot) -> None:
    """Load the extension."""
    await bot.add_cog(WatchCog(bot))
