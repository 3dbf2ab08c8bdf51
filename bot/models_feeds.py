"""News feeds as typed values: an item as parsed, a feed with its health, a server's feed, a stored item."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One news item: plain-text title and summary, an http(s) link if any, its publication time in UTC."""

    dedup_key: str
    title: str
    link: str | None
    guid: str | None
    summary: str
    published: dt.datetime | None


@dataclass(frozen=True, slots=True)
class Feed:
    """One feed URL with its validators and health."""

    id: int
    url: str
    title: str
    kind: str
    etag: str | None
    last_modified: str | None
    created_at: str
    last_attempt_at: str | None
    last_success_at: str | None
    last_error: str | None
    last_warning: str | None
    consecutive_failures: int
    next_poll_at: str

    @property
    def failing(self) -> bool:
        """True while the last attempt failed."""
        return self.consecutive_failures > 0


@dataclass(frozen=True, slots=True)
class GuildFeed:
    """A feed as one server follows it: the name it shows, and where its back catalogue ends."""

    guild_id: int
    name: str
    added_at: str
    seen_through: int | None
    feed: Feed


@dataclass(frozen=True, slots=True)
class StoredItem:
    """A stored news item with the name its server gives the feed."""

    id: int
    feed_id: int
    feed_name: str
    title: str
    link: str | None
    summary: str
    published_at: str | None
    seen_at: str
