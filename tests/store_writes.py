"""Did anything write to a store? One check for both engines, for tests of commands that must only read."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import asyncpg

from bot.settings import Settings

_PG_TABLES = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"


@asynccontextmanager
async def write_marker(settings: Settings) -> AsyncIterator[Callable[[], Awaitable[object]]]:
    """A function whose value changes whenever another connection has written to the store of `settings`.

    SQLite: `PRAGMA data_version` on a read-only connection of our own (it moves only when another connection
    commits). PostgreSQL: a digest of every row of every table with its `xmin` (the transaction that wrote it),
    so an insert, a delete or an update, even one that rewrites a row with the same values, changes it.
    """
    if settings.database_url is None:
        conn = sqlite3.connect(f"file:{settings.database_path}?mode=ro", uri=True)

        async def data_version() -> object:
            return conn.execute("PRAGMA data_version").fetchone()

        try:
            yield data_version
        finally:
            conn.close()
        return
    pg = await asyncpg.connect(settings.database_url.reveal(), timeout=10)

    async def rows_digest() -> object:
        digest = hashlib.sha256()
        for (table,) in await pg.fetch(_PG_TABLES):
            quoted = '"' + table.replace('"', '""') + '"'
            # The table names come from the catalogue, never from a test's input.
            each_row = f"SELECT xmin::text || ' ' || t::text AS r FROM {quoted} t"
            rows = await pg.fetchval(f"SELECT string_agg(r, E'\\n' ORDER BY r) FROM ({each_row}) s")
            digest.update(f"{table}\0{rows or ''}\0".encode())
        return digest.hexdigest()

    try:
        yield rows_digest
    finally:
        await pg.close()
