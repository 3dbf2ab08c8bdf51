"""Digest subscriptions and their delivery records as typed values (what the store returns and render shows)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.models_outbox import Post, PostView

Cadence = Literal["daily", "weekly"]


@dataclass(frozen=True, slots=True)
class Subscription:
    """A channel's digest: when it runs, and how far the last digest got."""

    id: int
    guild_id: int
    channel_id: int
    cadence: Cadence
    local_time: str
    timezone: str
    weekday: int | None
    post_empty: bool
    created_at: str
    next_run_at: str
    through_item_id: int
    through_version_id: int
    last_delivery_at: str | None
    paused_at: str | None
    paused_reason: str | None

    @property
    def paused(self) -> bool:
        """True when deliveries stopped (channel gone, permission missing)."""
        return self.paused_at is not None


@dataclass(frozen=True, slots=True)
class Delivery(PostView):
    """One digest for one period: what it covers, with its outbox post (messages, how far sending got)."""

    id: int
    subscription_id: int
    period: str
    through_item_id: int
    through_version_id: int
    item_count: int
    change_count: int
    created_at: str
    post: Post
