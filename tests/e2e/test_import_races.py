"""Concurrent imports and syncs in real processes on one store (issue 11, item 6; item 5's two syncs), on a SQLite
file and on PostgreSQL (where an advisory lock serialises the imports of every process on every host).

Each race is made certain, not one in a few: `tests.fixtures.paused_cli` is the real `sanctionsbot` command line,
held just before its import's write transaction while another process imports in full. Before the fix the held
process had already made its duplicate and order checks and read its predecessor: an older list became the
latest, a diff was made against the wrong version, and the same list twice crashed with a raw IntegrityError.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp import web

from bot.clock import ManualClock
from bot.core import open_core
from bot.settings import Secret, Settings
from bot.store.db import Database
from tests.conftest import NOW
from tests.shared_files import REPO_ROOT, un_list

pytestmark = pytest.mark.both_engines


@dataclass
class Done:
    code: int
    out: str
    err: str


class Cli:
    """One real `sanctionsbot` process on the shared database, held before its import's write transaction."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    @classmethod
    async def start(cls, tmp_path: Path, db: Path | str, *args: str, url: str = "http://127.0.0.1:9/none.xml") -> Cli:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_", "UN_LIST"))}
        store = {"DATABASE_URL": db} if isinstance(db, str) else {"DATABASE_PATH": str(db)}
        env.update({"PYTHONPATH": str(REPO_ROOT), "UN_LIST_URL": url, **store})
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.fixtures.paused_cli",
            *args,
            cwd=tmp_path,
            env=env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        return cls(proc)

    async def before_write(self) -> None:
        """Wait until the process is about to open its import's write transaction."""
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(self.proc.stdout.readline(), 60)
        assert line.decode().strip() == "BEFORE_WRITE", line

    def release(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"go\n")

    async def finish(self) -> Done:
        out, err = await asyncio.wait_for(self.proc.communicate(), 60)
        assert self.proc.returncode is not None
        return Done(self.proc.returncode, out.decode(), err.decode())

    async def run_through(self) -> Done:
        await self.before_write()
        self.release()
        return await self.finish()


@pytest.fixture
async def base_db(tmp_path: Path, pg_database: str | None) -> Path | str:
    """A store holding the 2020-03-20 list: a SQLite file, or a PostgreSQL database's URL."""
    location: Path | str = pg_database if pg_database is not None else tmp_path / "shared.sqlite3"
    settings = Settings(
        database_path=tmp_path / "shared.sqlite3", database_url=Secret(location) if pg_database else None
    )
    async with open_core(settings, clock=ManualClock(NOW)) as core:
        await core.importer.import_bytes(un_list("2020-03-20").read_bytes(), "un-2020-03-20.xml")
    return location


async def versions(location: Path | str) -> list[tuple[str, int, int, int]]:
    """(generated date, added, removed, amended) of every version, in import order."""
    async with await Database.open(location, migrate=False) as db:
        rows = await db.fetchall("SELECT generated_at, added, removed, amended FROM list_versions ORDER BY id")
        changes = await db.fetchall("SELECT version_id, COUNT(*) FROM entry_changes GROUP BY version_id")
        assert await db.integrity_check() == "ok"
    assert all(n > 0 for _, n in changes)
    return [(g[:10], a, r, m) for g, a, r, m in rows]


def no_traceback(done: Done) -> None:
    assert "Traceback" not in done.err and "IntegrityError" not in done.err, done.err[-1500:]


async def test_an_older_list_never_becomes_the_latest(tmp_path: Path, base_db: Path | str) -> None:
    older = await Cli.start(tmp_path, base_db, "import", str(un_list("2024-09-21")))
    await older.before_write()  # its checks (old code) saw 2020-03-20 as the latest
    newer = await Cli.start(tmp_path, base_db, "import", str(un_list("2024-09-26")))
    done_newer = await newer.run_through()
    assert done_newer.code == 0, done_newer.err
    older.release()
    done_older = await older.finish()
    no_traceback(done_older)
    assert done_older.code == 1
    assert "before the latest imported version (2024-09-26)" in done_older.err
    assert len(done_older.err.strip().splitlines()) == 1
    assert [v[0] for v in await versions(base_db)] == ["2020-03-20", "2024-09-26"]


async def test_each_diff_is_against_its_true_predecessor(
    tmp_path: Path, base_db: Path | str, loaded_template: Path
) -> None:
    newer = await Cli.start(tmp_path, base_db, "import", str(un_list("2024-09-26")))
    await newer.before_write()  # its predecessor (old code) was read as 2020-03-20
    older = await Cli.start(tmp_path, base_db, "import", str(un_list("2024-09-21")))
    assert (await older.run_through()).code == 0
    newer.release()
    done = await newer.finish()
    no_traceback(done)
    assert done.code == 0, done.err
    assert "against version 2 (generated 2024-09-21)" in done.out
    # The same lists imported one after the other (the session's template) give the same diffs.
    sequential = {v[0]: v for v in await versions(loaded_template)}
    assert (await versions(base_db))[1:] == [sequential["2024-09-21"], sequential["2024-09-26"]]


async def test_the_same_list_twice_at_once_is_imported_once(tmp_path: Path, base_db: Path | str) -> None:
    first = await Cli.start(tmp_path, base_db, "import", str(un_list("2024-09-26")))
    await first.before_write()  # its duplicate check (old code) found nothing
    second = await Cli.start(tmp_path, base_db, "import", str(un_list("2024-09-26")))
    assert (await second.run_through()).code == 0
    first.release()
    done = await first.finish()
    no_traceback(done)
    assert done.code == 0, done.err
    assert done.out.startswith("Already imported: this content") and "is version 2" in done.out
    assert [v[0] for v in await versions(base_db)] == ["2020-03-20", "2024-09-26"]


@pytest.fixture
async def list_url() -> AsyncIterator[str]:
    body = un_list("2024-09-26").read_bytes()

    async def handle(_request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="application/xml")

    app = web.Application()
    app.router.add_get("/consolidated.xml", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}/consolidated.xml"
    await runner.cleanup()


async def test_two_processes_syncing_at_once_import_once(tmp_path: Path, base_db: Path | str, list_url: str) -> None:
    # Two shards' processes (README: sharding over processes sharing one database) sync the same new list.
    a = await Cli.start(tmp_path, base_db, "sync", url=list_url)
    b = await Cli.start(tmp_path, base_db, "sync", url=list_url)
    await asyncio.gather(a.before_write(), b.before_write())  # both downloaded it; neither has written
    a.release()
    b.release()
    done = await asyncio.gather(a.finish(), b.finish())
    for d in done:
        no_traceback(d)
        assert d.code == 0, d.err
    outs = sorted(d.out.split(":")[0].split(" version")[0] for d in done)
    assert outs == ["Already imported", "Imported"], [d.out[:200] for d in done]
    assert [v[0] for v in await versions(base_db)] == ["2020-03-20", "2024-09-26"]
