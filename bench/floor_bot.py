"""The floor for an interaction: a bare discord.py client that answers every command with a constant reply.

It logs in to the same local Discord as the bot (DISCORD_API_BASE, DISCORD_GATEWAY_URL, DISCORD_TOKEN), registers
nothing (the bot under test registered the commands there first), and answers each slash command with one short
message and each autocomplete with no choices: what any answer costs with no work behind it.

Run: python bench/floor_bot.py  (environment as for `sanctionsbot run`)
"""

from __future__ import annotations

import asyncio
import os
import signal

import discord
import yarl


class ConstantBot(discord.Client):
    """Acknowledges every interaction at once with the same reply."""

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """A constant answer (or no autocomplete choices)."""
        if interaction.type is discord.InteractionType.autocomplete:
            await interaction.response.autocomplete([])
        elif interaction.type is discord.InteractionType.application_command:
            await interaction.response.send_message("ok", allowed_mentions=discord.AllowedMentions.none())


async def main() -> None:
    """Run until SIGTERM."""
    discord.http.Route.BASE = os.environ["DISCORD_API_BASE"]
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(os.environ["DISCORD_GATEWAY_URL"])
    client = ConstantBot(intents=discord.Intents.none())
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with client:
        runner = asyncio.create_task(client.start(os.environ["DISCORD_TOKEN"]))
        await stop.wait()
        await client.close()
        runner.cancel()


if __name__ == "__main__":
    asyncio.run(main())
