"""/watch: a server's watched names and references, and the loop that alerts it when the list changes for them."""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.answers import watch as answers
from bot.app import SanctionsBot
from bot.tasks import LoopHealth, guarded
from cogs._channels import PostableChannel, check_can_post, check_member_can_post

log = logging.getLogger(__name__)

CHECK_SECONDS = 30.0
Channel = app_commands.Transform[discord.abc.GuildChannel, PostableChannel]


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class WatchCog(
    commands.GroupCog,
    group_name="watch",
    group_description="Alerts in a channel when the UN list changes for names or references you watch.",
):
    """The /watch command group and the alert loop."""

    def __init__(self, bot: SanctionsBot) -> None:
        self.bot = bot
        super().__init__()

    @property
    def loop_health(self) -> LoopHealth:
        """Where the loop guard records failures and backoff."""
        return self.bot.loop_health

    async def cog_load(self) -> None:
        """Start the loop (not in the terminal)."""
        if self.bot.run_background:
            self.alert_loop.start()

    async def cog_unload(self) -> None:
        """Stop the loop."""
        self.alert_loop.cancel()

    @tasks.loop(seconds=CHECK_SECONDS)
    @guarded("watch alerts", base=CHECK_SECONDS)
    async def alert_loop(self) -> None:
        """Work out alerts for versions not yet checked (e.g. imported while the bot was down); send what waits."""
        await self.bot.core.watches.run()

    @alert_loop.before_loop
    async def _before_alerts(self) -> None:
        await self.bot.wait_until_ready()

    @app_commands.command(
        name="add",
        description="Watch a reference number (exactly) or a name (fuzzily); says what it matches today.",
        extras={"answer": answers.add, "writes": True},
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
        await self.bot.answer(interaction, target=target, note=note)

    @app_commands.command(
        name="list",
        description="This server's watches with what each matches now, and where alerts go.",
        extras={"answer": answers.list_watches},
    )
    async def list_(self, interaction: discord.Interaction) -> None:
        """/watch list."""
        await self.bot.answer(interaction)

    @app_commands.command(
        name="remove",
        description="Stop watching something (by its id in /watch list).",
        extras={"answer": answers.remove, "writes": True},
    )
    @app_commands.rename(watch_id="id")
    @app_commands.describe(watch_id="The watch's id, as /watch list shows it")
    async def remove(self, interaction: discord.Interaction, watch_id: app_commands.Range[int, 1, 2**53 - 1]) -> None:
        """/watch remove."""
        await self.bot.answer(interaction, watch_id=watch_id)

    @app_commands.command(
        name="channel",
        description="Where alerts are posted (also resumes alerts paused by a channel problem).",
        extras={"answer": answers.channel, "writes": True},
    )
    @app_commands.describe(channel="The channel for alerts")
    async def channel(self, interaction: discord.Interaction, channel: Channel) -> None:
        """/watch channel."""
        check_member_can_post(interaction, channel)
        check_can_post(interaction, channel.id)
        await self.bot.answer(interaction, channel=channel)

    @app_commands.command(
        name="threshold",
        description="The name-search score (50–100) at which watched names alert; 90 by default.",
        extras={"answer": answers.threshold, "writes": True},
    )
    @app_commands.describe(value="100 exact only; 90 also aliases, word order, romanization; lower also typos")
    async def threshold(self, interaction: discord.Interaction, value: app_commands.Range[int, 50, 100]) -> None:
        """/watch threshold."""
        await self.bot.answer(interaction, value=value)

    @app_commands.command(
        name="ping",
        description="Mention one role in alerts; leave the role out to mention nobody.",
        extras={"answer": answers.ping, "writes": True},
    )
    @app_commands.describe(role="The role alerts mention (leave out to stop pinging)")
    async def ping(self, interaction: discord.Interaction, role: discord.Role | None = None) -> None:
        """/watch ping."""
        # The name is only for showing which role was chosen; the core stores and checks the id.
        await self.bot.answer(interaction, role=role, role_name=getattr(role, "name", None))

    @app_commands.command(
        name="test",
        description="Which watches would fire against the latest list changes (only you see it).",
        extras={"answer": answers.test},
    )
    async def test(self, interaction: discord.Interaction) -> None:
        """/watch test."""
        await self.bot.answer(interaction)


async def setup(bot: SanctionsBot) -> None:
    """Load the extension."""
    await bot.add_cog(WatchCog(bot))
