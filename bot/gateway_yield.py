"""Let the event loop run between gateway events, so a burst of buffered events is not handled in one go.

discord.py's shard worker runs `await ws.poll_event()` in a loop, and poll_event's `socket.receive()` returns at
once while frames are buffered: a burst of 160 interactions was parsed and dispatched back to back, holding the
loop (heartbeats, acknowledgements, answers in progress) for the whole burst. discord.py 2.7 has no hook between
events and builds its DiscordWebSocket by name (discord/shard.py, discord/client.py), so poll_event is wrapped
here, once, with a single `await asyncio.sleep(0)` before each event. tests/test_gateway_yield.py fails if the
library changes the shape this relies on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from discord.gateway import DiscordWebSocket

_MARK = "_sanctionsbot_yields"


def yield_between_events() -> None:
    """Make every DiscordWebSocket give the loop one turn before reading its next event (idempotent)."""
    original: Callable[[DiscordWebSocket], Awaitable[None]] = DiscordWebSocket.poll_event
    if getattr(original, _MARK, False):
        return

    async def poll_event(self: DiscordWebSocket) -> None:
        await asyncio.sleep(0)  # one turn of the loop: the tasks the last event started, timers, heartbeats
        await original(self)

    poll_event.__doc__ = original.__doc__
    setattr(poll_event, _MARK, True)
    patched: Any = poll_event
    DiscordWebSocket.poll_event = patched  # type: ignore[method-assign]
