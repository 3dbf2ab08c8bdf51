"""Benchmark: importing the UN list (empty store, on top of 2020, unchanged re-import) and memory after import.

Run: .venv/bin/python bench/import_speed.py [--repeat 5] [--postgresql postgresql://postgres@127.0.0.1:5432/postgres]
Target (issue 2): each import under 0.5 s on a 2-core machine. With --postgresql the stores are databases made
(and dropped) on that server instead of SQLite files; the whole-process comparison with the floor is
`python -m bench --only startup` (issue 12).
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import shutil
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from _common import rss_mib, table

from bot.clock import SystemClock
from bot.core import open_core
from bot.settings import Secret, Settings
from tests.shared_files import un_list


async def _timed_import(store: Path | str, data: bytes, source: str) -> float:
    settings = Settings(database_url=Secret(store)) if isinstance(store, str) else Settings(database_path=store)
    async with open_core(settings, clock=SystemClock(), eager=False) as core:
        started = time.perf_counter()
        await core.importer.import_bytes(data, source)
        return time.perf_counter() - started


@asynccontextmanager
async def _postgres_databases(server: str) -> AsyncIterator[Callable[[], Awaitable[str]]]:
    """Fresh databases on a PostgreSQL server (each a new URL), all dropped at the end."""
    import asyncpg

    made: list[str] = []

    async def new() -> str:
        name = f"sb_bench_{secrets.token_hex(4)}"
        conn = await asyncpg.connect(server)
        try:
            await conn.execute(f"CREATE DATABASE {name}")
        finally:
            await conn.close()
        made.append(name)
        return urlunsplit(urlsplit(server)._replace(path=f"/{name}"))

    try:
        yield new
    finally:
        conn = await asyncpg.connect(server)
        try:
            for name in made:
                await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        finally:
            await conn.close()


async def _postgresql(server: str, repeat: int, latest: bytes, base: bytes) -> list[list[float]]:
    empty: list[float] = []
    on_2020: list[float] = []
    unchanged: list[float] = []
    async with _postgres_databases(server) as new_database:
        for _ in range(repeat):
            url = await new_database()
            empty.append(await _timed_import(url, latest, "2024-09-26"))
            unchanged.append(await _timed_import(url, latest, "2024-09-26 again"))
            url = await new_database()
            await _timed_import(url, base, "2020")
            on_2020.append(await _timed_import(url, latest, "2024-09-26"))
    return [empty, on_2020, unchanged]


async def main(repeat: int, postgresql: str | None) -> None:
    latest = un_list("2024-09-26").read_bytes()
    base = un_list("2020-03-20").read_bytes()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        if postgresql:
            empty, on_2020, unchanged = await _postgresql(postgresql, repeat, latest, base)
        else:
            empty, on_2020, unchanged = [], [], []
            seeded = tmpdir / "seeded.sqlite3"
            await _timed_import(seeded, base, "2020")
            for i in range(repeat):
                db = tmpdir / f"empty{i}.sqlite3"
                empty.append(await _timed_import(db, latest, "2024-09-26"))
                unchanged.append(await _timed_import(db, latest, "2024-09-26 again"))
                copy = tmpdir / f"copy{i}.sqlite3"
                shutil.copyfile(seeded, copy)
                on_2020.append(await _timed_import(copy, latest, "2024-09-26"))
        for name, samples in (
            ("2024-09-26 into an empty store", empty),
            ("2024-09-26 onto the 2020-03-20 version", on_2020),
            ("2024-09-26 again (byte-identical)", unchanged),
        ):
            rows.append(
                {
                    "import": name,
                    "runs": len(samples),
                    "median_s": statistics.median(samples),
                    "max_s": max(samples),
                    "target_s": 0.5,
                }
            )
        engine = "PostgreSQL" if postgresql else "SQLite"
        print(table(f"List import on {engine} (wall time inside the importer: parse + diff + one write)", rows))
        async with open_core(Settings(database_path=tmpdir / "mem.sqlite3")) as core:
            before = rss_mib()
            await core.importer.import_bytes(latest, "mem")
            await core.after_import()
            print(table("Memory", [{"process RSS before import MiB": before, "after import MiB": rss_mib()}]))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--postgresql", metavar="SERVER_URL", help="import into databases made on this server")
    args = parser.parse_args()
    asyncio.run(main(args.repeat, args.postgresql))
