"""The PostgreSQL store (asyncpg): a connection pool, write transactions, advisory locks, numbered migrations.

The store modules' SQL is written with `?` placeholders, as for SQLite; it is rewritten to `$1, $2, …` here
once per statement text. A transaction's connection offers the same small API as aiosqlite's (execute as an
awaitable or a context manager, executemany), so one repository serves both engines.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import logging
import re
from collections.abc import AsyncIterator, Callable, Generator, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

from bot.errors import ListenLost, StoreUnavailable
from bot.redact import redact_url
from bot.store.db import POSTGRESQL, Database, Migration, bundled_migrations

log = logging.getLogger(__name__)

POOL_SIZE = 10  # per process: the digest pass sends 8 at a time while it composes the next ones
CONNECT_TIMEOUT_S = 10
COMMAND_TIMEOUT_S = 120
# A listening connection hears nothing when it is gone: a server that ends it is noticed at once (asyncpg's
# termination callback), a silent cut (no FIN, no RST) by a `SELECT 1` after this long without an announcement,
# answered within LISTEN_PROBE_TIMEOUT_S. Read at call time, so a test may shorten it.
LISTEN_CHECK_SECONDS = 30.0
LISTEN_PROBE_TIMEOUT_S = 10.0
# pg_advisory_xact_lock key for migrations: two processes starting at once migrate one after the other.
MIGRATION_LOCK = "sanctionsbot:migrate"
_RETURNS_ROWS = re.compile(r"^\s*(SELECT|WITH|VALUES|SHOW)\b|\bRETURNING\b", re.IGNORECASE)
_STATUS_COUNT = re.compile(r"(\d+)$")


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory lock key for a name."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@functools.lru_cache(maxsize=2048)
def to_postgres(sql: str) -> str:
    """`?` placeholders as `$1, $2, …`, leaving quoted strings and identifiers alone."""
    out: list[str] = []
    number = 0
    quote: str | None = None
    for char in sql:
        if quote:
            if char == quote:
                quote = None
        elif char in ("'", '"'):
            quote = char
        elif char == "?":
            number += 1
            out.append(f"${number}")
            continue
        out.append(char)
    return "".join(out)


@functools.lru_cache(maxsize=2048)
def _returns_rows(sql: str) -> bool:
    """Whether a statement gives rows back (a query, or RETURNING), decided once per statement text."""
    return _RETURNS_ROWS.search(sql) is not None


class PgCursor:
    """What a statement gave back: rows (for queries and RETURNING) and the number of rows touched."""

    lastrowid = None  # there is none in PostgreSQL: use RETURNING id

    def __init__(self, rows: list[asyncpg.Record], rowcount: int) -> None:
        self._rows = rows
        self.rowcount = rowcount

    async def fetchall(self) -> list[asyncpg.Record]:
        """Every row."""
        return self._rows

    async def fetchone(self) -> asyncpg.Record | None:
        """The first row, if any."""
        return self._rows[0] if self._rows else None

    async def __aenter__(self) -> PgCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None


class _Statement:
    """`await conn.execute(…)` or `async with conn.execute(…) as cursor`, as with aiosqlite."""

    def __init__(self, conn: asyncpg.Connection, sql: str, params: Sequence[Any]) -> None:
        self._conn, self._sql, self._params = conn, sql, params
        self._cursor: PgCursor | None = None

    async def _run(self) -> PgCursor:
        sql = to_postgres(self._sql)
        if _returns_rows(self._sql):
            rows = await self._conn.fetch(sql, *self._params)
            return PgCursor(rows, len(rows))
        status = await self._conn.execute(sql, *self._params)
        match = _STATUS_COUNT.search(status or "")
        return PgCursor([], int(match.group(1)) if match else 0)

    def __await__(self) -> Generator[Any, None, PgCursor]:
        return self._run().__await__()

    async def __aenter__(self) -> PgCursor:
        self._cursor = await self._run()
        return self._cursor

    async def __aexit__(self, *exc: object) -> None:
        return None


class PgConnection:
    """One pooled connection inside a transaction, with aiosqlite's small API."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.raw = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> _Statement:
        """Run one statement (awaitable, or an async context manager giving the cursor)."""
        return _Statement(self.raw, sql, tuple(params))

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement for each row of parameters."""
        batch = [tuple(r) for r in rows]
        if batch:
            await self.raw.executemany(to_postgres(sql), batch)


_CONNECTION_ERRORS = (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError, TimeoutError)
# Errors of the server or its disk, not of our SQL: the store is fine up to here; say so and keep answering reads.
_SERVER_ERRORS = (
    *_CONNECTION_ERRORS,
    asyncpg.InsufficientResourcesError,
    asyncpg.ReadOnlySQLTransactionError,
    asyncpg.OperatorInterventionError,
)


class PostgresDatabase(Database):
    """A pool of connections to one PostgreSQL database shared by every process of the bot."""

    dialect = POSTGRESQL
    announces = True

    def __init__(self, url: str, pool: asyncpg.Pool) -> None:
        self._url = url
        self._pool = pool
        self.last_write_error: str | None = None

    def describe(self) -> str:
        """The URL without its password."""
        return redact_url(self._url)

    @classmethod
    async def open(cls, url: str, *, migrate: bool = True) -> PostgresDatabase:  # type: ignore[override]
        """Connect (a pool of up to POOL_SIZE connections) and apply migrations."""
        try:
            pool = await asyncpg.create_pool(
                url,
                min_size=1,
                max_size=POOL_SIZE,
                timeout=CONNECT_TIMEOUT_S,
                command_timeout=COMMAND_TIMEOUT_S,
                reset=_keep_session,
            )
        except (*_CONNECTION_ERRORS, asyncpg.PostgresError, ValueError) as exc:
            raise StoreUnavailable(f"cannot open the database {redact_url(url)}: {_reason(exc)}") from None
        db = cls(url, pool)
        try:
            if migrate:
                await db.migrate()
        except BaseException:
            await db.close()
            raise
        return db

    async def close(self) -> None:
        """Close every pooled connection."""
        await self._pool.close()

    async def schema_version(self) -> int:
        """The highest migration recorded in schema_migrations (0 for an empty database)."""
        row = await self.fetchone("SELECT to_regclass('schema_migrations') IS NOT NULL")
        if not row or not row[0]:
            return 0
        row = await self.fetchone("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
        return int(row[0]) if row else 0

    async def migrate(self, migrations: Sequence[Migration] | None = None) -> list[Migration]:
        """Apply the missing migrations, each in its own transaction, under an advisory lock."""
        migrations = bundled_migrations(POSTGRESQL) if migrations is None else migrations
        applied: list[Migration] = []
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", lock_key(MIGRATION_LOCK))
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            current = int(await conn.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"))
            if current > len(migrations):
                raise StoreUnavailable(
                    f"the database {self.describe()} has schema version {current}, newer than this program's "
                    f"({len(migrations)}); upgrade sanctionsbot"
                )
            for migration in migrations[current:]:
                async with conn.transaction():  # a savepoint: one migration is all or nothing
                    await conn.execute(migration.sql)
                    await conn.execute(
                        "INSERT INTO schema_migrations VALUES ($1, $2, to_char(now() AT TIME ZONE 'UTC',"
                        ' \'YYYY-MM-DD"T"HH24:MI:SS"Z"\'))',
                        migration.version,
                        migration.name,
                    )
                log.info("migration applied engine=postgresql version=%d name=%s", migration.version, migration.name)
                applied.append(migration)
        return applied

    async def check_writable(self) -> None:
        """Raise StoreUnavailable unless a write commits."""
        async with self.transaction() as conn:
            await conn.execute(
                "INSERT INTO meta (key, value) VALUES ('write_probe', CAST(now() AS TEXT))"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value"
            )

    @asynccontextmanager
    async def transaction(self, *, exclusive: str | None = None) -> AsyncIterator[PgConnection]:
        """A transaction on one pooled connection (COMMIT, or ROLLBACK on any error).

        `exclusive` takes a transaction-level advisory lock on that name first: every process sharing this
        database waits for the one holding it (e.g. one list import at a time), and it is released at the end.
        """
        try:
            conn = await self._pool.acquire()
        except _SERVER_ERRORS as exc:
            self.last_write_error = _reason(exc)
            raise StoreUnavailable(f"cannot write to the database: {_reason(exc)}") from None
        try:
            tx = conn.transaction()
            await tx.start()
            try:
                if exclusive is not None:
                    await conn.execute("SELECT pg_advisory_xact_lock($1)", lock_key(f"sanctionsbot:{exclusive}"))
                yield PgConnection(conn)
            except _SERVER_ERRORS as exc:
                await _rollback(tx)
                self.last_write_error = _reason(exc)
                log.warning("database write failed error=%s", _reason(exc))
                raise StoreUnavailable(f"cannot write to the database: {_reason(exc)}") from None
            except BaseException:
                await _rollback(tx)
                raise
            try:
                await tx.commit()
            except (*_SERVER_ERRORS, asyncpg.PostgresError) as exc:
                self.last_write_error = _reason(exc)
                raise StoreUnavailable(f"cannot write to the database: {_reason(exc)}") from None
            self._wrote()
        finally:
            await self._pool.release(conn)

    async def write(self, sql: str, params: Iterable[Any] = ()) -> int:
        """One statement outside a transaction block: PostgreSQL commits it on its own (one round trip)."""
        try:
            async with self._pool.acquire() as conn:
                status = await conn.execute(to_postgres(sql), *tuple(params))
        except _SERVER_ERRORS as exc:
            self.last_write_error = _reason(exc)
            log.warning("database write failed error=%s", _reason(exc))
            raise StoreUnavailable(f"cannot write to the database: {_reason(exc)}") from None
        self._wrote()
        match = _STATUS_COUNT.search(status or "")
        return int(match.group(1)) if match else 0

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[asyncpg.Record]:
        """Run a read query on a pooled connection."""
        try:
            async with self._pool.acquire() as conn:
                return list(await conn.fetch(to_postgres(sql), *tuple(params)))
        except _CONNECTION_ERRORS as exc:
            raise StoreUnavailable(f"cannot read the database: {_reason(exc)}") from None

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> asyncpg.Record | None:
        """Run a read query and return its first row, if any."""
        try:
            async with self._pool.acquire() as conn:
                return await conn.fetchrow(to_postgres(sql), *tuple(params))
        except _CONNECTION_ERRORS as exc:
            raise StoreUnavailable(f"cannot read the database: {_reason(exc)}") from None

    async def integrity_check(self) -> str:
        """PostgreSQL checks its own pages; 'ok' when the server answers and the schema is there."""
        row = await self.fetchone("SELECT to_regclass('schema_migrations') IS NOT NULL")
        return "ok" if row and row[0] else "no schema"

    @asynccontextmanager
    async def listen(self, channel: str, callback: Callable[[str], None]) -> AsyncIterator[PgListening]:  # type: ignore[override]
        """Call `callback(payload)` for every NOTIFY on a channel while inside the block (one held connection);
        `wait` on what it gives raises ListenLost once that connection is lost. Every step is bounded in time."""
        try:
            conn = await self._pool.acquire(timeout=CONNECT_TIMEOUT_S)
        except (*_CONNECTION_ERRORS, asyncpg.PostgresError) as exc:
            raise ListenLost(f"cannot listen for announcements: {_reason(exc)}") from None
        held = PgListening(conn)

        def on_notify(_conn: object, _pid: int, _channel: str, payload: str) -> None:
            callback(payload)

        try:
            conn.add_termination_listener(held.closed)
            try:
                await conn.add_listener(channel, on_notify)
            except _CONNECTION_ERRORS as exc:
                held.lose(_reason(exc))
                raise ListenLost(f"cannot listen for announcements: {_reason(exc)}") from None
            yield held
        finally:
            # Nothing here may hang or replace the error (or cancellation) that ends the block: a lost connection
            # is already back in the pool, closed; a live one unlistens and goes back within the probe timeout.
            if held.lost is None:
                with contextlib.suppress(*_CONNECTION_ERRORS):
                    conn.remove_termination_listener(held.closed)
                    await asyncio.wait_for(conn.remove_listener(channel, on_notify), LISTEN_PROBE_TIMEOUT_S)
            with contextlib.suppress(*_CONNECTION_ERRORS):
                await self._pool.release(conn, timeout=LISTEN_PROBE_TIMEOUT_S)


class PgListening:
    """One listening connection, watched: closed by the server (noticed at once) or silent (probed)."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self._lost = asyncio.Event()
        #: Why the connection is lost (one line, no URL), or None while it is fine.
        self.lost: str | None = None

    def closed(self, _conn: object) -> None:
        """asyncpg's termination callback: the server or the network ended the connection."""
        self.lose("the connection was closed")

    def lose(self, reason: str) -> None:
        """Mark the connection lost (the first reason stays) and wake whoever waits."""
        if self.lost is None:
            self.lost = reason
            log.warning("listening connection lost reason=%s", reason)
        self._lost.set()

    def _raise_if_lost(self) -> None:
        if self.lost is not None:
            raise ListenLost(f"the listening connection to the database was lost: {self.lost}")

    async def wait(self, event: asyncio.Event) -> None:
        """Return when `event` is set; raise ListenLost once the connection is lost (probed every
        LISTEN_CHECK_SECONDS without news, so a silent cut is noticed too)."""
        while not event.is_set():
            self._raise_if_lost()
            waiters = [asyncio.ensure_future(event.wait()), asyncio.ensure_future(self._lost.wait())]
            try:
                done, _ = await asyncio.wait(waiters, timeout=LISTEN_CHECK_SECONDS, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in waiters:
                    waiter.cancel()
            if not done:
                await self.check()

    async def check(self) -> None:
        """A round trip on the listening connection; ListenLost (the connection dropped) if it fails or is late."""
        self._raise_if_lost()
        try:
            await self._conn.fetchval("SELECT 1", timeout=LISTEN_PROBE_TIMEOUT_S)
        except (*_CONNECTION_ERRORS, asyncpg.PostgresError) as exc:
            self.lose(_reason(exc))
            # Dropped, not reused: a connection that stopped answering must not go back to the pool.
            with contextlib.suppress(*_CONNECTION_ERRORS):
                self._conn.terminate()
        self._raise_if_lost()


async def _keep_session(_conn: asyncpg.Connection) -> None:
    """What a connection returned to the pool needs beyond asyncpg's own reset (it rolls back an open
    transaction and drops listeners): nothing. The store leaves no session state behind — its advisory locks
    are transaction-level, `listen` unlistens itself — so asyncpg's default reset statement (advisory unlock
    all, CLOSE ALL, UNLISTEN *, RESET ALL), a round trip on every release, is not sent."""


async def _rollback(tx: Any) -> None:
    with contextlib.suppress(*_CONNECTION_ERRORS):  # the connection is gone, and with it the transaction
        await tx.rollback()


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]
