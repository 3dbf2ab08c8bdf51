"""Posting messages to a channel behind a small interface, so the scheduler runs without Discord in tests.

`DiscordDeliverer` posts through discord.py's HTTP client with a nonce and `enforce_nonce`: Discord answers a
repeated nonce from the same author (within a few minutes) with the message it already created instead of
posting a second one.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

import aiohttp
import discord
from discord.http import handle_message_parameters

from bot.errors import DeliveryUnavailable
from bot.models_outbox import NONCE_LENGTH, OutgoingMessage, make_nonce

__all__ = [
    "NONCE_LENGTH",
    "ChannelUnavailable",
    "Deliverer",
    "DeliveryError",
    "DiscordDeliverer",
    "OutgoingMessage",
    "RejectedMessage",
    "TransientDeliveryError",
    "make_nonce",
]

log = logging.getLogger(__name__)


class DeliveryError(Exception):
    """A message could not be posted."""

    def __init__(self, reason: str, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


class ChannelUnavailable(DeliveryError):
    """403/404: the channel is gone or the bot may not post there. The subscription is paused."""


class TransientDeliveryError(DeliveryError):
    """5xx, rate limits that outlasted the client, timeouts, dropped connections: worth retrying later."""


class RejectedMessage(DeliveryError):
    """Any other 4xx: Discord refused the message itself; retrying the same message cannot help."""


class Deliverer(Protocol):
    """Posts one message to a channel; repeated nonces must not post twice (Discord's enforce_nonce)."""

    async def send(self, channel_id: int, message: OutgoingMessage, nonce: str) -> int:
        """Post the message and return its id; raise a DeliveryError subclass when it cannot be posted."""
        ...

    async def own_recent(self, channel_id: int, limit: int) -> list[dict[str, Any]]:
        """The bot's own messages among a channel's `limit` latest (newest first), as Discord returns them."""
        ...


_PERMISSION_CODES = {
    50001: "the bot cannot see the channel (Missing Access)",
    50013: "the bot lacks permission to post there (it needs View Channel, Send Messages and Embed Links)",
}


class DiscordDeliverer:
    """Posts with a discord.py client's HTTP layer (POST /channels/{id}/messages), nonce + enforce_nonce."""

    def __init__(self, client: discord.Client) -> None:
        self._client = client
        amortize_bucket_sweep(client.http)

    def _check_connected(self) -> None:
        if self._client.http.token is None or self._client.is_closed():
            raise DeliveryUnavailable("The bot is not connected to Discord, so nothing can be posted from here.")

    async def send(self, channel_id: int, message: OutgoingMessage, nonce: str) -> int:
        """Post one message with no mentions allowed; map Discord's answers onto DeliveryError kinds."""
        self._check_connected()
        params = handle_message_parameters(
            content=message.content,
            embeds=[discord.Embed.from_dict(e) for e in message.embeds],
            nonce=nonce,  # discord.py adds enforce_nonce=True whenever a nonce is given
            allowed_mentions=message.allowed_mentions(),
        )
        with _as_delivery_errors(), params:
            data = await self._client.http.send_message(channel_id, params=params)
        return int(data["id"])

    async def own_recent(self, channel_id: int, limit: int) -> list[dict[str, Any]]:
        """GET /channels/{id}/messages: the bot's own among the latest `limit` (needs Read Message History)."""
        self._check_connected()
        me = self._client.user.id if self._client.user else None
        with _as_delivery_errors(reading=True):
            data = await self._client.http.logs_from(channel_id, max(1, min(limit, 100)))
        messages: list[dict[str, Any]] = [dict(m) for m in data]
        return [m for m in messages if me is not None and str((m.get("author") or {}).get("id")) == str(me)]


BUCKET_SWEEP_FLOOR = 256  # discord.py's own threshold


def amortize_bucket_sweep(http: Any) -> None:
    """Make discord.py's sweep of idle rate-limit buckets amortised linear instead of quadratic.

    discord.py keeps a bucket per channel route and, once it holds 256, scans every bucket for idle ones each
    time it makes a new one: a digest burst to 10,000 channels costs ~50 million checks (minutes of CPU).
    Here the same sweep runs only when the number of buckets has doubled since the last one, so memory stays
    within twice the live buckets and the work per new bucket is constant. Left alone if discord.py changed.
    """
    sweep = getattr(http, "_try_clear_expired_ratelimits", None)
    if sweep is None or not isinstance(getattr(http, "_buckets", None), dict):
        return
    threshold = BUCKET_SWEEP_FLOOR

    def amortized() -> None:
        nonlocal threshold
        if len(http._buckets) < threshold:
            return
        sweep()
        threshold = max(BUCKET_SWEEP_FLOOR, 2 * len(http._buckets))

    http._try_clear_expired_ratelimits = amortized


class _as_delivery_errors:
    """Maps discord.py's exceptions onto the DeliveryError kinds (403/404 pause, 5xx/429/network retry)."""

    def __init__(self, *, reading: bool = False) -> None:
        self._reading = reading

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, _tb: object) -> None:
        if exc is None:
            return
        if isinstance(exc, discord.Forbidden):
            default = f"Discord refused: {exc.text or 'Forbidden'}"
            reason = _PERMISSION_CODES.get(exc.code, default)
            if self._reading and exc.code == 50013:
                reason = "the bot lacks Read Message History there, needed to check a message in doubt"
            raise ChannelUnavailable(reason, 403) from None
        if isinstance(exc, discord.NotFound):
            reason = "the channel no longer exists" if exc.code == 10003 else f"not found: {exc.text or 'Unknown'}"
            raise ChannelUnavailable(reason, 404) from None
        if isinstance(exc, discord.DiscordServerError):
            raise TransientDeliveryError(f"Discord server error {exc.status}", exc.status) from None
        if isinstance(exc, discord.RateLimited):
            raise TransientDeliveryError(f"rate limited for {exc.retry_after:.0f} s", 429) from None
        if isinstance(exc, discord.HTTPException):
            if exc.status == 429 or exc.status >= 500:
                raise TransientDeliveryError(f"Discord answered {exc.status}", exc.status) from None
            raise RejectedMessage(f"Discord refused the message ({exc.status}: {exc.text[:100]})", exc.status) from None
        if isinstance(exc, TimeoutError | aiohttp.ClientError | OSError):
            raise TransientDeliveryError(f"network error ({exc.__class__.__name__})") from None
