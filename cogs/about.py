"""/about and /help."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.answers import about as answers
from bot.app import SanctionsBot
from cogs._commands import answer_command


class AboutCog(commands.Cog):
    """What the bot is, what data it holds, how fresh it is."""

    def __init__(self, bot: SanctionsBot) -> None:
        self.bot = bot

    @app_commands.allowed_installs(guilds=True, users=True)
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    @answer_command(
        name="about",
        description="Bot version, UN list version and its date, last sync, data sources.",
        answer=answers.about,
    )
    async def about(self, interaction: discord.Interaction) -> None:
        """/about."""

    @app_commands.allowed_installs(guilds=True, users=True)
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    @answer_command(name="help", description="What each command does.", answer=answers.help_)
    async def help(self, interaction: discord.Interaction) -> None:
        """/help."""


async def setup(bot: SanctionsBot) -> None:
    """Load the extension."""
    await bot.add_cog(AboutCog(bot))
