"""HTTP downloads for the list sync and the feeds: timeouts, conditional GET, retries, a size cap."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiohttp

from bot import __version__
from bot.errors import FetchFailed, ListTooLarge, SanctionsBotError
from bot.redact import redact_url

log = logging.getLogger(__name__)

USER_AGENT = f"sanctionsbot/{__version__} (Discord bot on UN Security Council sanctions; python-aiohttp)"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class FetchResult:
    """One HTTP answer: 200 with a body, or 304 (not modified) without one."""

    url: str
    status: int
    body: bytes
    etag: str | None
    last_modified: str | None
    content_type: str

    @property
    def not_modified(self) -> bool:
        """True for a 304 answer to a conditional GET."""
        return self.status == 304


async def fetch(
    session: aiohttp.ClientSession,
    url: str,
    *,
    max_bytes: int,
    etag: str | None = None,
    last_modified: str | None = None,
    timeout: aiohttp.ClientTimeout | None = None,
    attempts: int = 3,
    backoff: float = 1.0,
    max_redirects: int = 5,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    too_large: type[Exception] = ListTooLarge,
) -> FetchResult:
    """GET a URL; retry 5xx/429/timeouts/connection errors with backoff; raise FetchFailed with a clear reason.

    Messages and logs name the URL with its credentials and keys masked (bot/redact.py)."""
    shown = redact_url(url)
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    timeout = timeout or aiohttp.ClientTimeout(total=120, sock_connect=15, sock_read=30)
    reason = "no attempt made"
    for attempt in range(1, attempts + 1):
        try:
            return await _get_once(session, url, headers, max_bytes, timeout, max_redirects, too_large)
        except _Retryable as exc:
            reason = str(exc)
        except TimeoutError:
            reason = f"timed out (limit {timeout.total or timeout.sock_read} s)"
        except aiohttp.TooManyRedirects:
            raise FetchFailed(f"{shown}: too many redirects (more than {max_redirects})") from None
        except aiohttp.InvalidURL:
            raise FetchFailed(f"{shown}: not a valid URL") from None
        except aiohttp.ClientConnectionError as exc:
            reason = f"connection failed ({exc.__class__.__name__})"
        except aiohttp.ClientPayloadError:
            reason = "the body was cut off (incomplete download)"
        except aiohttp.ClientError as exc:
            reason = f"HTTP client error ({exc.__class__.__name__})"
        except SanctionsBotError:
            raise
        except Exception as exc:  # e.g. a host name no IDNA codec takes: a failure to report, not a crash
            raise FetchFailed(f"{shown}: could not be fetched ({exc.__class__.__name__})") from None
        log.warning("fetch failed url=%s attempt=%d/%d reason=%s", shown, attempt, attempts, reason)
        if attempt < attempts:
            await sleep(backoff * 2 ** (attempt - 1))
    raise FetchFailed(f"{shown}: {reason}")


class _Retryable(Exception):
    pass


async def _get_once(
    session: aiohttp.ClientSession,
    url: str,
    headers: dict[str, str],
    max_bytes: int,
    timeout: aiohttp.ClientTimeout,
    max_redirects: int,
    too_large: type[Exception],
) -> FetchResult:
    async with session.get(url, headers=headers, timeout=timeout, max_redirects=max_redirects) as resp:
        if resp.status in RETRY_STATUSES:
            raise _Retryable(f"HTTP {resp.status} {resp.reason or ''}".strip())
        if resp.status == 304:
            return FetchResult(str(resp.url), 304, b"", resp.headers.get("ETag"), resp.headers.get("Last-Modified"), "")
        if resp.status != 200:
            raise FetchFailed(f"{redact_url(url)}: HTTP {resp.status} {resp.reason or ''}".strip())
        declared = resp.content_length
        if declared is not None and declared > max_bytes:
            raise too_large(
                f"refused: {redact_url(url)} is {declared / 1e6:.1f} MB, over the {max_bytes // 2**20} MB cap"
            )
        chunks: list[bytes] = []
        size = 0
        async for chunk in resp.content.iter_chunked(65536):
            size += len(chunk)
            if size > max_bytes:
                raise too_large(f"refused: {redact_url(url)} is over the {max_bytes // 2**20} MB cap")
            chunks.append(chunk)
        return FetchResult(
            url=str(resp.url),
            status=200,
            body=b"".join(chunks),
            etag=resp.headers.get("ETag"),
            last_modified=resp.headers.get("Last-Modified"),
            content_type=resp.headers.get("Content-Type", ""),
        )
