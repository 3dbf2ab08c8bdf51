"""/admin: owner-only maintenance commands (each answer checks that the caller owns the bot).

Hidden: no default permission (only server administrators see it, and may grant it), never in DMs."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.answers import admin as answers
from bot.app import SanctionsBot
from cogs._commands import answer_command


@app_commands.guild_only()  # no DMs
@app_commands.default_permissions()  # hidden: no member sees it by default (server admins may grant it)
class AdminCog(commands.GroupCog, group_name="admin", group_description="Maintenance for the bot's owners."):
    """The /admin command group. Add further owner-only commands here (one group per name in discord.py)."""

    def __init__(self, bot: SanctionsBot) -> None:
        self.bot = bot
        super().__init__()

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        """Never in DMs, even from a forged interaction (Discord itself does not offer the group there)."""
        if interaction.guild_id is None:
            raise app_commands.NoPrivateMessage()
        return True

    @answer_command(
        name="reload-knowledge",
        description="Re-read the knowledge files (committee, statements); report what changed. Owners only.",
        answer=answers.reload_knowledge,
        writes=True,
    )
    async def reload_knowledge(self, interaction: discord.Interaction) -> None:
        """/admin reload-knowledge."""

    @answer_command(
        name="sync",
        description="Fetch and import the UN list now (as the scheduled sync does); report what changed. Owners only.",
        answer=answers.sync,
        writes=True,
        defer=True,
    )
    async def sync(self, interaction: discord.Interaction) -> None:
        """/admin sync."""


async def setup(bot: SanctionsBot) -> None:
    """Load the extension."""
    await bot.add_cog(AdminCog(bot))
