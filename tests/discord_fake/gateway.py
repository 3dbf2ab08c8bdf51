"""Gateway sessions: sequence numbers, the replay buffer for RESUME, and sending over a websocket."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)

# Opcodes (https://discord.com/developers/docs/topics/opcodes-and-status-codes#gateway).
DISPATCH = 0
HEARTBEAT = 1
IDENTIFY = 2
PRESENCE_UPDATE = 3
VOICE_STATE_UPDATE = 4
RESUME = 6
RECONNECT = 7
REQUEST_GUILD_MEMBERS = 8
INVALID_SESSION = 9
HELLO = 10
HEARTBEAT_ACK = 11

# Close codes after which Discord will not let the session resume.
NON_RESUMABLE_CLOSE = {1000, 1001, 4007, 4009}
REPLAY_BUFFER = 5000


@dataclass
class Heartbeat:
    """One heartbeat (op 1) received from a client."""

    at: float
    session_id: str | None
    shard_id: int
    seq: int | None


@dataclass
class Session:
    """One identified gateway session; it outlives a dropped websocket so it can be resumed."""

    session_id: str
    shard_id: int
    shard_count: int
    identify: dict[str, Any]
    ws: web.WebSocketResponse | None = None
    seq: int = 0
    resumable: bool = True
    identified_at: float = 0.0
    buffer: deque[tuple[int, str]] = field(default_factory=lambda: deque(maxlen=REPLAY_BUFFER))
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @staticmethod
    def new_id() -> str:
        """A random session id like Discord's."""
        return secrets.token_hex(16)

    @property
    def connected(self) -> bool:
        """Whether a live websocket is attached."""
        return self.ws is not None and not self.ws.closed

    def owns_guild(self, guild_id: int) -> bool:
        """Whether this session's shard receives events for the guild."""
        return (guild_id >> 22) % self.shard_count == self.shard_id

    async def dispatch(self, event: str, data: Any) -> int:
        """Send (or buffer, if disconnected) a DISPATCH event; return its sequence number."""
        return await self.dispatch_json(event, json.dumps(data))

    async def dispatch_json(self, event: str, data_json: str) -> int:
        """dispatch() with the event's data already encoded as JSON text (the same frame, byte for byte)."""
        async with self.lock:
            self.seq += 1
            text = f'{{"op": {DISPATCH}, "t": {json.dumps(event)}, "s": {self.seq}, "d": {data_json}}}'
            self.buffer.append((self.seq, text))
            ws = self.ws
            if ws is not None and not ws.closed:
                try:
                    await ws.send_str(text)
                except (ConnectionResetError, RuntimeError) as exc:
                    log.debug("session %s: send of %s failed (%s); kept for replay", self.session_id, event, exc)
            return self.seq

    async def attach_and_replay(self, ws: web.WebSocketResponse, after: int) -> int:
        """Attach a new websocket and resend buffered events above `after`, atomically; return how many."""
        async with self.lock:
            self.ws = ws
            sent = 0
            for seq, text in list(self.buffer):
                if seq > after and not ws.closed:
                    await ws.send_str(text)
                    sent += 1
            return sent


async def send_op(ws: web.WebSocketResponse, op: int, data: Any) -> None:
    """Send a non-dispatch opcode as a TEXT frame."""
    if not ws.closed:
        await ws.send_str(json.dumps({"op": op, "d": data, "s": None, "t": None}))
