"""Channel options for digests and alerts: text and announcement channels only, and the permission checks:
the invoking member must be able to see and post in the channel, and the bot too (from the cache)."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from bot.errors import ChannelNotPostable, NotPermitted

MEMBER_POST_PERMISSIONS = (
    ("view_channel", "View Channel"),
    ("send_messages", "Send Messages"),
)
POST_PERMISSIONS = (
    *MEMBER_POST_PERMISSIONS,
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


def check_member_can_post(interaction: discord.Interaction, channel: Any) -> None:
    """Refuse unless the invoking member may see and post in the channel: Manage Server alone must not let anyone
    point digests or alerts at a channel they cannot read or write (Discord resolves their permissions there)."""
    if interaction.guild_id is None:
        return
    perms = getattr(channel, "permissions", None)  # app_commands.AppCommandChannel: the invoker's, in that channel
    if not isinstance(perms, discord.Permissions):
        member = interaction.user
        if isinstance(member, discord.Member) and hasattr(channel, "permissions_for"):
            perms = channel.permissions_for(member)
        else:
            perms = discord.Permissions.none()  # nothing to go on: refuse rather than trust
    missing = [label for attr, label in MEMBER_POST_PERMISSIONS if not getattr(perms, attr)]
    if missing:
        raise NotPermitted(
            f"You need {' and '.join(missing)} in <#{channel.id}> yourself to send digests or alerts there."
        )


def postable(interaction: discord.Interaction, options: dict[str, Any]) -> dict[str, Any]:
    """Before answering: the member and the bot can both post in the chosen channel (if one was chosen)."""
    channel = options.get("channel")
    if channel is not None:
        check_member_can_post(interaction, channel)
        check_can_post(interaction, channel.id)
    return options
