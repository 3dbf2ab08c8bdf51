"""What the outbox holds: messages to post, a post's record and how far sending got, and the marker every post
carries so the bot can recognise its own message in a channel after Discord's nonce window has passed."""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass, field
from typing import Any, Literal

import discord

PostStatus = Literal["pending", "held", "sent", "skipped", "failed"]
NONCE_LENGTH = 25  # Discord's maximum
MARKER_PREFIX = "sb:"
# Room a renderer leaves in each message for the marker: " · sb:" and a nonce in the last embed's footer.
MARKER_ROOM = 40
_FOOTER_LIMIT = 2048
_CONTENT_LIMIT = 2000


@dataclass(frozen=True)
class OutgoingMessage:
    """One message as stored in an outbox record: optional content and embed dicts.

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

    def payload(self) -> dict[str, Any]:
        """The stored form (the inverse of from_payload)."""
        out: dict[str, Any] = {"content": self.content, "embeds": list(self.embeds)}
        if self.allowed_roles:
            out["allowed_roles"] = [str(r) for r in self.allowed_roles]
        return out

    def allowed_mentions(self) -> discord.AllowedMentions:
        """No mentions, or exactly the opted-in roles (never @everyone, users or other roles)."""
        if not self.allowed_roles:
            return discord.AllowedMentions.none()
        roles = [discord.Object(id=r) for r in self.allowed_roles]
        return discord.AllowedMentions(everyone=False, users=False, roles=roles, replied_user=False)


def make_nonce(seed: str, part: int) -> str:
    """The nonce of one message of a post: the same on every retry, different for every part."""
    return hashlib.sha256(f"{seed}:{part}".encode()).hexdigest()[:NONCE_LENGTH]


def marker(nonce: str) -> str:
    """The text that identifies one of our messages: 'sb:' and its nonce."""
    return MARKER_PREFIX + nonce


def with_marker(payload: dict[str, Any], nonce: str) -> dict[str, Any]:
    """A stored message with its marker: at the end of the last embed's footer, or (no embed) of the content."""
    out = copy.deepcopy(payload)
    mark = marker(nonce)
    embeds = out.get("embeds") or []
    if embeds:
        footer = dict(embeds[-1].get("footer") or {})
        text = footer.get("text") or ""
        room = _FOOTER_LIMIT - len(mark) - 3
        footer["text"] = f"{text[:room]} · {mark}" if text else mark
        embeds[-1]["footer"] = footer
    else:
        content = out.get("content") or ""
        out["content"] = f"{content[: _CONTENT_LIMIT - len(mark) - 4]}\n-# {mark}" if content else f"-# {mark}"
    return out


def without_marker(payload: dict[str, Any]) -> dict[str, Any]:
    """A message as it was before with_marker (what a preview shows): the marker taken out again."""
    out = copy.deepcopy(payload)
    embeds = out.get("embeds") or []
    if embeds and isinstance(embeds[-1].get("footer"), dict):
        footer = embeds[-1]["footer"]
        text = str(footer.get("text") or "")
        head, sep, tail = text.rpartition(" · " + MARKER_PREFIX)
        if sep and tail:
            footer["text"] = head
        elif text.startswith(MARKER_PREFIX):
            del embeds[-1]["footer"]
    content = out.get("content")
    if isinstance(content, str) and f"-# {MARKER_PREFIX}" in content:
        head, _sep, _tail = content.rpartition(f"-# {MARKER_PREFIX}")
        out["content"] = head.removesuffix("\n") or None
    return out


def carries_marker(message: dict[str, Any], nonce: str) -> bool:
    """True when a message Discord returned carries this nonce's marker (in an embed footer or the content)."""
    mark = marker(nonce)
    for embed in message.get("embeds") or []:
        footer = embed.get("footer") or {}
        if mark in str(footer.get("text") or ""):
            return True
    return mark in str(message.get("content") or "")


@dataclass(frozen=True)
class NewPost:
    """A post as a producer hands it to the outbox: the rendered messages (markers in) and the nonce seed."""

    producer: str
    lane: str
    guild_id: int
    channel_id: int | None
    nonce_seed: str
    payload: list[dict[str, Any]]
    hold_reason: str | None = None  # recorded held (no channel yet, the destination paused)


@dataclass(frozen=True, slots=True)
class Post:
    """One outbox record: the messages as rendered, where they go, and how far sending got.

    `sending_part`/`sending_at`: a POST of that part started then and its answer was never recorded — the part
    is in doubt (Discord may hold it). Within Discord's nonce window a resend with the same nonce is safe;
    later the channel is searched for the part's marker first.
    """

    id: int
    producer: str
    lane: str
    guild_id: int
    channel_id: int | None
    status: PostStatus
    nonce_seed: str
    payload: list[dict[str, Any]]
    parts_sent: int
    message_ids: list[int]
    sending_part: int | None
    sending_at: str | None
    attempts: int
    next_attempt_at: str | None
    last_error: str | None
    created_at: str
    updated_at: str


class PostView:
    """A producer's record read with its outbox post: how sending went is the post's, named as before."""

    __slots__ = ()
    post: Post

    @property
    def outbox_id(self) -> int:
        """The post's id."""
        return self.post.id

    @property
    def status(self) -> PostStatus:
        """pending, held, sent, skipped or failed."""
        return self.post.status

    @property
    def channel_id(self) -> int | None:
        """Where the messages go (went)."""
        return self.post.channel_id

    @property
    def nonce_seed(self) -> str:
        """What every message's nonce is derived from."""
        return self.post.nonce_seed

    @property
    def payload(self) -> list[dict[str, Any]]:
        """The messages as rendered (markers in)."""
        return self.post.payload

    @property
    def parts_sent(self) -> int:
        """How many messages are on Discord."""
        return self.post.parts_sent

    @property
    def message_ids(self) -> list[int]:
        """Their ids, in order."""
        return self.post.message_ids

    @property
    def updated_at(self) -> str:
        """When sending last moved."""
        return self.post.updated_at

    @property
    def attempts(self) -> int:
        """Failed attempts so far."""
        return self.post.attempts

    @property
    def next_attempt_at(self) -> str | None:
        """When a transient failure is retried."""
        return self.post.next_attempt_at

    @property
    def last_error(self) -> str | None:
        """The last failure, or why the post is held."""
        return self.post.last_error
