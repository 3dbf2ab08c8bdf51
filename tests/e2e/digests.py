"""Helpers for digest and feed tests through the local Discord: what the bot posted to a channel, command
answers (deferred ones too), news on the local feed server, and deliverers that die or record."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bot.clock import ManualClock
from bot.core import Core
from bot.services.delivery import Deliverer, OutgoingMessage
from tests.discord_fake import FakeDiscord
from tests.e2e.conftest import MOD, OTHER_CHANNEL
from tests.fixtures import feeds as docs
from tests.fixtures.digest import Crash
from tests.fixtures.feed_server import FeedServer

EPHEMERAL = 1 << 6
POST_MESSAGE = re.compile(r"/channels/(\d+)/messages")
POST_MESSAGE_REGEX = r"^/channels/\d+/messages$"
FRESH = dt.datetime(2026, 11, 26, 11, 30, tzinfo=dt.UTC)


def manual(core: Core) -> ManualClock:
    """The core's clock, which tests move by hand."""
    assert isinstance(core.clock, ManualClock)
    return core.clock


def text_of(data: Any) -> str:
    """Everything in a payload as one string (non-ASCII kept, so escapes are visible as they are sent)."""
    return json.dumps(data, ensure_ascii=False)


def posts(fake: FakeDiscord, channel_id: int) -> list[dict[str, Any]]:
    """The messages the bot posted itself in a channel (digests carry a nonce; interaction answers do not)."""
    return [m for m in fake.messages(channel_id) if m.get("nonce") is not None]


def post_bodies(fake: FakeDiscord, channel_id: int | None = None) -> list[dict[str, Any]]:
    """Every body the bot sent to POST /channels/{id}/messages (retries included), optionally for one channel."""
    out = []
    for method, path, body in fake.message_bodies:
        match = POST_MESSAGE.fullmatch(path)
        if method == "POST" and match and (channel_id is None or int(match.group(1)) == channel_id):
            out.append(body)
    return out


def assert_safe_post_bodies(fake: FakeDiscord) -> int:
    """Every channel post carried a nonce, enforce_nonce and no mentions; return how many there were."""
    bodies = post_bodies(fake)
    for body in bodies:
        assert isinstance(body.get("nonce"), str) and 1 <= len(body["nonce"]) <= 25, body.get("nonce")
        assert body.get("enforce_nonce") is True
        assert body.get("allowed_mentions") == {"parse": []}
    return len(bodies)


def assert_once_each(messages: list[dict[str, Any]]) -> None:
    """No two messages of a channel carry the same nonce (a duplicate would)."""
    counts = Counter(m["nonce"] for m in messages)
    assert all(n == 1 for n in counts.values()), counts


def embeds_text(messages: list[dict[str, Any]]) -> str:
    """The titles and descriptions of every embed of some messages, in order."""
    parts = []
    for m in messages:
        for e in m.get("embeds", []):
            parts.append(e.get("title", ""))
            parts.append(e.get("description", ""))
            parts.extend(f"{f['name']}\n{f['value']}" for f in e.get("fields", []))
    return "\n".join(parts)


async def answer(
    fake: FakeDiscord,
    path: str,
    options: dict[str, Any] | None = None,
    *,
    user_id: int = MOD,
    guild_id: int | None = None,
    channel_id: int | None = OTHER_CHANNEL,
    timeout: float = 10.0,
) -> dict[str, Any]:
    """Run a command (in another channel than the digests', by default) and return the message it answered with:
    the callback data, or for a deferred answer the follow-up that replaced "thinking…"."""
    kwargs: dict[str, Any] = {"user_id": user_id, "channel_id": channel_id, "timeout": timeout}
    if guild_id is not None:
        kwargs["guild_id"] = guild_id
    res = await fake.invoke(path, options or {}, **kwargs)
    assert res.status is None or res.status < 300, (res.status, res.problems)
    if res.type == 5:
        assert res.data.get("flags", 0) & EPHEMERAL, "deferred answers here are ephemeral"
        followups = await res.wait_followups(1, timeout=timeout)
        return followups[-1]
    assert res.type == 4, res.callback
    return res.data


def news(n: int, *, slug: str, keyword: str = "sanctions", prefix: str = "Council", start: dt.datetime = FRESH) -> list:
    """n new stories (newest first) mentioning a keyword."""
    return docs.stories(n, slug=slug, keyword=keyword, prefix=prefix, start=start)


def publish_rss(server: FeedServer, path: str, stories: list, *, keep: int = 5, keep_slug: str = "press") -> None:
    """Serve new stories on an RSS 2.0 path, ahead of the `keep` stories it held when the test began."""
    server.serve(path, docs.rss20(stories + docs.stories(keep, slug=keep_slug)))


class Dying:
    """Wraps the real deliverer: the process 'dies' (Crash, a BaseException) at the `before`-th send just before
    it reaches Discord, or right after Discord accepted the `after`-th message but before the bot could record it
    (counting sends from 1; 0 = never)."""

    def __init__(self, inner: Deliverer, *, before: int = 0, after: int = 0) -> None:
        self.inner = inner
        self.before = before
        self.after = after
        self.sends = 0

    async def send(self, channel_id: int, message: OutgoingMessage, nonce: str) -> int:
        """Post through the real deliverer unless it is time to die."""
        self.sends += 1
        if self.sends == self.before:
            raise Crash("died before posting")
        message_id = await self.inner.send(channel_id, message, nonce)
        if self.sends == self.after:
            raise Crash("died after Discord accepted the message")
        return message_id

    async def own_recent(self, channel_id: int, limit: int) -> list[dict[str, Any]]:
        """The real deliverer's look at the channel."""
        return await self.inner.own_recent(channel_id, limit)


@dataclass
class Recording:
    """Wraps the real deliverer and notes which channels it posted to (to tell two processes apart)."""

    inner: Deliverer
    channels: list[int] = field(default_factory=list)

    async def send(self, channel_id: int, message: OutgoingMessage, nonce: str) -> int:
        """Post through the real deliverer and note the channel."""
        message_id = await self.inner.send(channel_id, message, nonce)
        self.channels.append(channel_id)
        return message_id

    async def own_recent(self, channel_id: int, limit: int) -> list[dict[str, Any]]:
        """The real deliverer's look at the channel."""
        return await self.inner.own_recent(channel_id, limit)
