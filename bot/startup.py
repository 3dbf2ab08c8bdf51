"""Before the bot connects: is Discord reachable, and does it take our token? One-line causes, never a traceback.

A refused token (401) is final: retrying cannot help, so the program stops with exit code 1. An unreachable
Discord, a DNS failure, a timeout or a 5xx may be a blip: a few retries with jittered backoff (bot.backoff), then
exit code 1 with the cause, for the supervisor (systemd, Docker) to restart the bot later.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Awaitable, Callable

import aiohttp
import yarl

from bot import backoff
from bot.errors import DiscordUnavailable, TokenRefused

log = logging.getLogger(__name__)

LOGIN_ATTEMPTS = 4  # waits of at most 1, 2 and 4 s in between: a blip, not an outage
LOGIN_TIMEOUT_SECONDS = 10.0
USER_AGENT = "DiscordBot (https://github.com/sanctionsbot, 1) sanctionsbot"


class _Retryable(Exception):
    """A failure worth another try, with its cause in words."""


def describe(exc: BaseException, host: str) -> str:
    """A connection failure's cause in one line, naming the host (never a URL with credentials)."""
    if isinstance(exc, aiohttp.ClientConnectorDNSError) or isinstance(getattr(exc, "os_error", None), socket.gaierror):
        return f"cannot resolve {host} (DNS failure)"
    if isinstance(exc, aiohttp.ClientConnectorError):
        reason = exc.os_error.strerror or type(exc.os_error).__name__
        return f"cannot connect to {host}: {reason.lower()}"
    if isinstance(exc, TimeoutError | asyncio.TimeoutError):
        return f"{host} did not answer within {LOGIN_TIMEOUT_SECONDS:.0f} s"
    return f"cannot reach {host}: {type(exc).__name__}"


async def check_login(
    session: aiohttp.ClientSession,
    api_base: str,
    token: str,
    *,
    attempts: int = LOGIN_ATTEMPTS,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
) -> None:
    """GET /users/@me with the token: return if Discord takes it; raise TokenRefused or DiscordUnavailable."""
    url = yarl.URL(api_base.rstrip("/") + "/users/@me")
    host = url.host or "Discord"
    headers = {"Authorization": f"Bot {token}", "User-Agent": USER_AGENT}
    for attempt in range(1, attempts + 1):
        try:
            await _try_login(session, url, headers, host)
            return
        except _Retryable as exc:
            cause = str(exc)
        if attempt == attempts:
            raise DiscordUnavailable(f"cannot log in to Discord: {cause} (gave up after {attempts} attempts)")
        wait = backoff.delay(attempt, 1.0, 8.0)
        log.warning("discord login failed cause=%s attempt=%d retry_in_s=%.1f", cause, attempt, wait)
        await sleep(wait)


async def _try_login(session: aiohttp.ClientSession, url: yarl.URL, headers: dict[str, str], host: str) -> None:
    timeout = aiohttp.ClientTimeout(total=LOGIN_TIMEOUT_SECONDS)
    try:
        async with session.get(url, headers=headers, timeout=timeout, allow_redirects=False) as response:
            status = response.status
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        raise _Retryable(describe(exc, host)) from None
    if status == 401:
        raise TokenRefused()
    if status >= 500 or status == 429:
        raise _Retryable(f"{host} answered HTTP {status}")
    if status >= 300:
        raise DiscordUnavailable(f"cannot log in to Discord: {host} answered HTTP {status} to GET /users/@me")


def one_line_failure(exc: BaseException) -> BaseException:
    """The error to end the program with when the client stops with `exc`: a domain error for what we can name
    (the token refused, Discord unreachable after login), else `exc` itself (a bug: its traceback is wanted)."""
    import discord  # only `run` gets here, and it has loaded discord.py already

    if isinstance(exc, discord.LoginFailure):
        return TokenRefused()
    if isinstance(exc, aiohttp.ClientError | OSError | TimeoutError):
        return DiscordUnavailable(f"lost Discord: {describe(exc, 'Discord')}")
    return exc
