"""Shared fixtures: settings on a temporary database, a core, and a store holding the five shared list versions."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import os
import shutil
import socket
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.clock import ManualClock
from bot.core import Core, open_core
from bot.services.search_cache import CACHE_DIR_VAR
from bot.settings import Secret, Settings
from tests.pg import PgServer, admin_url, name_of
from tests.shared_files import UN_LIST_DATES, SharedFilesMissing, shared_dir, un_list

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)
OWNER_ID = 1_160_000_000_000_000_099


_LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1", "0.0.0.0", ""}
_real_getaddrinfo = socket.getaddrinfo


def _loopback_only_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    """Tests may only reach this machine: resolving any other name is a test bug, refused loudly."""
    name = host.decode() if isinstance(host, bytes) else str(host or "")
    try:
        if not ipaddress.ip_address(name.strip("[]")).is_loopback:
            raise OSError(f"tests must not connect to {name} (loopback only)")
    except ValueError:
        if name.lower() not in _LOOPBACK_NAMES:
            raise OSError(f"tests must not resolve {name!r} (loopback only, no DNS)") from None
    return _real_getaddrinfo(host, *args, **kwargs)


def pytest_sessionstart(session: pytest.Session) -> None:
    """Fail the whole run at once, clearly, if the shared material is missing; keep every test on loopback."""
    try:
        shared_dir()
    except SharedFilesMissing as exc:
        pytest.exit(str(exc), returncode=4)
    socket.getaddrinfo = _loopback_only_getaddrinfo
    # Search indexes of PostgreSQL test databases: in a folder of this run, not the user's cache folder.
    os.environ.setdefault(CACHE_DIR_VAR, tempfile.mkdtemp(prefix="sanctionsbot-test-cache-"))


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    """Settings for a test: a database under tmp_path, no token, loopback-only URLs."""
    values: dict[str, object] = {
        "database_path": tmp_path / "store.sqlite3",
        "un_list_url": "http://127.0.0.1:9/consolidated.xml",
        "sync_interval_minutes": 0,  # no scheduled sync unless a test asks for one
        "feeds_allow_private": True,
        "owner_ids": frozenset({OWNER_ID}),
        "commands_per_minute": 0,  # no command limits unless a test is about them (tests/e2e/test_cooldowns.py)
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def store_env(settings: Settings) -> dict[str, str]:
    """The variables that point a child `sanctionsbot` process at the same store as `settings`."""
    if settings.database_url is not None:
        return {"DATABASE_URL": settings.database_url.reveal()}
    return {"DATABASE_PATH": str(settings.database_path)}


@pytest.fixture
def clock() -> ManualClock:
    """A clock that stands still at 2026-11-26 12:00 UTC until moved."""
    return ManualClock(NOW)


# --- the two engines ----------------------------------------------------------------------------------------
# Tests marked `both_engines` (a module's `pytestmark`, a class or a function) run once on a SQLite file and once
# on a fresh PostgreSQL database; the others on SQLite only. Every fixture below follows the `engine` parameter.

ENGINES = ("sqlite", "postgresql")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run the tests marked both_engines on each engine (their ids end in [sqlite] / [postgresql])."""
    if "engine" in metafunc.fixturenames and metafunc.definition.get_closest_marker("both_engines"):
        metafunc.parametrize("engine", ENGINES)


@pytest.fixture
def engine() -> str:
    """The store engine under test: SQLite unless the test is marked both_engines."""
    return "sqlite"


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer | None]:
    """The PostgreSQL test server (POSTGRES_TEST_URL), or None if it does not answer; drops our databases after."""
    server = PgServer(admin_url())
    reason = server.probe()
    if reason is not None:
        yield None
        return
    server.drop_stale()
    yield server
    server.drop_all()


def _require_pg(pg_server: PgServer | None) -> PgServer:
    if pg_server is None:
        reason = PgServer(admin_url()).probe() or f"no PostgreSQL at {admin_url()}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason} (CI=true: the PostgreSQL tests must run)")
        pytest.skip(reason)
    return pg_server


@pytest.fixture
def pg_database(engine: str, pg_server: PgServer | None) -> Iterator[str | None]:
    """A fresh, empty PostgreSQL database for one test (its URL), or None when the engine is SQLite."""
    if engine != "postgresql":
        yield None
        return
    server = _require_pg(pg_server)
    url = server.create()
    yield url
    server.drop(url)


@pytest.fixture
def store_location(tmp_path: Path, pg_database: str | None) -> Path | str:
    """Where a test's empty store is: a SQLite file under tmp_path, or a fresh PostgreSQL database's URL."""
    return pg_database if pg_database is not None else tmp_path / "store.sqlite3"


@pytest.fixture
def settings(tmp_path: Path, pg_database: str | None) -> Settings:
    """Settings on an empty temporary database (SQLite file, or PostgreSQL for both_engines tests)."""
    if pg_database is not None:
        return make_settings(tmp_path, database_url=Secret(pg_database))
    return make_settings(tmp_path)


@pytest.fixture
async def core(settings: Settings, clock: ManualClock) -> AsyncIterator[Core]:
    """A core on an empty store."""
    async with open_core(settings, clock=clock) as c:
        yield c


async def _import_all(path: Path, url: str | None = None) -> None:
    settings = Settings(database_path=path, database_url=Secret(url) if url else None)
    async with open_core(settings, clock=ManualClock(NOW)) as c:
        for date in UN_LIST_DATES:
            await c.importer.import_bytes(un_list(date).read_bytes(), f"un-{date}.xml")


@pytest.fixture(scope="session")
def loaded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database file with the five shared versions imported in date order (built once per run)."""
    path = tmp_path_factory.mktemp("template") / "loaded.sqlite3"
    asyncio.run(_import_all(path))
    return path


@pytest.fixture(scope="session")
def pg_loaded_template(pg_server: PgServer | None, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A PostgreSQL database with the five shared versions imported (built once per run; copied per test)."""
    server = _require_pg(pg_server)
    url = server.create(label="loaded")
    asyncio.run(_import_all(tmp_path_factory.mktemp("pg-template") / "unused.sqlite3", url))
    return url


@pytest.fixture
def loaded_settings(
    request: pytest.FixtureRequest, tmp_path: Path, engine: str, pg_server: PgServer | None
) -> Iterator[Settings]:
    """Settings on a private copy of the loaded database."""
    if engine == "postgresql":
        server = _require_pg(pg_server)
        template = request.getfixturevalue("pg_loaded_template")
        url = server.create(template=name_of(template))
        yield make_settings(tmp_path, database_url=Secret(url))
        server.drop(url)
        return
    loaded_template = request.getfixturevalue("loaded_template")
    target = tmp_path / "store.sqlite3"
    shutil.copyfile(loaded_template, target)
    yield make_settings(tmp_path, database_path=target)


@pytest.fixture
async def loaded_core(loaded_settings: Settings, clock: ManualClock) -> AsyncIterator[Core]:
    """A core whose store holds the five shared versions (2017-06-20 … 2024-09-26)."""
    async with open_core(loaded_settings, clock=clock) as c:
        yield c
