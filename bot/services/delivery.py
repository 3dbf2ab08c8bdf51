"""Posting messages to a channel behind a small interface, so the scheduler runs without Discord in tests.

`DiscordDeliverer` posts through discord.py's HTTP client with a nonce and `enforce_nonce`: Discord answers a
repeated nonce from the same author (within a few minutes) with the message it already created instead of
posting a second one.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import aiohttp
import discord
from discord.http import handle_message_parameters

from bot.errors import DeliveryUnavailable

log = logging.getLogger(__name__)

NONCE_LENGTH = 25  # Discord's maximum


@dataclass(frozen=True)
class OutgoingMessage:
    """One message as stored in a delivery record: optional content and embed dicts.

    `allowed_roles` lists the only roles the message may mention (a server's opt-in alert ping); empty means
    no mention of anyone at all.
    """

    content: str | None = None
    embeds: list[dict[str, Any]] = field(default_factory=list)
    allowed_roles: tuple[int, ...] = ()

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> OutgoingMessage:
        """From a stored {"content": …, "embeds": [...], "allowed_roles": [...]} dict."""
        roles = tuple(int(r) for r in payload.get("allowed_roles") or ())
        return cls(payload.get("content"), list(payload.get("embeds") or []), roles)

    def allowed_mentions(self) -> discord.AllowedMentions:
        """No mentions, or exactly the opted-in roles (never @everyone, users or other roles)."""
        if not self.allowed_roles:
            return discord.AllowedMentions.none()
        roles = [discord.Object(id=r) for r in self.allowed_roles]
        return discord.AllowedMentions(everyone=False, users=False, roles=roles, replied_user=False)


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


def make_nonce(seed: str, part: int) -> str:
    """The nonce of one message of a delivery: the same on every retry, different for every part."""
    return hashlib.sha256(f"{seed}:{part}".encode()).hexdigest()[:NONCE_LENGTH]


async def send_with_retries(
    deliverer: Deliverer,
    channel_id: int,
    message: OutgoingMessage,
    nonce: str,
    *,
    attempts: int = 3,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    what: str = "delivery",
) -> int:
    """Post one message, retrying transient failures a few times with short backoff (same nonce each time)."""
    for attempt in range(1, attempts + 1):
        try:
            return await deliverer.send(channel_id, message, nonce)
        except TransientDeliveryError as exc:
            if attempt == attempts:
                raise
            log.warning("%s send retry channel=%d attempt=%d reason=%s", what, channel_id, attempt, exc.reason)
            await sleep(2.0 ** (attempt - 1))
    raise AssertionError("unreachable")


_PERMISSION_CODES = {
    50001: "the bot cannot see the channel (Missing Access)",
    50013: "the bot lacks permission to post there (it needs View Channel, Send Messages and Embed Links)",
}


class DiscordDeliverer:
    """Posts with a discord.py client's HTTP layer (POST /channels/{id}/messages), nonce + enforce_nonce."""

    def __init__(self, client: discord.Client) -> None:
        self._client = client

    async def send(self, channel_id: int, message: OutgoingMessage, nonce: str) -> int:
        """Post one message with no mentions allowed; map Discord's answers onto DeliveryError kinds."""
        if self._client.http.token is None or self._client.is_closed():
            raise DeliveryUnavailable("The bot is not connected to Discord, so nothing can be posted from here.")
        params = handle_message_parameters(
            content=message.content,
            embeds=[discord.Embed.from_dict(e) for e in message.embeds],
            nonce=nonce,  # discord.py adds enforce_nonce=True whenever a nonce is given
            allowed_mentions=message.allowed_mentions(),
        )
        try:
            with params:
                data = await self._client.http.send_message(channel_id, params=params)
        except discord.Forbidden as exc:
            raise ChannelUnavailable(
                _PERMISSION_CODES.get(exc.code, f"Discord refused: {exc.text or 'Forbidden'}"), 403
            ) from None
        except discord.NotFound as exc:
            reason = "the channel no longer exists" if exc.code == 10003 else f"not found: {exc.text or 'Unknown'}"
            raise ChannelUnavailable(reason, 404) from None
        except discord.DiscordServerError as exc:
            raise TransientDeliveryError(f"Discord server error {exc.status}", exc.status) from None
        except discord.RateLimited as exc:
            raise TransientDeliveryError(f"rate limited for {exc.retry_after:.0f} s", 429) from None
        except discord.HTTPException as exc:
            if exc.status == 429 or exc.status >= 500:
                raise TransientDeliveryError(f"Discord answered {exc.status}", exc.status) from None
            raise RejectedMessage(f"Discord refused the message ({exc.status}: {exc.text[:100]})", exc.status) from None
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise TransientDeliveryError(f"network error ({exc.__class__.__name__})") from None
        return int(data["id"])
