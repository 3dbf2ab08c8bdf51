"""The outbox: every post the bot makes on its own, recorded before it is sent, and how far sending got."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Sequence
from typing import Any

import aiosqlite

from bot.clock import stamp
from bot.models_outbox import NewPost, Post
from bot.sharding import ShardScope
from bot.store.db import Database
from bot.store.guilds import present_sql

COLUMNS = (
    "id, producer, lane, guild_id, channel_id, status, nonce_seed, payload, parts_sent, message_ids, sending_part,"
    " sending_at, attempts, next_attempt_at, last_error, created_at, updated_at"
)
WIDTH = len(COLUMNS.split(","))
UNFINISHED = ("pending", "held")


def post_of(row: sqlite3.Row | Sequence[Any]) -> Post:
    """An outbox row (its COLUMNS, in order) as a Post."""
    values = list(row)
    values[7] = json.loads(values[7])
    values[9] = [int(m) for m in json.loads(values[9])]
    return Post(*values)


def columns(alias: str) -> str:
    """COLUMNS qualified with a table alias, for joins."""
    return ", ".join(f"{alias}.{c.strip()}" for c in COLUMNS.split(","))


def scope_sql(scope: ShardScope | None, column: str) -> tuple[str, list[int]]:
    """An SQL condition keeping servers of this process's shards (placeholders only), and its parameters."""
    if scope is None:
        return "", []
    marks = ",".join("?" * len(scope.ids))
    return f" AND (({column} >> 22) % ?) IN ({marks})", [scope.count, *sorted(scope.ids)]


async def insert(conn: aiosqlite.Connection, post: NewPost, now: dt.datetime, *, status: str | None = None) -> int:
    """Record a post inside the caller's transaction (with the producer's own record); return its id.

    Held when the producer says why (no channel yet, the destination paused), or when there is no channel.
    """
    recorded = await insert_unless(conn, post, now, status=status)
    assert recorded is not None  # no condition: RETURNING gives the new row
    return recorded.id


async def insert_unless(
    conn: aiosqlite.Connection,
    post: NewPost,
    now: dt.datetime,
    *,
    status: str | None = None,
    exists: tuple[str, Sequence[Any]] | None = None,
) -> Post | None:
    """insert(), in one statement, unless the query `exists` (SQL, parameters) finds a row; the Post recorded
    (as it was written), or None when nothing was."""
    if status is None:
        status = "held" if post.hold_reason is not None or post.channel_id is None else "pending"
    reason = post.hold_reason if status == "held" else None
    error = reason or (None if post.channel_id is not None or status != "held" else "no channel set")
    at = stamp(now)
    if exists is None:
        values, condition_params = " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", ()
    else:  # typed, as PostgreSQL takes the parameters of a bare SELECT for text
        values = (
            " SELECT ?, ?, CAST(? AS BIGINT), CAST(? AS BIGINT), ?, ?, ?, CAST(? AS TEXT), ?, ?"
            f" WHERE NOT EXISTS ({exists[0]})"
        )
        condition_params = tuple(exists[1])
    async with conn.execute(
        "INSERT INTO outbox (producer, lane, guild_id, channel_id, status, nonce_seed, payload, last_error,"  # noqa: S608
        " created_at, updated_at)" + values + " RETURNING id",
        (
            post.producer,
            post.lane,
            post.guild_id,
            post.channel_id,
            status,
            post.nonce_seed,
            json.dumps(post.payload, ensure_ascii=False, separators=(",", ":")),
            error,
            at,
            at,
            *condition_params,
        ),
    ) as cursor:
        row = await cursor.fetchone()
    if row is None:
        return None
    return Post(
        int(row[0]), post.producer, post.lane, post.guild_id, post.channel_id, status,  # type: ignore[arg-type]
        post.nonce_seed, post.payload, 0, [], None, None, 0, None, error, at, at,
    )  # fmt: skip


async def post_by_id(db: Database, post_id: int) -> Post | None:
    """One post."""
    row = await db.fetchone(f"SELECT {COLUMNS} FROM outbox WHERE id = ?", (post_id,))  # noqa: S608
    return post_of(row) if row else None


async def due(
    db: Database, producer: str, now: dt.datetime, *, scope: ShardScope | None = None, limit: int = 500
) -> list[Post]:
    """A producer's pending posts whose (re)try time has come, oldest first, each the first unfinished one of
    its lane (a later post never overtakes an earlier one), of this process's servers that the bot is still in."""
    in_scope, params = scope_sql(scope, "o.guild_id")
    rows = await db.fetchall(
        f"SELECT {columns('o')} FROM outbox o"  # noqa: S608
        " WHERE o.status = 'pending' AND o.producer = ? AND o.channel_id IS NOT NULL"
        " AND (o.next_attempt_at IS NULL OR o.next_attempt_at <= ?)"
        " AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.lane = o.lane AND e.id < o.id"
        " AND e.status IN ('pending', 'held'))"
        + in_scope
        + present_sql("o.guild_id")  # suspended while the bot is out of the server
        + " ORDER BY o.id LIMIT ?",
        (producer, stamp(now), *params, limit),
    )
    return [post_of(r) for r in rows]


async def begin_part(db: Database, post_id: int, part: int, now: dt.datetime) -> None:
    """Note, before the POST, that a part is going out: from here until its answer is recorded it is in doubt."""
    await db.write(
        "UPDATE outbox SET sending_part = ?, sending_at = ?, updated_at = ? WHERE id = ?",
        (part, stamp(now), stamp(now), post_id),
    )


async def part_sent(
    db: Database, post_id: int, part: int, message_ids: Sequence[int], channel_id: int, now: dt.datetime
) -> None:
    """Record that one part is on Discord, with the ids of every part sent so far (its sender holds the lane, so
    it knows them); a resend starts after it, and it is no longer in doubt. One statement."""
    await db.write(
        "UPDATE outbox SET parts_sent = ?, message_ids = ?, channel_id = ?, sending_part = NULL,"
        " sending_at = NULL, updated_at = ? WHERE id = ?",
        (part + 1, json.dumps([str(m) for m in message_ids]), channel_id, stamp(now), post_id),
    )


async def finish(db: Database, post_id: int, *, status: str, now: dt.datetime, error: str | None = None) -> None:
    """Mark a post sent (error cleared) or failed (with why)."""
    await db.write(
        "UPDATE outbox SET status = ?, attempts = attempts + ?, last_error = ?, next_attempt_at = NULL,"
        " updated_at = ? WHERE id = ?",
        (status, 0 if status == "sent" else 1, error[:300] if error else None, stamp(now), post_id),
    )


async def retry_later(
    db: Database, post_id: int, *, now: dt.datetime, error: str, next_attempt_at: dt.datetime
) -> None:
    """Record a transient failure (5xx, timeout) and when to try again."""
    await db.write(
        "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?, updated_at = ? WHERE id = ?",
        (error[:300], stamp(next_attempt_at), stamp(now), post_id),
    )


async def hold(db: Database, post: Post, *, reason: str, now: dt.datetime) -> None:
    """Hold a post and the rest of its lane (the channel is gone or forbidden), saying why."""
    async with db.transaction() as conn:
        await conn.execute(
            "UPDATE outbox SET status = 'held', attempts = attempts + 1, last_error = ?, updated_at = ? WHERE id = ?",
            (reason[:300], stamp(now), post.id),
        )
        await conn.execute(
            "UPDATE outbox SET status = 'held', last_error = ?, updated_at = ?"
            " WHERE lane = ? AND status = 'pending' AND id > ?",
            (reason[:300], stamp(now), post.lane, post.id),
        )


async def release_in(conn: aiosqlite.Connection, lane: str, channel_id: int, now: dt.datetime) -> int:
    """Send a lane's unfinished posts to a channel from now on (held ones resume at once), inside the caller's
    transaction (with the producer's own change); return how many."""
    cursor = await conn.execute(
        "UPDATE outbox SET status = 'pending', channel_id = ?, next_attempt_at = NULL, updated_at = ?"
        " WHERE lane = ? AND status IN ('pending', 'held')",
        (channel_id, stamp(now), lane),
    )
    return cursor.rowcount


async def drop_lane(conn: aiosqlite.Connection, lane: str) -> None:
    """Forget a lane's posts (inside the caller's transaction, after the producer's records that point at them)."""
    await conn.execute("DELETE FROM outbox WHERE lane = ?", (lane,))


async def unfinished(db: Database, lane: str) -> int:
    """How many of a lane's posts are recorded but not fully sent (pending or held)."""
    row = await db.fetchone("SELECT COUNT(*) FROM outbox WHERE lane = ? AND status IN ('pending', 'held')", (lane,))
    return int(row[0]) if row else 0
