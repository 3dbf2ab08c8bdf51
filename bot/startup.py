"""Before the bot connects: is Discord reachable, and does it take our token? One-line causes, never a traceback.

A refused token (401) is final: retrying cannot help, so the program stops with exit code 1. An unreachable
Discord, a DNS failure, a timeout or a 5xx may be a blip: a few retries with jittered backoff (bot.backoff), then
exit code 1 with the cause, for the supervisor (systemd, Docker) to restart the bot later.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
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
) -> float:
    """GET /users/@me with the token; raise TokenRefused or DiscordUnavailable. Returns how many seconds this
    host's clock is ahead of Discord's (from the answer's Date header; 0 without one), so the age of an
    interaction is not misjudged on a host whose clock is off."""
    url = yarl.URL(api_base.rstrip("/") + "/users/@me")
    host = url.host or "Discord"
    headers = {"Authorization": f"Bot {token}", "User-Agent": USER_AGENT}
    for attempt in range(1, attempts + 1):
        try:
            return await _try_login(session, url, headers, host)
        except _Retryable as exc:
            cause = str(exc)
        if attempt == attempts:
            raise DiscordUnavailable(f"cannot log in to Discord: {cause} (gave up after {attempts} attempts)")
        wait = backoff.delay(attempt, 1.0, 8.0)
        log.warning("discord login failed cause=%s attempt=%d retry_in_s=%.1f", cause, attempt, wait)
        await sleep(wait)
    raise DiscordUnavailable("cannot log in to Discord: no attempt was made")  # attempts < 1


async def _try_login(session: aiohttp.ClientSession, url: yarl.URL, headers: dict[str, str], host: str) -> float:
    timeout = aiohttp.ClientTimeout(total=LOGIN_TIMEOUT_SECONDS)
    try:
        async with session.get(url, headers=headers, timeout=timeout, allow_redirects=False) as response:
            status = response.status
            offset = clock_offset(response.headers.get("Date"), dt.datetime.now(dt.UTC))
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        raise _Retryable(describe(exc, host)) from None
    if status == 401:
        raise TokenRefused()
    if status >= 500 or status == 429:
        raise _Retryable(f"{host} answered HTTP {status}")
    if status >= 300:
        raise DiscordUnavailable(f"cannot log in to Discord: {host} answered HTTP {status} to GET /users/@me")
    if abs(offset) >= 2:
        log.warning("this host's clock differs from Discord's offset_s=%.0f (interaction ages are corrected)", offset)
    return offset


def clock_offset(date_header: str | None, now: dt.datetime) -> float:
    """Seconds `now` is ahead of an HTTP Date header (whole seconds: ±1 s); 0 without a usable header."""
    if not date_header:
        return 0.0
    try:
        server = email.utils.parsedate_to_datetime(date_header)
    except (TypeError, ValueError):
        return 0.0
    if server.tzinfo is None:
        return 0.0
    return (now - server).total_seconds()


def one_line_failure(exc: BaseException) -> BaseException:
    """The error to end the program with when the client stops with `exc`: a domain error for what we can name
    (the token refused, Discord unreachable after login), else `exc` itself (a bug: its traceback is wanted)."""
    import discord  # only `run` gets here, and it has loaded discord.py already

    if isinstance(exc, discord.LoginFailure):
        return TokenRefused()
    if isinstance(exc, aiohttp.ClientError | OSError | TimeoutError):
        return DiscordUnavailable(f"lost Discord: {describe(exc, 'Discord')}")
    return exc
