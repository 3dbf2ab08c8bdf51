"""The feed tables: feeds and their health, stored items, each server's feeds and keywords."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from bot.clock import stamp
from bot.models_feeds import Feed, FeedItem, GuildFeed, StoredItem
from bot.store.db import Database, json_values
from bot.store.guilds import present_sql

_FEED_COLUMNS = (
    "id, url, title, kind, etag, last_modified, created_at, last_attempt_at, last_success_at, last_error,"
    " last_warning, consecutive_failures, next_poll_at"
)
_FEED_COLUMNS_F = ", ".join(f"f.{c.strip()}" for c in _FEED_COLUMNS.split(","))


def _feed(row: sqlite3.Row | Sequence[object]) -> Feed:
    return Feed(*row)  # type: ignore[arg-type]


async def feed_by_url(db: Database, url: str) -> Feed | None:
    """The feed with this URL, if stored."""
    row = await db.fetchone(f"SELECT {_FEED_COLUMNS} FROM feeds WHERE url = ?", (url,))  # noqa: S608
    return _feed(row) if row else None


async def feed_by_id(db: Database, feed_id: int) -> Feed | None:
    """The feed with this id, if stored."""
    row = await db.fetchone(f"SELECT {_FEED_COLUMNS} FROM feeds WHERE id = ?", (feed_id,))  # noqa: S608
    return _feed(row) if row else None


async def ensure_feed(db: Database, url: str, now: dt.datetime) -> Feed:
    """The feed with this URL, created (due for a poll at once) if new."""
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO feeds (url, created_at, next_poll_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            (url, stamp(now), stamp(now)),
        )
    feed = await feed_by_url(db, url)
    assert feed is not None
    return feed


async def due_feeds(db: Database, now: dt.datetime, limit: int = 100) -> list[Feed]:
    """Feeds some server follows whose next poll time has come, most overdue first."""
    rows = await db.fetchall(
        f"SELECT {_FEED_COLUMNS} FROM feeds WHERE next_poll_at <= ?"  # noqa: S608
        " AND EXISTS (SELECT 1 FROM guild_feeds g WHERE g.feed_id = feeds.id"
        + present_sql("g.guild_id")  # a server the bot has left no longer has its feeds fetched
        + ") ORDER BY next_poll_at LIMIT ?",
        (stamp(now), limit),
    )
    return [_feed(r) for r in rows]


async def claim_feed(db: Database, feed_id: int, now: dt.datetime, lease_until: dt.datetime) -> bool:
    """Take a due feed for one poll: True for exactly one of the processes sharing the store that ask at once.

    Its next poll time moves to `lease_until` (the poll's outcome then sets the real one; a process that dies
    mid-poll leaves the feed to be taken again when the lease runs out). The conditional UPDATE is the lock:
    on PostgreSQL a second UPDATE of the same row waits for the first and then no longer finds it due.
    """
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "UPDATE feeds SET next_poll_at = ? WHERE id = ? AND next_poll_at <= ?",
            (stamp(lease_until), feed_id, stamp(now)),
        )
        return bool(cursor.rowcount)


async def followers(db: Database, feed_ids: Sequence[int]) -> dict[int, list[int]]:
    """For each feed, the servers that follow it (lowest id first): whose limits its polls may count against."""
    rows = await db.fetchall(
        "SELECT feed_id, guild_id FROM guild_feeds"  # noqa: S608 - json_values is a constant fragment
        f" WHERE feed_id IN ({json_values(db, 'BIGINT')}) ORDER BY feed_id, guild_id",
        (json.dumps(list(feed_ids)),),
    )
    out: dict[int, list[int]] = {}
    for feed_id, guild_id in rows:
        out.setdefault(int(feed_id), []).append(int(guild_id))
    return out


ITEM_RETENTION = dt.timedelta(days=120)
MAX_ITEMS_PER_FEED = 500  # stored per feed; the oldest beyond it are pruned (never those the feed lists now)


async def save_poll(
    db: Database,
    feed_id: int,
    items: Sequence[FeedItem],
    *,
    at: dt.datetime,
    next_poll_at: dt.datetime,
    title: str,
    kind: str,
    etag: str | None,
    last_modified: str | None,
    warning: str | None,
) -> int:
    """Record a good poll: new items stored (known ones ignored), health reset; return how many are new.

    Servers that added the feed before its first successful fetch get their baseline here: everything the
    feed holds now counts as already seen for them. Items first seen over ITEM_RETENTION ago are deleted once
    the feed no longer lists them (while it does, deleting them would make them "new" again).
    """
    seen_at = stamp(at)
    rows = [
        (
            feed_id,
            i.dedup_key,
            i.guid,
            i.link,
            i.title,
            i.summary,
            stamp(i.published) if i.published else None,
            seen_at,
        )
        for i in reversed(items)  # feeds list newest first; storing oldest first keeps ids in arrival order
    ]
    count = "SELECT COUNT(*) FROM feed_items WHERE feed_id = ?"
    async with db.transaction() as conn:
        async with conn.execute(count, (feed_id,)) as cursor:
            before = (await cursor.fetchone())[0]
        await conn.executemany(
            "INSERT INTO feed_items"
            " (feed_id, dedup_key, guid, link, title, summary, published_at, seen_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            rows,
        )
        async with conn.execute(count, (feed_id,)) as cursor:
            added = int((await cursor.fetchone())[0]) - int(before)
        await conn.execute(
            "UPDATE feeds SET title = ?, kind = ?, etag = ?, last_modified = ?, last_attempt_at = ?,"
            " last_success_at = ?, last_error = NULL, last_warning = ?, consecutive_failures = 0,"
            " next_poll_at = ?"
            " WHERE id = ?",
            (title, kind, etag, last_modified, seen_at, seen_at, warning, stamp(next_poll_at), feed_id),
        )
        await conn.execute(
            "UPDATE guild_feeds SET seen_through ="
            " (SELECT COALESCE(MAX(id), 0) FROM feed_items WHERE feed_id = ?)"
            " WHERE feed_id = ? AND seen_through IS NULL",
            (feed_id, feed_id),
        )
        listed = json.dumps([i.dedup_key for i in items])
        await conn.execute(
            f"DELETE FROM feed_items WHERE feed_id = ? AND seen_at < ? AND dedup_key NOT IN ({json_values(db)})",  # noqa: S608
            (feed_id, stamp(at - ITEM_RETENTION), listed),
        )
        # A feed churning out new ids keeps at most MAX_ITEMS_PER_FEED (plus what it lists now, whose deletion
        # would make them "new" again at the next poll).
        await conn.execute(
            "DELETE FROM feed_items WHERE feed_id = ? AND id < COALESCE("  # noqa: S608 - a constant fragment
            " (SELECT id FROM feed_items WHERE feed_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?), 0)"
            f" AND dedup_key NOT IN ({json_values(db)})",
            (feed_id, feed_id, MAX_ITEMS_PER_FEED - 1, listed),
        )
    return added


async def save_not_modified(db: Database, feed_id: int, *, at: dt.datetime, next_poll_at: dt.datetime) -> None:
    """Record a 304 answer: a success with nothing new."""
    async with db.transaction() as conn:
        await conn.execute(
            "UPDATE feeds SET last_attempt_at = ?, last_success_at = ?, last_error = NULL,"
            " consecutive_failures = 0, next_poll_at = ? WHERE id = ?",
            (stamp(at), stamp(at), stamp(next_poll_at), feed_id),
        )
        await conn.execute(
            "UPDATE guild_feeds SET seen_through ="
            " (SELECT COALESCE(MAX(id), 0) FROM feed_items WHERE feed_id = ?)"
            " WHERE feed_id = ? AND seen_through IS NULL",
            (feed_id, feed_id),
        )


async def save_failure(db: Database, feed_id: int, *, at: dt.datetime, error: str, next_poll_at: dt.datetime) -> int:
    """Record a failed poll; return the number of failures in a row."""
    async with db.transaction() as conn:
        await conn.execute(
            "UPDATE feeds SET last_attempt_at = ?, last_error = ?,"
            " consecutive_failures = consecutive_failures + 1,"
            " next_poll_at = ? WHERE id = ?",
            (stamp(at), error[:500], stamp(next_poll_at), feed_id),
        )
        async with conn.execute("SELECT consecutive_failures FROM feeds WHERE id = ?", (feed_id,)) as cur:
            row = await cur.fetchone()
    return int(row[0]) if row else 0


async def max_item_id(db: Database) -> int:
    """The newest item id over all feeds (0 when there is none)."""
    row = await db.fetchone("SELECT COALESCE(MAX(id), 0) FROM feed_items")
    return int(row[0]) if row else 0


async def max_item_id_seen_before(db: Database, when: dt.datetime) -> int:
    """The newest item id first seen at or before a time (0 when there is none)."""
    row = await db.fetchone("SELECT COALESCE(MAX(id), 0) FROM feed_items WHERE seen_at <= ?", (stamp(when),))
    return int(row[0]) if row else 0


async def feed_item_count(db: Database, feed_id: int) -> int:
    """How many items of one feed are stored."""
    row = await db.fetchone("SELECT COUNT(*) FROM feed_items WHERE feed_id = ?", (feed_id,))
    return int(row[0]) if row else 0


# --- Servers ----------------------------------------------------------------------------------------------


async def is_set_up(db: Database, guild_id: int) -> bool:
    """True once the server got its default feeds and keywords."""
    return await db.fetchone("SELECT 1 FROM guild_setup WHERE guild_id = ?", (guild_id,)) is not None


async def set_up_guild(
    db: Database,
    guild_id: int,
    *,
    feeds: Sequence[tuple[str, str]],
    keywords: Sequence[str],
    now: dt.datetime,
) -> bool:
    """Give a server its default (url, name) feeds and keywords, once; return False if it already had them."""
    at = stamp(now)
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "INSERT INTO guild_setup (guild_id, set_up_at) VALUES (?, ?) ON CONFLICT DO NOTHING", (guild_id, at)
        )
        if cursor.rowcount == 0:
            return False
        for url, name in feeds:
            await conn.execute(
                "INSERT INTO feeds (url, created_at, next_poll_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                (url, at, at),
            )
            await _link_guild_feed(conn, guild_id, url, name, at)
        await conn.executemany(
            "INSERT INTO guild_keywords (guild_id, keyword) VALUES (?, ?) ON CONFLICT DO NOTHING",
            [(guild_id, k) for k in keywords],
        )
    return True


async def _link_guild_feed(conn: Any, guild_id: int, url: str, name: str, at: str) -> bool:
    # A feed never fetched successfully gets its baseline at its first success (seen_through stays NULL);
    # one already fetched counts everything it holds now as seen.
    cursor = await conn.execute(
        "INSERT INTO guild_feeds (guild_id, feed_id, name, added_at, seen_through)"
        " SELECT ?, f.id, ?, ?, CASE WHEN f.last_success_at IS NULL THEN NULL"
        " ELSE (SELECT COALESCE(MAX(i.id), 0) FROM feed_items i WHERE i.feed_id = f.id) END"
        " FROM feeds f WHERE f.url = ? ON CONFLICT DO NOTHING",
        (guild_id, name, at, url),
    )
    return bool(cursor.rowcount)


async def add_guild_feed(db: Database, guild_id: int, url: str, name: str, now: dt.datetime) -> bool:
    """Make a server follow a stored feed; return False if it already did."""
    async with db.transaction() as conn:
        return await _link_guild_feed(conn, guild_id, url, name, stamp(now))


async def remove_guild_feed(db: Database, guild_id: int, feed_id: int) -> bool:
    """Stop a server following a feed; a feed nobody follows any more is deleted with its items."""
    async with db.transaction() as conn:
        cursor = await conn.execute("DELETE FROM guild_feeds WHERE guild_id = ? AND feed_id = ?", (guild_id, feed_id))
        if cursor.rowcount == 0:
            return False
        await conn.execute(
            "DELETE FROM feeds WHERE id = ? AND NOT EXISTS (SELECT 1 FROM guild_feeds WHERE feed_id = ?)",
            (feed_id, feed_id),
        )
    return True


async def guild_feeds(db: Database, guild_id: int) -> list[GuildFeed]:
    """The feeds a server follows, in the order it added them."""
    rows = await db.fetchall(
        f"SELECT g.guild_id, g.name, g.added_at, g.seen_through, {_FEED_COLUMNS_F}"  # noqa: S608
        " FROM guild_feeds g JOIN feeds f ON f.id = g.feed_id WHERE g.guild_id = ? ORDER BY g.added_at, f.id",
        (guild_id,),
    )
    return [GuildFeed(r[0], r[1], r[2], r[3], _feed(tuple(r)[4:])) for r in rows]


async def candidate_items(
    db: Database, guild_id: int, *, after_id: int, through_id: int, limit: int = 5000
) -> list[StoredItem]:
    """A server's items with after_id < id <= through_id, back catalogues left out; newest ids first."""
    rows = await db.fetchall(
        "SELECT i.id, i.feed_id, g.name, i.title, i.link, i.summary, i.published_at, i.seen_at"
        " FROM guild_feeds g JOIN feed_items i ON i.feed_id = g.feed_id"
        " WHERE g.guild_id = ? AND g.seen_through IS NOT NULL AND i.id > g.seen_through"
        " AND i.id > ? AND i.id <= ?"
        " ORDER BY i.id DESC LIMIT ?",
        (guild_id, after_id, through_id, limit),
    )
    return [StoredItem(*r) for r in rows]


async def keywords(db: Database, guild_id: int) -> list[str]:
    """A server's keywords, alphabetically."""
    rows = await db.fetchall(
        "SELECT keyword FROM guild_keywords WHERE guild_id = ? ORDER BY lower(keyword)", (guild_id,)
    )
    return [r[0] for r in rows]


async def replace_keywords(db: Database, guild_id: int, words: Sequence[str]) -> None:
    """Set a server's keywords to exactly these."""
    async with db.transaction() as conn:
        await conn.execute("DELETE FROM guild_keywords WHERE guild_id = ?", (guild_id,))
        await conn.executemany(
            "INSERT INTO guild_keywords (guild_id, keyword) VALUES (?, ?) ON CONFLICT DO NOTHING",
            [(guild_id, w) for w in words],
        )


async def add_keywords(db: Database, guild_id: int, words: Sequence[str]) -> list[str]:
    """Add keywords; return those that were new."""
    added = []
    async with db.transaction() as conn:
        for word in words:
            cursor = await conn.execute(
                "INSERT INTO guild_keywords (guild_id, keyword) VALUES (?, ?) ON CONFLICT DO NOTHING", (guild_id, word)
            )
            if cursor.rowcount:
                added.append(word)
    return added


async def remove_keywords(db: Database, guild_id: int, words: Sequence[str]) -> list[str]:
    """Remove keywords (any case); return those that were there."""
    removed = []
    async with db.transaction() as conn:
        for word in words:
            cursor = await conn.execute(
                "DELETE FROM guild_keywords WHERE guild_id = ? AND lower(keyword) = lower(?)", (guild_id, word)
            )
            if cursor.rowcount:
                removed.append(word)
    return removed


async def feed_counts(db: Database) -> tuple[int, int]:
    """(feeds followed by some server, of which failing)."""
    row = await db.fetchone(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN consecutive_failures > 0 THEN 1 ELSE 0 END), 0) FROM feeds"
        " WHERE EXISTS (SELECT 1 FROM guild_feeds g WHERE g.feed_id = feeds.id)"
    )
    return (int(row[0]), int(row[1])) if row else (0, 0)
