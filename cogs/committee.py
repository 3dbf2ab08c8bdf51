"""/committee: the 1718 Committee's membership, facts and resolutions (and other regimes' committees)."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.answers import committee as answers
from bot.app import SanctionsBot
from cogs._commands import answer_command


@app_commands.allowed_installs(guilds=True, users=True)  # also installable to a user's own account
@app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)  # read-only: anywhere
class CommitteeCog(
    commands.GroupCog,
    group_name="committee",
    group_description="The UN sanctions committees, above all the 1718 (DPRK) Committee.",
):
    """The /committee command group."""

    def __init__(self, bot: SanctionsBot) -> None:
        self.bot = bot
        super().__init__()

    async def _complete_regime(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        ctx = await self.bot.context_for(interaction)
        return [app_commands.Choice(name=n, value=v) for n, v in await answers.complete_regime(ctx, current)]

    @answer_command(
        name="members",
        description="The fifteen members of the 1718 Committee in a year, with the chair and vice-chairs.",
        answer=answers.members,
    )
    @app_commands.describe(year="A year, e.g. 2018 (default: this year)")
    async def members(self, interaction: discord.Interaction, year: int | None = None) -> None:
        """/committee members."""

    @answer_command(
        name="info",
        description="A sanctions committee: mandate, resolution, measures, Panel of Experts, list counts.",
        answer=answers.info,
    )
    @app_commands.describe(regime="A regime (DPRK, Al-Qaida, Taliban, 1718, …); default DPRK")
    @app_commands.autocomplete(regime=_complete_regime)
    async def info(
        self, interaction: discord.Interaction, regime: app_commands.Range[str, 1, 50] | None = None
    ) -> None:
        """/committee info."""

    @answer_command(
        name="resolutions",
        description="A regime's Security Council resolutions in order, with dates and what each added.",
        answer=answers.resolutions,
    )
    @app_commands.describe(regime="A regime (DPRK, Al-Qaida, Taliban, 1718, …); default DPRK")
    @app_commands.autocomplete(regime=_complete_regime)
    async def resolutions(
        self, interaction: discord.Interaction, regime: app_commands.Range[str, 1, 50] | None = None
    ) -> None:
        """/committee resolutions."""


async def setup(bot: SanctionsBot) -> None:
    """Load the extension."""
    await bot.add_cog(CommitteeCog(bot))
