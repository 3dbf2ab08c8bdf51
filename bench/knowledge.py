"""Time the knowledge files: parse, first load, unchanged reload, and the lookups the commands make.

Run: .venv/bin/python bench/knowledge.py [rounds]   (prints a table; nothing is asserted)
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.clock import ManualClock
from bot.services.knowledge import KnowledgeService
from bot.services.lists import ListService
from bot.sources.knowledge import bundled_directory, parse_knowledge, read_files
from bot.store.db import Database


async def timed(fn: Callable[[], Awaitable[object]], rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        start = time.perf_counter()
        await fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


async def main(rounds: int) -> None:
    import datetime as dt

    clock = ManualClock(dt.datetime(2026, 11, 26, 12, tzinfo=dt.UTC))
    raw = read_files(bundled_directory())
    rows: list[tuple[str, list[float]]] = []

    async def parse() -> None:
        parse_knowledge(raw)

    rows.append(("parse + validate 6 files", await timed(parse, rounds)))
    with tempfile.TemporaryDirectory() as tmp:
        firsts = []
        for i in range(rounds):
            async with await Database.open(Path(tmp) / f"b{i}.sqlite3") as db:
                service = KnowledgeService(db, ListService(db), clock)
                start = time.perf_counter()
                await service.load()
                firsts.append((time.perf_counter() - start) * 1000)
        rows.append(("first load into an empty store", firsts))
        async with await Database.open(Path(tmp) / "b0.sqlite3") as db:
            service = KnowledgeService(db, ListService(db), clock)
            rows.append(("reload, files unchanged", await timed(service.load, rounds)))
            rows.append(("members(2018)", await timed(lambda: service.members(2018), rounds)))
            rows.append(("committee_info(DPRK)", await timed(lambda: service.committee_info(None, 2026), rounds)))
            rows.append(("denial()", await timed(service.denial, rounds)))
            rows.append(
                (
                    "search_quotes('hacking campaign')",
                    await timed(lambda: service.search_quotes("hacking campaign"), rounds),
                )
            )
    print(f"{'step':<36} {'median ms':>10} {'max ms':>8}  (rounds={rounds})")
    for name, values in rows:
        print(f"{name:<36} {statistics.median(values):>10.2f} {max(values):>8.2f}")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 20))
