"""Run a real discord.py client against a FakeDiscord for the length of an `async with`."""

# The public API takes `timeout=` arguments by design (the brief's signatures), so ASYNC109 is off here.

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from .server import FakeDiscord, FakeDiscordError

log = logging.getLogger(__name__)
T = TypeVar("T")


class BotCrashed(FakeDiscordError):
    """The bot's task ended (raised) while the harness was waiting on it or running it."""


class _Collector(logging.Handler):
    """Collects ERROR records from discord.py's loggers (e.g. 'Ignoring exception in command')."""

    def __init__(self) -> None:
        """Start empty."""
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Keep the record."""
        self.records.append(record)


@dataclass
class BotRun:
    """A running bot: the client, its task, the fake, and the errors discord.py logged meanwhile."""

    bot: discord.Client
    fake: FakeDiscord
    task: asyncio.Task[None]
    log_errors: list[logging.LogRecord] = field(default_factory=list)

    def error_messages(self) -> list[str]:
        """The logged errors as text (with exception type where there is one)."""
        out = []
        for r in self.log_errors:
            exc = f" [{r.exc_info[1]!r}]" if r.exc_info and r.exc_info[1] else ""
            out.append(f"{r.name}: {r.getMessage()}{exc}")
        return out


async def _or_crash(coro: Awaitable[T], task: asyncio.Task[Any], what: str) -> T:
    """Await coro unless the bot task ends first (then raise BotCrashed with its exception)."""
    waiter = asyncio.ensure_future(coro)
    done, _ = await asyncio.wait({waiter, task}, return_when=asyncio.FIRST_COMPLETED)
    if waiter in done:
        return waiter.result()
    waiter.cancel()
    with contextlib.suppress(BaseException):
        await waiter
    exc = task.exception() if not task.cancelled() else None
    raise BotCrashed(f"the bot task ended while waiting for {what}: {exc!r}") from exc


@contextlib.asynccontextmanager
async def running_bot(
    fake: FakeDiscord,
    bot: discord.Client,
    token: str = "dummy",
    *,
    timeout: float = 10.0,
    wait_commands: bool = True,
    wait_bot_ready: bool = True,
) -> AsyncIterator[BotRun]:
    """Point discord.py at the fake, start the bot, wait for READY (+ sync); close and restore on exit."""
    old_base, old_gateway = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    Route.BASE = fake.api_base
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
    collector = _Collector()
    discord_log = logging.getLogger("discord")
    discord_log.addHandler(collector)
    ready_before, puts_before = fake.ready_sessions, fake.command_puts
    task: asyncio.Task[None] = asyncio.create_task(bot.start(token), name="bot-under-test")
    run = BotRun(bot, fake, task, collector.records)
    try:
        await _or_crash(fake.wait_for_ready(timeout, sessions=ready_before + 1), task, "gateway READY")
        if wait_commands:
            await _or_crash(fake.wait_for_commands(timeout, puts=puts_before + 1), task, "application command sync")
        if wait_bot_ready:
            await _or_crash(asyncio.wait_for(bot.wait_until_ready(), timeout), task, "the bot's on_ready")
        yield run
    finally:
        try:
            await asyncio.wait_for(bot.close(), timeout)
        except (TimeoutError, Exception):
            log.exception("closing the bot failed")
        if not task.done():
            try:
                await asyncio.wait_for(asyncio.shield(task), 2.0)
            except (TimeoutError, Exception):
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = old_base, old_gateway
        discord_log.removeHandler(collector)
    if task.done() and not task.cancelled() and task.exception() is not None:
        raise BotCrashed(f"the bot task crashed: {task.exception()!r}") from task.exception()
