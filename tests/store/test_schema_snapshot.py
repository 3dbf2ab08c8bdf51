"""A fresh SQLite file built from the schema snapshot is the file the migrations' replay builds."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest

from bot.store.db import Database, Migration, bundled_migrations
from bot.store.schema_snapshot import build_snapshot, fresh_schema_script, replayed, snapshot_path

pytestmark = pytest.mark.sqlite_only("the schema snapshot is how a new SQLite file is made")


def contents(conn: sqlite3.Connection) -> dict[str, object]:
    """Everything a file holds: its schema objects as SQLite stores them, every table's rows, its version."""
    schema = sorted(conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master"))
    rows: dict[str, object] = {}
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
        if name == "schema_migrations":  # applied_at is when it ran
            rows[name] = conn.execute("SELECT version, name FROM schema_migrations ORDER BY version").fetchall()
        else:
            rows[name] = sorted(map(tuple, conn.execute(f'SELECT * FROM "{name}"')), key=repr)
    return {"schema": schema, "rows": rows, "version": conn.execute("PRAGMA user_version").fetchone()[0]}


def test_the_snapshot_is_made_from_the_migrations_in_force() -> None:
    migrations = bundled_migrations()
    assert fresh_schema_script(migrations) is not None, "stale: run python -m bot.store.schema_snapshot"
    assert snapshot_path().read_text(encoding="utf-8") == build_snapshot(migrations)


async def test_a_fresh_file_from_the_snapshot_equals_the_replay(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "fresh.sqlite3"
    with caplog.at_level(logging.INFO, logger="bot.store.db"):
        async with await Database.open(path):
            pass
    assert "from the snapshot" in caplog.text
    fresh = sqlite3.connect(path)
    assert fresh.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert fresh.execute("PRAGMA foreign_key_check").fetchall() == []
    got = contents(fresh)
    assert got == contents(replayed(bundled_migrations()))
    assert got["version"] == len(bundled_migrations())
    # And it works as a store: full-text search and AUTOINCREMENT included.
    fresh.execute("INSERT INTO meta (key, value) VALUES ('k', 'v')")
    assert fresh.execute("SELECT count(*) FROM knowledge_quotes_fts WHERE knowledge_quotes_fts MATCH 'x'").fetchone()


async def test_other_migrations_or_a_used_file_are_migrated_step_by_step(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    extra = [*bundled_migrations(), Migration(len(bundled_migrations()) + 1, "extra", "CREATE TABLE extra (a);")]
    with caplog.at_level(logging.INFO, logger="bot.store.db"):
        async with await Database.open(tmp_path / "a.sqlite3", migrate=False) as db:
            assert await db.migrate(extra) == extra
            assert await db.schema_version() == len(extra)
        used = tmp_path / "b.sqlite3"
        sqlite3.connect(used).execute("CREATE TABLE leftover (a)")
        async with await Database.open(used) as db:
            assert await db.fetchall("SELECT * FROM leftover") == []
    assert "from the snapshot" not in caplog.text
    assert "migration applied version=6" in caplog.text
