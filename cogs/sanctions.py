"""/sanctions: questions about the UN Consolidated List."""

from __future__ import annotations

from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.answers import sanctions as answers
from bot.answers.context import Completer
from bot.app import SanctionsBot
from bot.respond import send_choices
from cogs._commands import answer_command

REGIME_HELP = "A regime as the list spells it (DPRK, Al-Qaida, Taliban, …); all regimes if left out"
DATE_HELP = "A date as YYYY-MM-DD, e.g. 2018-05-02"


@app_commands.allowed_installs(guilds=True, users=True)  # also installable to a user's own account
@app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)  # read-only: anywhere
class SanctionsCog(
    commands.GroupCog, group_name="sanctions", group_description="The UN Security Council Consolidated List."
):
    """The /sanctions command group."""

    def __init__(self, bot: SanctionsBot) -> None:
        self.bot = bot
        super().__init__()

    async def _choices(
        self, interaction: discord.Interaction, current: str, completer: Completer
    ) -> list[app_commands.Choice[str]]:
        ctx = await self.bot.context_for(interaction)
        await send_choices(interaction, await completer(ctx, current))  # the body built once per list of choices
        return []  # (answered: discord.py sends nothing more)

    async def _complete_regime(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return await self._choices(interaction, current, answers.complete_regime)

    async def _complete_name(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return await self._choices(interaction, current, answers.complete_name)

    async def _complete_reference(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._choices(interaction, current, answers.complete_reference)

    @answer_command(
        name="count",
        description="How many individuals and entities are on the list, now or on a past date.",
        answer=answers.count,
    )
    @app_commands.describe(regime=REGIME_HELP, as_of=f"Count as the list stood on this date ({DATE_HELP})")
    @app_commands.autocomplete(regime=_complete_regime)
    async def count(
        self,
        interaction: discord.Interaction,
        regime: app_commands.Range[str, 1, 50] | None = None,
        as_of: app_commands.Range[str, 1, 30] | None = None,
    ) -> None:
        """/sanctions count."""

    @answer_command(
        name="search",
        description="Find a name on the list: aliases, original script, spelling variants and typos too.",
        answer=answers.search,
    )
    @app_commands.describe(
        name="A name or part of one (2 to 100 characters)",
        regime="Only this regime",
        kind="Only individuals or only entities",
    )
    @app_commands.autocomplete(name=_complete_name, regime=_complete_regime)
    async def search(
        self,
        interaction: discord.Interaction,
        name: app_commands.Range[str, 1, 100],
        regime: app_commands.Range[str, 1, 50] | None = None,
        kind: Literal["individual", "entity"] | None = None,
    ) -> None:
        """/sanctions search."""

    @answer_command(
        name="entry",
        description="One entry in full, by reference number (e.g. KPi.033), with its history.",
        answer=answers.entry,
    )
    @app_commands.describe(reference="The reference number, e.g. KPi.033 (type a name to look it up)")
    @app_commands.autocomplete(reference=_complete_reference)
    async def entry(self, interaction: discord.Interaction, reference: app_commands.Range[str, 1, 100]) -> None:
        """/sanctions entry."""

    @answer_command(
        name="changes",
        description="Additions, removals and amendments between imported list versions, newest first.",
        answer=answers.changes,
    )
    @app_commands.describe(regime=REGIME_HELP, since=f"Only versions generated after this date ({DATE_HELP})")
    @app_commands.autocomplete(regime=_complete_regime)
    async def changes(
        self,
        interaction: discord.Interaction,
        regime: app_commands.Range[str, 1, 50] | None = None,
        since: app_commands.Range[str, 1, 30] | None = None,
    ) -> None:
        """/sanctions changes."""

    @answer_command(
        name="regimes",
        description="Every sanctions regime on the list, with its committee, reference prefix and counts.",
        answer=answers.regimes,
    )
    async def regimes(self, interaction: discord.Interaction) -> None:
        """/sanctions regimes."""

    @answer_command(
        name="timeline",
        description="A chart of designations per year, individuals and entities stacked.",
        answer=answers.timeline,
    )
    @app_commands.describe(regime=REGIME_HELP)
    @app_commands.autocomplete(regime=_complete_regime)
    async def timeline(
        self, interaction: discord.Interaction, regime: app_commands.Range[str, 1, 50] | None = None
    ) -> None:
        """/sanctions timeline."""


async def setup(bot: SanctionsBot) -> None:
    """Load the extension."""
    await bot.add_cog(SanctionsCog(bot))
