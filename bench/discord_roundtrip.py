"""Benchmark: /sanctions count through the local fake Discord (real discord.py client, real store).

Run: .venv/bin/python bench/discord_roundtrip.py [--calls 1000]
Measures the round trip from dispatching INTERACTION_CREATE on the gateway to receiving the callback body,
sequentially (latency) and then all at once (throughput), plus the process's resident memory.
Target (issue 2): p99 under 10 ms for sequential calls.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import shutil
import tempfile
import time
from pathlib import Path

from _common import rss_mib, summary_ms, table

from bot.app import SanctionsBot
from bot.clock import SystemClock
from bot.core import open_core
from bot.settings import Settings
from tests.discord_fake.harness import running_bot
from tests.e2e.conftest import ALICE, new_fake
from tests.shared_files import UN_LIST_DATES, un_list


async def main(calls: int) -> None:
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.sqlite3"
        settings = Settings(database_path=db, sync_interval_minutes=0, commands_per_minute=0)
        rss_start = rss_mib()
        async with open_core(settings, clock=SystemClock()) as core:
            for date in UN_LIST_DATES:
                await core.importer.import_bytes(un_list(date).read_bytes(), date)
            await core.after_import()
            rss_imported = rss_mib()
            fake = new_fake()
            await fake.start()
            bot = SanctionsBot(core, guild_ready_timeout=0.05)
            async with running_bot(fake, bot, token="bench.token.for-local-fake"):
                for _ in range(50):  # warm up
                    await fake.invoke("sanctions count", {"regime": "DPRK"}, user_id=ALICE)
                samples = []
                for i in range(calls):
                    res = await fake.invoke(
                        "sanctions count", {"regime": "DPRK" if i % 2 else "Al-Qaida"}, user_id=ALICE
                    )
                    samples.append(res.latency)
                seq = summary_ms(samples)
                started = time.perf_counter()
                results = await asyncio.gather(
                    *(
                        fake.invoke("sanctions count", {"regime": "DPRK"}, user_id=ALICE, timeout=60)
                        for _ in range(calls)
                    )
                )
                wall = time.perf_counter() - started
                burst = summary_ms([r.latency for r in results])
                answered = sum(1 for r in results if r.callback and r.callback.get("type") == 4)
                rss_end = rss_mib()
            fake.assert_no_violations()
            await fake.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print(
        table(
            "/sanctions count round trip through the local Discord (sequential)",
            [{"calls": calls, **{k: v for k, v in seq.items() if k != "n"}, "target_p99_ms": 10.0}],
        )
    )
    print(
        table(
            f"{calls} interactions dispatched at once",
            [
                {
                    "answered": answered,
                    "wall_s": wall,
                    "per_s": calls / wall,
                    "median_ms": burst["median_ms"],
                    "p99_ms": burst["p99_ms"],
                }
            ],
        )
    )
    print(
        table(
            "Resident memory of this process (bot + fake Discord + store)",
            [{"start_MiB": rss_start, "after_import_MiB": rss_imported, "after_calls_MiB": rss_end}],
        )
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=1000)
    asyncio.run(main(parser.parse_args().calls))
