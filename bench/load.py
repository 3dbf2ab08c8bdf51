"""Benchmark: load and responsiveness.

1. 1,000 interactions dispatched at once through the local Discord (a mix of every read command plus a share of
   autocompletes) to the bot running as its own process (`sanctionsbot run`, as in production: Discord's side is
   another process, here this one). Reports answered/lost, how many needed a deferral, p50/p99 latency, throughput,
   and the bot process's resident memory before and after.
2. Heartbeats (100 ms interval) while a full list is imported inside the bot's event loop process.

Run: .venv/bin/python bench/load.py [--calls 1000] [--autocomplete-share 0.2]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import REPO_ROOT, summary_ms, table

from bot.app import SanctionsBot
from bot.clock import SystemClock
from bot.core import open_core
from bot.settings import Settings
from tests.discord_fake.harness import running_bot
from tests.e2e.conftest import new_fake
from tests.e2e.load_mix import USERS, dispatch, mix
from tests.fixtures.digest import isolate
from tests.shared_files import UN_LIST_DATES, un_list

TOKEN = "fake-bench-token.not-real.benchmarkbenchmarkbenchmark12"
WAIT_S = 30.0  # the longest any wait lasts: a burst, its deferred answers, the bot's start


def rss_of(pid: int) -> float:
    """Resident memory of a process in MiB."""
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


async def build_store(path: Path) -> None:
    async with open_core(Settings(database_path=path), clock=SystemClock()) as core:
        for date in UN_LIST_DATES:
            await core.importer.import_bytes(un_list(date).read_bytes(), date)


async def burst(calls: int, share: float, tmp: Path) -> None:
    db = tmp / "load.sqlite3"
    await build_store(db)
    fake = new_fake()
    await fake.start()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_"))}
    env.update(
        {
            "PYTHONPATH": str(REPO_ROOT),
            "DISCORD_TOKEN": TOKEN,
            "DISCORD_API_BASE": fake.api_base,
            "DISCORD_GATEWAY_URL": fake.gateway_url,
            "DATABASE_PATH": str(db),
            "SYNC_INTERVAL_MINUTES": "0",
            "COMMANDS_PER_MINUTE": "0",  # a load test of answers, not of the per-user limits
            "LOG_LEVEL": "WARNING",
        }
    )
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "run", cwd=tmp, env=env)
    try:
        await fake.wait_for_ready(timeout=WAIT_S * 2)
        await fake.wait_for_commands(timeout=WAIT_S * 2)
        await asyncio.sleep(2.5)  # discord.py's guild_ready_timeout before on_ready
        for call in mix(40, autocomplete_share=share, seed=1):  # warm caches and code paths
            await dispatch(fake, call, USERS[0], timeout=WAIT_S)
        rss_before = rss_of(proc.pid)
        batch = mix(calls, autocomplete_share=share)
        started = time.perf_counter()
        # Every wait is bounded, and all of them together: a lost interaction costs WAIT_S once, not once each.
        tasks = [
            asyncio.ensure_future(dispatch(fake, c, USERS[i % len(USERS)], timeout=WAIT_S)) for i, c in enumerate(batch)
        ]
        await asyncio.wait(tasks, timeout=WAIT_S + 5)
        results: list[Any] = []
        for task in tasks:
            if not task.done():
                task.cancel()
                results.append(TimeoutError("no answer"))
            else:
                results.append(task.exception() or task.result())
        wall = time.perf_counter() - started
        ok = [r for r in results if not isinstance(r, BaseException) and r.status in (200, 204)]
        deferred = [r for r in ok if r.type == 5]
        if deferred:
            waits = [asyncio.ensure_future(r.wait_followups(1, timeout=WAIT_S)) for r in deferred]
            await asyncio.wait(waits, timeout=WAIT_S + 5)
            for w in waits:
                w.cancel()
        done = time.perf_counter() - started
        rss_after = rss_of(proc.pid)
        pairs = [(c, r) for c, r in zip(batch, results, strict=True) if not isinstance(r, BaseException)]
        commands = [r.latency for c, r in pairs if r in ok and not c.focused]
        completes = [r.latency for c, r in pairs if r in ok and c.focused]
        late = sum(1 for r in ok if r.latency > 3.0)
        violations = len(fake.violations)
    finally:
        proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), WAIT_S)
        except TimeoutError:
            proc.kill()
            await proc.wait()
        await fake.stop()
    print(
        table(
            f"{calls} interactions at once to `sanctionsbot run` ({share:.0%} autocomplete)",
            [
                {
                    "answered": len(ok),
                    "lost": calls - len(ok),
                    "deferred": len(deferred),
                    "acked_after_3s": late,
                    "ack_wall_s": wall,
                    "all_done_s": done,
                    "per_s": calls / done,
                    "violations": violations,
                }
            ],
        )
    )
    print(
        table(
            "Latency from dispatch to the interaction's acknowledgement",
            [
                {"kind": "commands", **summary_ms(commands)},
                {"kind": "autocomplete", **summary_ms(completes)},
            ],
        )
    )
    print(table("Bot process resident memory", [{"before_MiB": rss_before, "after_MiB": rss_after}]))


async def heartbeats_during_import(tmp: Path) -> None:
    db = tmp / "hb.sqlite3"
    await build_store(db)
    async with open_core(
        Settings(database_path=db, sync_interval_minutes=0, commands_per_minute=0), clock=SystemClock()
    ) as core:
        isolate(core)
        fake = new_fake()
        fake.heartbeat_interval_ms = 100
        await fake.start()
        bot = SanctionsBot(core, guild_ready_timeout=0.05)
        async with running_bot(fake, bot, token="bench.token.for-local-fake"):
            await asyncio.sleep(0.5)
            before = len(fake.heartbeats)
            newer = un_list("2024-09-26").read_bytes().replace(b"2024-09-26T00:00:07.514Z", b"2030-01-01T00:00:00Z")
            t0 = time.perf_counter()
            await core.importer.import_bytes(newer, "bench")
            await core.after_import()  # the search index is rebuilt too
            import_s = time.perf_counter() - t0
            await asyncio.sleep(0.3)
            beats = [h.at for h in fake.heartbeats[before:]]
        await fake.stop()
    gaps = [b - a for a, b in itertools.pairwise(beats)]
    print(
        table(
            "Heartbeats (100 ms interval) while a full list is imported and the index rebuilt",
            [
                {
                    "import_and_reindex_s": import_s,
                    "heartbeats": len(beats),
                    "max_gap_ms": max(gaps) * 1000 if gaps else float("nan"),
                    "median_gap_ms": sorted(gaps)[len(gaps) // 2] * 1000 if gaps else float("nan"),
                }
            ],
        )
    )


async def main(calls: int, share: float) -> None:
    logging.basicConfig(level=logging.ERROR)
    tmp = Path(tempfile.mkdtemp())
    try:
        await burst(calls, share, tmp)
        await heartbeats_during_import(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--autocomplete-share", type=float, default=0.2)
    args = parser.parse_args()
    asyncio.run(main(args.calls, args.autocomplete_share))
