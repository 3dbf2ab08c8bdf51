"""Deliver a Reply to Discord (interaction response or follow-up), and show the exact payload for the terminal."""

from __future__ import annotations

import contextlib
import dataclasses
import json
from typing import Any

import discord
from discord.http import MultipartParameters
from discord.utils import MISSING
from discord.webhook.async_ import async_context, interaction_message_response_params

from bot.render.pager import LAZY_SLOT, PagerView, add_links, lazy_components, new_lazy_token, remember_pager
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
        kwargs["view"] = add_links(kwargs.get("view") or discord.ui.View(timeout=None), reply)
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


@dataclasses.dataclass(frozen=True)
class Prepared:
    """A reply made ready to send many times: the callback body of its first page, built once (None for a reply
    with files, which are consumed in sending); a reply of several pages gets its own pager per message."""

    reply: Reply
    payload: dict[str, Any] | None
    # For several pages: the first page's buttons (and links), with LAZY_SLOT where each message's token goes.
    components: list[dict[str, Any]] | None = None

    @property
    def paged(self) -> bool:
        """Whether each message gets Previous/Next buttons of its own."""
        return len(self.reply.pages) > 1


def prepare(reply: Reply) -> Prepared:
    """The reply with its callback body built (discord.py builds it: interaction_payload), pager left out."""
    if reply.files:
        return Prepared(reply, None)
    if len(reply.pages) > 1:  # the buttons get each message's own token (bot/lazy_pager.py)
        first = interaction_payload(dataclasses.replace(reply, pages=[reply.first], links=[]))
        return Prepared(reply, first, lazy_components(reply))
    return Prepared(reply, interaction_payload(reply))


async def send_prepared(interaction: discord.Interaction, prepared: Prepared) -> None:
    """Answer with the body built beforehand: the request discord.py's send_message makes, without rebuilding
    the body or a Message from Discord's answer (tests/e2e/test_kept_answers.py compares the two)."""
    if prepared.payload is None or interaction.response.is_done():
        await send_reply(interaction, prepared.reply)
        return
    payload = prepared.payload
    token: str | None = None
    if prepared.components is not None:
        # A pager of its own, made only if someone clicks (bot/lazy_pager.py): the buttons carry a fresh token.
        token = new_lazy_token()
        components = json.loads(json.dumps(prepared.components).replace(LAZY_SLOT, token))
        payload = {**payload, "data": {**payload["data"], "components": components}}
    http = interaction._state.http
    await async_context.get().create_interaction_response(
        interaction.id,
        interaction.token,
        session=interaction._session,
        proxy=http.proxy,
        proxy_auth=http.proxy_auth,
        params=MultipartParameters(payload=payload, multipart=None, files=None),
    )
    interaction.response._response_type = discord.InteractionResponseType.channel_message
    if token is not None:
        owner = interaction.user.id if interaction.user else None
        remember_pager(token, prepared.reply, owner, interaction)
