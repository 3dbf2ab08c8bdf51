"""A brand-new SQLite file gets the schema its migrations build, as one script instead of their replay.

Replaying every migration on an empty file costs a whole-process import a sixth of its CPU (0006's twenty
DROP COLUMNs each re-read the whole schema). migrations/sqlite_snapshot.sql holds what the replay leaves behind
(every CREATE as SQLite stores it, the rows the migrations write), stamped with a digest of the migrations it
was made from: a snapshot that does not match the migrations in force is never used (the file is migrated step
by step as before), and tests/store/test_schema_snapshot.py holds snapshot and replay equal.

Regenerate after adding or changing a migration: python -m bot.store.schema_snapshot
"""

from __future__ import annotations

import hashlib
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.store.db import MIGRATIONS_DIR, Migration, bundled_migrations

SNAPSHOT_NAME = "sqlite_snapshot.sql"
_STAMP = "-- sqlite snapshot of migrations 1..{count}, digest {digest}"
# Written by the migration runner around each step, not by the migrations themselves.
SCHEMA_MIGRATIONS = (
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
)


def migrations_digest(migrations: Sequence[Migration]) -> str:
    """A hash of the migrations' numbers, names and SQL: any change to any of them changes it."""
    digest = hashlib.sha256()
    for migration in migrations:
        digest.update(f"{migration.version}:{migration.name}\n{migration.sql}\n".encode())
    return digest.hexdigest()


def snapshot_path() -> Path:
    """Where the snapshot lives in the source tree (beside the migrations)."""
    return MIGRATIONS_DIR / SNAPSHOT_NAME


def fresh_schema_script(migrations: Sequence[Migration]) -> str | None:
    """The snapshot's statements, if it was made from exactly these migrations; else None (replay them)."""
    try:
        text = snapshot_path().read_text("utf-8")
    except FileNotFoundError:
        return None
    stamp, _, body = text.partition("\n")
    if stamp != _STAMP.format(count=len(migrations), digest=migrations_digest(migrations)):
        return None
    return body


def _literal(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, bytes):
        return f"X'{value.hex()}'"
    return "'" + str(value).replace("'", "''") + "'"


def replayed(migrations: Sequence[Migration]) -> sqlite3.Connection:
    """An in-memory database with the migrations replayed one by one, as SqliteDatabase.migrate does."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    for migration in migrations:
        conn.executescript(
            f"BEGIN;\n{SCHEMA_MIGRATIONS};\n{migration.sql}\n"
            f"INSERT INTO schema_migrations VALUES ({migration.version}, '{migration.name}', "
            "strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));\n"
            f"PRAGMA user_version = {migration.version};\nCOMMIT;"
        )
    return conn


def build_snapshot(migrations: Sequence[Migration]) -> str:
    """The snapshot text for these migrations: stamp, then the statements that rebuild what their replay leaves."""
    conn = replayed(migrations)
    kinds = {name: kind for _schema, name, kind, *_ in conn.execute("PRAGMA table_list")}
    lines = [_STAMP.format(count=len(migrations), digest=migrations_digest(migrations))]
    tables: list[str] = []
    for name, sql in conn.execute("SELECT name, sql FROM sqlite_master ORDER BY rowid"):
        # Automatic indexes, SQLite's own tables and a virtual table's shadow tables come with their owners.
        if sql is None or name.startswith("sqlite_") or kinds.get(name) == "shadow":
            continue
        lines.append(f"{sql};")
        if kinds.get(name) == "table" and name != "schema_migrations":
            tables.append(name)
    for name in [*tables, "sqlite_sequence"]:
        if name not in kinds:
            continue
        for row in conn.execute(f'SELECT * FROM "{name}"'):  # noqa: S608 (names from sqlite_master)
            values = ", ".join(_literal(v) for v in row)
            lines.append(f'INSERT INTO "{name}" VALUES ({values});')  # noqa: S608 (writes SQL text, values quoted)
    for migration in migrations:
        stamp = f"({migration.version}, '{migration.name}', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))"
        lines.append(f"INSERT INTO schema_migrations VALUES {stamp};")  # noqa: S608 (names matched [a-z0-9_]+)
    lines.append(f"PRAGMA user_version = {len(migrations)};")
    conn.close()
    return "\n".join(lines) + "\n"


def main() -> int:
    """Write the snapshot for the bundled migrations beside them."""
    path = snapshot_path()
    path.write_text(build_snapshot(bundled_migrations()), encoding="utf-8")
    sys.stdout.write(f"wrote {path}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
