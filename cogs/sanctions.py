"""/sanctions: questions about the UN Consolidated List."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.answers import sanctions as answers
from bot.app import SanctionsBot


class SanctionsCog(commands.GroupCog, group_name="sanctions", group_description="The UN Security Council Consolidated List."):
    """The /sanctions command group."""

    def __init__(self, bot: SanctionsBot) -> None:
        self.bot = bot
        super().__init__()

    async def _complete_regime(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        ctx = await self.bot.context_for(interaction)
        return [app_commands.Choice(name=n, value=v) for n, v in await answers.complete_regime(ctx, current)]

    @app_commands.command(
        name="count",
        description="How many individuals and entities are on the list, per regime or for one.",
        extras={"answer": answers.count},
    )
    @app_commands.describe(regime="A regime as the list spells it (DPRK, Al-Qaida, Taliban, …); all regimes if left out")
    @app_commands.autocomplete(regime=_complete_regime)
    async def count(
        self, interaction: discord.Interaction, regime: app_commands.Range[str, 1, 50] | None = None
    ) -> None:
        """/sanctions count."""
        await self.bot.answer(interaction, regime=regime)


async def setup(bot: SanctionsBot) -> None:
    """Load the extension."""
    await bot.add_cog(SanctionsCog(bot))
