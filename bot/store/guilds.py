"""Servers the bot has left: suspension while away, and deleting a server's data once it has been gone long."""

from __future__ import annotations

from bot.store.db import Database


def present_sql(column: str) -> str:
    """A condition (to append with its leading AND) keeping only servers the bot has not left."""
    # `column` is always one of our own column names, never user text.
    return f" AND {column} NOT IN (SELECT guild_id FROM guild_departures)"  # noqa: S608


async def mark_departed(db: Database, guild_id: int, left_at: str) -> bool:
    """Record that the bot left a server (the first time counts); True if it was not recorded yet."""
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "INSERT INTO guild_departures (guild_id, left_at) VALUES (?, ?) ON CONFLICT DO NOTHING", (guild_id, left_at)
        )
        return cursor.rowcount > 0


async def mark_returned(db: Database, guild_id: int) -> bool:
    """The bot is back in a server: lift its suspension; True if it was suspended."""
    async with db.transaction() as conn:
        cursor = await conn.execute("DELETE FROM guild_departures WHERE guild_id = ?", (guild_id,))
        return cursor.rowcount > 0


async def departed(db: Database) -> dict[int, str]:
    """Every server the bot has left and not returned to, with when it left."""
    rows = await db.fetchall("SELECT guild_id, left_at FROM guild_departures ORDER BY guild_id")
    return {int(r[0]): str(r[1]) for r in rows}


async def guilds_with_data(db: Database) -> set[int]:
    """Every server that has digests, feeds, keywords or watches here."""
    rows = await db.fetchall(
        "SELECT guild_id FROM digest_subscriptions UNION SELECT guild_id FROM guild_feeds"
        " UNION SELECT guild_id FROM guild_keywords UNION SELECT guild_id FROM watch_servers"
    )
    return {int(r[0]) for r in rows}


# Every table holding a server's own data, by its server column (child rows go with ON DELETE CASCADE). The
# outbox last: the digest and alert records that point at its posts go with their subscriptions and servers.
_GUILD_TABLES = ("digest_subscriptions", "guild_feeds", "guild_keywords", "guild_setup", "watch_servers", "outbox")


async def purge_departed(db: Database, left_before: str) -> list[int]:
    """Delete all data of servers left before a time (and feeds no server follows any more); their ids."""
    async with db.transaction() as conn:
        async with conn.execute(
            "SELECT guild_id FROM guild_departures WHERE left_at <= ? ORDER BY guild_id", (left_before,)
        ) as cursor:
            gone = [int(r[0]) for r in await cursor.fetchall()]
        for guild_id in gone:
            for table in _GUILD_TABLES:
                await conn.execute(f"DELETE FROM {table} WHERE guild_id = ?", (guild_id,))  # noqa: S608
            await conn.execute("DELETE FROM guild_departures WHERE guild_id = ?", (guild_id,))
        if gone:
            await conn.execute(
                "DELETE FROM feeds WHERE NOT EXISTS (SELECT 1 FROM guild_feeds g WHERE g.feed_id = feeds.id)"
            )
    return gone
