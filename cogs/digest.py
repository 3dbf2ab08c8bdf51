"""/digest: scheduled news digests in a channel, and the loop that sends them when due."""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.answers import digest as answers
from bot.app import SanctionsBot
from bot.tasks import guarded
from cogs._channels import PostableChannel, postable
from cogs._commands import answer_command
from cogs._loops import BackgroundLoops

log = logging.getLogger(__name__)

CHECK_SECONDS = 30.0
Channel = app_commands.Transform[discord.abc.GuildChannel, PostableChannel]
WEEKDAY_CHOICES = [
    app_commands.Choice(name=day.capitalize(), value=day)
    for day in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
]
CADENCE_CHOICES = [
    app_commands.Choice(name="daily", value="daily"),
    app_commands.Choice(name="weekly", value="weekly"),
]


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class DigestCog(
    BackgroundLoops,
    commands.GroupCog,
    group_name="digest",
    group_description="Scheduled news digests in a channel.",
):
    """The /digest command group and the digest loop."""

    def __init__(self, bot: SanctionsBot) -> None:
        self.bot = bot
        super().__init__()

    def background_loops(self) -> list[tasks.Loop[Any]]:
        """The digest loop."""
        return [self.digest_loop]

    @tasks.loop(seconds=CHECK_SECONDS)
    @guarded("digests", base=CHECK_SECONDS)
    async def digest_loop(self) -> None:
        """Send the digests whose time has come (and resume any left half-sent)."""
        await self.bot.core.digests.run_due()

    async def _complete_timezone(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        ctx = await self.bot.context_for(interaction)
        return [app_commands.Choice(name=n, value=v) for n, v in await answers.complete_timezone(ctx, current)]

    @answer_command(
        name="subscribe",
        description="Post a news digest in a channel every day or week at a local time.",
        answer=answers.subscribe,
        writes=True,
        prepare=postable,
    )
    @app_commands.describe(
        channel="Where the digest is posted",
        time="Local time on the 24-hour clock, HH:MM (e.g. 08:00)",
        timezone="IANA time zone, e.g. Europe/Berlin, America/New_York, Asia/Seoul, UTC",
        cadence="Every day (default) or once a week",
        weekday="For weekly digests: the day (Monday if left out)",
        post_empty="Post even when nothing is new (default: skip)",
    )
    @app_commands.choices(cadence=CADENCE_CHOICES, weekday=WEEKDAY_CHOICES)
    @app_commands.autocomplete(timezone=_complete_timezone)
    async def subscribe(
        self,
        interaction: discord.Interaction,
        channel: Channel,
        time: app_commands.Range[str, 1, 10],
        timezone: app_commands.Range[str, 1, 64],
        cadence: str | None = None,
        weekday: str | None = None,
        post_empty: bool = False,
    ) -> None:
        """/digest subscribe."""

    @answer_command(
        name="unsubscribe", description="Stop the digest in a channel.", answer=answers.unsubscribe, writes=True
    )
    @app_commands.describe(channel="The channel whose digest stops")
    async def unsubscribe(self, interaction: discord.Interaction, channel: Channel) -> None:
        """/digest unsubscribe."""

    @answer_command(
        name="status",
        description="This server's digests: next run, last delivery, feed health.",
        answer=answers.status,
        writes=True,
    )  # first use sets up defaults,
    async def status(self, interaction: discord.Interaction) -> None:
        """/digest status."""

    @answer_command(
        name="preview",
        description="See exactly what the next digest would post now (only you).",
        answer=answers.preview,
        writes=True,
        defer=True,
    )  # first use sets up defaults,
    @app_commands.describe(channel="The digest to preview (the next one due if left out)")
    async def preview(self, interaction: discord.Interaction, channel: Channel | None = None) -> None:
        """/digest preview."""

    @answer_command(
        name="send-now",
        description="Post a channel's digest now.",
        answer=answers.send_now,
        writes=True,
        defer=True,
        prepare=postable,
    )
    @app_commands.describe(channel="The channel whose digest is posted now")
    async def send_now(self, interaction: discord.Interaction, channel: Channel) -> None:
        """/digest send-now."""


async def setup(bot: SanctionsBot) -> None:
    """Load the extension."""
    await bot.add_cog(DigestCog(bot))
