"""Digest subscriptions and delivery records: one per subscription and period, written before sending."""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Any

from bot.clock import stamp
from bot.models_digest import Cadence, Delivery, Subscription
from bot.models_outbox import NewPost
from bot.sharding import ShardScope
from bot.store import outbox
from bot.store.db import Database, greatest
from bot.store.guilds import present_sql

_SUB_COLUMNS = (
    "id, guild_id, channel_id, cadence, local_time, timezone, weekday, post_empty, created_at, next_run_at,"
    " through_item_id, through_version_id, last_delivery_at, paused_at, paused_reason"
)


def _subscription(row: sqlite3.Row) -> Subscription:
    values = list(row)
    values[7] = bool(values[7])
    return Subscription(*values)


_DELIVERIES = (  # the post's columns are our own constant list, never user text
    "SELECT d.id, d.subscription_id, d.period, d.through_item_id, d.through_version_id, d.item_count,"  # noqa: S608
    " d.change_count, d.created_at, " + outbox.columns("o") + " FROM digest_deliveries d"
    " JOIN outbox o ON o.id = d.outbox_id"
)


def _delivery(row: sqlite3.Row) -> Delivery:
    values = list(row)
    id_, subscription_id, period, item, version, items, changes, created = values[:8]
    return Delivery(id_, subscription_id, period, item, version, items, changes, created, outbox.post_of(values[8:]))


def lane(subscription_id: int) -> str:
    """The outbox lane of a subscription: its digests go out one at a time, in order."""
    return f"digest:{subscription_id}"


async def upsert_subscription(
    db: Database,
    *,
    guild_id: int,
    channel_id: int,
    cadence: Cadence,
    local_time: str,
    timezone: str,
    weekday: int | None,
    post_empty: bool,
    now: dt.datetime,
    next_run_at: dt.datetime,
    through_item_id: int,
    through_version_id: int,
) -> tuple[Subscription, bool]:
    """Create a channel's subscription or change its schedule (which also resumes a paused one).

    Returns the subscription and whether it is new. An existing one keeps how far its digests got.
    """
    async with db.transaction() as conn:
        async with conn.execute(
            "SELECT id, guild_id FROM digest_subscriptions WHERE channel_id = ?", (channel_id,)
        ) as cur:
            existing = await cur.fetchone()
        if existing is not None and existing[1] != guild_id:
            # A channel id belongs to one server; a clash means a stale row from a server we left.
            await conn.execute("DELETE FROM digest_subscriptions WHERE id = ?", (existing[0],))
            existing = None
        if existing is None:
            await conn.execute(
                "INSERT INTO digest_subscriptions (guild_id, channel_id, cadence, local_time, timezone,"
                " weekday,"
                " post_empty, created_at, next_run_at, through_item_id, through_version_id)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    guild_id,
                    channel_id,
                    cadence,
                    local_time,
                    timezone,
                    weekday,
                    int(post_empty),
                    stamp(now),
                    stamp(next_run_at),
                    through_item_id,
                    through_version_id,
                ),
            )
        else:
            await conn.execute(
                "UPDATE digest_subscriptions SET cadence = ?, local_time = ?, timezone = ?, weekday = ?,"
                " post_empty = ?, next_run_at = ?, paused_at = NULL, paused_reason = NULL WHERE id = ?",
                (cadence, local_time, timezone, weekday, int(post_empty), stamp(next_run_at), existing[0]),
            )
    sub = await subscription_for_channel(db, guild_id, channel_id)
    assert sub is not None
    return sub, existing is None


async def subscription_for_channel(db: Database, guild_id: int, channel_id: int) -> Subscription | None:
    """A server's subscription in one channel, if any."""
    row = await db.fetchone(
        f"SELECT {_SUB_COLUMNS} FROM digest_subscriptions WHERE guild_id = ? AND channel_id = ?",  # noqa: S608
        (guild_id, channel_id),
    )
    return _subscription(row) if row else None


async def subscription_by_id(db: Database, subscription_id: int) -> Subscription | None:
    """A subscription by id."""
    row = await db.fetchone(
        f"SELECT {_SUB_COLUMNS} FROM digest_subscriptions WHERE id = ?",  # noqa: S608
        (subscription_id,),
    )
    return _subscription(row) if row else None


async def startable_subscription(db: Database, subscription_id: int) -> Subscription | None:
    """A subscription, if it is not paused and has no delivery still in flight (one query)."""
    row = await db.fetchone(
        f"SELECT {_SUB_COLUMNS} FROM digest_subscriptions s WHERE s.id = ? AND s.paused_at IS NULL"  # noqa: S608
        " AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.lane = 'digest:' || s.id AND o.status IN ('pending', 'held'))",
        (subscription_id,),
    )
    return _subscription(row) if row else None


async def guild_subscriptions(db: Database, guild_id: int) -> list[Subscription]:
    """A server's subscriptions, the next to run first."""
    rows = await db.fetchall(
        f"SELECT {_SUB_COLUMNS} FROM digest_subscriptions WHERE guild_id = ? ORDER BY next_run_at, id",  # noqa: S608
        (guild_id,),
    )
    return [_subscription(r) for r in rows]


async def delete_subscription(db: Database, guild_id: int, channel_id: int) -> bool:
    """Remove a channel's subscription, its delivery records and its posts; return whether there was one."""
    async with db.transaction() as conn:
        async with conn.execute(
            "SELECT id FROM digest_subscriptions WHERE guild_id = ? AND channel_id = ?", (guild_id, channel_id)
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            return False
        await conn.execute("DELETE FROM digest_subscriptions WHERE id = ?", (row[0],))
        await outbox.drop_lane(conn, lane(int(row[0])))
        return True


async def due_subscriptions(
    db: Database, now: dt.datetime, limit: int = 500, scope: ShardScope | None = None
) -> list[Subscription]:
    """Unpaused subscriptions whose run time has come and that have no delivery still in flight.

    With a shard scope, only servers whose shard runs in this process: two processes never both send one.
    """
    in_scope, scope_params = outbox.scope_sql(scope, "s.guild_id")
    rows = await db.fetchall(
        f"SELECT {_SUB_COLUMNS} FROM digest_subscriptions s WHERE s.next_run_at <= ? AND s.paused_at IS NULL"  # noqa: S608
        " AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.lane = 'digest:' || s.id AND o.status IN ('pending', 'held'))"
        + in_scope
        + present_sql("s.guild_id")  # suspended while the bot is out of the server
        + " ORDER BY s.next_run_at, s.id LIMIT ?",
        (stamp(now), *scope_params, limit),
    )
    return [_subscription(r) for r in rows]


async def create_delivery(
    db: Database,
    *,
    subscription: Subscription,
    period: str,
    payload: list[dict[str, Any]],
    nonce_seed: str,
    through_item_id: int,
    through_version_id: int,
    item_count: int,
    change_count: int,
    now: dt.datetime,
    next_run_at: dt.datetime | None,
    skip: bool = False,
) -> Delivery | None:
    """Write the delivery record of a period and its outbox post (and move the subscription's next run) in one
    transaction.

    Returns None when the period already has a record: it was delivered (or is being delivered) already.
    A skipped period (nothing new, post_empty off) is recorded as such and moves the cursors at once.
    """
    at = stamp(now)
    post = NewPost("digest", lane(subscription.id), subscription.guild_id, subscription.channel_id, nonce_seed, payload)
    delivery: Delivery | None = None
    async with db.transaction() as conn:
        recorded = await outbox.insert_unless(
            conn,
            post,
            now,
            status="skipped" if skip else "pending",
            exists=(
                "SELECT 1 FROM digest_deliveries WHERE subscription_id = ? AND period = ?",
                (subscription.id, period),
            ),
        )
        inserted = recorded is not None
        if recorded is not None:
            async with conn.execute(
                "INSERT INTO digest_deliveries (subscription_id, period, through_item_id, through_version_id,"
                " item_count, change_count, created_at, outbox_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    subscription.id,
                    period,
                    through_item_id,
                    through_version_id,
                    item_count,
                    change_count,
                    at,
                    recorded.id,
                ),
            ) as cursor:
                row = await cursor.fetchone()
            assert row is not None  # RETURNING gives the new row
            delivery = Delivery(
                int(row[0]), subscription.id, period, through_item_id, through_version_id, item_count,
                change_count, at, recorded,
            )  # fmt: skip
        if next_run_at is not None:
            await conn.execute(
                "UPDATE digest_subscriptions SET next_run_at = ? WHERE id = ?",
                (stamp(next_run_at), subscription.id),
            )
        if inserted and skip:
            await conn.execute(
                f"UPDATE digest_subscriptions SET through_item_id = {greatest(db)}(through_item_id, ?),"  # noqa: S608
                f" through_version_id = {greatest(db)}(through_version_id, ?), last_delivery_at = ? WHERE id = ?",
                (through_item_id, through_version_id, at, subscription.id),
            )
    return delivery  # as written (None: the period had its record already)


async def delivery_by_id(db: Database, delivery_id: int) -> Delivery | None:
    """One delivery record."""
    row = await db.fetchone(_DELIVERIES + " WHERE d.id = ?", (delivery_id,))
    return _delivery(row) if row else None


async def delivery_of_post(db: Database, post_id: int) -> Delivery | None:
    """The delivery record an outbox post belongs to."""
    row = await db.fetchone(_DELIVERIES + " WHERE d.outbox_id = ?", (post_id,))
    return _delivery(row) if row else None


async def pending_deliveries(
    db: Database, now: dt.datetime, limit: int = 500, scope: ShardScope | None = None
) -> list[Delivery]:
    """Deliveries not yet fully sent whose (re)try time has come, oldest first (of this process's shards)."""
    posts = await outbox.due(db, "digest", now, scope=scope, limit=limit)
    if not posts:
        return []
    marks = ",".join("?" * len(posts))
    rows = await db.fetchall(_DELIVERIES + f" WHERE d.outbox_id IN ({marks})", [p.id for p in posts])  # one query
    by_post = {d.outbox_id: d for d in map(_delivery, rows)}
    return [by_post[p.id] for p in posts if p.id in by_post]


async def complete_delivery(db: Database, delivery: Delivery) -> None:
    """Move a subscription's cursors past what a delivery covered (its post is on Discord; idempotent).

    The subscription's last_delivery_at becomes the time the digest was composed: what it covers ends there.
    """
    await db.write(
        f"UPDATE digest_subscriptions SET through_item_id = {greatest(db)}(through_item_id, ?),"  # noqa: S608
        f" through_version_id = {greatest(db)}(through_version_id, ?), last_delivery_at = ? WHERE id = ?",
        (
            delivery.through_item_id,
            delivery.through_version_id,
            delivery.created_at,
            delivery.subscription_id,
        ),
    )


async def reschedule(db: Database, subscription_id: int, next_run_at: dt.datetime) -> None:
    """Move a subscription's next run."""
    async with db.transaction() as conn:
        await conn.execute(
            "UPDATE digest_subscriptions SET next_run_at = ? WHERE id = ?",
            (stamp(next_run_at), subscription_id),
        )


async def resume_subscription(db: Database, subscription_id: int, *, next_run_at: dt.datetime) -> None:
    """Clear a pause and set the next run."""
    async with db.transaction() as conn:
        await conn.execute(
            "UPDATE digest_subscriptions SET paused_at = NULL, paused_reason = NULL, next_run_at = ? WHERE id = ?",
            (stamp(next_run_at), subscription_id),
        )


async def pause_subscription(db: Database, subscription_id: int, *, reason: str, now: dt.datetime) -> None:
    """Stop a subscription's digests until it is subscribed again, saying why."""
    async with db.transaction() as conn:
        await conn.execute(
            "UPDATE digest_subscriptions SET paused_at = ?, paused_reason = ? WHERE id = ?",
            (stamp(now), reason[:300], subscription_id),
        )


async def has_pending_delivery(db: Database, subscription_id: int) -> bool:
    """True while a delivery of the subscription is recorded but not fully sent."""
    return await outbox.unfinished(db, lane(subscription_id)) > 0


async def fail_delivery(
    db: Database, delivery: Delivery, *, now: dt.datetime, error: str, pause_reason: str | None = None
) -> None:
    """Give up on a delivery (its content goes into the next digest); pause the subscription if told why."""
    await outbox.finish(db, delivery.outbox_id, status="failed", now=now, error=error)
    if pause_reason is not None:
        await pause_subscription(db, delivery.subscription_id, reason=pause_reason, now=now)


async def last_delivery(db: Database, subscription_id: int) -> Delivery | None:
    """The newest delivery record of a subscription."""
    row = await db.fetchone(
        _DELIVERIES + " WHERE d.subscription_id = ? ORDER BY d.id DESC LIMIT 1",
        (subscription_id,),
    )
    return _delivery(row) if row else None


async def deliveries_of(db: Database, subscription_id: int) -> list[Delivery]:
    """Every delivery record of a subscription, oldest first."""
    rows = await db.fetchall(
        _DELIVERIES + " WHERE d.subscription_id = ? ORDER BY d.id",
        (subscription_id,),
    )
    return [_delivery(r) for r in rows]


async def subscription_counts(db: Database) -> tuple[int, int]:
    """(subscriptions, of which paused) over all servers."""
    row = await db.fetchone(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN paused_at IS NOT NULL THEN 1 ELSE 0 END), 0) FROM digest_subscriptions"
    )
    return (int(row[0]), int(row[1])) if row else (0, 0)
