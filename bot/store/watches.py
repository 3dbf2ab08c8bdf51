"""Watchlists: servers' watched names and references, their alert settings, and alert records with their hits.

An alert record (server, list version) is written with its hits and the server's moved cursor in ONE
transaction before anything is sent; the primary key of `watch_hits` (watch, version, entry) and the UNIQUE
(server, version) of `watch_deliveries` make a second alert for the same change impossible.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Sequence
from typing import Any

from bot.clock import stamp
from bot.models_outbox import NewPost
from bot.models_watch import AddOutcome, AlertDelivery, HitRecord, NewAlert, Watch, WatchKind, WatchServer
from bot.sharding import ShardScope
from bot.store import outbox
from bot.store.db import Database
from bot.store.guilds import present_sql
from bot.store.outbox import scope_sql

DEFAULT_THRESHOLD = 90


_SERVER_COLUMNS = (
    "guild_id, channel_id, threshold, ping_role_id, ping_role_name, through_version_id, created_at, paused_at,"
    " paused_reason"
)


_WATCH_COLUMNS = "id, guild_id, kind, target, target_key, note, since_version_id, created_by, created_at"


_DELIVERIES = (  # the post's columns are our own constant list, never user text
    "SELECT d.id, d.guild_id, d.version_id, d.hit_count, d.created_at, "  # noqa: S608
    + outbox.columns("o")
    + " FROM watch_deliveries d JOIN outbox o ON o.id = d.outbox_id"
)


def _delivery(row: sqlite3.Row | tuple[Any, ...]) -> AlertDelivery:
    values = list(row)
    id_, guild_id, version_id, hit_count, created = values[:5]
    return AlertDelivery(id_, guild_id, version_id, hit_count, created, outbox.post_of(values[5:]))


def lane(guild_id: int) -> str:
    """The outbox lane of a server's alerts: they go out one at a time, in version order."""
    return f"alert:{guild_id}"


# --- Settings and watches ----------------------------------------------------------------------------------


async def server(db: Database, guild_id: int) -> WatchServer | None:
    """A server's alert settings, if it ever used /watch."""
    row = await db.fetchone(f"SELECT {_SERVER_COLUMNS} FROM watch_servers WHERE guild_id = ?", (guild_id,))  # noqa: S608
    return WatchServer(*row) if row else None


_ENSURE_SERVER = (
    "INSERT INTO watch_servers (guild_id, threshold, through_version_id, created_at) VALUES (?, ?, ?, ?)"
    " ON CONFLICT DO NOTHING"
)


async def add_watch(
    db: Database,
    *,
    guild_id: int,
    kind: WatchKind,
    target: str,
    target_key: str,
    note: str,
    latest_version_id: int,
    created_by: int | None,
    now: dt.datetime,
    limit: int,
) -> AddOutcome:
    """Add a watch unless the server has it already or holds `limit` watches (checked inside the transaction).

    The server's alert cursor starts at the latest version the first time it uses watchlists, so its history
    never floods it; the watch itself only alerts for versions after `latest_version_id`.
    """
    async with db.transaction() as conn:
        await conn.execute(_ENSURE_SERVER, (guild_id, DEFAULT_THRESHOLD, latest_version_id, stamp(now)))
        async with conn.execute(
            f"SELECT {_WATCH_COLUMNS} FROM watches WHERE guild_id = ? AND kind = ? AND target_key = ?",  # noqa: S608
            (guild_id, kind, target_key),
        ) as cur:
            existing = await cur.fetchone()
        async with conn.execute("SELECT COUNT(*) FROM watches WHERE guild_id = ?", (guild_id,)) as cur:
            row = await cur.fetchone()
        count = int(row[0]) if row else 0
        if existing is not None:
            return AddOutcome("duplicate", Watch(*existing), count)
        if count >= limit:
            return AddOutcome("limit", None, count)
        async with conn.execute(
            "INSERT INTO watches (guild_id, kind, target, target_key, note, since_version_id, created_by, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (guild_id, kind, target, target_key, note, latest_version_id, created_by, stamp(now)),
        ) as cursor:
            inserted = await cursor.fetchone()
        assert inserted is not None
        watch_id = int(inserted[0])
        async with conn.execute(f"SELECT {_WATCH_COLUMNS} FROM watches WHERE id = ?", (watch_id,)) as cur:  # noqa: S608
            created = await cur.fetchone()
    assert created is not None
    return AddOutcome("added", Watch(*created), count + 1)


async def remove_watch(db: Database, guild_id: int, watch_id: int) -> Watch | None:
    """Remove one of a server's watches; return it (None if the server has no watch with that id)."""
    async with db.transaction() as conn:
        async with conn.execute(
            f"SELECT {_WATCH_COLUMNS} FROM watches WHERE id = ? AND guild_id = ?",  # noqa: S608
            (watch_id, guild_id),
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            return None
        await conn.execute("DELETE FROM watches WHERE id = ?", (watch_id,))
    return Watch(*row)


async def guild_watches(db: Database, guild_id: int) -> list[Watch]:
    """A server's watches, oldest first."""
    rows = await db.fetchall(
        f"SELECT {_WATCH_COLUMNS} FROM watches WHERE guild_id = ? ORDER BY id",  # noqa: S608
        (guild_id,),
    )
    return [Watch(*r) for r in rows]


async def _update_server(
    db: Database,
    guild_id: int,
    latest_version_id: int,
    now: dt.datetime,
    sql: str,
    params: Sequence[object],
    release_to: int | None = None,
) -> WatchServer:
    async with db.transaction() as conn:
        await conn.execute(_ENSURE_SERVER, (guild_id, DEFAULT_THRESHOLD, latest_version_id, stamp(now)))
        await conn.execute(sql, (*params, guild_id))
        if release_to is not None:
            await outbox.release_in(conn, lane(guild_id), release_to, now)
    found = await server(db, guild_id)
    assert found is not None
    return found


async def set_channel(
    db: Database, guild_id: int, channel_id: int, *, latest_version_id: int, now: dt.datetime
) -> WatchServer:
    """Send alerts to a channel from now on; clears a pause (alerts kept while paused go out there)."""
    return await _update_server(
        db,
        guild_id,
        latest_version_id,
        now,
        "UPDATE watch_servers SET channel_id = ?, paused_at = NULL, paused_reason = NULL WHERE guild_id = ?",
        (channel_id,),
        release_to=channel_id,
    )


async def set_threshold(
    db: Database, guild_id: int, threshold: int, *, latest_version_id: int, now: dt.datetime
) -> WatchServer:
    """The lowest search score at which a watched name alerts, for this server."""
    return await _update_server(
        db, guild_id, latest_version_id, now, "UPDATE watch_servers SET threshold = ? WHERE guild_id = ?", (threshold,)
    )


async def set_ping_role(
    db: Database,
    guild_id: int,
    role_id: int | None,
    role_name: str | None,
    *,
    latest_version_id: int,
    now: dt.datetime,
) -> WatchServer:
    """The one role alerts mention (None: mention nobody)."""
    return await _update_server(
        db,
        guild_id,
        latest_version_id,
        now,
        "UPDATE watch_servers SET ping_role_id = ?, ping_role_name = ? WHERE guild_id = ?",
        (role_id, role_name[:100] if role_name else None),
    )


# --- Working out alerts ------------------------------------------------------------------------------------


async def servers_behind(db: Database, version_id: int, scope: ShardScope | None = None) -> list[WatchServer]:
    """Servers (of this process's shards) whose alerts have not been worked out up to a version."""
    in_scope, params = scope_sql(scope, "guild_id")
    rows = await db.fetchall(
        f"SELECT {_SERVER_COLUMNS} FROM watch_servers WHERE through_version_id < ?"  # noqa: S608
        + in_scope
        + present_sql("guild_id")  # suspended while the bot is out of the server: worked out on its return
        + " ORDER BY guild_id",
        (version_id, *params),
    )
    return [WatchServer(*r) for r in rows]


async def watches_for_version(db: Database, version_id: int, guild_ids: Sequence[int]) -> dict[int, list[Watch]]:
    """The watches, by server, that a version can fire: of these servers, added before that version."""
    out: dict[int, list[Watch]] = {}
    ids = sorted(set(guild_ids))
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        rows = await db.fetchall(
            f"SELECT {_WATCH_COLUMNS} FROM watches WHERE since_version_id < ? AND guild_id IN ({marks})"  # noqa: S608
            " ORDER BY guild_id, id",
            (version_id, *chunk),
        )
        for row in rows:
            watch = Watch(*row)
            out.setdefault(watch.guild_id, []).append(watch)
    return out


async def record_alerts(
    db: Database, *, version_id: int, guild_ids: Sequence[int], alerts: Sequence[NewAlert], now: dt.datetime
) -> list[int]:
    """Record the alerts of one version and move these servers' cursors to it, in ONE transaction.

    A server whose cursor already reached the version (another process or pass got there first) is left
    alone. Returns the ids of the alert records written.
    """
    by_guild = {a.guild_id: a for a in alerts}
    written: list[int] = []
    at = stamp(now)
    async with db.transaction() as conn:
        for guild_id in guild_ids:
            async with conn.execute(
                "SELECT through_version_id, channel_id, paused_reason FROM watch_servers WHERE guild_id = ?",
                (guild_id,),
            ) as cur:
                row = await cur.fetchone()
            if row is None or int(row[0]) >= version_id:
                continue
            alert = by_guild.get(guild_id)
            if alert is not None and alert.hits:
                async with conn.execute(
                    "SELECT 1 FROM watch_deliveries WHERE guild_id = ? AND version_id = ?", (guild_id, version_id)
                ) as cur:
                    recorded = await cur.fetchone() is not None
                delivery_id = None
                if not recorded:
                    # Held while the server has no channel or is paused: /watch channel releases it.
                    reason = row[2] if row[2] is not None else ("no alert channel set" if row[1] is None else None)
                    post = NewPost("alert", lane(guild_id), guild_id, row[1], alert.nonce_seed, alert.payload, reason)
                    post_id = await outbox.insert(conn, post, now)
                    async with conn.execute(
                        "INSERT INTO watch_deliveries (guild_id, version_id, hit_count, created_at, outbox_id)"
                        " VALUES (?, ?, ?, ?, ?) RETURNING id",
                        (guild_id, version_id, len(alert.hits), at, post_id),
                    ) as cursor:
                        inserted = await cursor.fetchone()
                    delivery_id = int(inserted[0]) if inserted else None
                if delivery_id is not None:
                    written.append(delivery_id)
                    await conn.executemany(
                        "INSERT INTO watch_hits (watch_id, version_id, reference, delivery_id, change, score)"
                        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                        [(h.watch_id, version_id, h.reference, delivery_id, h.change, h.score) for h in alert.hits],
                    )
            await conn.execute(
                "UPDATE watch_servers SET through_version_id = ? WHERE guild_id = ? AND through_version_id < ?",
                (version_id, guild_id, version_id),
            )
    return written


# --- Sending ----------------------------------------------------------------------------------------------


async def delivery_of_post(db: Database, post_id: int) -> AlertDelivery | None:
    """The alert record an outbox post belongs to."""
    row = await db.fetchone(_DELIVERIES + " WHERE d.outbox_id = ?", (post_id,))
    return _delivery(row) if row else None


async def pause_server(db: Database, guild_id: int, *, reason: str, now: dt.datetime) -> None:
    """Stop a server's alerts until /watch channel is run again, saying why (its posts are held meanwhile)."""
    async with db.transaction() as conn:
        await conn.execute(
            "UPDATE watch_servers SET paused_at = ?, paused_reason = ? WHERE guild_id = ?",
            (stamp(now), reason[:300], guild_id),
        )


# --- Reading back -------------------------------------------------------------------------------------------


async def pending_count(db: Database, guild_id: int) -> int:
    """How many of a server's alerts are recorded but not fully sent."""
    return await outbox.unfinished(db, lane(guild_id))


async def deliveries_of(db: Database, guild_id: int) -> list[AlertDelivery]:
    """Every alert record of a server, oldest first."""
    rows = await db.fetchall(
        _DELIVERIES + " WHERE d.guild_id = ? ORDER BY d.id",
        (guild_id,),
    )
    return [_delivery(r) for r in rows]


async def hits_of(db: Database, guild_id: int) -> list[HitRecord]:
    """Every recorded hit of a server's watches, in version then reference order."""
    rows = await db.fetchall(
        "SELECT h.watch_id, h.version_id, h.reference, h.change, h.score FROM watch_hits h"
        " JOIN watch_deliveries d ON d.id = h.delivery_id WHERE d.guild_id = ?"
        " ORDER BY h.version_id, h.reference, h.watch_id",
        (guild_id,),
    )
    return [HitRecord(*r) for r in rows]


async def counts(db: Database) -> tuple[int, int, int]:
    """(servers with watches, watches, paused servers) over all servers."""
    row = await db.fetchone(
        "SELECT (SELECT COUNT(DISTINCT guild_id) FROM watches), (SELECT COUNT(*) FROM watches),"
        " (SELECT COUNT(*) FROM watch_servers WHERE paused_at IS NOT NULL)"
    )
    return (int(row[0]), int(row[1]), int(row[2])) if row else (0, 0, 0)
