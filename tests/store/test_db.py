"""The SQLite file: PRAGMAs, migrations, transactions, on a real temporary file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.errors import StoreUnavailable
from bot.store.db import Database, Migration, bundled_migrations, schema_version_expected

# The same checks on PostgreSQL are in tests/store/test_postgres.py (migrations, a newer schema, roll-back).
pytestmark = pytest.mark.sqlite_only("the SQLite file itself: its PRAGMAs (WAL, user_version), folder and file errors")


async def test_open_creates_folder_and_applies_migrations(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "store.sqlite3"
    async with await Database.open(path) as db:
        assert path.exists()
        assert await db.schema_version() == schema_version_expected()
        mode = await db.fetchone("PRAGMA journal_mode")
        assert mode is not None and mode[0] == "wal"
        fk = await db.fetchone("PRAGMA foreign_keys")
        assert fk is not None and fk[0] == 1
        rows = await db.fetchall("SELECT version, name FROM schema_migrations ORDER BY version")
        assert [(r[0], r[1]) for r in rows] == [(m.version, m.name) for m in bundled_migrations()]


async def test_reopening_applies_nothing_twice(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    async with await Database.open(path):
        pass
    async with await Database.open(path, migrate=False) as db:
        assert await db.migrate() == []


async def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    async with await Database.open(path) as db, db.transaction() as conn:
        await conn.execute(f"PRAGMA user_version = {schema_version_expected() + 5}")
    with pytest.raises(StoreUnavailable, match="newer than this program"):
        await Database.open(path)


async def test_failed_migration_leaves_no_trace(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    async with await Database.open(path) as db:
        before = await db.schema_version()
        broken = [
            *bundled_migrations(),
            Migration(before + 1, "broken", "CREATE TABLE t (x); SELECT nonsense(;"),
        ]
        with pytest.raises(sqlite3.Error):
            await db.migrate(broken)
        assert await db.schema_version() == before
        assert await db.fetchone("SELECT name FROM sqlite_master WHERE name = 't'") is None


async def test_transaction_rolls_back_on_error(tmp_path: Path) -> None:
    async with await Database.open(tmp_path / "s.sqlite3") as db:
        with pytest.raises(RuntimeError):
            async with db.transaction() as conn:
                await conn.execute("INSERT INTO meta (key, value) VALUES ('a', 'b')")
                raise RuntimeError("boom")
        assert await db.fetchone("SELECT * FROM meta") is None
        assert await db.integrity_check() == "ok"


async def test_unopenable_path_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreUnavailable, match="cannot"):
        await Database.open(blocker / "store.sqlite3")
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreUnavailable, match="cannot open the database"):
        await Database.open(garbage)
