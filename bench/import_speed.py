"""Benchmark: importing the UN list (empty store, on top of 2020, unchanged re-import) and memory after import.

Run: .venv/bin/python bench/import_speed.py [--repeat 5]
Target (issue 2): each import under 0.5 s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from _common import rss_mib, table

from bot.clock import SystemClock
from bot.core import open_core
from bot.settings import Settings
from tests.shared_files import un_list


async def _timed_import(db: Path, data: bytes, source: str) -> float:
    async with open_core(Settings(database_path=db), clock=SystemClock()) as core:
        started = time.perf_counter()
        await core.importer.import_bytes(data, source)
        return time.perf_counter() - started


async def main(repeat: int) -> None:
    latest = un_list("2024-09-26").read_bytes()
    base = un_list("2020-03-20").read_bytes()
    rows = []
    empty, on_2020, unchanged = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
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
        print(table("List import (wall time inside the importer: parse + diff + one write transaction)", rows))
        async with open_core(Settings(database_path=tmpdir / "mem.sqlite3")) as core:
            before = rss_mib()
            await core.importer.import_bytes(latest, "mem")
            await core.after_import()
            print(table("Memory", [{"process RSS before import MiB": before, "after import MiB": rss_mib()}]))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    asyncio.run(main(parser.parse_args().repeat))
