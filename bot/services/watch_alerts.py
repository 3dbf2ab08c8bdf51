"""Watchlist alerts as a producer for the outbox: what is rendered for one server's alert, the alerts of a change
set (CPU work, run in a thread), and what the outbox does when an alert goes out or cannot."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from bot.clock import Clock
from bot.models_outbox import Post
from bot.models_watch import HitRecord, NewAlert, Watch, WatchServer
from bot.services.outbox import Outbox
from bot.services.watch_changes import ChangeSet, WatchHit
from bot.store import watches as store
from bot.store.db import Database

log = logging.getLogger(__name__)


@dataclass
class CheckReport:
    """What working out alerts did."""

    versions: int = 0
    servers: int = 0
    watches: int = 0
    alerts: int = 0
    hits: int = 0
    seconds: float = 0.0


@dataclass(frozen=True)
class AlertPost:
    """What the outbox renders for one server's alert: the change set, the hits, and the role it may mention."""

    change_set: ChangeSet
    hits: list[WatchHit]
    role_id: int | None


def compose_alerts(
    outbox: Outbox, change_set: ChangeSet, servers: Sequence[WatchServer], watches: dict[int, list[Watch]]
) -> list[NewAlert]:
    """The alert of each server that has hits in a change set: its messages and hit rows (CPU work, a thread)."""
    out: list[NewAlert] = []
    for server in servers:
        hits = change_set.hits(watches.get(server.guild_id, ()), server.threshold)
        if not hits:
            continue
        seed, payload = outbox.render("alert", AlertPost(change_set, hits, server.ping_role_id))
        out.append(
            NewAlert(
                server.guild_id,
                payload,
                seed,
                [
                    HitRecord(h.watch.id, change_set.version.id, h.change.reference, h.change.change, h.score)
                    for h in hits
                ],
            )
        )
    return out


class AlertPosts:
    """What the outbox does for alerts: a channel that is gone or forbidden pauses the server with the reason and
    holds its alerts (they go out once `/watch channel` is run again)."""

    hold_when_unavailable = True

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def on_sent(self, post: Post) -> None:
        """Nothing to move: the server's cursor moved when the alert was recorded."""
        delivery = await store.delivery_of_post(self._db, post.id)
        if delivery is not None:
            log.info(
                "watch alert sent guild=%d version=%d messages=%d hits=%d",
                delivery.guild_id,
                delivery.version_id,
                len(delivery.payload),
                delivery.hit_count,
            )

    async def on_unavailable(self, post: Post, reason: str) -> None:
        """Pause the server's alerts, saying why."""
        await store.pause_server(self._db, post.guild_id, reason=reason, now=self._clock.now())
        log.warning("watch alerts paused guild=%d channel=%s reason=%s", post.guild_id, post.channel_id, reason)
