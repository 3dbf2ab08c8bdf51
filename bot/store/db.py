"""The store's engines: the SQLite file (default) and PostgreSQL (DATABASE_URL), with numbered migrations each.

Store modules are written once against `Database`: reads through fetchall/fetchone, writes inside
`transaction()`, whose connection offers aiosqlite's small API (execute, as an awaitable or a context manager,
and executemany) on both engines. SQL uses `?` placeholders and portable syntax; where the engines differ
(full-text search, case-insensitive keys, locks) the store asks `db.dialect`.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import aiosqlite

from bot.errors import StoreUnavailable

log = logging.getLogger(__name__)

_MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
BUSY_TIMEOUT_MS = 5000
MIGRATIONS_DIR = Path(__file__).with_name("migrations")


@dataclass(frozen=True)
class Migration:
    """One numbered schema step."""

    version: int
    name: str
    sql: str


SQLITE = "sqlite"
POSTGRESQL = "postgresql"


def bundled_migrations(dialect: str = SQLITE) -> list[Migration]:
    """The migrations shipped for one engine (bot/store/migrations, …/migrations/postgresql), in order."""
    # Beside this module (a plain path: importlib.resources costs every command ~3 ms of imports).
    folder = MIGRATIONS_DIR
    if dialect == POSTGRESQL:
        folder = folder.joinpath("postgresql")
    found = []
    for item in folder.iterdir():
        match = _MIGRATION_NAME.match(item.name)
        if match:
            found.append(Migration(int(match.group(1)), match.group(2), item.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise RuntimeError(f"migrations must be numbered 1..n without gaps, found {versions}")
    return found


def schema_version_expected(dialect: str = SQLITE) -> int:
    """The schema version this code needs on one engine."""
    return len(bundled_migrations(dialect))


def is_database_url(location: str | Path) -> bool:
    """Whether a store location is a PostgreSQL URL (else it is a SQLite file path)."""
    return isinstance(location, str) and location.startswith(("postgresql://", "postgres://"))


def json_values(db: Database, cast: str | None = None) -> str:
    """A subquery giving the elements of a JSON array bound as one `?` (text, or cast to e.g. BIGINT)."""
    if db.dialect == POSTGRESQL:
        values = "jsonb_array_elements_text(CAST(? AS jsonb))"
        return f"SELECT CAST({values} AS {cast})" if cast else f"SELECT {values}"
    return "SELECT value FROM json_each(?)"


def greatest(db: Database) -> str:
    """The larger-of-several function: SQLite's scalar MAX(a, b), PostgreSQL's GREATEST(a, b)."""
    return "GREATEST" if db.dialect == POSTGRESQL else "MAX"


class Database:
    """What every store module uses, on either engine; `Database.open` picks the engine from the location."""

    dialect: str = SQLITE
    last_write_error: str | None = None
    # Writes committed through this object so far: what a kept answer that reads many tables (/about) is keyed by.
    writes: int = 0

    def _wrote(self) -> None:
        """A write was committed: the store works, and what it holds may have changed."""
        self.last_write_error = None
        self.writes += 1

    @staticmethod
    async def open(location: Path | str, *, migrate: bool = True) -> Database:
        """A SQLite file path, or a postgresql:// URL (the PostgreSQL store)."""
        if is_database_url(location):
            from bot.store.postgres import PostgresDatabase

            return await PostgresDatabase.open(str(location), migrate=migrate)
        return await SqliteDatabase.open(Path(location), migrate=migrate)

    def describe(self) -> str:
        """Where the store is, for messages and logs (never a password)."""
        raise NotImplementedError

    async def close(self) -> None:
        """Close the connections."""
        raise NotImplementedError

    async def __aenter__(self) -> Database:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def schema_version(self) -> int:
        """The schema version recorded in the database."""
        raise NotImplementedError

    async def migrate(self, migrations: Sequence[Migration] | None = None) -> list[Migration]:
        """Apply the migrations the database lacks; return those applied."""
        raise NotImplementedError

    async def check_writable(self) -> None:
        """Raise StoreUnavailable unless a write transaction can commit."""
        raise NotImplementedError

    def transaction(self, *, exclusive: str | None = None) -> AbstractAsyncContextManager[Any]:
        """A write transaction; `exclusive` names work that only one process at a time may do (e.g. "import")."""
        raise NotImplementedError

    async def write(self, sql: str, params: Iterable[Any] = ()) -> int:
        """Run one writing statement as a transaction of its own (one round trip, where transaction() takes
        three); return how many rows it touched."""
        raise NotImplementedError

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        """Run a read query; rows answer by position and by column name."""
        raise NotImplementedError

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> Any | None:
        """Run a read query and return its first row, if any."""
        raise NotImplementedError

    async def integrity_check(self) -> str:
        """The engine's own consistency verdict ('ok' when all is well)."""
        raise NotImplementedError

    #: Whether other processes' announcements (LISTEN/NOTIFY) reach this store; SQLite has none.
    announces = False

    def listen(self, channel: str, callback: Callable[[str], None]) -> AbstractAsyncContextManager[Listening]:
        """Call `callback(payload)` for each announcement on a channel while inside the block (PostgreSQL); wait on
        the Listening it gives, so that a lost connection raises ListenLost instead of going quiet."""
        raise NotImplementedError(f"{self.dialect} has no announcements")


class Listening(Protocol):
    """A held listening connection (Database.listen)."""

    async def wait(self, event: asyncio.Event) -> None:
        """Return when `event` is set; raise ListenLost as soon as the connection is known to be lost."""
        ...


class SqliteDatabase(Database):
    """One writer connection (write transactions with BEGIN IMMEDIATE) and one reader connection (WAL)."""

    dialect = SQLITE

    def __init__(self, path: Path, writer: aiosqlite.Connection, reader: aiosqlite.Connection) -> None:
        self.path = path
        self._writer = writer
        self._reader = reader
        self._write_lock = asyncio.Lock()
        self.last_write_error: str | None = None

    def describe(self) -> str:
        """The file's path."""
        return str(self.path)

    async def check_writable(self) -> None:
        """Raise StoreUnavailable unless a write transaction can start (read-only file, locked, disk trouble)."""
        async with self.transaction() as conn:
            # A real write (rolled back by the caller's error or kept harmlessly) proves the disk takes data.
            await conn.execute(
                "INSERT INTO meta (key, value) VALUES ('write_probe', datetime('now'))"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value"
            )

    @classmethod
    async def open(cls, path: Path, *, migrate: bool = True) -> SqliteDatabase:  # type: ignore[override]
        """Open (creating the file and its folder if needed), set PRAGMAs, apply migrations."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreUnavailable(f"cannot create the database folder {path.parent}: {exc.strerror}") from None
        writer = reader = None
        try:
            writer = await aiosqlite.connect(path, isolation_level=None)
            await _configure(writer)
            await _run(writer, "PRAGMA journal_mode = WAL")
            reader = await aiosqlite.connect(path, isolation_level=None)
            await _configure(reader)
            db = cls(path, writer, reader)
            if migrate:
                await db.migrate()
            return db
        except BaseException as exc:
            for conn in (writer, reader):
                if conn is not None:
                    await conn.close()
            if isinstance(exc, sqlite3.Error):
                raise StoreUnavailable(f"cannot open the database {path}: {exc}") from None
            raise

    async def close(self) -> None:
        """Close both connections (a checkpoint happens as the last one closes)."""
        await self._reader.close()
        await self._writer.close()

    async def schema_version(self) -> int:
        """The version recorded in the file (PRAGMA user_version)."""
        row = await self.fetchone("PRAGMA user_version")
        return int(row[0]) if row else 0

    async def migrate(self, migrations: Sequence[Migration] | None = None) -> list[Migration]:
        """Apply the migrations the file lacks, each in its own transaction; return those applied."""
        migrations = bundled_migrations() if migrations is None else migrations
        current = await self.schema_version()
        if current > len(migrations):
            raise StoreUnavailable(
                f"the database {self.path} has schema version {current}, newer than this program's "
                f"({len(migrations)}); upgrade sanctionsbot"
            )
        applied = []
        async with self._write_lock:
            if current == 0 and await self._fresh_schema(migrations):
                return list(migrations)
            for migration in migrations[current:]:
                script = (
                    "BEGIN IMMEDIATE;\n"
                    "CREATE TABLE IF NOT EXISTS schema_migrations ("
                    "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL);\n"
                    f"{migration.sql}\n"
                    f"INSERT INTO schema_migrations VALUES ({migration.version}, '{migration.name}', "
                    "strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));\n"
                    f"PRAGMA user_version = {migration.version};\n"
                    "COMMIT;"
                )
                try:
                    await self._writer.executescript(script)
                except sqlite3.Error:
                    if self._writer.in_transaction:
                        await self._writer.rollback()
                    raise
                log.info("migration applied version=%d name=%s", migration.version, migration.name)
                applied.append(migration)
        return applied

    async def _fresh_schema(self, migrations: Sequence[Migration]) -> bool:
        """On a file with nothing in it, build the schema from the snapshot of these migrations, if there is one."""
        from bot.store.schema_snapshot import fresh_schema_script

        script = fresh_schema_script(migrations)
        if script is None:
            return False
        async with self._writer.execute("SELECT count(*) FROM sqlite_master") as cursor:
            row = await cursor.fetchone()
        if row is None or row[0] != 0:
            return False
        try:
            await self._writer.executescript(f"BEGIN IMMEDIATE;\n{script}\nCOMMIT;")
        except sqlite3.Error:
            if self._writer.in_transaction:
                await self._writer.rollback()
            raise
        log.info("schema created from the snapshot of migrations 1..%d", len(migrations))
        return True

    @asynccontextmanager
    async def transaction(self, *, exclusive: str | None = None) -> AsyncIterator[aiosqlite.Connection]:
        """A write transaction (BEGIN IMMEDIATE … COMMIT, ROLLBACK on any error) on the writer connection.

        BEGIN IMMEDIATE already takes the file's one write lock, so `exclusive` work needs nothing more here.
        """
        async with self._write_lock:
            try:
                await _run(self._writer, "BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                self.last_write_error = str(exc)
                raise StoreUnavailable(f"cannot write to the database: {exc}") from None
            try:
                yield self._writer
            except sqlite3.OperationalError as exc:
                # Disk full, read-only file, I/O error: the store is fine up to here; say so, keep going.
                await self._writer.rollback()
                self.last_write_error = str(exc)
                log.warning("database write failed error=%s", exc)
                raise StoreUnavailable(f"cannot write to the database: {exc}") from None
            except BaseException:
                await self._writer.rollback()
                raise
            try:
                await self._writer.commit()
            except sqlite3.Error as exc:
                await self._writer.rollback()
                self.last_write_error = str(exc)
                raise StoreUnavailable(f"cannot write to the database: {exc}") from None
            self._wrote()

    async def write(self, sql: str, params: Iterable[Any] = ()) -> int:
        """One statement on the writer connection in autocommit (SQLite makes it a transaction of its own)."""
        async with self._write_lock:
            try:
                async with self._writer.execute(sql, tuple(params)) as cursor:
                    await cursor.fetchall()
                    count = cursor.rowcount
            except sqlite3.OperationalError as exc:
                self.last_write_error = str(exc)
                log.warning("database write failed error=%s", exc)
                raise StoreUnavailable(f"cannot write to the database: {exc}") from None
            self._wrote()
            return count

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        """Run a read query on the reader connection."""
        async with self._reader.execute(sql, tuple(params)) as cursor:
            return list(await cursor.fetchall())

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Row | None:
        """Run a read query and return its first row, if any."""
        async with self._reader.execute(sql, tuple(params)) as cursor:
            return await cursor.fetchone()

    async def integrity_check(self) -> str:
        """PRAGMA integrity_check's verdict ('ok' when all is well)."""
        row = await self.fetchone("PRAGMA integrity_check")
        return str(row[0]) if row else "no answer"


async def _run(conn: aiosqlite.Connection, sql: str) -> None:
    """Execute one statement and finish it (an unfinished statement blocks COMMIT)."""
    async with conn.execute(sql) as cursor:
        await cursor.fetchall()


async def _configure(conn: aiosqlite.Connection) -> None:
    conn.row_factory = sqlite3.Row
    await _run(conn, "PRAGMA foreign_keys = ON")
    await _run(conn, f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    await _run(conn, "PRAGMA synchronous = NORMAL")
