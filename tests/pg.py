"""The PostgreSQL server the tests use: POSTGRES_TEST_URL (default postgresql://postgres@127.0.0.1:5432/postgres).

Each test session makes its own databases, named sb_test_<pid>_<random>_…, and drops them at the end: a
fresh empty database per test (the store migrates it on open), and copies of a loaded template for tests that
start from the five shared list versions. Without a server, PostgreSQL tests are skipped with one line saying
why; under CI (CI=true) a missing server fails the run instead.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import secrets
from urllib.parse import urlsplit, urlunsplit

import asyncpg

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

    def drop(self, url: str) -> None:
        """Drop one of this session's databases (closing anything still connected to it)."""
        name = urlsplit(url).path.strip("/")
        assert name.startswith(self.prefix), name
        asyncio.run(self._admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        if name in self.created:
            self.created.remove(name)

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
        """Drop every database this session made."""
        for name in list(self.created):
            self.drop(with_database(self.url, name))


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
