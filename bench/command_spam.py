"""Benchmark: one user's command spam (issue 11, item 10) through the local fake Discord, limits off and on.

Run: .venv/bin/python bench/command_spam.py [--calls 300] [--rounds 2] [--command search|count]
300 `/sanctions search` (a different name each time, so no answer comes from a cache) or `/sanctions count`
from one user at once; meanwhile another server's `/sanctions count`.
Per configuration: answers past Discord's 3 s, "command crashed" log lines, refusals ("try again in N s"), the
longest event-loop stall seen by a 10 ms ticker, the other server's latency, and the process's CPU time for the
burst. Rounds alternate limits off (COMMANDS_PER_MINUTE=0, the old behaviour) and on (20, the default) in one
run, so the CPU ratio is measured under the same machine load. Bot and fake Discord share one process and loop.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import shutil
import tempfile
import time
from pathlib import Path

from _common import rss_mib, table

from bot.app import SanctionsBot
from bot.clock import SystemClock
from bot.core import open_core
from bot.settings import Settings
from tests.discord_fake.harness import running_bot
from tests.e2e.conftest import ALICE, GUILD, new_fake
from tests.shared_files import un_list

GUILD2 = GUILD + 1_000


class Crashes(logging.Handler):
    """Counts "command crashed" records."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if "crashed" in record.getMessage():
            self.count += 1


async def ticker(stop: asyncio.Event, worst: list[float]) -> None:
    """Sleep 10 ms at a time; record the longest oversleep (an event-loop stall)."""
    while not stop.is_set():
        before = time.perf_counter()
        await asyncio.sleep(0.01)
        worst[0] = max(worst[0], time.perf_counter() - before - 0.01)


COMMANDS = {
    "search": ("sanctions search", {"name": "Kim Jong {n}"}),
    "count": ("sanctions count", {"regime": "DPRK"}),
}


async def one_round(settings: Settings, calls: int, command: str) -> dict[str, object]:
    path, options = COMMANDS[command]
    crashes = Crashes()
    logging.getLogger("bot").addHandler(crashes)
    try:
        async with open_core(settings, clock=SystemClock()) as core:
            fake = new_fake(guilds=(GUILD, GUILD2))
            fake.interaction_deadline = None  # measure lateness here instead of refusing it
            await fake.start()
            bot = SanctionsBot(core, guild_ready_timeout=0.05)
            async with running_bot(fake, bot, token="bench.token.for-local-fake"):
                stop, worst = asyncio.Event(), [0.0]
                tick = asyncio.create_task(ticker(stop, worst))
                cpu = time.process_time()
                spam = [
                    asyncio.ensure_future(fake.invoke(path, options, user_id=ALICE, timeout=120)) for _ in range(calls)
                ]
                await asyncio.sleep(0.05)
                other = await fake.invoke(
                    "sanctions count", {"regime": "DPRK"}, user_id=ALICE + 7, guild_id=GUILD2, timeout=120
                )
                results = await asyncio.gather(*spam)
                for r in results:  # an answer acknowledged first (a busy moment) comes as a follow-up: wait for it
                    if r.type == 5:
                        await r.wait_followups(1, timeout=120)
                cpu = time.process_time() - cpu
                stop.set()
                await tick
            await fake.stop()
    finally:
        logging.getLogger("bot").removeHandler(crashes)
    late = sum(1 for r in results if r.latency > 3.0)
    refused = sum(1 for r in results if "try again in" in str(r.data))
    return {
        "limits": "on (20/min)" if settings.commands_per_minute else "off",
        "calls": calls,
        "late_>3s": late,
        "crashed": crashes.count,
        "refused": refused,
        "answered": calls - refused,
        "max_stall_ms": worst[0] * 1000,
        "other_server_ms": other.latency * 1000,
        "cpu_s": cpu,
        "rss_mib": rss_mib(),
    }


async def main(calls: int, rounds: int, command: str) -> None:
    logging.basicConfig(level=logging.CRITICAL)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.sqlite3"
        base = Settings(database_path=db, sync_interval_minutes=0, commands_per_minute=0)
        async with open_core(base, clock=SystemClock()) as core:
            await core.importer.import_bytes(un_list("2024-09-26").read_bytes(), "2024-09-26")
        rows = []
        for n in range(rounds):
            for per_minute in (0, 20):
                copy = Path(tmp) / f"round-{n}-{per_minute}.sqlite3"  # a fresh store: commands sync each round
                shutil.copyfile(db, copy)
                settings = dataclasses.replace(base, database_path=copy, commands_per_minute=per_minute)
                rows.append(await one_round(settings, calls, command))
        shutil.rmtree(tmp, ignore_errors=True)
    title = f"{calls} /{COMMANDS[command][0]} from one user at once (limits off = before issue 11)"
    print(table(title, rows))
    off = [r["cpu_s"] for r in rows if r["limits"] == "off"]
    on = [r["cpu_s"] for r in rows if r["limits"] != "off"]
    print(f"CPU for the burst, limits on / off: {sum(on) / sum(off):.2f} (same run, interleaved)")  # type: ignore[arg-type]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--command", choices=sorted(COMMANDS), default="search")
    args = parser.parse_args()
    asyncio.run(main(args.calls, args.rounds, args.command))
