"""Deliver a Reply to Discord (interaction response or follow-up), and show the exact payload for the terminal."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote

import aiohttp
import discord
from discord import app_commands
from discord.http import MultipartParameters, json_or_text
from discord.utils import MISSING, _to_json
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


def response_params(reply: Reply) -> MultipartParameters:
    """The interaction-callback request discord.py would make for this reply (built by discord.py itself; with
    files, fresh ones: they are consumed in sending)."""
    kwargs = message_kwargs(reply, None)
    flags: Any = MISSING
    if kwargs.pop("ephemeral"):
        flags = discord.MessageFlags._from_value(0)
        flags.ephemeral = True
    files = kwargs.pop("files", MISSING)
    return interaction_message_response_params(
        type=discord.InteractionResponseType.channel_message.value,
        content=kwargs["content"],
        embeds=kwargs["embeds"],
        files=files,
        view=kwargs.get("view", MISSING),
        flags=flags,
        allowed_mentions=kwargs["allowed_mentions"],
        previous_allowed_mentions=NO_MENTIONS,
    )


def interaction_payload(reply: Reply) -> dict[str, Any]:
    """The interaction-callback body discord.py would POST for this reply (built by discord.py itself)."""
    params = response_params(reply)
    if params.payload is not None:
        return dict(params.payload)
    assert params.multipart is not None  # files go as multipart, the JSON in its first part
    return dict(json.loads(params.multipart[0]["value"]))


async def multipart_body(reply: Reply) -> tuple[bytes, dict[str, str]]:
    """A reply with files as the multipart form discord.py would POST (aiohttp's FormData of discord.py's parts),
    serialised: its bytes and the Content-Type naming its boundary."""
    params = response_params(reply)
    assert params.multipart is not None
    form = aiohttp.FormData(quote_fields=False)
    for part in params.multipart:
        form.add_field(**part)
    writer = form()
    return await writer.as_bytes(), {"Content-Type": writer.content_type}


@dataclasses.dataclass(frozen=True)
class Prepared:
    """A reply made ready to send many times: the callback body of its first page, built and serialised once
    (None for a reply with files and several pages); several pages get buttons per message. A reply with files
    (one page) is a multipart form, serialised on its first sending (aiohttp does that asynchronously) and kept
    in `form`."""

    reply: Reply
    body: bytes | None
    # For several pages: the first page's buttons (and links), as JSON with LAZY_SLOT where a message's token goes.
    components: str | None = None
    form: list[tuple[bytes, dict[str, str]]] = dataclasses.field(default_factory=list)

    async def multipart(self) -> tuple[bytes, dict[str, str]]:
        """The reply's multipart form, serialised once."""
        if not self.form:
            self.form.append(await multipart_body(self.reply))
        return self.form[0]


def prepare(reply: Reply) -> Prepared:
    """The reply with its callback body built by discord.py (interaction_payload) and serialised as it would."""
    if reply.files:
        return Prepared(reply, None)  # (sent as multipart when it has one page: Prepared.multipart)
    if len(reply.pages) > 1:  # the buttons get each message's own token (bot/render/pager.py)
        first = interaction_payload(dataclasses.replace(reply, pages=[reply.first], links=[]))
        return Prepared(reply, _to_json(first).encode(), _to_json(lazy_components(reply)))
    return Prepared(reply, _to_json(interaction_payload(reply)).encode())


async def send_prepared(interaction: discord.Interaction, prepared: Prepared) -> None:
    """Answer with the body built beforehand: the request discord.py's send_message makes (the same bytes:
    tests/e2e/test_kept_answers.py compares them), without rebuilding it or reading Discord's answer."""
    reply = prepared.reply
    if reply.files and len(reply.pages) == 1 and not interaction.response.is_done():
        body, headers = await prepared.multipart()
        await _post_callback(interaction, body, headers, lambda: response_params(reply))
        interaction.response._response_type = discord.InteractionResponseType.channel_message
        return
    if prepared.body is None or interaction.response.is_done():
        await send_reply(interaction, prepared.reply)
        return
    body = prepared.body
    token: str | None = None
    if prepared.components is not None:
        # A pager of its own, made only if someone clicks (bot/render/pager.py): the buttons carry a fresh token.
        token = new_lazy_token()
        components = prepared.components.replace(LAZY_SLOT, token).encode()
        body = body[:-2] + b',"components":' + components + b"}}"  # {"type":4,"data":{…}} ends with the data
    await _post_callback(interaction, body)
    interaction.response._response_type = discord.InteractionResponseType.channel_message
    if token is not None:
        owner = interaction.user.id if interaction.user else None
        remember_pager(token, prepared.reply, owner, interaction)


@functools.lru_cache(maxsize=1024)
def choices_body(pairs: tuple[tuple[str, str], ...]) -> bytes:
    """The autocomplete callback discord.py's InteractionResponse.autocomplete sends for these (name, value)
    choices (plain names: no translation applies), serialised as it would; built once per list of choices."""
    choices = [app_commands.Choice(name=name, value=value).to_dict() for name, value in pairs]
    payload = {"type": discord.InteractionResponseType.autocomplete_result.value, "data": {"choices": choices}}
    return _to_json(payload).encode()


async def send_choices(interaction: discord.Interaction, pairs: Sequence[tuple[str, str]]) -> None:
    """Answer an autocomplete with these choices: the body discord.py would send, built once per list of choices,
    posted without reading Discord's answer (as kept answers are)."""
    if interaction.response.is_done():
        return
    await _post_callback(interaction, choices_body(tuple(pairs)))
    interaction.response._response_type = discord.InteractionResponseType.autocomplete_result


_JSON_HEADERS = {"Content-Type": "application/json"}


async def _post_callback(
    interaction: discord.Interaction,
    body: bytes,
    headers: dict[str, str] = _JSON_HEADERS,
    again: Callable[[], MultipartParameters] | None = None,
) -> None:
    """POST the callback as discord.py does, but without `with_response`: Discord then answers 204 with no body
    (the message it made is not needed, and echoing a reply of several embeds back cost both sides CPU). A rate
    limit or a server error goes to discord.py's own request (`again` makes its parameters: fresh files), which
    waits and retries."""
    http = interaction._state.http
    url = f"{discord.http.Route.BASE}/interactions/{interaction.id}/{quote(interaction.token, safe='')}/callback"
    async with interaction._session.post(
        url, data=body, headers=headers, proxy=http.proxy, proxy_auth=http.proxy_auth
    ) as response:
        if 200 <= response.status < 300:
            await response.read()  # (nothing, or little: read so the connection goes back to the pool)
            return
        if response.status != 429 and response.status < 500:
            data = await json_or_text(response)
            if response.status == 404:
                raise discord.NotFound(response, data)
            if response.status == 403:
                raise discord.Forbidden(response, data)
            raise discord.HTTPException(response, data)
    await async_context.get().create_interaction_response(
        interaction.id,
        interaction.token,
        session=interaction._session,
        proxy=http.proxy,
        proxy_auth=http.proxy_auth,
        params=again()
        if again is not None
        else MultipartParameters(payload=json.loads(body), multipart=None, files=None),
    )
