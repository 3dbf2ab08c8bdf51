"""Channel options for digests: text and announcement channels only, and a permission check from the cache."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from bot.errors import ChannelNotPostable

POST_PERMISSIONS = (
    ("view_channel", "View Channel"),
    ("send_messages", "Send Messages"),
    ("embed_links", "Embed Links"),
)


class PostableChannel(app_commands.Transformer):
    """A text or announcement channel, passed on as Discord resolved it (no cache needed)."""

    @property
    def type(self) -> discord.AppCommandOptionType:
        """A channel option."""
        return discord.AppCommandOptionType.channel

    @property
    def channel_types(self) -> list[discord.ChannelType]:
        """Only channels a digest can go to."""
        return [discord.ChannelType.text, discord.ChannelType.news]

    async def transform(self, interaction: discord.Interaction, value: Any, /) -> Any:
        """The resolved channel, unchanged (bot.answer passes on its id)."""
        return value


def check_can_post(interaction: discord.Interaction, channel_id: int) -> None:
    """Refuse at once when the cache shows the bot cannot post there (otherwise the delivery reports it)."""
    guild = interaction.guild
    if guild is None:
        return
    channel = guild.get_channel(channel_id)
    me = guild.me
    if channel is None or me is None:
        return  # not cached: a 403/404 on delivery pauses the digest with the reason
    perms = channel.permissions_for(me)
    missing = [label for attr, label in POST_PERMISSIONS if not getattr(perms, attr)]
    if missing:
        raise ChannelNotPostable(f"I cannot post in <#{channel_id}>: I need {', '.join(missing)} there.")
