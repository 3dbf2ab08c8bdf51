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
import sys
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


async def main(calls: int) -> int:
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
                # Bounded (30 s for the whole burst); what was not answered by then counts as lost, not a hang.
                results = await asyncio.gather(
                    *(
                        fake.invoke("sanctions count", {"regime": "DPRK"}, user_id=ALICE, timeout=30)
                        for _ in range(calls)
                    ),
                    return_exceptions=True,
                )
                wall = time.perf_counter() - started
                acked = [r for r in results if not isinstance(r, BaseException) and r.status in (200, 204)]
                burst = summary_ms([r.latency for r in acked] or [float("nan")])
                answered = sum(1 for r in acked if r.callback and r.callback.get("type") in (4, 5))
                rss_end = rss_mib()
            violations = list(fake.violations)
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
    # The checks come after the tables: a failed one still shows what was measured.
    problems = [f"{len(violations)} contract violation(s), e.g. {violations[0]}"] if violations else []
    if answered < calls:
        problems.append(f"{calls - answered} of {calls} burst interactions were not acknowledged in time")
    for problem in problems:
        print(f"CHECK FAILED: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=1000)
    sys.exit(asyncio.run(main(parser.parse_args().calls)))
