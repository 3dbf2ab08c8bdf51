"""Online backups and checked restores through SQLite's backup API (safe while the bot runs)."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from bot.errors import StoreUnavailable
from bot.store.db import schema_version_expected

SQLITE_HEADER = b"SQLite format 3\x00"


@dataclass(frozen=True)
class FileCheck:
    """What a database file holds, checked before it is trusted."""

    path: Path
    schema_version: int
    versions: int
    integrity: str


def check_file(path: Path) -> FileCheck:
    """Check that a file is a sound sanctionsbot database; raise StoreUnavailable saying why not."""
    if not path.is_file():
        raise StoreUnavailable(f"{path}: no such file")
    with path.open("rb") as fh:
        if fh.read(16) != SQLITE_HEADER:
            raise StoreUnavailable(f"{path}: not an SQLite database")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise StoreUnavailable(f"{path}: cannot open it ({exc})") from None
    try:
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if integrity != "ok":
            raise StoreUnavailable(f"{path}: integrity check failed ({integrity})")
        schema = conn.execute("PRAGMA user_version").fetchone()[0]
        if schema < 1 or schema > schema_version_expected():
            raise StoreUnavailable(
                f"{path}: schema version {schema} is not one this program knows (1..{schema_version_expected()})"
            )
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not {"list_versions", "entry_revisions", "schema_migrations"} <= tables:
            raise StoreUnavailable(f"{path}: not a sanctionsbot database (its tables are missing)")
        versions = conn.execute("SELECT COUNT(*) FROM list_versions").fetchone()[0]
        return FileCheck(path, schema, versions, integrity)
    except sqlite3.Error as exc:
        raise StoreUnavailable(f"{path}: cannot read it ({exc})") from None
    finally:
        conn.close()


def backup(database: Path, target: Path) -> FileCheck:
    """Copy the live database to target (written beside it first, then renamed) and check the copy."""
    if not database.is_file():
        raise StoreUnavailable(f"{database}: no database to back up")
    if target.exists():
        raise StoreUnavailable(f"{target} already exists; choose a new file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    try:
        src = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
        checked = check_file(partial)
        os.replace(partial, target)
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise StoreUnavailable(f"backup failed: {exc}") from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return FileCheck(target, checked.schema_version, checked.versions, checked.integrity)


def restore(source: Path, database: Path) -> FileCheck:
    """Check source, then copy it over the database through the backup API (pages replaced in one step)."""
    checked = check_file(source)
    database.parent.mkdir(parents=True, exist_ok=True)
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        dst = sqlite3.connect(database, timeout=30)
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
    except sqlite3.Error as exc:
        raise StoreUnavailable(f"restore failed, the database is unchanged: {exc}") from None
    return checked
