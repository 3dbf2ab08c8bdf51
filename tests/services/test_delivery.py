"""DiscordDeliverer over discord.py's real HTTP client against a local stand-in for POST
/channels/{id}/messages: the body carries the nonce, enforce_nonce and no mentions; 403/404 and other
refusals map to the right errors."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import discord
import pytest
from aiohttp import web

from bot.errors import DeliveryUnavailable
from bot.services.delivery import (
    ChannelUnavailable,
    DiscordDeliverer,
    OutgoingMessage,
    RejectedMessage,
    amortize_bucket_sweep,
    make_nonce,
)

MESSAGE = OutgoingMessage(
    None, [{"title": "Sanctions digest", "description": "@everyone [x](https://x.example)", "type": "rich"}]
)


class Channels:
    """What the stand-in received, and how it answers each channel."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.answers: dict[str, tuple[int, dict[str, Any]]] = {
            "403": (403, {"code": 50013, "message": "Missing Permissions"}),
            "404": (404, {"code": 10003, "message": "Unknown Channel"}),
            "400": (400, {"code": 50035, "message": "Invalid Form Body"}),
        }


def reply(data: dict[str, Any], status: int = 200) -> web.Response:
    # Exactly "application/json", as Discord sends it: discord.py parses nothing else as JSON.
    return web.Response(body=json.dumps(data).encode(), status=status, headers={"Content-Type": "application/json"})


@pytest.fixture
async def api() -> AsyncIterator[tuple[str, Channels]]:
    channels = Channels()
    app = web.Application()

    async def me(_request: web.Request) -> web.Response:
        return reply({"id": "1", "username": "bot", "discriminator": "0", "avatar": None})

    async def post(request: web.Request) -> web.Response:
        body = await request.json()
        channels.bodies.append(body)
        channel = request.match_info["channel"]
        if channel in channels.answers:
            status, data = channels.answers[channel]
            return reply(data, status)
        return reply({"id": "555", "channel_id": channel, "nonce": body.get("nonce")})

    app.router.add_get("/api/v10/users/@me", me)
    app.router.add_post("/api/v10/channels/{channel}/messages", post)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}/api/v10"
    yield base, channels
    await runner.cleanup()


@pytest.fixture
async def client(api: tuple[str, Channels]) -> AsyncIterator[discord.Client]:
    original = discord.http.Route.BASE
    discord.http.Route.BASE = api[0]
    c = discord.Client(intents=discord.Intents.none())
    try:
        await c.http.static_login("test-token-not-real")
        yield c
    finally:
        await c.close()
        discord.http.Route.BASE = original


async def test_posts_with_nonce_enforce_nonce_and_no_mentions(
    client: discord.Client, api: tuple[str, Channels]
) -> None:
    nonce = make_nonce("seed", 0)
    message_id = await DiscordDeliverer(client).send(42, MESSAGE, nonce)
    assert message_id == 555
    (body,) = api[1].bodies
    assert body["nonce"] == nonce and len(nonce) <= 25
    assert body["enforce_nonce"] is True
    assert body["allowed_mentions"] == {"parse": []}
    assert body["embeds"][0]["title"] == "Sanctions digest"
    json.dumps(body)


@pytest.mark.parametrize(
    "channel, kind, words",
    [
        (403, ChannelUnavailable, "lacks permission"),
        (404, ChannelUnavailable, "no longer exists"),
        (400, RejectedMessage, "refused the message"),
    ],
)
async def test_refusals_map_to_errors(client: discord.Client, channel: int, kind: type, words: str) -> None:
    with pytest.raises(kind, match=words) as info:
        await DiscordDeliverer(client).send(channel, MESSAGE, make_nonce("s", 1))
    assert info.value.status == channel


async def test_a_client_that_is_not_logged_in_cannot_post() -> None:
    c = discord.Client(intents=discord.Intents.none())
    try:
        with pytest.raises(DeliveryUnavailable):
            await DiscordDeliverer(c).send(1, MESSAGE, "n")
    finally:
        await c.close()


def test_nonces_are_stable_per_part_and_distinct() -> None:
    assert make_nonce("abc", 0) == make_nonce("abc", 0)
    assert len({make_nonce("abc", i) for i in range(100)}) == 100
    assert make_nonce("abc", 0) != make_nonce("abd", 0)


async def test_the_rate_limit_bucket_sweep_is_amortised() -> None:
    """discord.py scans every bucket for idle ones on each new bucket past 256: quadratic over a burst to
    thousands of channels. Amortised, a burst of 5,000 new buckets sweeps a handful of times, and still drops
    idle buckets."""
    http = discord.http.HTTPClient(asyncio.get_running_loop())
    sweeps = 0
    original = http._try_clear_expired_ratelimits

    def counted() -> None:
        nonlocal sweeps
        sweeps += 1
        original()

    http._try_clear_expired_ratelimits = counted  # type: ignore[method-assign]
    amortize_bucket_sweep(http)
    for n in range(5000):
        http.get_ratelimit(f"POST /channels/{n}/messages")
    assert sweeps <= 5 and len(http._buckets) == 5000  # 256, 512, 1024, 2048, 4096 (none idle yet)
    for bucket in http._buckets.values():
        bucket._last_request -= 600  # idle for ten minutes
    for n in range(5000, 10_000):
        http.get_ratelimit(f"POST /channels/{n}/messages")
    assert all(int(key.split("/")[2]) >= 5000 for key in http._buckets)  # the idle ones were dropped by a sweep
    assert sweeps <= 8
    await http.close()
