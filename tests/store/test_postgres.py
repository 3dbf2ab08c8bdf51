"""PostgreSQL on a real server: migrations, transactions, advisory locks, NOTIFY, and what both engines share."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import asyncpg
import pytest

from bot.errors import StoreUnavailable
from bot.redact import redact_url, url_secrets
from bot.store import lists as store
from bot.store.db import POSTGRESQL, SQLITE, Database, Migration, bundled_migrations, schema_version_expected
from bot.store.postgres import to_postgres
from tests.shared_files import un_list


def test_placeholders_become_numbered_outside_quotes() -> None:
    assert to_postgres("SELECT ? , '?', \"a?\" FROM t WHERE x = ? AND y IN (?, ?)") == (
        "SELECT $1 , '?', \"a?\" FROM t WHERE x = $2 AND y IN ($3, $4)"
    )
    assert to_postgres("SELECT 'it''s ?' WHERE a = ?") == "SELECT 'it''s ?' WHERE a = $1"


def test_a_database_url_shows_without_its_password() -> None:
    url = "postgresql://bot:s3cr%40t@db.example:5432/sanctionsbot"
    assert redact_url(url) == "postgresql://***@db.example:5432/sanctionsbot"
    assert set(url_secrets(url, username=False)) == {"s3cr%40t", "s3cr@t"}


def test_each_engine_has_numbered_migrations() -> None:
    for dialect in (SQLITE, POSTGRESQL):
        migrations = bundled_migrations(dialect)
        assert [m.version for m in migrations] == list(range(1, schema_version_expected(dialect) + 1))


async def _columns(db: Database) -> dict[str, list[str]]:
    if db.dialect == SQLITE:
        tables = [
            r[0]
            for r in await db.fetchall(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                " AND name NOT LIKE 'knowledge_quotes_fts%'"
            )
        ]
        return {t: sorted(r[1] for r in await db.fetchall(f"PRAGMA table_info({t})")) for t in tables}
    rows = await db.fetchall(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public'"
    )
    out: dict[str, list[str]] = {}
    for table, column in rows:
        out.setdefault(table, []).append(column)
    return {t: sorted(c) for t, c in out.items()}


@pytest.mark.parametrize("engine", [POSTGRESQL])
async def test_the_engines_have_the_same_tables_and_columns(
    engine: str, store_location: Path | str, tmp_path: Path
) -> None:
    """Every table PostgreSQL has, SQLite has with the same columns (PostgreSQL's quote search is a column)."""
    async with await Database.open(store_location) as pg, await Database.open(tmp_path / "s.sqlite3") as lite:
        pg_columns, lite_columns = await _columns(pg), await _columns(lite)
    pg_columns["knowledge_quotes"].remove("search")
    assert set(pg_columns) <= set(lite_columns)
    for table, columns in pg_columns.items():
        assert columns == lite_columns[table], table


async def test_migrations_are_recorded_and_not_applied_twice(engine: str, store_location: Path | str) -> None:
    async with await Database.open(store_location) as db:
        assert db.dialect == engine
        assert await db.schema_version() == schema_version_expected(engine)
        rows = await db.fetchall("SELECT version, name FROM schema_migrations ORDER BY version")
        assert [(r[0], r[1]) for r in rows] == [(m.version, m.name) for m in bundled_migrations(engine)]
    async with await Database.open(store_location, migrate=False) as db:
        assert await db.migrate() == []


async def test_a_failed_migration_leaves_no_trace(engine: str, store_location: Path | str) -> None:
    async with await Database.open(store_location) as db:
        before = await db.schema_version()
        broken = [
            *bundled_migrations(engine),
            Migration(before + 1, "broken", "CREATE TABLE t (x INTEGER); SELECT nonsense(;"),
        ]
        with pytest.raises((sqlite3.Error, asyncpg.PostgresError)):
            await db.migrate(broken)
        assert await db.schema_version() == before
        with pytest.raises((sqlite3.Error, asyncpg.PostgresError)):
            await db.fetchall("SELECT * FROM t")


async def test_a_newer_schema_is_refused(engine: str, store_location: Path | str) -> None:
    async with await Database.open(store_location) as db:
        future = schema_version_expected(engine) + 5
        async with db.transaction() as conn:
            if engine == SQLITE:
                await conn.execute(f"PRAGMA user_version = {future}")
            else:
                await conn.execute("INSERT INTO schema_migrations VALUES (?, 'future', 'x')", (future,))
    with pytest.raises(StoreUnavailable, match="newer than this program"):
        await Database.open(store_location)


async def test_a_transaction_rolls_back_on_error(store_location: Path | str) -> None:
    async with await Database.open(store_location) as db:
        with pytest.raises(RuntimeError):
            async with db.transaction() as conn:
                await conn.execute("INSERT INTO meta (key, value) VALUES ('a', 'b')")
                raise RuntimeError("boom")
        assert await db.fetchone("SELECT * FROM meta WHERE key = 'a'") is None
        async with db.transaction() as conn:
            cursor = await conn.execute("INSERT INTO meta (key, value) VALUES (?, ?)", ("a", "b"))
            assert cursor.rowcount == 1
            async with conn.execute("UPDATE meta SET value = ? WHERE key = ? RETURNING key", ("c", "a")) as cur:
                assert [tuple(r) for r in await cur.fetchall()] == [("a",)]
        row = await db.fetchone("SELECT value FROM meta WHERE key = ?", ("a",))
        assert row is not None and row["value"] == "c" and row[0] == "c"


@pytest.mark.parametrize("engine", [POSTGRESQL])
async def test_an_unreachable_server_is_one_line_without_the_password(engine: str, pg_database: str) -> None:
    with pytest.raises(StoreUnavailable) as caught:
        await Database.open("postgresql://bot:hunter2secret@127.0.0.1:9/sanctionsbot")
    message = caught.value.message
    assert "\n" not in message and "hunter2secret" not in message
    assert message.startswith("cannot open the database postgresql://***@127.0.0.1:9/sanctionsbot")


@pytest.mark.parametrize("engine", [POSTGRESQL])
async def test_one_exclusive_transaction_at_a_time_across_connections(engine: str, store_location: Path | str) -> None:
    """Two stores on one database (two processes' worth): work named exclusive never overlaps.

    (SQLite needs nothing more: BEGIN IMMEDIATE is the file's one write lock.)"""
    async with await Database.open(store_location) as one, await Database.open(store_location) as two:
        inside: list[str] = []
        overlaps: list[tuple[str, ...]] = []

        async def work(db: Database, name: str) -> None:
            async with db.transaction(exclusive="import"):
                inside.append(name)
                if len(inside) > 1:
                    overlaps.append(tuple(inside))
                await asyncio.sleep(0.2)
                inside.remove(name)

        await asyncio.gather(work(one, "a"), work(two, "b"), work(one, "c"), work(two, "d"))
        assert overlaps == []

        # Not named exclusive: the same two do overlap (so the check above can fail).
        async def free(db: Database, name: str) -> None:
            async with db.transaction():
                inside.append(name)
                if len(inside) > 1:
                    overlaps.append(tuple(inside))
                await asyncio.sleep(0.2)
                inside.remove(name)

        await asyncio.gather(free(one, "e"), free(two, "f"))
        assert overlaps


@pytest.mark.parametrize("engine", [POSTGRESQL])
async def test_an_import_is_announced_to_other_processes_when_it_commits(
    engine: str, store_location: Path | str
) -> None:
    from bot.core import open_core
    from bot.settings import Secret, Settings

    heard: asyncio.Queue[str] = asyncio.Queue()
    async with await Database.open(store_location) as listener:
        assert listener.dialect == POSTGRESQL
        async with listener.listen(store.VERSIONS_CHANNEL, heard.put_nowait):  # type: ignore[attr-defined]
            settings = Settings(database_url=Secret(str(store_location)))
            async with open_core(settings) as core:
                result = await core.importer.import_bytes(un_list("2017-06-20").read_bytes(), "a.xml")
            payload = await asyncio.wait_for(heard.get(), 5)
            assert payload == str(result.version.id)
            assert heard.empty()
