"""The PostgreSQL server the tests use: POSTGRES_TEST_URL (default postgresql://postgres@127.0.0.1:5432/postgres).

Each test session makes its own databases, named sb_test_<pid>_<random>_…: per test, a copy of a template
(an empty store with its migrations applied, or one holding the five shared list versions) or, for the tests of
migrations themselves, a fresh empty database. A copy the test left untouched goes to the next test; the others
are dropped in batches (DROP_BATCH) and whatever is left at the end of the session.
Without a server, PostgreSQL tests are skipped with one line saying why; under CI (CI=true) a missing server
fails the run instead.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import secrets
import shutil
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from bot.services import search_cache

# Databases a test changed are dropped this many at a time: each DROP DATABASE waits for a checkpoint (seconds on
# a busy disk), and drops that wait together share one.
DROP_BATCH = 8
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
URL_VAR = "POSTGRES_TEST_URL"


def admin_url() -> str:
    """The server and maintenance database the tests connect to."""
    return os.environ.get(URL_VAR) or DEFAULT_URL


def with_database(url: str, name: str) -> str:
    """The same server URL naming another database."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


class PgServer:
    """Creates and drops this session's databases on the test server."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.prefix = f"sb_test_{os.getpid()}_{secrets.token_hex(3)}"
        self._numbers = itertools.count(1)
        self.created: list[str] = []
        self._to_drop: list[str] = []
        self._spare: dict[str, list[str]] = {}  # template name -> copies given back untouched
        self._prints: dict[str, Fingerprint] = {}  # template name -> its fingerprint

    async def _admin(self, *statements: str) -> None:
        conn = await asyncpg.connect(self.url, timeout=10)
        try:
            for statement in statements:
                await conn.execute(statement)
        finally:
            await conn.close()

    def probe(self) -> str | None:
        """None if the server answers, else why not (one line)."""
        try:
            asyncio.run(self._admin("SELECT 1"))
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            return f"no PostgreSQL at {self.url} ({reason}); set {URL_VAR}"
        return None

    def create(self, *, template: str | None = None, label: str = "") -> str:
        """A new database (a copy of `template` if given); its URL."""
        name = f"{self.prefix}_{label or next(self._numbers)}"
        source = f" TEMPLATE {template}" if template else ""
        asyncio.run(self._admin(f"CREATE DATABASE {name}{source}"))
        self.created.append(name)
        return with_database(self.url, name)

    def copy_of(self, template: str) -> str:
        """A database holding what the template database holds: a copy given back untouched, or a new one."""
        name = name_of(template)
        spare = self._spare.get(name)
        if spare:
            return with_database(self.url, spare.pop())
        return self.create(template=name)

    def give_back(self, template: str, url: str) -> None:
        """A test is done with a copy of `template`: keep it for the next test if nothing in it changed (no row,
        sequence or table), else drop it (in the background). Connections left open to it are closed first."""
        name = name_of(template)
        # The search indexes kept for this database go with the test (as they do in a SQLite test's tmp_path): the
        # next test to get the database must find what a fresh copy has.
        shutil.rmtree(search_cache.cache_dir_for(url), ignore_errors=True)
        try:
            if name not in self._prints:
                self._prints[name] = asyncio.run(_fingerprint(template))
            unchanged = asyncio.run(_fingerprint(url, close_others=True)) == self._prints[name]
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
            unchanged = False
        if not unchanged:
            self.drop_later(url)
            return
        self._spare.setdefault(name, []).append(name_of(url))

    def drop(self, url: str) -> None:
        """Drop one of this session's databases (closing anything still connected to it)."""
        name = urlsplit(url).path.strip("/")
        assert name.startswith(self.prefix), name
        asyncio.run(self._admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        if name in self.created:
            self.created.remove(name)

    def drop_later(self, url: str) -> None:
        """Drop one of this session's databases with the next batch (the test that used it is over)."""
        self._to_drop.append(name_of(url))
        if len(self._to_drop) >= DROP_BATCH:
            self._drop_together(self._to_drop)
            self._to_drop = []

    def _drop_together(self, names: list[str]) -> None:
        async def drop_all() -> None:
            # Each DROP DATABASE waits for a checkpoint; drops waiting at the same time share one.
            slots = asyncio.Semaphore(DROP_BATCH)

            async def drop(name: str) -> None:
                async with slots:
                    await self._admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

            await asyncio.gather(*(drop(name) for name in names))

        asyncio.run(drop_all())
        self.created = [name for name in self.created if name not in set(names)]

    def drop_stale(self) -> list[str]:
        """Drop the databases of earlier sessions whose process is gone (a run killed before its clean-up)."""

        async def stale() -> list[str]:
            conn = await asyncpg.connect(self.url, timeout=10)
            try:
                rows = await conn.fetch("SELECT datname FROM pg_database WHERE datname LIKE 'sb\\_test\\_%'")
            finally:
                await conn.close()
            return [r[0] for r in rows]

        dropped = []
        for name in asyncio.run(stale()):
            pid = name.split("_")[2]
            if not pid.isdigit() or _alive(int(pid)):
                continue
            asyncio.run(self._admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            dropped.append(name)
        return dropped

    def drop_all(self) -> None:
        """Drop every database this session made, together."""
        names = list(self.created)
        self._to_drop = []
        self._spare.clear()
        self._drop_together(names)


Fingerprint = tuple[tuple[object, ...], ...]

_TABLES = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
_SEQUENCES = "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = current_schema() ORDER BY 1"
_RELATIONS = "SELECT relname, relkind FROM pg_class WHERE relnamespace = current_schema()::regnamespace ORDER BY 1"


async def _fingerprint(url: str, *, close_others: bool = False) -> Fingerprint:
    """What a test could have changed in a database: each table's row count and newest writer (the largest
    `xmin`: any insert or update, even of the same values, writes a row with a newer one; a delete lowers the
    count), each sequence's position, and the set of relations (a table or index made or dropped)."""
    conn = await asyncpg.connect(url, timeout=10)
    try:
        others = "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        if close_others:
            await conn.execute(f"SELECT pg_terminate_backend(pid) {others}")
            for _ in range(100):  # until they are gone (their transactions rolled back, their locks released)
                if not await conn.fetchval(f"SELECT count(*) {others}"):
                    break
                await asyncio.sleep(0.05)
        tables = [r[0] for r in await conn.fetch(_TABLES)]
        # Table names come from the catalogue, never from a test's input.
        counts = " UNION ALL ".join(f"SELECT '{t}', count(*), max(xmin::text::bigint) FROM \"{t}\"" for t in tables)
        rows = await conn.fetch(counts) if counts else []
        sequences = await conn.fetch(_SEQUENCES)
        relations = await conn.fetch(_RELATIONS)
    finally:
        await conn.close()
    return tuple(tuple(r) for r in (*rows, *sequences, *relations))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def name_of(url: str) -> str:
    """The database name in a URL."""
    return urlsplit(url).path.strip("/")
