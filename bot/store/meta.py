"""A small key-value table for the bot's own bookkeeping (e.g. the hash of the last command sync)."""

from __future__ import annotations

from bot.store.db import Database


async def get(db: Database, key: str) -> str | None:
    """The value stored under key, if any."""
    row = await db.fetchone("SELECT value FROM meta WHERE key = ?", (key,))
    return str(row[0]) if row else None


async def set(db: Database, key: str, value: str) -> None:
    """Store value under key (replacing any previous one)."""
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )
