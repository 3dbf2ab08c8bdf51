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
from bot.store.db import Database
from tests.pg import PgServer, admin_url
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
# Every test that uses the `engine` fixture (directly or through settings, core, loaded_settings, loaded_core,
# store_location, pg_database, pg_store) runs once on a SQLite file and once on a PostgreSQL database; its ids end
# in [sqlite] / [postgresql]. A test that is about SQLite itself (its backup file, PRAGMAs, WAL, file permissions,
# its migration series) says so with `@pytest.mark.sqlite_only("why")`; a test that parametrizes `engine` itself
# keeps its own list. The `both_engines` marker (still on modules under tests/e2e/) is accepted and changes nothing.

ENGINES = ("sqlite", "postgresql")


def sqlite_only_reason(marker: pytest.Mark) -> str:
    """The reason a sqlite_only marker gives; a collection error if it gives none."""
    reason = marker.kwargs.get("reason", marker.args[0] if marker.args else None)
    if not isinstance(reason, str) or not reason.strip():
        raise pytest.UsageError('sqlite_only needs a reason: @pytest.mark.sqlite_only("why not PostgreSQL")')
    return reason


def _engine_is_parametrized(metafunc: pytest.Metafunc) -> bool:
    for mark in metafunc.definition.iter_markers("parametrize"):
        names = mark.args[0] if mark.args else mark.kwargs.get("argnames", ())
        if isinstance(names, str):
            names = [n.strip() for n in names.split(",")]
        if "engine" in names:
            return True
    return False


def engines_for(metafunc: pytest.Metafunc) -> tuple[str, ...]:
    """The engines one test function runs on (see the comment above)."""
    only = metafunc.definition.get_closest_marker("sqlite_only")
    if only is not None:
        sqlite_only_reason(only)
        return ("sqlite",)
    return ENGINES


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Refuse a sqlite_only marker without a reason, on any test (whether or not it uses the engine)."""
    for item in items:
        for marker in item.iter_markers("sqlite_only"):
            sqlite_only_reason(marker)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run every test that uses the engine on each engine, unless sqlite_only (see the comment above)."""
    if "engine" not in metafunc.fixturenames or _engine_is_parametrized(metafunc):
        return
    engines = engines_for(metafunc)
    if len(engines) > 1:
        metafunc.parametrize("engine", engines)


@pytest.fixture
def engine() -> str:
    """The store engine under test when the test is not parametrized over both: SQLite."""
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
    server.drop_later(url)


@pytest.fixture
def store_location(tmp_path: Path, pg_database: str | None) -> Path | str:
    """Where a test's empty store is: a SQLite file under tmp_path, or a fresh PostgreSQL database's URL (nothing
    in it, not even the schema: the store migrates it on open)."""
    return pg_database if pg_database is not None else tmp_path / "store.sqlite3"


async def _migrate(url: str) -> None:
    async with await Database.open(url):
        pass


@pytest.fixture(scope="session")
def pg_empty_template(pg_server: PgServer | None) -> str:
    """A PostgreSQL database with the store's migrations applied and no data (built once per run; copied per test:
    a copy costs less than applying the migrations again)."""
    server = _require_pg(pg_server)
    url = server.create(label="empty")
    asyncio.run(_migrate(url))
    return url


@pytest.fixture
def pg_store(request: pytest.FixtureRequest, engine: str, pg_server: PgServer | None) -> Iterator[str | None]:
    """An empty PostgreSQL store for one test, schema in place (a copy of pg_empty_template); None on SQLite."""
    if engine != "postgresql":
        yield None
        return
    server = _require_pg(pg_server)
    template = request.getfixturevalue("pg_empty_template")
    url = server.copy_of(template)
    yield url
    server.give_back(template, url)


@pytest.fixture
def settings(tmp_path: Path, pg_store: str | None) -> Settings:
    """Settings on an empty temporary store (a SQLite file, or PostgreSQL: see `engine`)."""
    if pg_store is not None:
        return make_settings(tmp_path, database_url=Secret(pg_store))
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
        url = server.copy_of(template)
        yield make_settings(tmp_path, database_url=Secret(url))
        server.give_back(template, url)
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


@pytest.fixture
def loaded_cli(tmp_path: Path, loaded_settings: Settings) -> Path:
    """A folder to run `python -m bot …` in (tests/test_cli.py run_cli) on a copy of the five-version store: its
    cli.sqlite3, or on PostgreSQL a .env there naming the test's database, as an operator would write it."""
    if loaded_settings.database_url is not None:
        (tmp_path / ".env").write_text(f"DATABASE_URL={loaded_settings.database_url.reveal()}\n", encoding="utf-8")
    else:
        shutil.copyfile(loaded_settings.database_path, tmp_path / "cli.sqlite3")
    return tmp_path
