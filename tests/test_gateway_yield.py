"""bot/gateway_yield: the loop gets a turn between buffered gateway events, and the library still has the shape the
wrapper relies on (these fail if a discord.py upgrade changes it)."""

from __future__ import annotations

import asyncio
import inspect

import aiohttp
import discord.client
import discord.shard
from discord.gateway import DiscordWebSocket

from bot.gateway_yield import yield_between_events


class BufferedSocket:
    """An aiohttp-like socket with frames already buffered: receive() returns without suspending."""

    def __init__(self, frames: int) -> None:
        self.frames = frames

    async def receive(self, timeout: float | None = None) -> aiohttp.WSMessage:
        self.frames -= 1
        return aiohttp.WSMessage(aiohttp.WSMsgType.TEXT, "{}", None)


def test_other_tasks_run_between_buffered_events() -> None:
    yield_between_events()
    order: list[str] = []

    async def main() -> None:
        ws = DiscordWebSocket.__new__(DiscordWebSocket)
        ws.socket = BufferedSocket(3)  # type: ignore[assignment]
        ws._max_heartbeat_timeout = 60.0

        async def received_message(msg: object) -> None:
            order.append("event")

        ws.received_message = received_message  # type: ignore[method-assign]

        async def other() -> None:
            for _ in range(3):
                order.append("other")
                await asyncio.sleep(0)

        task = asyncio.create_task(other())
        for _ in range(3):
            await ws.poll_event()
        await task

    asyncio.run(main())
    assert order == ["other", "event", "other", "event", "other", "event"]


def test_installing_twice_wraps_once() -> None:
    yield_between_events()
    first = DiscordWebSocket.poll_event
    yield_between_events()
    assert DiscordWebSocket.poll_event is first


def test_library_shape_the_wrapper_relies_on() -> None:
    from bot import gateway_yield

    yield_between_events()
    wrapped = DiscordWebSocket.poll_event
    original = inspect.getclosurevars(wrapped).nonlocals["original"]
    assert getattr(wrapped, gateway_yield._MARK)
    assert inspect.iscoroutinefunction(original)
    assert list(inspect.signature(original).parameters) == ["self"]
    assert "self.socket.receive(" in inspect.getsource(original)
    # The shard worker and the unsharded client read events through poll_event, one at a time.
    assert "await self.ws.poll_event()" in inspect.getsource(discord.shard.Shard.worker)
    assert "await self.ws.poll_event()" in inspect.getsource(discord.client.Client.connect)
