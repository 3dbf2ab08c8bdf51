"""Watchlists as typed values: a server's alert settings, its watches, alert records and their hits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from bot.models_outbox import Post, PostView

WatchKind = Literal["reference", "name"]


@dataclass(frozen=True, slots=True)
class WatchServer:
    """A server's alert settings and how far its alerts got."""

    guild_id: int
    channel_id: int | None
    threshold: int
    ping_role_id: int | None
    ping_role_name: str | None
    through_version_id: int
    created_at: str
    paused_at: str | None
    paused_reason: str | None

    @property
    def paused(self) -> bool:
        """True when Discord refused the alert channel (alerts are kept until /watch channel is run again)."""
        return self.paused_at is not None


@dataclass(frozen=True, slots=True)
class Watch:
    """One watched reference number or name."""

    id: int
    guild_id: int
    kind: WatchKind
    target: str
    target_key: str
    note: str
    since_version_id: int
    created_by: int | None
    created_at: str


@dataclass(frozen=True, slots=True)
class AlertDelivery(PostView):
    """One server's alert for one list version, with its outbox post (messages, how far sending got)."""

    id: int
    guild_id: int
    version_id: int
    hit_count: int
    created_at: str
    post: Post


@dataclass(frozen=True, slots=True)
class HitRecord:
    """One (watch, version, entry) that fired, as recorded."""

    watch_id: int
    version_id: int
    reference: str
    change: str
    score: int | None


@dataclass(frozen=True, slots=True)
class NewAlert:
    """What to record for one server and version: the composed messages and the hits they report."""

    guild_id: int
    payload: list[dict[str, Any]]
    nonce_seed: str
    hits: list[HitRecord]


@dataclass(frozen=True, slots=True)
class AddOutcome:
    """What adding a watch did: added, already there (the existing one), or refused at the server's limit."""

    outcome: Literal["added", "duplicate", "limit"]
    watch: Watch | None
    count: int
