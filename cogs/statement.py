"""/statement: what was said about the 2018 hacking of the 1718 Committee's database, quoted word for word."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.answers import statement as answers
from bot.app import SanctionsBot
from bot.services.knowledge import MAX_SEARCH_CHARS
from cogs._commands import answer_command


@app_commands.allowed_installs(guilds=True, users=True)  # also installable to a user's own account
@app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)  # read-only: anywhere
class StatementCog(
    commands.GroupCog,
    group_name="statement",
    group_description="Statements about the 1718 Committee, quoted from their sources.",
):
    """The /statement command group."""

    def __init__(self, bot: SanctionsBot) -> None:
        self.bot = bot
        super().__init__()

    async def _complete_id(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        ctx = await self.bot.context_for(interaction)
        return [app_commands.Choice(name=n, value=v) for n, v in await answers.complete_statement(ctx, current)]

    @answer_command(
        name="denial",
        description="North Korea's denial that it hacked the sanctions committee's database, and answers.",
        answer=answers.denial,
    )
    async def denial(self, interaction: discord.Interaction) -> None:
        """/statement denial."""

    @answer_command(name="list", description="All recorded statements, newest first.", answer=answers.list_)
    async def list_(self, interaction: discord.Interaction) -> None:
        """/statement list."""

    @answer_command(name="show", description="One statement in full, with its quoted passages.", answer=answers.show)
    @app_commands.describe(id="The statement's id, as /statement list shows it")
    @app_commands.autocomplete(id=_complete_id)
    async def show(self, interaction: discord.Interaction, id: app_commands.Range[str, 1, 100]) -> None:
        """/statement show."""

    @answer_command(
        name="quotes", description="Quoted passages containing some words (full-text search).", answer=answers.quotes
    )
    @app_commands.describe(search="Words to look for, e.g. hacking campaign")
    async def quotes(
        self, interaction: discord.Interaction, search: app_commands.Range[str, 1, MAX_SEARCH_CHARS]
    ) -> None:
        """/statement quotes."""


async def setup(bot: SanctionsBot) -> None:
    """Load the extension."""
    await bot.add_cog(StatementCog(bot))
