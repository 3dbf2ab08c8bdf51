"""Deliver a Reply to Discord (interaction response or follow-up), and show the exact payload for the terminal."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import discord
from discord.utils import MISSING
from discord.webhook.async_ import interaction_message_response_params

from bot.render.pager import PagerView
from bot.render.reply import Reply

NO_MENTIONS = discord.AllowedMentions.none()


def message_kwargs(reply: Reply, owner_id: int | None) -> dict[str, Any]:
    """Keyword arguments for send_message/followup.send: first page, files, view, no mentions."""
    page = reply.first
    kwargs: dict[str, Any] = {
        "content": page.content,
        "embeds": page.embeds,
        "ephemeral": reply.ephemeral,
        "allowed_mentions": NO_MENTIONS,
    }
    if reply.files:
        kwargs["files"] = [a.to_file() for a in reply.files]
    if len(reply.pages) > 1:
        kwargs["view"] = PagerView(reply, owner_id)
    if reply.links:
        view = kwargs.get("view") or discord.ui.View(timeout=None)
        for text, url in reply.links[:5]:
            view.add_item(discord.ui.Button(style=discord.ButtonStyle.link, label=text[:80], url=url, row=1))
        kwargs["view"] = view
    return kwargs


async def send_reply(interaction: discord.Interaction, reply: Reply) -> None:
    """Answer an interaction once: the response if not yet given, else a follow-up."""
    kwargs = message_kwargs(reply, interaction.user.id if interaction.user else None)
    view = kwargs.get("view")
    if not interaction.response.is_done():
        await interaction.response.send_message(**kwargs)
    else:
        if reply.ephemeral and interaction.extras.get("deferred_ephemeral") is False:
            # A public "thinking…" placeholder must not turn into a private answer: remove it, answer privately.
            with contextlib.suppress(discord.HTTPException):
                await interaction.delete_original_response()
        if kwargs["content"] is None:
            kwargs["content"] = MISSING  # followup.send's default; None would be sent as null
        await interaction.followup.send(wait=True, **kwargs)
    if isinstance(view, PagerView):
        view.interaction = interaction


def interaction_payload(reply: Reply) -> dict[str, Any]:
    """The interaction-callback body discord.py would POST for this reply (built by discord.py itself)."""
    kwargs = message_kwargs(reply, None)
    flags: Any = MISSING
    if kwargs.pop("ephemeral"):
        flags = discord.MessageFlags._from_value(0)
        flags.ephemeral = True
    files = kwargs.pop("files", MISSING)
    params = interaction_message_response_params(
        type=discord.InteractionResponseType.channel_message.value,
        content=kwargs["content"],
        embeds=kwargs["embeds"],
        files=files,
        view=kwargs.get("view", MISSING),
        flags=flags,
        allowed_mentions=kwargs["allowed_mentions"],
        previous_allowed_mentions=NO_MENTIONS,
    )
    if params.payload is not None:
        return dict(params.payload)
    assert params.multipart is not None  # files go as multipart, the JSON in its first part
    return dict(json.loads(params.multipart[0]["value"]))
