"""The private parts of discord.py the bot relies on still have the shape it uses. Each check fails with a message
naming the bot module that depends on the part, so a discord.py upgrade that changes one fails here, loudly.

Checked elsewhere, not repeated here: `DiscordWebSocket.poll_event` and the loops that call it
(tests/test_gateway_yield.py); the rate-limit bucket sweep, `HTTPClient._try_clear_expired_ratelimits` and
`_buckets` (tests/services/test_delivery.py); `Command.get_translated_payload(tree, translator)`, called as
bot/app.py calls it (tests/test_command_contract.py).
"""

from __future__ import annotations

import asyncio
import inspect
import io
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import discord
import discord.webhook.async_
import pytest
import yarl
from aiohttp import web
from discord.gateway import DiscordWebSocket
from discord.http import HTTPClient, MultipartParameters, Route, handle_message_parameters, json_or_text
from discord.utils import MISSING, _to_json
from discord.webhook.async_ import async_context, interaction_message_response_params

NO_MENTIONS = discord.AllowedMentions.none()


def relied_on(module: str, what: str) -> str:
    """The failure message: which bot module depends on which part of discord.py."""
    return f"{module} relies on discord.py's {what}, which discord.py {discord.__version__} changed: update {module}"


def takes(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> bool:
    """True if `fn` can be called with these arguments (by its signature; nothing is called). A catch-all
    (*args, **kwargs) would take anything and prove nothing, so it counts as a changed shape."""
    signature = inspect.signature(fn)
    if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in signature.parameters.values()):
        return False
    try:
        signature.bind(*args, **kwargs)
    except TypeError:
        return False
    return True


def interaction_payload() -> dict[str, Any]:
    """A slash-command INTERACTION_CREATE as Discord sends it (the fields discord.py requires)."""
    return {
        "id": "1150000000000000100",
        "application_id": "1150000000000000200",
        "type": 2,
        "token": "token-of-the-interaction",
        "version": 1,
        "locale": "en-US",
        "entitlements": [],
        "entitlement_sku_ids": [],
        "attachment_size_limit": 8_388_608,
        "channel_id": "1150000000000000300",
        "data": {"id": "1150000000000000400", "name": "count", "type": 1},
        "user": {"id": "1160000000000000001", "username": "alice", "discriminator": "0", "avatar": None},
    }


@pytest.fixture
async def client() -> AsyncIterator[discord.Client]:
    """A discord.py client (never logged in) with an HTTP session in place, as after login."""
    c = discord.Client(intents=discord.Intents.none(), allowed_mentions=NO_MENTIONS)
    session = aiohttp.ClientSession()
    c.http._HTTPClient__session = session  # type: ignore[attr-defined]
    try:
        yield c
    finally:
        await session.close()
        await c.close()


@pytest.fixture
def interaction(client: discord.Client) -> discord.Interaction:
    """A real Interaction built by discord.py from the payload, on the client's state."""
    return discord.Interaction(data=interaction_payload(), state=client._connection)  # type: ignore[arg-type]


# --- bot/respond.py and bot/render/pager.py: an interaction's state and session -----------------------------


async def test_an_interaction_keeps_the_clients_state_and_session(
    client: discord.Client, interaction: discord.Interaction
) -> None:
    http = HTTPClient(asyncio.get_running_loop())
    assert "_HTTPClient__session" in vars(http), relied_on(
        "bot/render/pager.py (_edit_original)", "HTTPClient.__session (read as http._HTTPClient__session)"
    )
    await http.close()
    assert interaction._state is client._connection, relied_on(
        "bot/respond.py (_post_callback), bot/render/pager.py (remember_pager)", "Interaction._state"
    )
    assert interaction._state.http is client.http, relied_on("bot/respond.py (_post_callback)", "ConnectionState.http")
    assert interaction._session is client.http._HTTPClient__session, relied_on(  # type: ignore[attr-defined]
        "bot/respond.py (_post_callback), bot/render/pager.py (_edit_original)",
        "Interaction._session being the client's HTTPClient.__session",
    )
    assert interaction._state.allowed_mentions is NO_MENTIONS, relied_on(
        "bot/render/pager.py (_edit_original)", "ConnectionState.allowed_mentions"
    )


async def test_the_http_client_keeps_its_proxy_settings() -> None:
    auth: Any = object()  # (stored as given; aiohttp's BasicAuth is deprecated)
    http = HTTPClient(asyncio.get_running_loop(), proxy="http://127.0.0.1:9", proxy_auth=auth)
    try:
        assert (http.proxy, http.proxy_auth) == ("http://127.0.0.1:9", auth), relied_on(
            "bot/respond.py (_post_callback), bot/render/pager.py (_edit_original)",
            "HTTPClient.proxy and HTTPClient.proxy_auth",
        )
    finally:
        await http.close()


@pytest.mark.parametrize(
    "kind", [discord.InteractionResponseType.channel_message, discord.InteractionResponseType.autocomplete_result]
)
async def test_setting_the_response_type_marks_an_interaction_answered(
    interaction: discord.Interaction, kind: discord.InteractionResponseType
) -> None:
    response = interaction.response
    assert not response.is_done()
    response._response_type = kind
    assert response.is_done() and response.type is kind, relied_on(
        "bot/respond.py (send_prepared, send_choices)", "InteractionResponse._response_type (read by is_done())"
    )


def test_the_response_types_the_bodies_are_built_with() -> None:
    types = discord.InteractionResponseType
    assert (types.channel_message.value, types.autocomplete_result.value) == (4, 8), relied_on(
        "bot/respond.py (choices_body, response_params)", "InteractionResponseType values"
    )


# --- bot/respond.py: the callback body, built and serialised by discord.py ----------------------------------


def test_message_flags_from_a_raw_value() -> None:
    flags = discord.MessageFlags._from_value(0)
    flags.ephemeral = True
    assert flags.value == 64, relied_on("bot/respond.py (response_params)", "MessageFlags._from_value")


def test_interaction_message_response_params_builds_the_callback() -> None:
    flags = discord.MessageFlags._from_value(64)
    where = relied_on("bot/respond.py (response_params, interaction_payload)", "interaction_message_response_params")
    kwargs: dict[str, Any] = {
        "type": discord.InteractionResponseType.channel_message.value,
        "content": "text",
        "embeds": [discord.Embed(title="t")],
        "files": MISSING,
        "view": MISSING,
        "flags": flags,
        "allowed_mentions": NO_MENTIONS,
        "previous_allowed_mentions": NO_MENTIONS,
    }
    assert takes(interaction_message_response_params, **kwargs), where
    params = interaction_message_response_params(**kwargs)
    assert params.payload is not None and not params.multipart, where  # no files: a JSON body
    assert params.payload.get("type") == 4, where
    data = params.payload.get("data") or {}
    titles = [e.get("title") for e in data.get("embeds") or []]
    assert (data.get("content"), titles, data.get("flags")) == ("text", ["t"], 64), where
    assert data.get("allowed_mentions") == {"parse": []}, where
    # With files: multipart, the JSON body in the first part (interaction_payload reads it there).
    kwargs["files"] = [discord.File(io.BytesIO(b"x"), "a.txt")]
    with interaction_message_response_params(**kwargs) as params:
        assert params.payload is None and params.multipart is not None, where
        first = json.loads(params.multipart[0].get("value", "{}"))
        assert (first.get("data") or {}).get("content") == "text", where


def test_to_json_is_compact_so_a_body_can_be_extended() -> None:
    body = _to_json({"type": 4, "data": {"content": "a b", "embeds": [{"title": "t"}]}})
    assert body == '{"type":4,"data":{"content":"a b","embeds":[{"title":"t"}]}}', relied_on(
        "bot/respond.py (prepare, choices_body)", "utils._to_json (compact JSON)"
    )
    # What send_prepared does: the buttons go in before the last two braces (the data's and the body's).
    spliced = json.loads(body[:-2] + ',"components":[]}}')
    assert spliced["data"]["components"] == [], relied_on("bot/respond.py (send_prepared)", "utils._to_json")


def test_multipart_parameters_are_built_by_name_and_close_their_files(tmp_path: Path) -> None:
    where = relied_on("bot/respond.py (_post_callback), bot/services/delivery.py (send)", "http.MultipartParameters")
    (tmp_path / "a.txt").write_bytes(b"x")
    file = discord.File(tmp_path / "a.txt")  # opened by discord.py, so closed by it
    params = MultipartParameters(payload={"type": 4}, multipart=None, files=[file])
    assert (params.payload, params.multipart) == ({"type": 4}, None), where
    with params:
        pass
    assert file.fp.closed, where


@pytest.fixture
async def error_api() -> AsyncIterator[str]:
    """A local server answering as Discord does when an interaction expired (404 JSON) or is down (text)."""

    async def expired(_request: web.Request) -> web.Response:
        body = json.dumps({"message": "Unknown interaction", "code": 10062}).encode()
        return web.Response(body=body, status=404, headers={"Content-Type": "application/json"})  # as Discord

    async def down(_request: web.Request) -> web.Response:
        return web.Response(text="upstream connect error", status=503)

    app = web.Application()
    app.router.add_post("/expired", expired)
    app.router.add_post("/down", down)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def test_json_or_text_reads_an_error_answer_as_http_exceptions_take_it(error_api: str) -> None:
    where = relied_on("bot/respond.py (_post_callback)", "http.json_or_text(response) and NotFound(response, data)")
    assert inspect.iscoroutinefunction(json_or_text) and takes(json_or_text, object()), where
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{error_api}/expired") as response:
            data = await json_or_text(response)
            assert data == {"message": "Unknown interaction", "code": 10062}, where
            assert discord.NotFound(response, data).code == 10062, where
        async with session.post(f"{error_api}/down") as response:
            assert await json_or_text(response) == "upstream connect error", where


def test_missing_is_what_followup_send_leaves_out(interaction: discord.Interaction) -> None:
    where = relied_on("bot/respond.py (send_reply)", "utils.MISSING as Webhook.send's content default")
    assert isinstance(interaction.followup, discord.Webhook), where
    assert inspect.signature(discord.Webhook.send).parameters["content"].default is MISSING, where
    assert "content" not in (handle_message_parameters(content=MISSING).payload or {}), where
    assert (handle_message_parameters(content=None).payload or {}).get("content", ...) is None, where  # null


# --- bot/respond.py and bot/render/pager.py: discord.py's webhook adapter -----------------------------------


def test_the_webhook_adapter_takes_what_the_bot_passes() -> None:
    adapter = async_context.get()
    session = object()
    params = MultipartParameters(payload={"type": 4}, multipart=None, files=None)
    assert takes(
        adapter.create_interaction_response, 1, "token", session=session, proxy=None, proxy_auth=None, params=params
    ), relied_on("bot/respond.py (_post_callback)", "async_context.get().create_interaction_response")
    assert takes(
        adapter.edit_original_interaction_response,
        1,
        "token",
        session=session,
        proxy=None,
        proxy_auth=None,
        payload={},
        multipart=None,
        files=None,
    ), relied_on("bot/render/pager.py (_edit_original)", "async_context.get().edit_original_interaction_response")


def test_the_webhook_adapter_follows_route_base() -> None:
    assert discord.webhook.async_.Route is Route, relied_on(
        "bot/app.py (apply_discord_endpoints), bot/respond.py, bot/render/pager.py",
        "the webhook adapter building its URLs with http.Route (so DISCORD_API_BASE applies to callbacks)",
    )


# --- bot/services/delivery.py and bot/render/pager.py: handle_message_parameters and the HTTP client --------


def test_handle_message_parameters_takes_what_the_bot_passes() -> None:
    where = relied_on("bot/services/delivery.py (DiscordDeliverer.send)", "http.handle_message_parameters")
    kwargs: dict[str, Any] = {
        "content": "digest",
        "embeds": [discord.Embed(title="t")],
        "nonce": "n0nce",
        "allowed_mentions": NO_MENTIONS,
    }
    assert takes(handle_message_parameters, **kwargs), where
    with handle_message_parameters(**kwargs) as params:
        payload = params.payload or {}
    assert (payload.get("content"), payload.get("nonce")) == ("digest", "n0nce"), where
    assert payload.get("allowed_mentions") == {"parse": []}, where
    assert payload.get("enforce_nonce") is True, relied_on(
        "bot/services/delivery.py (DiscordDeliverer.send)", "enforce_nonce added whenever a nonce is given"
    )

    view = discord.ui.View(timeout=None)
    view.add_item(discord.ui.Button(label="Next", custom_id="pager:abc:next", disabled=True))
    where = relied_on("bot/render/pager.py (_edit_original)", "http.handle_message_parameters(view=…)")
    assert takes(handle_message_parameters, view=view, previous_allowed_mentions=NO_MENTIONS), where
    with handle_message_parameters(view=view, previous_allowed_mentions=NO_MENTIONS) as params:
        components = (params.payload or {}).get("components")
    buttons = [b for row in components or [] for b in row.get("components", [])]
    assert [b.get("custom_id") for b in buttons] == ["pager:abc:next"], where


def test_the_http_client_methods_delivery_calls() -> None:
    params = MultipartParameters(payload={}, multipart=None, files=None)
    assert takes(HTTPClient.send_message, None, 1, params=params), relied_on(
        "bot/services/delivery.py (DiscordDeliverer.send)", "HTTPClient.send_message(channel_id, params=…)"
    )
    assert takes(HTTPClient.logs_from, None, 1, 100), relied_on(
        "bot/services/delivery.py (DiscordDeliverer.own_recent)", "HTTPClient.logs_from(channel_id, limit)"
    )


# --- bot/app.py: the endpoints and the voice warnings ---------------------------------------------------------


def test_route_base_is_read_when_a_route_is_made(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Route, "BASE", "http://127.0.0.1:9/api/v10")
    assert Route("GET", "/gateway/bot").url == "http://127.0.0.1:9/api/v10/gateway/bot", relied_on(
        "bot/app.py (apply_discord_endpoints, discord_api_base), bot/respond.py (_post_callback)", "http.Route.BASE"
    )


def test_the_default_gateway_is_a_url_the_websocket_falls_back_to() -> None:
    where = relied_on("bot/app.py (apply_discord_endpoints)", "DiscordWebSocket.DEFAULT_GATEWAY (a yarl.URL)")
    assert isinstance(DiscordWebSocket.DEFAULT_GATEWAY, yarl.URL), where
    assert "cls.DEFAULT_GATEWAY" in inspect.getsource(DiscordWebSocket.from_client), where


@pytest.mark.parametrize("flag", ["warn_nacl", "warn_dave"])
async def test_the_voice_warnings_are_switched_off_by_class_attributes(
    flag: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(discord.VoiceClient, flag, True)
    c = discord.Client(intents=discord.Intents.none())  # warns once, then turns the flag off
    await c.close()
    assert getattr(discord.VoiceClient, flag) is False, relied_on(
        "bot/app.py (module level)", f"VoiceClient.{flag} (read by Client.__init__ before it warns)"
    )
