"""FakeDiscord: a local stand-in for Discord's REST API (/api/v10) and gateway that discord.py logs in to."""

# The public API takes `timeout=` arguments by design (the brief's signatures), so ASYNC109 is off here.

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import json
import logging
import math
import random
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import EllipsisType
from typing import Any, NamedTuple

import msgspec
from aiohttp import WSMsgType, hdrs, web
from aiohttp.multipart import BodyPartReader, content_disposition_filename, parse_content_disposition

from . import objects as obj
from .contract import Contract, load_contract, message_limit_problems
from .gateway import (
    HEARTBEAT,
    HEARTBEAT_ACK,
    HELLO,
    IDENTIFY,
    INVALID_SESSION,
    NON_RESUMABLE_CLOSE,
    PRESENCE_UPDATE,
    RECONNECT,
    REQUEST_GUILD_MEMBERS,
    RESUME,
    VOICE_STATE_UPDATE,
    Heartbeat,
    Session,
    send_op,
)

log = logging.getLogger(__name__)

API_PREFIX = "/api/v10"
PRIVILEGED_INTENTS = (1 << 1) | (1 << 8) | (1 << 15)  # GUILD_MEMBERS, GUILD_PRESENCES, MESSAGE_CONTENT
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024
OPTION_TYPES = {
    1: "SUB_COMMAND",
    2: "SUB_COMMAND_GROUP",
    3: "STRING",
    4: "INTEGER",
    5: "BOOLEAN",
    6: "USER",
    7: "CHANNEL",
    8: "ROLE",
    9: "MENTIONABLE",
    10: "NUMBER",
    11: "ATTACHMENT",
}


class FakeDiscordError(Exception):
    """Base class for errors the fake raises at the test (not at the bot)."""


class UnknownCommand(FakeDiscordError, LookupError):
    """The command path is not in the registered application commands."""


class UnknownOption(FakeDiscordError, LookupError):
    """An option name is not declared by the registered command (or a required one is missing)."""


class InteractionTimeout(FakeDiscordError, TimeoutError):
    """The bot did not answer an interaction (or something awaited did not happen) in time."""


class NotConnected(FakeDiscordError):
    """No gateway session can receive the event (the bot is not connected for that shard)."""


@dataclass
class Violation:
    """A request the bot made that breaks Discord's contract."""

    method: str
    path: str
    problem: str
    body: Any = None

    def __str__(self) -> str:
        """One line: method, path and problem, with a short body."""
        text = json.dumps(self.body, default=str) if self.body is not None else ""
        if len(text) > 300:
            text = text[:297] + "..."
        return f"{self.method} {self.path}: {self.problem}" + (f"  body={text}" if text else "")


class LoggedRequest(NamedTuple):
    """One REST request the bot made, with the status the fake answered."""

    method: str
    path: str
    status: int


@dataclass
class Latency:
    """Requests matching method and path_regex answered `seconds` late, with how many were in flight at once."""

    method: str
    path_regex: re.Pattern[str]
    seconds: float
    in_flight: int = 0
    peak: int = 0
    hits: int = 0


@dataclass
class Fault:
    """An injected failure for requests matching method and path_regex."""

    method: str | None
    path_regex: re.Pattern[str]
    status: int
    times: int | None = None
    ratio: float | None = None
    retry_after: float = 0.05
    is_global: bool = False
    hits: int = 0

    def wants(self, method: str, path: str, rng: random.Random) -> bool:
        """Whether this fault fires for a request (and count it if so)."""
        if self.method and self.method.upper() != method:
            return False
        if not self.path_regex.search(path):
            return False
        if self.times is not None and self.hits >= self.times:
            return False
        if self.ratio is not None and rng.random() >= self.ratio:
            return False
        self.hits += 1
        return True


class InteractionResult:
    """What the bot did with one interaction: its callback, the message it made, and its follow-ups."""

    def __init__(self, fake: FakeDiscord, interaction: dict[str, Any]) -> None:
        """Start an empty result for a dispatched interaction payload."""
        self._fake = fake
        self.interaction: dict[str, Any] = interaction
        self.callback: dict[str, Any] | None = None
        self.status: int | None = None
        self.problems: list[str] = []
        self.files: list[tuple[str, bytes]] = []
        self.message: dict[str, Any] | None = None
        self.latency: float | None = None
        self.followups: list[dict[str, Any]] = []
        self.followup_log: list[tuple[str, dict[str, Any]]] = []
        self.dispatched_at: float = 0.0

    @property
    def id(self) -> int:
        """The interaction id."""
        return int(self.interaction["id"])

    @property
    def token(self) -> str:
        """The interaction token."""
        return str(self.interaction["token"])

    @property
    def type(self) -> int | None:
        """The callback type the bot chose (4, 5, 6, 7, 8, 9), or None before it answered."""
        return None if self.callback is None else self.callback.get("type")

    @property
    def data(self) -> dict[str, Any]:
        """The callback's data (empty dict if none)."""
        return (self.callback or {}).get("data") or {}

    def original(self) -> dict[str, Any] | None:
        """The current state of the interaction's @original message (after any edits), or None."""
        rec = self._fake._interactions.get(self.id)
        if rec is None or rec.original_id is None:
            return None
        return self._fake._messages.get(rec.original_id)

    async def wait_followups(self, n: int = 1, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Wait for at least n follow-ups (POST /webhooks/...) or @original edits; return all so far."""
        await self._fake.wait_until(
            lambda: len(self.followups) >= n, timeout, f"{n} follow-up(s) to interaction {self.id}"
        )
        return list(self.followups)

    def __repr__(self) -> str:
        """A short summary."""
        n = len(self.followups)
        return f"<InteractionResult id={self.id} status={self.status} type={self.type} followups={n}>"


class PostHold:
    """Message POSTs to one channel held open (FakeDiscord.hold_posts): each message is created first (so a
    later POST with its nonce finds it), then its answer waits until release() — the sender cannot know it was
    posted. `arrived` is set once a POST is being held."""

    HOLD_LIMIT_S = 120.0  # a hold nobody releases still ends

    def __init__(self, fake: FakeDiscord, channel_id: int) -> None:
        self._fake = fake
        self.channel_id = channel_id
        self.arrived = asyncio.Event()
        self.released = asyncio.Event()
        self.held = 0

    async def hold(self) -> None:
        """Called by the POST handler after the message is stored."""
        self.held += 1
        self.arrived.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.released.wait(), self.HOLD_LIMIT_S)

    def release(self) -> None:
        """Answer the held POSTs, and hold no more in this channel."""
        if self._fake._held_posts.get(self.channel_id) is self:
            del self._fake._held_posts[self.channel_id]
        self.released.set()


@dataclass
class _Interaction:
    """The fake's bookkeeping for one interaction."""

    result: InteractionResult
    kind: int
    guild_id: int | None
    channel_id: int
    user: dict[str, Any]
    created: float
    acked_type: int | None = None
    original_id: int | None = None
    loading: bool = False
    first_followup_pending: bool = False
    resolved: asyncio.Event = field(default_factory=asyncio.Event)
    group: _Pending | None = None

    def resolve(self) -> None:
        """The interaction has its outcome (a callback, taken or refused): wake its invoke() and its group."""
        if self.resolved.is_set():
            return
        self.resolved.set()
        if self.group is not None:
            self.group.one_done()


class _Pending:
    """How many interactions of a group (FakeDiscord.wait_answered) still wait for their callback."""

    def __init__(self, left: int) -> None:
        self.left = left
        self.done = asyncio.Event()
        if left <= 0:
            self.done.set()

    def one_done(self) -> None:
        """One more answered."""
        self.left -= 1
        if self.left <= 0:
            self.done.set()


@dataclass
class PreparedInteraction:
    """An INTERACTION_CREATE built ahead of its dispatch (FakeDiscord.prepare_invoke / prepare_autocomplete): the
    payload, the invoking user and the payload as JSON text, so that sending it is all that is left to do."""

    payload: dict[str, Any]
    user: dict[str, Any]
    payload_json: str
    delay: float = 0.0


Handler = Callable[..., Awaitable[web.Response]]


def _encode(data: Any) -> bytes:
    """JSON bytes: msgspec's encoder (several times faster than json's, which a burst of callbacks feels),
    json's for what msgspec will not take (integers past 64 bits)."""
    try:
        return msgspec.json.encode(data)
    except (msgspec.MsgspecError, OverflowError, TypeError):
        return json.dumps(data).encode()


@functools.lru_cache(maxsize=256)
def _disposition(header: str | None) -> tuple[str | None, str | None]:
    """A multipart part's (name, filename), read from its Content-Disposition as aiohttp reads them; kept per
    header, as the same few come again and again and aiohttp's parser builds its patterns on every call."""
    _, params = parse_content_disposition(header)
    return content_disposition_filename(params, "name"), content_disposition_filename(params, "filename")


def _decode(raw: bytes | str) -> Any:
    """Parsed JSON: msgspec's decoder, json's for what it refuses (json's errors, and its NaN and Infinity)."""
    try:
        return msgspec.json.decode(raw)
    except msgspec.MsgspecError:
        return json.loads(raw)


def _json_copy(data: Any) -> Any:
    """A deep copy of JSON data, as a JSON round trip makes it."""
    try:
        return msgspec.json.decode(msgspec.json.encode(data))
    except (msgspec.MsgspecError, OverflowError, TypeError):
        return json.loads(json.dumps(data))


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON response with exactly the Content-Type discord.py parses."""
    # discord.py only parses JSON when Content-Type is exactly "application/json" (no charset).
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    return web.Response(body=_encode(data), status=status, headers=all_headers)


def _error(status: int, code: int, message: str, **extra: Any) -> web.Response:
    """A Discord-shaped error body."""
    return _json({"message": message, "code": code, **extra}, status=status)


def _offered_in_dms(cmd: dict[str, Any]) -> bool:
    """Whether Discord offers a command in DMs: dm_permission not false, and `contexts` (if set) has BOT_DM (1)."""
    contexts = cmd.get("contexts")
    if contexts is not None and 1 not in contexts:
        return False
    return cmd.get("dm_permission") is not False


def _id(value: Any) -> str:
    """A snowflake string from an int, str, or object with an id."""
    if isinstance(value, dict):
        value = value["id"]
    if hasattr(value, "id"):
        value = value.id
    return str(int(value))


class FakeDiscord:
    """An aiohttp server on 127.0.0.1 speaking enough of Discord's REST API and gateway for discord.py."""

    def __init__(
        self,
        application_id: int = 1_200_000_000_000_000_001,
        bot_user_id: int | None = None,
        openapi_path: str | Path | None = None,
        *,
        bot_name: str = "sanctionsbot",
        token: str | None = None,
        heartbeat_interval_ms: int = 41250,
        interaction_deadline: float | None = 3.0,
        reject_invalid: bool = True,
        validate_schema: bool = True,
        shards: int = 1,
        seed: int = 0,
        rate_limit: tuple[int, float] | None = None,
        nonce_window: float = 300.0,
        allow_privileged_intents: bool = True,
        default_user_id: int = 1_200_000_000_000_000_100,
    ) -> None:
        """Configure the fake; nothing listens until start()."""
        self.application_id = application_id
        self.bot_user_id = bot_user_id if bot_user_id is not None else application_id
        self.bot_user = obj.make_user(self.bot_user_id, bot_name, bot=True, verified=True, mfa_enabled=False)
        self.token = token
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.interaction_deadline = interaction_deadline
        self.reject_invalid = reject_invalid
        self.shards = shards
        self.rate_limit = rate_limit
        self.nonce_window = nonce_window
        # Simulated time for the nonce window (advance_time): a test can be "ten minutes later" at once.
        self.time_offset = 0.0
        self.allow_privileged_intents = allow_privileged_intents
        self.default_user_id = default_user_id
        self.ack_heartbeats = True
        self.contract: Contract | None = None
        if validate_schema:
            if openapi_path is None:
                from ..shared_files import openapi_path as _shared_openapi

                openapi_path = _shared_openapi()
            self.contract = load_contract(str(openapi_path))
        self._rng = random.Random(seed)

        self.violations: list[Violation] = []
        self.requests: list[LoggedRequest] = []
        # Every message body the bot sent (callback data, follow-ups, edits, channel posts): (method, path, body).
        self.message_bodies: list[tuple[str, str, dict[str, Any]]] = []
        self.heartbeats: list[Heartbeat] = []
        self.identifies: list[dict[str, Any]] = []
        self.gateway_queries: list[dict[str, str]] = []
        self.gateway_received: list[dict[str, Any]] = []
        self.identify_count = 0
        self.resume_count = 0
        self.invalid_session_count = 0
        self.nonce_dedup_count = 0
        self.rate_limited_count = 0
        self.faults: list[Fault] = []
        self.latencies: list[Latency] = []

        self.guilds: dict[int, obj.GuildState] = {}
        self.users: dict[str, dict[str, Any]] = {self.bot_user["id"]: self.bot_user}
        self._channels: dict[int, dict[str, Any]] = {}
        self._channel_status: dict[int, int] = {}
        self._messages: dict[int, dict[str, Any]] = {}
        self._channel_messages: dict[int, list[int]] = {}
        self._nonces: dict[tuple[int, str], tuple[int, float]] = {}
        self._held_posts: dict[int, PostHold] = {}
        self._attachments: dict[int, bytes] = {}
        self._commands: dict[int | None, list[dict[str, Any]]] = {}
        self._command_puts = 0
        self._interactions: dict[int, _Interaction] = {}
        self._tokens: dict[str, _Interaction] = {}
        self._sessions: dict[str, Session] = {}
        self._ready_sessions = 0
        self._sockets: set[web.WebSocketResponse] = set()
        self._waiters: set[asyncio.Future[None]] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._buckets: dict[str, tuple[float, int]] = {}
        self._runner: web.AppRunner | None = None
        self.port: int = 0
        self._routes = self._route_table()
        # The same routes grouped by the path's first segment (a request is matched against its group only).
        self._routes_by_head: dict[str, list[tuple[str, re.Pattern[str], Handler, bool]]] = {}
        for route in self._routes:
            head = route[1].pattern.removeprefix("^/").split("/", 1)[0].removesuffix("$")
            self._routes_by_head.setdefault(head, []).append(route)
        self._bucket_ids: dict[str, str] = {}

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Listen on 127.0.0.1 on a random port."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._rest)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/attachments/{att_id}/{filename}", self._attachment)
        app.router.add_route("*", "/{tail:.*}", self._outside_api)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        log.info("fake Discord listening on %s", self.base_url)

    async def stop(self) -> None:
        """Close every websocket and stop the server."""
        for task in list(self._tasks):
            task.cancel()
        for ws in list(self._sockets):
            with contextlib.suppress(Exception):
                await ws.close(code=1001, message=b"fake Discord stopping")
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        """Start the fake."""
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Stop the fake."""
        await self.stop()

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:PORT"""
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        """The value for discord.http.Route.BASE."""
        return self.base_url + API_PREFIX

    @property
    def gateway_url(self) -> str:
        """The value for DiscordWebSocket.DEFAULT_GATEWAY (and resume_gateway_url)."""
        return f"ws://127.0.0.1:{self.port}/gateway"

    # ------------------------------------------------------------------ waiting

    def _notify(self) -> None:
        """Wake everything waiting in wait_until."""
        for fut in self._waiters:
            if not fut.done():
                fut.set_result(None)
        self._waiters.clear()

    async def wait_until(self, predicate: Callable[[], bool], timeout: float, what: str) -> None:
        """Wait until predicate() is true, re-checking on every state change; InteractionTimeout if not."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise InteractionTimeout(f"timed out after {timeout}s waiting for {what}; {self.describe()}")
            fut: asyncio.Future[None] = loop.create_future()
            self._waiters.add(fut)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(fut, min(remaining, 0.05))

    def describe(self) -> str:
        """A one-line state summary for error messages."""
        live = sum(1 for s in self._sessions.values() if s.connected)
        last = ", ".join(f"{r.method} {r.path} {r.status}" for r in self.requests[-3:])
        return (
            f"sessions={len(self._sessions)} live={live} identifies={self.identify_count} "
            f"resumes={self.resume_count} command_puts={self._command_puts} "
            f"violations={len(self.violations)} "
            f"last requests=[{last}]"
        )

    async def wait_for_ready(self, timeout: float = 10.0, sessions: int = 1) -> None:
        """Wait until `sessions` sessions got READY and their GUILD_CREATEs."""
        await self.wait_until(lambda: self._ready_sessions >= sessions, timeout, f"{sessions} READY session(s)")

    async def wait_for_commands(self, timeout: float = 10.0, puts: int = 1) -> None:
        """Wait until the bot has PUT its application commands (global or guild) `puts` times."""
        await self.wait_until(lambda: self._command_puts >= puts, timeout, "the bot to PUT its commands")

    async def flush(self) -> None:
        """Wait for background dispatches (e.g. GUILD_CREATE after add_guild) to be sent."""
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def _spawn(self, coro: Awaitable[Any]) -> None:
        """Run a coroutine in the background, tracked so stop() and flush() see it."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ------------------------------------------------------------------ world building

    def add_user(self, user_id: int, username: str | None = None, **extra: Any) -> dict[str, Any]:
        """Register a user (returns its User object)."""
        user = self.users.get(str(user_id))
        if user is None:
            user = obj.make_user(user_id, username, **extra)
            self.users[user["id"]] = user
        return user

    def add_guild(
        self,
        guild_id: int,
        name: str = "Test",
        channels: list[dict[str, Any] | int] | None = None,
        roles: list[dict[str, Any]] | None = None,
        members: list[dict[str, Any] | int] | None = None,
        *,
        owner_id: int | None = None,
        bot_permissions: int = obj.BOT_DEFAULT,
        everyone_permissions: int = obj.EVERYONE_DEFAULT,
        locale: str = "en-US",
    ) -> obj.GuildState:
        """Add a guild; channels/roles/members may be partial dicts (id required) or bare ids."""
        roles_by_id: dict[str, dict[str, Any]] = {}
        everyone = obj.make_role(guild_id, "@everyone", everyone_permissions, position=0)
        roles_by_id[everyone["id"]] = everyone
        for i, r in enumerate(roles or []):
            role = obj.normalize_role(r, i)
            roles_by_id[role["id"]] = role
        bot_role_id = guild_id + 7
        while str(bot_role_id) in roles_by_id:
            bot_role_id += 1
        roles_by_id[str(bot_role_id)] = obj.make_role(
            bot_role_id,
            self.bot_user["username"],
            bot_permissions,
            position=len(roles_by_id),
            managed=True,
            tags={"bot_id": self.bot_user["id"]},
        )
        chans: dict[str, dict[str, Any]] = {}
        for i, c in enumerate(channels if channels is not None else [guild_id + 1]):
            ch = obj.normalize_channel(c, guild_id, i)
            if ch["type"] == 0 and ch["name"] == "channel-0" and not isinstance(c, dict):
                ch["name"] = "general"
            chans[ch["id"]] = ch
            self._channels[int(ch["id"])] = ch
        owner = owner_id if owner_id is not None else guild_id + 3
        mems: dict[str, dict[str, Any]] = {}
        for m in members or []:
            data: dict[str, Any] = {"id": m} if isinstance(m, int) else dict(m)
            if "user" in data:
                user = dict(data.pop("user"))
                self.users[str(user["id"])] = user
            else:
                uid = int(data.pop("id"))
                user = self.add_user(uid, data.pop("username", None), **data.pop("user_extra", {}))
            mroles = [int(r) for r in data.pop("roles", [])]
            mems[user["id"]] = obj.make_member(user, mroles, **data)
        owner_user = self.add_user(owner, "owner")
        mems.setdefault(owner_user["id"], obj.make_member(owner_user, []))
        mems[self.bot_user["id"]] = obj.make_member(self.bot_user, [bot_role_id])
        guild = obj.GuildState(guild_id, name, owner, roles_by_id, chans, mems, locale)
        self.guilds[guild_id] = guild
        for session in self._sessions.values():
            if session.identified_at and session.owns_guild(guild_id) and session.resumable:
                self._spawn(session.dispatch("GUILD_CREATE", guild.payload()))
        return guild

    def remove_guild(self, guild_id: int) -> None:
        """Remove a guild (the bot was kicked); dispatch GUILD_DELETE."""
        guild = self.guilds.pop(guild_id)
        for cid in guild.channels:
            self._channels.pop(int(cid), None)
        for session in self._sessions.values():
            if session.identified_at and session.owns_guild(guild_id) and session.resumable:
                self._spawn(session.dispatch("GUILD_DELETE", {"id": str(guild_id)}))

    def set_channel_status(self, channel_id: int, status: int | None) -> None:
        """Make POSTs to a channel answer 403 (Missing Permissions) or 404 (Unknown Channel); None clears."""
        if status is None:
            self._channel_status.pop(channel_id, None)
        elif status in (403, 404):
            self._channel_status[channel_id] = status
        else:
            raise ValueError("status must be 403, 404 or None")

    def inject_fault(
        self,
        method: str | None = None,
        path_regex: str = ".*",
        status: int = 500,
        *,
        times: int | None = None,
        ratio: float | None = None,
        retry_after: float = 0.05,
        is_global: bool = False,
    ) -> Fault:
        """Answer matching requests (path relative to /api/v10) with a Discord-shaped error."""
        if times is None and ratio is None:
            times = 1
        fault = Fault(method, re.compile(path_regex), status, times, ratio, retry_after, is_global)
        self.faults.append(fault)
        return fault

    def slow_down(self, method: str, path_regex: str, seconds: float) -> Latency:
        """Answer matching requests (path relative to /api/v10) `seconds` late, as a distant Discord would; the
        Latency returned counts them and the most that were in flight at once."""
        latency = Latency(method.upper(), re.compile(path_regex), seconds)
        self.latencies.append(latency)
        return latency

    def clear_faults(self) -> None:
        """Remove every injected fault."""
        self.faults.clear()

    def channel(self, channel_id: int) -> dict[str, Any]:
        """A channel's payload (KeyError if unknown)."""
        return self._channels[channel_id]

    def messages(self, channel_id: int) -> list[dict[str, Any]]:
        """Messages in a channel (posts and interaction responses, ephemeral ones too), oldest first."""
        return [self._messages[m] for m in self._channel_messages.get(channel_id, []) if m in self._messages]

    def message(self, message_id: int) -> dict[str, Any] | None:
        """A stored message by id (current state), or None."""
        return self._messages.get(int(message_id))

    def commands(self, guild_id: int | None = None) -> list[dict[str, Any]]:
        """Registered application commands (global, or for one guild), as echoed to the bot."""
        return [dict(c) for c in self._commands.get(guild_id, [])]

    def assert_no_violations(self) -> None:
        """Raise AssertionError listing every contract violation recorded so far."""
        if self.violations:
            lines = "\n  ".join(str(v) for v in self.violations[:50])
            more = "" if len(self.violations) <= 50 else f"\n  ... and {len(self.violations) - 50} more"
            raise AssertionError(f"{len(self.violations)} Discord contract violation(s):\n  {lines}{more}")

    def clear_violations(self) -> None:
        """Forget recorded violations."""
        self.violations.clear()

    def _violate(self, method: str, path: str, problem: str, body: Any = None) -> None:
        """Record a violation."""
        log.warning("contract violation: %s %s: %s", method, path, problem)
        self.violations.append(Violation(method, path, problem, body))

    def last_heartbeat(self, session_id: str | None = None) -> float | None:
        """The time.monotonic() of the last heartbeat (of one session, or any), or None."""
        beats = [h for h in self.heartbeats if session_id is None or h.session_id == session_id]
        return beats[-1].at if beats else None

    @property
    def ready_sessions(self) -> int:
        """How many sessions have been sent READY and their GUILD_CREATEs (re-IDENTIFYs count again)."""
        return self._ready_sessions

    @property
    def command_puts(self) -> int:
        """How many times the bot has PUT a command set (global or guild)."""
        return self._command_puts

    @property
    def sessions(self) -> list[Session]:
        """Gateway sessions, oldest first."""
        return list(self._sessions.values())

    # ------------------------------------------------------------------ gateway

    def _session_for(self, guild_id: int | None) -> Session:
        """The live (or resumable) session whose shard owns the guild (shard 0 for DMs)."""
        gid = guild_id or 0
        candidates = [s for s in self._sessions.values() if s.resumable and s.identified_at and s.owns_guild(gid)]
        if not candidates:
            raise NotConnected(f"no gateway session for guild {guild_id}; {self.describe()}")
        candidates.sort(key=lambda s: (s.connected, s.identified_at))
        return candidates[-1]

    async def close_gateway(self, code: int = 4000, shard_id: int | None = None) -> int:
        """Close the bot's live websocket(s) with a close code; return how many were closed."""
        closed = 0
        for session in list(self._sessions.values()):
            if not session.connected or (shard_id is not None and session.shard_id != shard_id):
                continue
            if code in NON_RESUMABLE_CLOSE:
                session.resumable = False
            ws = session.ws
            session.ws = None
            assert ws is not None
            await ws.close(code=code, message=b"closed by fake Discord")
            closed += 1
        self._notify()
        return closed

    async def send_reconnect(self, shard_id: int | None = None) -> None:
        """Send op 7 RECONNECT to live sessions (the bot should reconnect and RESUME)."""
        for session in list(self._sessions.values()):
            if session.connected and (shard_id is None or session.shard_id == shard_id):
                assert session.ws is not None
                await send_op(session.ws, RECONNECT, None)

    async def invalidate_sessions(self, resumable: bool = False) -> None:
        """Send op 9 INVALID_SESSION to live sessions."""
        for session in list(self._sessions.values()):
            if session.connected:
                session.resumable = resumable
                assert session.ws is not None
                await send_op(session.ws, INVALID_SESSION, resumable)

    async def dispatch(self, event: str, data: Any, guild_id: int | None = None) -> int:
        """Send any DISPATCH event to the session that owns guild_id; return its sequence number."""
        return await self._session_for(guild_id).dispatch(event, data)

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        """One gateway websocket connection."""
        ws = web.WebSocketResponse(max_msg_size=0, autoping=True)
        await ws.prepare(request)
        self.gateway_queries.append(dict(request.query))
        self._sockets.add(ws)
        session: Session | None = None
        await send_op(ws, HELLO, {"heartbeat_interval": self.heartbeat_interval_ms, "_trace": ["fake-discord"]})
        try:
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    if msg.type is WSMsgType.BINARY:
                        await ws.close(code=4002, message=b"Decode error")
                    break
                try:
                    payload = json.loads(msg.data)
                except ValueError:
                    await ws.close(code=4002, message=b"Decode error")
                    break
                self.gateway_received.append(payload)
                op, d = payload.get("op"), payload.get("d")
                if op == HEARTBEAT:
                    self.heartbeats.append(
                        Heartbeat(
                            time.monotonic(),
                            session.session_id if session else None,
                            session.shard_id if session else 0,
                            d,
                        )
                    )
                    if self.ack_heartbeats:
                        await send_op(ws, HEARTBEAT_ACK, None)
                    self._notify()
                elif op == IDENTIFY:
                    if session is not None:
                        await ws.close(code=4005, message=b"Already authenticated")
                        break
                    session = await self._identify(ws, d or {})
                elif op == RESUME:
                    if session is not None:
                        await ws.close(code=4005, message=b"Already authenticated")
                        break
                    session = await self._resume(ws, d or {})
                elif op == REQUEST_GUILD_MEMBERS:
                    if session is None:
                        await ws.close(code=4003, message=b"Not authenticated")
                        break
                    await self._chunk(session, d or {})
                elif op in (PRESENCE_UPDATE, VOICE_STATE_UPDATE):
                    if session is None:
                        await ws.close(code=4003, message=b"Not authenticated")
                        break
                else:
                    await ws.close(code=4001, message=b"Unknown opcode")
                    break
        finally:
            self._sockets.discard(ws)
            if session is not None and session.ws is ws:
                session.ws = None
                if ws.close_code in (1000, 1001):  # a clean close by the client ends the session
                    session.resumable = False
            self._notify()
        return ws

    async def _identify(self, ws: web.WebSocketResponse, d: dict[str, Any]) -> Session | None:
        """Handle IDENTIFY: READY, then GUILD_CREATE for each guild of the shard."""
        self.identifies.append(d)
        if self.token is not None and d.get("token") != self.token:
            await ws.close(code=4004, message=b"Authentication failed")
            return None
        shard = d.get("shard") or [0, 1]
        try:
            shard_id, shard_count = int(shard[0]), int(shard[1])
        except (TypeError, ValueError, IndexError):
            shard_id, shard_count = -1, 0
        if shard_count < 1 or not 0 <= shard_id < shard_count:
            await ws.close(code=4010, message=b"Invalid shard")
            return None
        intents = d.get("intents")
        if not isinstance(intents, int):
            await ws.close(code=4013, message=b"Invalid intent(s)")
            return None
        if intents & PRIVILEGED_INTENTS and not self.allow_privileged_intents:
            await ws.close(code=4014, message=b"Disallowed intent(s)")
            return None
        session = Session(Session.new_id(), shard_id, shard_count, d, ws=ws, identified_at=time.monotonic())
        self._sessions[session.session_id] = session
        self.identify_count += 1
        mine = [g for g in self.guilds.values() if session.owns_guild(g.id)]
        ready = {
            "v": 10,
            "user": self.bot_user,
            "user_settings": {},
            "guilds": [{"id": str(g.id), "unavailable": True} for g in mine],
            "session_id": session.session_id,
            "session_type": "normal",
            "resume_gateway_url": self.gateway_url,
            "shard": [shard_id, shard_count],
            "application": {"id": str(self.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "geo_ordered_rtc_regions": [],
            "guild_join_requests": [],
            "auth": {},
            "_trace": ["fake-discord"],
        }
        await session.dispatch("READY", ready)
        for g in mine:
            await session.dispatch("GUILD_CREATE", g.payload())
        self._ready_sessions += 1
        self._notify()
        return session

    async def _resume(self, ws: web.WebSocketResponse, d: dict[str, Any]) -> Session | None:
        """Handle RESUME: replay missed events and dispatch RESUMED, or INVALID_SESSION(false)."""
        session = self._sessions.get(str(d.get("session_id")))
        seq = d.get("seq")
        ok = (
            session is not None
            and session.resumable
            and (self.token is None or d.get("token") == self.token)
            and isinstance(seq, int)
            and seq <= session.seq
        )
        if not ok or session is None:
            self.invalid_session_count += 1
            await send_op(ws, INVALID_SESSION, False)
            self._notify()
            return None
        assert isinstance(seq, int)
        old = session.ws
        if old is not None and old is not ws and not old.closed:
            await old.close(code=4000, message=b"session resumed elsewhere")
        replayed = await session.attach_and_replay(ws, seq)
        await session.dispatch("RESUMED", {"_trace": ["fake-discord"]})
        self.resume_count += 1
        log.info("session %s resumed (replayed %d events)", session.session_id, replayed)
        self._notify()
        return session

    async def _chunk(self, session: Session, d: dict[str, Any]) -> None:
        """Answer REQUEST_GUILD_MEMBERS with one GUILD_MEMBERS_CHUNK per guild."""
        ids = d.get("guild_id")
        for gid in ids if isinstance(ids, list) else [ids]:
            guild = self.guilds.get(int(gid)) if gid is not None else None
            if guild is None:
                continue
            members = list(guild.members.values())
            query = d.get("query")
            if query:
                members = [m for m in members if m["user"]["username"].lower().startswith(str(query).lower())]
            if d.get("user_ids"):
                wanted = {str(u) for u in d["user_ids"]}
                members = [m for m in members if m["user"]["id"] in wanted]
            limit = d.get("limit") or 0
            if limit:
                members = members[:limit]
            chunk = {
                "guild_id": str(guild.id),
                "members": members,
                "chunk_index": 0,
                "chunk_count": 1,
                "not_found": [],
            }
            if d.get("nonce"):
                chunk["nonce"] = d["nonce"]
            await session.dispatch("GUILD_MEMBERS_CHUNK", chunk)

    # ------------------------------------------------------------------ interactions

    def _default_guild(self) -> int | None:
        """The first guild added, if any."""
        return next(iter(self.guilds), None)

    def _default_channel(self, guild_id: int | None) -> int:
        """The first text channel of a guild (or a DM channel for the default user)."""
        if guild_id is not None:
            guild = self.guilds[guild_id]
            for c in guild.channels.values():
                if c["type"] in (0, 5):
                    return int(c["id"])
            raise FakeDiscordError(f"guild {guild_id} has no text channel; pass channel_id")
        return self._dm_channel(self.default_user_id)

    def _dm_channel(self, user_id: int) -> int:
        """The DM channel with a user, created on first use."""
        for cid, c in self._channels.items():
            if c["type"] == 1 and c["recipients"][0]["id"] == str(user_id):
                return cid
        cid = obj.snowflake()
        self._channels[cid] = {
            "id": str(cid),
            "type": 1,
            "last_message_id": None,
            "flags": 0,
            "recipients": [self.add_user(user_id)],
        }
        return cid

    def _member(self, guild: obj.GuildState, user_id: int) -> dict[str, Any]:
        """A guild member, created (with no roles) if the user is not one yet."""
        key = str(user_id)
        if key not in guild.members:
            guild.members[key] = obj.make_member(self.add_user(user_id), [])
        return guild.members[key]

    def _find_command(self, name: str, guild_id: int | None) -> dict[str, Any]:
        """A registered chat-input command by name (guild commands first, then global)."""
        for scope in (guild_id, None) if guild_id is not None else (None,):
            for cmd in self._commands.get(scope, []):
                if cmd["name"] == name and cmd.get("type", 1) == 1:
                    return cmd
        names = sorted(
            {c["name"] for s in ((guild_id, None) if guild_id else (None,)) for c in self._commands.get(s, [])}
        )
        raise UnknownCommand(f"/{name} is not registered (guild {guild_id}); registered: {names}")

    def _command_data(
        self,
        path: str,
        options: dict[str, Any] | None,
        guild_id: int | None,
        *,
        focused: str | None = None,
        raw: bool = False,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Build interaction `data` from the registered command tree; return (data, resolved-needs)."""
        parts = path.strip().lstrip("/").split()
        if not parts:
            raise UnknownCommand("empty command path")
        cmd = self._find_command(parts[0], guild_id)
        if guild_id is None and not raw and not _offered_in_dms(cmd):
            # Discord never shows such a command in a DM; raw=True forges the interaction anyway.
            raise UnknownCommand(f"/{parts[0]} is not offered in DMs (dm_permission false or no DM context)")
        chain: list[dict[str, Any]] = []
        node_options: list[dict[str, Any]] = cmd.get("options") or []
        for part in parts[1:]:
            sub = next((o for o in node_options if o["name"] == part and o["type"] in (1, 2)), None)
            if sub is None:
                subs = [o["name"] for o in node_options if o["type"] in (1, 2)]
                where = " ".join([cmd["name"]] + [c["name"] for c in chain])
                raise UnknownCommand(f"'{part}' is not a subcommand of /{where}; has {subs}")
            chain.append(sub)
            node_options = sub.get("options") or []
        if not raw and any(o["type"] in (1, 2) for o in node_options):
            subs = [o["name"] for o in node_options if o["type"] in (1, 2)]
            raise UnknownCommand(f"/{path} is a group; pick a subcommand from {subs}")
        declared = {o["name"]: o for o in node_options}
        given = dict(options or {})
        if not raw:
            unknown = [n for n in given if n not in declared]
            if unknown:
                raise UnknownOption(f"/{path} has no option(s) {unknown}; declared: {sorted(declared)}")
            if focused is None:
                missing = [n for n, o in declared.items() if o.get("required") and n not in given]
                if missing:
                    raise UnknownOption(f"/{path} is missing required option(s) {missing}")
        if focused is not None and focused not in given:
            given[focused] = ""
        leaf: list[dict[str, Any]] = []
        refs: dict[str, Any] = {"users": [], "channels": [], "roles": [], "attachments": []}
        for name, value in given.items():
            otype = declared[name]["type"] if name in declared else 3
            opt: dict[str, Any] = {"name": name, "type": otype}
            if otype in (6, 7, 8, 9) and not isinstance(value, (bool, float)):
                try:
                    value = _id(value)
                except (TypeError, ValueError, KeyError):
                    pass
                else:
                    kind = {6: "users", 7: "channels", 8: "roles", 9: "mentionable"}[otype]
                    refs.setdefault(kind, []).append(value)
            elif otype == 11 and isinstance(value, tuple):
                filename, blob = value
                att_id = obj.snowflake()
                self._attachments[att_id] = blob
                refs["attachments"].append(obj.make_attachment(att_id, filename, blob, self.base_url))
                value = str(att_id)
            opt["value"] = value
            if name == focused:
                opt["focused"] = True
            leaf.append(opt)
        opts: list[dict[str, Any]] = leaf
        for sub in reversed(chain):
            opts = [{"name": sub["name"], "type": sub["type"], "options": opts}]
        data: dict[str, Any] = {"id": cmd["id"], "name": cmd["name"], "type": cmd.get("type", 1)}
        if opts:
            data["options"] = opts
        if cmd.get("guild_id"):
            data["guild_id"] = cmd["guild_id"]
        return data, refs

    def _resolved(
        self,
        refs: dict[str, Any],
        guild_id: int | None,
        channel_id: int,
        invoker: dict[str, Any] | None,
        raw: bool,
    ) -> dict[str, Any]:
        """The `resolved` map for user/channel/role/attachment options, from the fake's guild data."""
        guild = self.guilds.get(guild_id) if guild_id is not None else None
        out: dict[str, dict[str, Any]] = {}
        mention = refs.pop("mentionable", [])
        for uid in refs.get("users", []) + [m for m in mention if not (guild and m in guild.roles)]:
            user = self.users.get(uid)
            if user is None:
                if raw:
                    continue
                raise UnknownOption(f"user {uid} is not known to the fake (add_user or add_guild members)")
            out.setdefault("users", {})[uid] = user
            if guild is not None and uid in guild.members:
                m = {k: v for k, v in guild.members[uid].items() if k != "user"}
                m["permissions"] = str(guild.member_permissions(guild.members[uid], self._channels.get(channel_id)))
                out.setdefault("members", {})[uid] = m
        for rid in refs.get("roles", []) + [m for m in mention if guild and m in guild.roles]:
            role = guild.roles.get(rid) if guild else None
            if role is None:
                if raw:
                    continue
                raise UnknownOption(f"role {rid} is not in guild {guild_id}")
            out.setdefault("roles", {})[rid] = role
        for cid in refs.get("channels", []):
            ch = self._channels.get(int(cid))
            if ch is None or (guild is not None and ch.get("guild_id") != str(guild.id)):
                if raw:
                    continue
                raise UnknownOption(f"channel {cid} is not in guild {guild_id}")
            entry: dict[str, Any] = {k: ch[k] for k in ("id", "name", "type", "parent_id", "nsfw", "flags") if k in ch}
            perms = guild.member_permissions(invoker, ch) if guild is not None and invoker else 0
            entry["permissions"] = str(perms)
            out.setdefault("channels", {})[cid] = entry
        for att in refs.get("attachments", []):
            out.setdefault("attachments", {})[att["id"]] = att
        return out

    def _interaction_payload(
        self,
        kind: int,
        data: dict[str, Any],
        *,
        user_id: int | None,
        guild_id: int | None,
        channel_id: int | None,
        permissions: int | None,
        locale: str,
        message: dict[str, Any] | None = None,
        refs: dict[str, Any] | None = None,
        raw: bool = False,
        delay: float = 0.0,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The INTERACTION_CREATE payload; returns (payload, invoking user)."""
        uid = user_id if user_id is not None else self.default_user_id
        cid = channel_id if channel_id is not None else self._default_channel(guild_id)
        iid = obj.snowflake(time.time() - delay)  # its id carries its creation time
        payload: dict[str, Any] = {
            "id": str(iid),
            "application_id": str(self.application_id),
            "type": kind,
            "data": data,
            "token": "fake-" + secrets.token_urlsafe(48),
            "version": 1,
            "locale": locale,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
            "channel_id": str(cid),
        }
        if guild_id is not None:
            guild = self.guilds.get(guild_id)
            if guild is None:
                raise FakeDiscordError(f"guild {guild_id} was not added to the fake")
            member = self._member(guild, uid)
            channel = self._channels.get(cid)
            if channel is None or channel.get("guild_id") != str(guild_id):
                raise FakeDiscordError(f"channel {cid} is not in guild {guild_id}")
            perms = permissions if permissions is not None else guild.member_permissions(member, channel)
            user = member["user"]
            payload["guild_id"] = str(guild_id)
            payload["guild"] = {"id": str(guild_id), "locale": guild.locale, "features": []}
            payload["guild_locale"] = guild.locale
            payload["member"] = {**member, "permissions": str(perms)}
            payload["channel"] = {**channel, "permissions": str(perms)}
            bot_member = guild.members[self.bot_user["id"]]
            payload["app_permissions"] = str(guild.member_permissions(bot_member, channel))
            payload["context"] = 0
            payload["authorizing_integration_owners"] = {"0": str(guild_id)}
        else:
            user = self.add_user(uid)
            cid = channel_id if channel_id is not None else self._dm_channel(uid)
            payload["channel_id"] = str(cid)
            channel = self._channels.get(cid) or {"id": str(cid), "type": 1}
            payload["user"] = user
            payload["channel"] = channel
            payload["app_permissions"] = str(obj.BOT_DEFAULT)
            payload["context"] = 1
            payload["authorizing_integration_owners"] = {"0": "0"}
        if message is not None:
            payload["message"] = message
        if refs is not None:
            resolved = self._resolved(refs, guild_id, int(payload["channel_id"]), payload.get("member"), raw)
            if resolved:
                data["resolved"] = resolved
        return payload, user

    @staticmethod
    def _prepared(payload: dict[str, Any], user: dict[str, Any], delay: float = 0.0) -> PreparedInteraction:
        """A built payload, encoded for the gateway."""
        return PreparedInteraction(payload, user, json.dumps(payload), delay)

    async def _send_interaction(self, prepared: PreparedInteraction) -> _Interaction:
        """Record an interaction and dispatch its INTERACTION_CREATE; its clock starts as it is sent."""
        payload = prepared.payload
        guild_id = int(payload["guild_id"]) if "guild_id" in payload else None
        result = InteractionResult(self, payload)
        rec = _Interaction(result, int(payload["type"]), guild_id, int(payload["channel_id"]), prepared.user, 0.0)
        self._interactions[result.id] = rec
        self._tokens[result.token] = rec
        session = self._session_for(guild_id)
        result.dispatched_at = asyncio.get_running_loop().time()
        rec.created = result.dispatched_at - prepared.delay  # Discord's 3 s run from creation, not from delivery
        await session.dispatch_json("INTERACTION_CREATE", prepared.payload_json)
        return rec

    async def dispatch_interactions(self, prepared: Sequence[PreparedInteraction]) -> list[InteractionResult]:
        """Send prepared interactions one after another, as fast as the gateway takes them, without waiting for
        any answer (a burst): each one's clock starts as it is sent. Wait with wait_answered()."""
        return [(await self._send_interaction(p)).result for p in prepared]

    async def wait_answered(self, results: Sequence[InteractionResult], timeout: float) -> int:
        """Wait (at most `timeout` s) until every one of `results` has its callback, taken or refused; return how
        many still have none."""
        recs = [self._interactions[r.id] for r in results]
        pending = _Pending(sum(1 for rec in recs if not rec.resolved.is_set()))
        for rec in recs:
            if not rec.resolved.is_set():
                rec.group = pending
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(pending.done.wait(), timeout)
        for rec in recs:
            if rec.group is pending:
                rec.group = None
        return max(pending.left, 0)

    async def _run_interaction(
        self, payload: dict[str, Any], user: dict[str, Any], timeout: float, delay: float = 0.0
    ) -> InteractionResult:
        """Dispatch INTERACTION_CREATE (`delay` s after its creation) and wait for the bot's callback."""
        return await self._run_prepared(self._prepared(payload, user, delay), timeout)

    async def _run_prepared(self, prepared: PreparedInteraction, timeout: float) -> InteractionResult:
        """Dispatch a prepared INTERACTION_CREATE and wait for the bot's callback."""
        rec = await self._send_interaction(prepared)
        result, payload = rec.result, prepared.payload
        try:
            await asyncio.wait_for(rec.resolved.wait(), timeout)
        except TimeoutError:
            name = payload["data"].get("name") or payload["data"].get("custom_id")
            recent = "; ".join(str(v) for v in self.violations[-3:])
            raise InteractionTimeout(
                f"the bot sent no interaction callback for {name!r} (interaction {result.id}, type "
                f"{payload['type']}) within {timeout}s; {self.describe()}"
                + (f"; recent violations: {recent}" if recent else "")
            ) from None
        return result

    async def invoke(
        self,
        command: str,
        options: dict[str, Any] | None = None,
        *,
        user_id: int | None = None,
        guild_id: int | EllipsisType | None = ...,
        channel_id: int | None = None,
        permissions: int | None = None,
        locale: str = "en-US",
        timeout: float = 5.0,
        raw: bool = False,
        delay: float = 0.0,
    ) -> InteractionResult:
        """Run a slash command ("group sub" paths allowed) as a user; return what the bot answered.

        `delay`: deliver it that many seconds after Discord created it (a gateway backlog, a resumed session's
        replay); past 3 s Discord no longer takes a callback for it."""
        prepared = self.prepare_invoke(
            command,
            options,
            user_id=user_id,
            guild_id=guild_id,
            channel_id=channel_id,
            permissions=permissions,
            locale=locale,
            raw=raw,
            delay=delay,
        )
        return await self._run_prepared(prepared, timeout)

    def prepare_invoke(
        self,
        command: str,
        options: dict[str, Any] | None = None,
        *,
        user_id: int | None = None,
        guild_id: int | EllipsisType | None = ...,
        channel_id: int | None = None,
        permissions: int | None = None,
        locale: str = "en-US",
        raw: bool = False,
        delay: float = 0.0,
    ) -> PreparedInteraction:
        """The slash command invoke() would send, built and encoded but not sent (dispatch_interactions)."""
        gid = self._default_guild() if guild_id is ... else guild_id
        data, refs = self._command_data(command, options, gid, raw=raw)
        payload, user = self._interaction_payload(
            2,
            data,
            user_id=user_id,
            guild_id=gid,
            channel_id=channel_id,
            permissions=permissions,
            locale=locale,
            refs=refs,
            raw=raw,
            delay=delay,
        )
        return self._prepared(payload, user, delay)

    async def autocomplete(
        self,
        command: str,
        options: dict[str, Any] | None = None,
        *,
        focused: str,
        user_id: int | None = None,
        guild_id: int | EllipsisType | None = ...,
        channel_id: int | None = None,
        permissions: int | None = None,
        locale: str = "en-US",
        timeout: float = 5.0,
        raw: bool = False,
    ) -> list[dict[str, Any]]:
        """Send an autocomplete interaction (type 4) for the focused option; return the bot's choices."""
        res = await self.autocomplete_result(
            command,
            options,
            focused=focused,
            user_id=user_id,
            guild_id=guild_id,
            channel_id=channel_id,
            permissions=permissions,
            locale=locale,
            timeout=timeout,
            raw=raw,
        )
        if res.type != 8:
            raise AssertionError(f"autocomplete answered with callback type {res.type}, not 8: {res.callback}")
        return list(res.data.get("choices") or [])

    async def autocomplete_result(
        self,
        command: str,
        options: dict[str, Any] | None = None,
        *,
        focused: str,
        user_id: int | None = None,
        guild_id: int | EllipsisType | None = ...,
        channel_id: int | None = None,
        permissions: int | None = None,
        locale: str = "en-US",
        timeout: float = 5.0,
        raw: bool = False,
    ) -> InteractionResult:
        """Like autocomplete() but return the whole InteractionResult."""
        prepared = self.prepare_autocomplete(
            command,
            options,
            focused=focused,
            user_id=user_id,
            guild_id=guild_id,
            channel_id=channel_id,
            permissions=permissions,
            locale=locale,
            raw=raw,
        )
        return await self._run_prepared(prepared, timeout)

    def prepare_autocomplete(
        self,
        command: str,
        options: dict[str, Any] | None = None,
        *,
        focused: str,
        user_id: int | None = None,
        guild_id: int | EllipsisType | None = ...,
        channel_id: int | None = None,
        permissions: int | None = None,
        locale: str = "en-US",
        raw: bool = False,
    ) -> PreparedInteraction:
        """The autocomplete autocomplete_result() would send, built and encoded but not sent."""
        gid = self._default_guild() if guild_id is ... else guild_id
        data, refs = self._command_data(command, options, gid, focused=focused, raw=raw)
        payload, user = self._interaction_payload(
            4,
            data,
            user_id=user_id,
            guild_id=gid,
            channel_id=channel_id,
            permissions=permissions,
            locale=locale,
            refs=refs,
            raw=raw,
        )
        return self._prepared(payload, user)

    async def click(
        self,
        message: dict[str, Any] | int,
        custom_id: str,
        *,
        user_id: int | None = None,
        component_type: int = 2,
        values: list[str] | None = None,
        permissions: int | None = None,
        locale: str = "en-US",
        timeout: float = 5.0,
        delay: float = 0.0,
    ) -> InteractionResult:
        """Click a component (type 3 interaction) on a message; return what the bot answered (`delay`: as for
        invoke, delivered that many seconds after its creation)."""
        mid = int(message if isinstance(message, int) else message["id"])
        stored = self._messages.get(mid)
        msg = stored if stored is not None else (message if isinstance(message, dict) else None)
        if msg is None:
            raise FakeDiscordError(f"message {mid} is not known to the fake")
        cid = int(msg["channel_id"])
        channel = self._channels.get(cid)
        gid = int(channel["guild_id"]) if channel and channel.get("guild_id") else None
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": component_type}
        if values is not None or component_type in (3, 5, 6, 7, 8):
            data["values"] = list(values or [])
        payload, user = self._interaction_payload(
            3,
            data,
            user_id=user_id,
            guild_id=gid,
            channel_id=cid,
            permissions=permissions,
            locale=locale,
            message=json.loads(json.dumps(msg)),
            delay=delay,
        )
        return await self._run_interaction(payload, user, timeout, delay)

    async def submit_modal(
        self,
        result: InteractionResult,
        values: dict[str, str],
        *,
        user_id: int | None = None,
        timeout: float = 5.0,
    ) -> InteractionResult:
        """Submit the modal a callback of type 9 opened, with text-input values by custom_id."""
        if result.type != 9:
            raise FakeDiscordError(f"interaction {result.id} did not open a modal (callback type {result.type})")
        rows = [{"type": 1, "components": [{"type": 4, "custom_id": k, "value": v}]} for k, v in values.items()]
        data = {"custom_id": result.data.get("custom_id"), "components": rows}
        rec = self._interactions[result.id]
        payload, user = self._interaction_payload(
            5,
            data,
            user_id=user_id if user_id is not None else int(rec.user["id"]),
            guild_id=rec.guild_id,
            channel_id=rec.channel_id,
            permissions=None,
            locale=result.interaction.get("locale", "en-US"),
        )
        return await self._run_interaction(payload, user, timeout)

    # ------------------------------------------------------------------ REST plumbing

    def _route_table(self) -> list[tuple[str, re.Pattern[str], Handler, bool]]:
        """(method, path regex, handler, needs bot auth)."""
        s = r"(?P<{}>[0-9]+)"
        routes: list[tuple[str, str, Handler, bool]] = [
            ("GET", r"/gateway", self._get_gateway, False),
            ("GET", r"/gateway/bot", self._get_gateway_bot, True),
            ("GET", r"/users/@me", self._get_me, True),
            ("GET", r"/users/" + s.format("user_id"), self._get_user, True),
            ("POST", r"/users/@me/channels", self._create_dm, True),
            ("GET", r"/oauth2/applications/@me", self._get_app, True),
            ("GET", r"/applications/@me", self._get_app, True),
            ("GET", r"/applications/(?P<app_id>[0-9]+)/commands", self._get_commands, True),
            ("PUT", r"/applications/(?P<app_id>[0-9]+)/commands", self._put_commands, True),
            ("POST", r"/applications/(?P<app_id>[0-9]+)/commands", self._post_command, True),
            (
                "GET",
                r"/applications/(?P<app_id>[0-9]+)/commands/(?P<command_id>[0-9]+)",
                self._get_command,
                True,
            ),
            (
                "DELETE",
                r"/applications/(?P<app_id>[0-9]+)/commands/(?P<command_id>[0-9]+)",
                self._delete_command,
                True,
            ),
            (
                "GET",
                r"/applications/(?P<app_id>[0-9]+)/guilds/(?P<guild_id>[0-9]+)/commands",
                self._get_commands,
                True,
            ),
            (
                "PUT",
                r"/applications/(?P<app_id>[0-9]+)/guilds/(?P<guild_id>[0-9]+)/commands",
                self._put_commands,
                True,
            ),
            (
                "POST",
                r"/applications/(?P<app_id>[0-9]+)/guilds/(?P<guild_id>[0-9]+)/commands",
                self._post_command,
                True,
            ),
            (
                "GET",
                r"/applications/(?P<app_id>[0-9]+)/guilds/(?P<guild_id>[0-9]+)/commands/(?P<command_id>[0-9]+)",
                self._get_command,
                True,
            ),
            (
                "DELETE",
                r"/applications/(?P<app_id>[0-9]+)/guilds/(?P<guild_id>[0-9]+)/commands/(?P<command_id>[0-9]+)",
                self._delete_command,
                True,
            ),
            ("GET", r"/channels/(?P<channel_id>[0-9]+)", self._get_channel, True),
            ("POST", r"/channels/(?P<channel_id>[0-9]+)/typing", self._typing, True),
            ("GET", r"/channels/(?P<channel_id>[0-9]+)/messages", self._list_messages, True),
            ("POST", r"/channels/(?P<channel_id>[0-9]+)/messages", self._post_message, True),
            (
                "GET",
                r"/channels/(?P<channel_id>[0-9]+)/messages/(?P<message_id>[0-9]+)",
                self._get_message,
                True,
            ),
            (
                "PATCH",
                r"/channels/(?P<channel_id>[0-9]+)/messages/(?P<message_id>[0-9]+)",
                self._patch_message,
                True,
            ),
            (
                "DELETE",
                r"/channels/(?P<channel_id>[0-9]+)/messages/(?P<message_id>[0-9]+)",
                self._delete_message,
                True,
            ),
            ("GET", r"/guilds/(?P<guild_id>[0-9]+)", self._get_guild, True),
            ("GET", r"/guilds/(?P<guild_id>[0-9]+)/channels", self._get_guild_channels, True),
            ("GET", r"/guilds/(?P<guild_id>[0-9]+)/roles", self._get_guild_roles, True),
            ("GET", r"/guilds/(?P<guild_id>[0-9]+)/members/(?P<user_id>[0-9]+)", self._get_member, True),
            (
                "POST",
                r"/interactions/(?P<interaction_id>[0-9]+)/(?P<token>[^/]+)/callback",
                self._callback,
                False,
            ),
            ("POST", r"/webhooks/(?P<app_id>[0-9]+)/(?P<token>[^/]+)", self._post_followup, False),
            (
                "GET",
                r"/webhooks/(?P<app_id>[0-9]+)/(?P<token>[^/]+)/messages/(?P<message_id>@original|[0-9]+)",
                self._get_webhook_message,
                False,
            ),
            (
                "PATCH",
                r"/webhooks/(?P<app_id>[0-9]+)/(?P<token>[^/]+)/messages/(?P<message_id>@original|[0-9]+)",
                self._patch_webhook_message,
                False,
            ),
            (
                "DELETE",
                r"/webhooks/(?P<app_id>[0-9]+)/(?P<token>[^/]+)/messages/(?P<message_id>@original|[0-9]+)",
                self._delete_webhook_message,
                False,
            ),
        ]
        return [(m, re.compile("^" + p + "$"), h, auth) for m, p, h, auth in routes]

    async def _outside_api(self, request: web.Request) -> web.Response:
        """Anything not under /api/v10 (or the gateway): a 404 and a violation."""
        self._violate(request.method, request.path, "request outside /api/v10 (wrong Route.BASE or API version?)")
        self.requests.append(LoggedRequest(request.method, request.path, 404))
        return _error(404, 0, "404: Not Found")

    async def _attachment(self, request: web.Request) -> web.Response:
        """Serve an uploaded or option attachment's bytes."""
        blob = self._attachments.get(int(request.match_info["att_id"]))
        if blob is None:
            return web.Response(status=404)
        return web.Response(body=blob, content_type="application/octet-stream")

    async def _read_body(self, request: web.Request) -> tuple[Any, list[tuple[str, bytes]], bool, str | None]:
        """(parsed JSON body or payload_json, uploaded files, was multipart, problem reading it)."""
        ctype = request.content_type
        if ctype.startswith("multipart/"):
            files: list[tuple[str, bytes]] = []
            body: Any = None
            reader = await request.multipart()
            async for part in reader:
                if part is None:
                    break
                name, filename = (
                    _disposition(part.headers.get(hdrs.CONTENT_DISPOSITION))
                    if isinstance(part, BodyPartReader)
                    else (None, None)
                )
                data = await part.read(decode=False)  # type: ignore[union-attr]
                if name == "payload_json":
                    try:
                        body = _decode(data)
                    except ValueError:
                        return None, files, True, "payload_json is not valid JSON"
                elif name and name.startswith("files["):
                    files.append((filename or name, bytes(data)))
                else:
                    return body, files, True, f"unexpected multipart field {name!r}"
            return body, files, True, None
        raw = await request.read()
        if not raw:
            return None, [], False, None
        if ctype != "application/json":
            return None, [], False, f"body sent with Content-Type {ctype!r}, not application/json"
        try:
            return _decode(raw), [], False, None
        except ValueError:
            return None, [], False, "body is not valid JSON"

    def _ratelimit_headers(self, method: str, template: str, major: str) -> tuple[dict[str, str], float | None]:
        """Rate-limit headers for a bucket, and retry_after if the emulated limit is exceeded."""
        limit, per = self.rate_limit or (1000, 1.0)
        key = f"{method} {template}:{major}"
        bucket = self._bucket_ids.get(f"{method} {template}")
        if bucket is None:
            bucket = hashlib.sha1(f"{method} {template}".encode()).hexdigest()[:16]
            self._bucket_ids[f"{method} {template}"] = bucket
        now = time.monotonic()
        start, used = self._buckets.get(key, (now, 0))
        if now - start >= per:
            start, used = now, 0
        used += 1
        self._buckets[key] = (start, used)
        reset_after = max(per - (now - start), 0.001)
        headers = {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(max(limit - used, 0)),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": bucket,
        }
        return headers, (reset_after if self.rate_limit and used > limit else None)

    def _rate_limited(self, retry_after: float, bucket_headers: dict[str, str] | None, is_global: bool) -> web.Response:
        """A Discord 429, with the Via header discord.py requires before it will retry."""
        headers = {
            "Via": "1.1 google",
            "Retry-After": str(max(1, math.ceil(retry_after))),
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": f"{time.time() + retry_after:.3f}",
            "X-RateLimit-Reset-After": f"{retry_after:.3f}",
            "X-RateLimit-Scope": "global" if is_global else "user",
        }
        if bucket_headers:
            headers["X-RateLimit-Bucket"] = bucket_headers["X-RateLimit-Bucket"]
        if is_global:
            headers["X-RateLimit-Global"] = "true"
        body = {"message": "You are being rate limited.", "retry_after": retry_after, "global": is_global}
        if not is_global:
            body["code"] = 0
        return _json(body, status=429, headers=headers)

    def _fault_response(self, fault: Fault, bucket_headers: dict[str, str]) -> web.Response:
        """The Discord-shaped answer for an injected fault."""
        if fault.status == 429:
            return self._rate_limited(fault.retry_after, bucket_headers, fault.is_global)
        if fault.status == 403:
            return _error(403, 50013, "Missing Permissions")
        if fault.status == 404:
            return _error(404, 10003, "Unknown Channel")
        if fault.status == 400:
            return _error(400, 50035, "Invalid Form Body", errors={})
        if fault.status == 401:
            return _error(401, 0, "401: Unauthorized")
        if fault.status >= 500:
            return _error(fault.status, 0, f"{fault.status}: Internal Server Error")
        return _error(fault.status, 0, f"{fault.status}: injected fault")

    def _message_body(self, handler: Handler, body: Any) -> Any:
        """The part of a request body that is a message (for the embed/content limits), or None."""
        if not isinstance(body, dict):
            return None
        if handler == self._callback:
            return body.get("data") if body.get("type") in (4, 7) else None
        if handler in (
            self._post_message,
            self._patch_message,
            self._post_followup,
            self._patch_webhook_message,
        ):
            return body
        return None

    async def _rest(self, request: web.Request) -> web.Response:
        """Every /api/v10 request: read, validate, maybe fault, then route."""
        method = request.method
        path = "/" + request.match_info["tail"]
        slow = [x for x in self.latencies if x.method == method and x.path_regex.search(path)]
        for latency in slow:
            latency.hits += 1
            latency.in_flight += 1
            latency.peak = max(latency.peak, latency.in_flight)
        try:
            if slow:
                await asyncio.sleep(max(x.seconds for x in slow))
            response = await self._handle(request, method, path)
        except Exception as exc:
            log.exception("fake Discord crashed handling %s %s", method, path)
            self._violate(method, path, f"fake Discord crashed: {exc!r} (a bug in the rig, or a wild request)")
            # Not a 5xx: discord.py would retry a 5xx for ~25 s; a 400 fails the bot's call at once.
            response = _error(400, 0, f"fake Discord crashed: {exc!r}")
        finally:
            for latency in slow:
                latency.in_flight -= 1
        self.requests.append(LoggedRequest(method, path, response.status))
        self._notify()
        return response

    async def _handle(self, request: web.Request, method: str, path: str) -> web.Response:
        """Validate and route one request."""
        body, files, multipart, read_problem = await self._read_body(request)
        route = next(
            (
                (h, m.groupdict(), auth)
                for meth, rx, h, auth in self._routes_by_head.get(path.split("/", 2)[1], ())
                if meth == method and (m := rx.match(path))
            ),
            None,
        )
        if route is None:
            self._violate(method, path, "route not in the fake", body)
            return _error(404, 0, "404: Not Found")
        handler, params, needs_auth = route
        if needs_auth:
            auth = request.headers.get("Authorization", "")
            if not auth.startswith("Bot "):
                self._violate(method, path, "missing 'Authorization: Bot <token>' header")
                return _error(401, 0, "401: Unauthorized")
            if self.token is not None and auth != f"Bot {self.token}":
                return _error(401, 0, "401: Unauthorized")
        problems: list[str] = []
        if read_problem:
            problems.append(read_problem)
        template = path
        if self.contract is not None:
            match = self.contract.match(path)
            template = match.template if match else path
            if method in ("POST", "PUT", "PATCH") and not read_problem and (body is not None or method == "PUT"):
                problems.extend(self.contract.validate(method, path, body, multipart=multipart))
            if method == "GET" and request.query:
                problems.extend(self.contract.validate_query(method, path, request.query))
        message_body = self._message_body(handler, body)
        if isinstance(message_body, dict):
            self.message_bodies.append((method, path, message_body))
        problems.extend(message_limit_problems(message_body))
        if multipart and len(files) > 10:
            problems.append(f"{len(files)} files, over Discord's 10 per message")
        if files and sum(len(b) for _, b in files) > ATTACHMENT_SIZE_LIMIT:
            problems.append(f"uploads total {sum(len(b) for _, b in files)} bytes, over {ATTACHMENT_SIZE_LIMIT}")
        major = (
            params.get("channel_id")
            or params.get("guild_id")
            or (
                f"{params.get('interaction_id') or params.get('app_id')}+{params.get('token')}"
                if params.get("token")
                else ""
            )
        )
        bucket_headers, over = self._ratelimit_headers(method, template, major or "")
        for p in problems:  # recorded even if a fault or rate limit answers instead
            self._violate(method, path, p, body)
        for fault in self.faults:
            if fault.wants(method, path, self._rng):
                log.info("injecting %s for %s %s", fault.status, method, path)
                return self._fault_response(fault, bucket_headers)
        if over is not None:
            self.rate_limited_count += 1
            return self._rate_limited(over, bucket_headers, False)
        if problems and self.reject_invalid:
            rejected = self._rejected_callback(handler, params, body, problems)
            if rejected is not None:
                return rejected
            errors = {"_errors": [{"code": "FAKE_DISCORD_CONTRACT", "message": p} for p in problems]}
            return _error(400, 50035, "Invalid Form Body", errors=errors)
        response = await handler(request, body=body, files=files, **params)
        if response.status < 300:
            for k, v in bucket_headers.items():
                response.headers[k] = v
        return response

    def _rejected_callback(
        self, handler: Handler, params: dict[str, str], body: Any, problems: list[str]
    ) -> web.Response | None:
        """For a rejected interaction callback, resolve the waiting invoke() so the test sees it."""
        if handler != self._callback:
            return None
        rec = self._interactions.get(int(params["interaction_id"]))
        if rec is None or rec.result.token != params["token"] or rec.resolved.is_set():
            return None
        res = rec.result
        res.callback = body if isinstance(body, dict) else {"_raw": body}
        res.status = 400
        res.problems = list(problems)
        res.latency = asyncio.get_running_loop().time() - rec.created
        rec.resolve()
        return _error(
            400,
            50035,
            "Invalid Form Body",
            errors={"_errors": [{"code": "FAKE_DISCORD_CONTRACT", "message": p} for p in problems]},
        )

    # ------------------------------------------------------------------ REST handlers: meta

    async def _get_gateway(self, request: web.Request, **_: Any) -> web.Response:
        """GET /gateway."""
        return _json({"url": self.gateway_url})

    async def _get_gateway_bot(self, request: web.Request, **_: Any) -> web.Response:
        """GET /gateway/bot."""
        return _json(
            {
                "url": self.gateway_url,
                "shards": self.shards,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 14400000,
                    "max_concurrency": 1,
                },
            }
        )

    async def _get_me(self, request: web.Request, **_: Any) -> web.Response:
        """GET /users/@me."""
        return _json(self.bot_user)

    async def _get_user(self, request: web.Request, user_id: str, **_: Any) -> web.Response:
        """GET /users/{id}."""
        user = self.users.get(user_id)
        return _json(user) if user else _error(404, 10013, "Unknown User")

    async def _create_dm(self, request: web.Request, body: Any, **_: Any) -> web.Response:
        """POST /users/@me/channels."""
        rid = int((body or {}).get("recipient_id", 0))
        if str(rid) not in self.users:
            return _error(400, 50007, "Cannot send messages to this user")
        return _json(self._channels[self._dm_channel(rid)])

    async def _get_app(self, request: web.Request, **_: Any) -> web.Response:
        """GET /oauth2/applications/@me and /applications/@me."""
        owner = obj.make_user(self.application_id + 5, "app-owner")
        return _json(
            {
                "id": str(self.application_id),
                "name": self.bot_user["username"],
                "icon": None,
                "description": "",
                "summary": "",
                "type": None,
                "bot_public": True,
                "bot_require_code_grant": False,
                "verify_key": "0" * 64,
                "flags": 0,
                "owner": owner,
                "team": None,
                "bot": self.bot_user,
                "redirect_uris": [],
                "interactions_endpoint_url": None,
                "rpc_origins": [],
                "tags": [],
                "approximate_guild_count": len(self.guilds),
                "integration_types_config": {"0": {}},
            }
        )

    # ------------------------------------------------------------------ REST handlers: commands

    def _check_app(self, app_id: str) -> web.Response | None:
        """404 if the path names another application."""
        if int(app_id) != self.application_id:
            return _error(404, 10002, "Unknown Application")
        return None

    def _store_command(
        self, scope: int | None, payload: dict[str, Any], existing: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """Echo a command the way Discord stores it (keeping the id of a same-name command)."""
        kind = payload.get("type") or 1
        prev = next((c for c in existing if c["name"] == payload.get("name") and c.get("type", 1) == kind), None)
        perms = payload.get("default_member_permissions")
        cmd: dict[str, Any] = {
            "id": prev["id"] if prev else str(obj.snowflake()),
            "application_id": str(self.application_id),
            "version": str(obj.snowflake()),
            "type": kind,
            "name": payload.get("name"),
            "name_localizations": payload.get("name_localizations"),
            "description": payload.get("description") or "",
            "description_localizations": payload.get("description_localizations"),
            "default_member_permissions": None if perms is None else str(perms),
            "dm_permission": payload.get("dm_permission", True) if scope is None else True,
            "contexts": payload.get("contexts"),
            "integration_types": payload.get("integration_types") or [0],
            "nsfw": bool(payload.get("nsfw", False)),
        }
        if payload.get("options"):
            cmd["options"] = payload["options"]
        if scope is not None:
            cmd["guild_id"] = str(scope)
        return cmd

    async def _get_commands(
        self, request: web.Request, app_id: str, guild_id: str | None = None, **_: Any
    ) -> web.Response:
        """GET commands (global or guild)."""
        return self._check_app(app_id) or _json(self.commands(int(guild_id) if guild_id else None))

    async def _put_commands(
        self, request: web.Request, body: Any, app_id: str, guild_id: str | None = None, **_: Any
    ) -> web.Response:
        """PUT commands: replace the whole set (global or guild)."""
        bad = self._check_app(app_id)
        if bad:
            return bad
        scope = int(guild_id) if guild_id else None
        if scope is not None and scope not in self.guilds:
            return _error(403, 50001, "Missing Access")
        existing = self._commands.get(scope, [])
        stored = [self._store_command(scope, c, existing) for c in (body or []) if isinstance(c, dict)]
        self._commands[scope] = stored
        self._command_puts += 1
        return _json(stored)

    async def _post_command(
        self, request: web.Request, body: Any, app_id: str, guild_id: str | None = None, **_: Any
    ) -> web.Response:
        """POST one command (upsert by name)."""
        bad = self._check_app(app_id)
        if bad:
            return bad
        scope = int(guild_id) if guild_id else None
        existing = self._commands.setdefault(scope, [])
        cmd = self._store_command(scope, body or {}, existing)
        existing[:] = [c for c in existing if c["id"] != cmd["id"]] + [cmd]
        return _json(cmd, status=201)

    async def _get_command(
        self, request: web.Request, app_id: str, command_id: str, guild_id: str | None = None, **_: Any
    ) -> web.Response:
        """GET one command."""
        for c in self._commands.get(int(guild_id) if guild_id else None, []):
            if c["id"] == command_id:
                return _json(c)
        return _error(404, 10063, "Unknown application command")

    async def _delete_command(
        self, request: web.Request, app_id: str, command_id: str, guild_id: str | None = None, **_: Any
    ) -> web.Response:
        """DELETE one command."""
        scope = int(guild_id) if guild_id else None
        before = self._commands.get(scope, [])
        after = [c for c in before if c["id"] != command_id]
        if len(after) == len(before):
            return _error(404, 10063, "Unknown application command")
        self._commands[scope] = after
        return web.Response(status=204)

    # ------------------------------------------------------------------ REST handlers: guilds & channels

    async def _get_guild(self, request: web.Request, guild_id: str, **_: Any) -> web.Response:
        """GET /guilds/{id}."""
        guild = self.guilds.get(int(guild_id))
        return _json(guild.rest_payload()) if guild else _error(404, 10004, "Unknown Guild")

    async def _get_guild_channels(self, request: web.Request, guild_id: str, **_: Any) -> web.Response:
        """GET /guilds/{id}/channels."""
        guild = self.guilds.get(int(guild_id))
        return _json(list(guild.channels.values())) if guild else _error(404, 10004, "Unknown Guild")

    async def _get_guild_roles(self, request: web.Request, guild_id: str, **_: Any) -> web.Response:
        """GET /guilds/{id}/roles."""
        guild = self.guilds.get(int(guild_id))
        return _json(list(guild.roles.values())) if guild else _error(404, 10004, "Unknown Guild")

    async def _get_member(self, request: web.Request, guild_id: str, user_id: str, **_: Any) -> web.Response:
        """GET /guilds/{id}/members/{user}."""
        guild = self.guilds.get(int(guild_id))
        if guild is None:
            return _error(404, 10004, "Unknown Guild")
        member = guild.members.get(user_id)
        return _json(member) if member else _error(404, 10007, "Unknown Member")

    def _channel_or_error(self, channel_id: str, *, posting: bool = False) -> dict[str, Any] | web.Response:
        """The channel, or the error Discord gives for it (incl. set_channel_status and permissions)."""
        cid = int(channel_id)
        status = self._channel_status.get(cid)
        if status == 404 or cid not in self._channels:
            return _error(404, 10003, "Unknown Channel")
        channel = self._channels[cid]
        gid = channel.get("guild_id")
        if gid is not None:
            guild = self.guilds[int(gid)]
            perms = guild.member_permissions(guild.members[self.bot_user["id"]], channel)
            if not perms & obj.VIEW_CHANNEL:
                return _error(403, 50001, "Missing Access")
            if posting and not perms & obj.SEND_MESSAGES:
                return _error(403, 50013, "Missing Permissions")
        if status == 403 and posting:
            return _error(403, 50013, "Missing Permissions")
        return channel

    async def _get_channel(self, request: web.Request, channel_id: str, **_: Any) -> web.Response:
        """GET /channels/{id}."""
        ch = self._channel_or_error(channel_id)
        return ch if isinstance(ch, web.Response) else _json(ch)

    async def _typing(self, request: web.Request, channel_id: str, **_: Any) -> web.Response:
        """POST /channels/{id}/typing."""
        ch = self._channel_or_error(channel_id, posting=True)
        return ch if isinstance(ch, web.Response) else web.Response(status=204)

    # ------------------------------------------------------------------ REST handlers: messages

    def _store_message(self, msg: dict[str, Any]) -> dict[str, Any]:
        """Keep a new message and index it by channel."""
        mid, cid = int(msg["id"]), int(msg["channel_id"])
        self._messages[mid] = msg
        self._channel_messages.setdefault(cid, []).append(mid)
        ch = self._channels.get(cid)
        if ch is not None:
            ch["last_message_id"] = msg["id"]
        return msg

    def _attachments_for(self, files: list[tuple[str, bytes]], body: Any) -> list[dict[str, Any]]:
        """Attachment objects for uploaded files (descriptions from the body's attachments list)."""
        meta = {}
        if isinstance(body, dict):
            for a in body.get("attachments") or []:
                if isinstance(a, dict) and "id" in a:
                    meta[str(a["id"])] = a
        out = []
        for index, (filename, blob) in enumerate(files):
            att_id = obj.snowflake()
            self._attachments[att_id] = blob
            m = meta.get(str(index), {})
            out.append(
                obj.make_attachment(
                    att_id,
                    m.get("filename") or filename,
                    blob,
                    self.base_url,
                    description=m.get("description"),
                )
            )
        return out

    @staticmethod
    def _is_empty(body: Any, files: list[tuple[str, bytes]]) -> bool:
        """Whether a new message would have nothing in it (Discord error 50006)."""
        if files:
            return False
        if not isinstance(body, dict):
            return True
        return not any(body.get(k) for k in ("content", "embeds", "components", "sticker_ids", "poll", "attachments"))

    async def _post_message(
        self, request: web.Request, body: Any, files: list[tuple[str, bytes]], channel_id: str, **_: Any
    ) -> web.Response:
        """POST /channels/{id}/messages, honouring nonce + enforce_nonce."""
        ch = self._channel_or_error(channel_id, posting=True)
        if isinstance(ch, web.Response):
            return ch
        body = body if isinstance(body, dict) else {}
        if self._is_empty(body, files):
            self._violate("POST", f"/channels/{channel_id}/messages", "empty message (Discord error 50006)", body)
            return _error(400, 50006, "Cannot send an empty message")
        cid = int(channel_id)
        nonce = body.get("nonce")
        now = time.monotonic() + self.time_offset
        if nonce is not None and body.get("enforce_nonce"):
            seen = self._nonces.get((cid, str(nonce)))
            if seen and now - seen[1] <= self.nonce_window and seen[0] in self._messages:
                self.nonce_dedup_count += 1
                return _json(self._messages[seen[0]])
        msg = obj.make_message(cid, self.bot_user, body, self._attachments_for(files, body))
        if nonce is not None:
            msg["nonce"] = nonce
            self._nonces[(cid, str(nonce))] = (int(msg["id"]), now)
        if isinstance(body.get("message_reference"), dict):
            msg["type"] = 19
            msg["message_reference"] = body["message_reference"]
        self._store_message(msg)
        hold = self._held_posts.get(cid)
        if hold is not None:
            await hold.hold()
        return _json(msg)

    def hold_posts(self, channel_id: int) -> PostHold:
        """Hold the answers to message POSTs in a channel, each after its message is created, until the hold's
        release(): a bot killed meanwhile never learns that its message went out."""
        hold = PostHold(self, channel_id)
        self._held_posts[channel_id] = hold
        return hold

    def advance_time(self, seconds: float) -> None:
        """Let simulated time pass for the nonce window (a nonce older than `nonce_window` is forgotten)."""
        self.time_offset += seconds

    async def _list_messages(self, request: web.Request, channel_id: str, **_: Any) -> web.Response:
        """GET /channels/{id}/messages (newest first, limit/before/after)."""
        ch = self._channel_or_error(channel_id)
        if isinstance(ch, web.Response):
            return ch
        q = request.query
        if sum(k in q for k in ("around", "before", "after")) > 1:
            self._violate("GET", f"/channels/{channel_id}/messages", "around, before and after are exclusive")
            return _error(400, 50035, "Invalid Form Body")
        # Discord returns a message's nonce only when it is created (POST answer, MESSAGE_CREATE), never here.
        msgs = [
            {k: v for k, v in m.items() if k != "nonce"}
            for m in self.messages(int(channel_id))
            if not m.get("flags", 0) & obj.EPHEMERAL
        ]
        if "before" in q:
            msgs = [m for m in msgs if int(m["id"]) < int(q["before"])]
        if "after" in q:
            msgs = [m for m in msgs if int(m["id"]) > int(q["after"])]
        limit = min(int(q.get("limit", 50)), 100)
        return _json(list(reversed(msgs))[:limit])

    def _channel_message(self, channel_id: str, message_id: str) -> dict[str, Any] | web.Response:
        """A message in a channel, or Discord's error."""
        ch = self._channel_or_error(channel_id)
        if isinstance(ch, web.Response):
            return ch
        msg = self._messages.get(int(message_id))
        if msg is None or msg["channel_id"] != channel_id or msg.get("flags", 0) & obj.EPHEMERAL:
            return _error(404, 10008, "Unknown Message")
        return msg

    async def _get_message(self, request: web.Request, channel_id: str, message_id: str, **_: Any) -> web.Response:
        """GET /channels/{id}/messages/{id}."""
        msg = self._channel_message(channel_id, message_id)
        return msg if isinstance(msg, web.Response) else _json(msg)

    async def _patch_message(
        self,
        request: web.Request,
        body: Any,
        files: list[tuple[str, bytes]],
        channel_id: str,
        message_id: str,
        **_: Any,
    ) -> web.Response:
        """PATCH /channels/{id}/messages/{id} (only the bot's own messages)."""
        msg = self._channel_message(channel_id, message_id)
        if isinstance(msg, web.Response):
            return msg
        if msg["author"]["id"] != self.bot_user["id"]:
            return _error(403, 50005, "Cannot edit a message authored by another user")
        obj.apply_edit(msg, body if isinstance(body, dict) else {}, self._attachments_for(files, body))
        return _json(msg)

    async def _delete_message(self, request: web.Request, channel_id: str, message_id: str, **_: Any) -> web.Response:
        """DELETE /channels/{id}/messages/{id}."""
        msg = self._channel_message(channel_id, message_id)
        if isinstance(msg, web.Response):
            return msg
        self._messages.pop(int(message_id), None)
        return web.Response(status=204)

    # ------------------------------------------------------------------ REST handlers: interactions

    def _interaction_message(
        self,
        rec: _Interaction,
        data: dict[str, Any],
        files: list[tuple[str, bytes]],
        *,
        followup: bool = False,
    ) -> dict[str, Any]:
        """A message created by an interaction response or follow-up."""
        payload = rec.result.interaction
        meta = {
            "id": payload["id"],
            "type": payload["type"],
            "user": rec.user,
            "authorizing_integration_owners": payload.get("authorizing_integration_owners", {}),
        }
        if followup and rec.original_id is not None:
            meta["original_response_message_id"] = str(rec.original_id)
        if payload["type"] == 2:
            meta["name"] = payload["data"].get("name")
        msg = obj.make_message(
            rec.channel_id,
            self.bot_user,
            data,
            self._attachments_for(files, data),
            webhook_id=str(self.application_id),
            application_id=str(self.application_id),
            interaction_metadata=meta,
        )
        msg["type"] = 20 if payload["type"] == 2 and not followup else 0
        return msg

    async def _callback(
        self,
        request: web.Request,
        body: Any,
        files: list[tuple[str, bytes]],
        interaction_id: str,
        token: str,
        **_: Any,
    ) -> web.Response:
        """POST /interactions/{id}/{token}/callback."""
        path = f"/interactions/{interaction_id}/<token>/callback"
        rec = self._interactions.get(int(interaction_id))
        if rec is None or rec.result.token != token:
            self._violate("POST", path, "callback for an unknown interaction id/token", body)
            return _error(404, 10062, "Unknown interaction")
        res = rec.result
        loop = asyncio.get_running_loop()
        elapsed = loop.time() - rec.created
        if rec.acked_type is not None:
            self._violate("POST", path, "interaction already acknowledged (second callback)", body)
            return _error(400, 40060, "Interaction has already been acknowledged.")
        body = body if isinstance(body, dict) else {}
        ctype = body.get("type")

        def finish(status: int, problem: str | None = None) -> None:
            """Resolve the waiting invoke()."""
            res.callback = body
            res.status = status
            res.latency = elapsed
            res.files.extend(files)
            if problem:
                res.problems.append(problem)
            rec.resolve()

        if self.interaction_deadline is not None and elapsed > self.interaction_deadline:
            limit = self.interaction_deadline
            problem = f"callback {elapsed:.2f}s after dispatch, past Discord's {limit}s deadline"
            self._violate("POST", path, problem, body)
            finish(404, problem)
            return _error(404, 10062, "Unknown interaction")
        allowed = {2: {4, 5, 9}, 3: {4, 5, 6, 7, 9}, 4: {8}, 5: {4, 5, 6, 7}}.get(rec.kind, {4, 5})
        if ctype not in allowed:
            problem = (
                f"callback type {ctype} is not valid for an interaction of type {rec.kind} (allowed {sorted(allowed)})"
            )
            self._violate("POST", path, problem, body)
            finish(400, problem)
            return _error(
                400,
                50035,
                "Invalid Form Body",
                errors={"type": {"_errors": [{"code": "INTERACTION_RESPONSE_TYPE_INVALID", "message": problem}]}},
            )
        rec.acked_type = ctype
        data = body.get("data") or {}
        interaction_info: dict[str, Any] = {"id": interaction_id, "type": rec.kind}
        resource: dict[str, Any] | None = None
        message: dict[str, Any] | None = None
        if ctype == 4:
            message = self._store_message(self._interaction_message(rec, data, files))
            rec.original_id = int(message["id"])
            interaction_info.update(
                response_message_id=message["id"],
                response_message_loading=False,
                response_message_ephemeral=bool(message["flags"] & obj.EPHEMERAL),
            )
            resource = {"type": 4, "message": message}
        elif ctype == 5:
            placeholder = self._interaction_message(rec, {"flags": (data.get("flags") or 0)}, [])
            placeholder["flags"] |= obj.LOADING
            self._store_message(placeholder)
            rec.original_id = int(placeholder["id"])
            rec.loading = True
            rec.first_followup_pending = True
            interaction_info.update(
                response_message_id=placeholder["id"],
                response_message_loading=True,
                response_message_ephemeral=bool(placeholder["flags"] & obj.EPHEMERAL),
            )
        elif ctype in (6, 7):
            target = res.interaction.get("message") or {}
            stored = self._messages.get(int(target.get("id", 0)))
            if stored is not None:
                rec.original_id = int(stored["id"])
                if ctype == 7:
                    obj.apply_edit(stored, data, self._attachments_for(files, data))
                    message = stored
                    resource = {"type": 7, "message": stored}
                interaction_info.update(response_message_id=stored["id"])
        res.message = _json_copy(message) if message is not None else None
        finish(200 if request.query.get("with_response") in ("1", "true", "True") else 204)
        if res.status == 204:
            return web.Response(status=204)
        out: dict[str, Any] = {"interaction": interaction_info}
        if resource is not None:
            out["resource"] = resource
        return _json(out)

    def _webhook_interaction(self, method: str, app_id: str, token: str, body: Any) -> _Interaction | web.Response:
        """The interaction a webhook token belongs to, or Discord's Unknown Webhook."""
        rec = self._tokens.get(token)
        path = f"/webhooks/{app_id}/<token>"
        if rec is None or int(app_id) != self.application_id:
            self._violate(method, path, "webhook call with an unknown application id or interaction token", body)
            return _error(404, 10015, "Unknown Webhook")
        if asyncio.get_running_loop().time() - rec.created > 15 * 60:
            self._violate(method, path, "interaction token used after its 15 minutes", body)
            return _error(401, 50027, "Invalid Webhook Token")
        if rec.acked_type is None:
            self._violate(method, path, "follow-up or edit before the interaction was acknowledged", body)
            return _error(404, 10015, "Unknown Webhook")
        return rec

    def _followup_event(
        self, rec: _Interaction, kind: str, msg: dict[str, Any], files: list[tuple[str, bytes]]
    ) -> None:
        """Record a follow-up or edit on the result and wake waiters."""
        snapshot = _json_copy(msg)
        rec.result.followups.append(snapshot)
        rec.result.followup_log.append((kind, snapshot))
        rec.result.files.extend(files)
        self._notify()

    async def _post_followup(
        self,
        request: web.Request,
        body: Any,
        files: list[tuple[str, bytes]],
        app_id: str,
        token: str,
        **_: Any,
    ) -> web.Response:
        """POST /webhooks/{app}/{token}: a follow-up (the first after a defer fills the loading message)."""
        rec = self._webhook_interaction("POST", app_id, token, body)
        if isinstance(rec, web.Response):
            return rec
        data = body if isinstance(body, dict) else {}
        if self._is_empty(data, files):
            self._violate("POST", f"/webhooks/{app_id}/<token>", "empty follow-up (Discord error 50006)", data)
            return _error(400, 50006, "Cannot send an empty message")
        if rec.first_followup_pending and rec.original_id in self._messages:
            rec.first_followup_pending = False
            rec.loading = False
            msg = self._messages[rec.original_id]
            obj.apply_edit(msg, data, self._attachments_for(files, data))
            msg["edited_timestamp"] = None
        else:
            msg = self._store_message(self._interaction_message(rec, data, files, followup=True))
        self._followup_event(rec, "POST", msg, files)
        if request.query.get("wait") in ("1", "true", "True"):
            return _json(msg)
        return web.Response(status=204)

    def _webhook_target(self, rec: _Interaction, message_id: str) -> dict[str, Any] | None:
        """The message a webhook message route points at (@original or a follow-up of this interaction)."""
        if message_id == "@original":
            return self._messages.get(rec.original_id) if rec.original_id is not None else None
        msg = self._messages.get(int(message_id))
        if msg is None:
            return None
        meta = msg.get("interaction_metadata") or {}
        if meta.get("id") == str(rec.result.id) or int(message_id) == rec.original_id:
            return msg
        return None

    async def _get_webhook_message(
        self, request: web.Request, body: Any, app_id: str, token: str, message_id: str, **_: Any
    ) -> web.Response:
        """GET /webhooks/{app}/{token}/messages/{id|@original}."""
        rec = self._webhook_interaction("GET", app_id, token, body)
        if isinstance(rec, web.Response):
            return rec
        msg = self._webhook_target(rec, message_id)
        return _json(msg) if msg else _error(404, 10008, "Unknown Message")

    async def _patch_webhook_message(
        self,
        request: web.Request,
        body: Any,
        files: list[tuple[str, bytes]],
        app_id: str,
        token: str,
        message_id: str,
        **_: Any,
    ) -> web.Response:
        """PATCH /webhooks/{app}/{token}/messages/{id|@original} (edits of @original count as follow-ups)."""
        rec = self._webhook_interaction("PATCH", app_id, token, body)
        if isinstance(rec, web.Response):
            return rec
        msg = self._webhook_target(rec, message_id)
        if msg is None:
            return _error(404, 10008, "Unknown Message")
        obj.apply_edit(msg, body if isinstance(body, dict) else {}, self._attachments_for(files, body))
        if message_id == "@original":
            rec.loading = False
            rec.first_followup_pending = False
        self._followup_event(rec, "PATCH", msg, files)
        return _json(msg)

    async def _delete_webhook_message(
        self, request: web.Request, body: Any, app_id: str, token: str, message_id: str, **_: Any
    ) -> web.Response:
        """DELETE /webhooks/{app}/{token}/messages/{id|@original}."""
        rec = self._webhook_interaction("DELETE", app_id, token, body)
        if isinstance(rec, web.Response):
            return rec
        msg = self._webhook_target(rec, message_id)
        if msg is None:
            return _error(404, 10008, "Unknown Message")
        self._messages.pop(int(msg["id"]), None)
        return web.Response(status=204)
