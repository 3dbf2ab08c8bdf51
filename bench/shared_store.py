"""Benchmark: digests and a list import with alerts, delivered by `sanctionsbot run` processes through the local
Discord: one process on SQLite, one on PostgreSQL, and two (SHARD_COUNT=2) sharing PostgreSQL.

Run: `.venv/bin/python -m bench.shared_store [--servers 10000] [--watchers 500] [--quick] [--only pg2] [--profile DIR]`

Each server has one digest channel (a daily digest, due when the processes start, `post_empty`) and, for the
first `--watchers` servers, an alert channel with a watch on a reference the next list version adds. The store
holds the 2020-03-20 list. The real bot processes log in to `tests/discord_fake` (every body validated); the
clock starts when they are launched. Reported per configuration: time to the last digest, digests per second
(from the first post to the last), then, after `sanctionsbot import` of 2024-09-21 by a third process, time
to the last alert; duplicates (a channel with more than one post); CPU seconds of the bot processes. The
digest loop starts at most 500 digests per process per 30-second pass, so more servers mean more passes.
PostgreSQL: POSTGRES_TEST_URL (default postgresql://postgres@127.0.0.1:5432/postgres); a database is created
for each run and dropped after.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import functools
import logging
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

from bench._common import table
from bot.clock import SystemClock
from bot.core import open_core
from bot.settings import Secret, Settings
from bot.sources.un_xml import parse_consolidated_list
from tests.discord_fake import FakeDiscord
from tests.pg import PgServer, admin_url
from tests.shared_files import REPO_ROOT, openapi_path, un_list

FIRST = 1_150_000_000_000_000_000
TOKEN = "fake-bench-token.not-real.benchbenchbenchbench1234"


def servers(count: int) -> list[int]:
    """Server ids spread over shards, as real ones are."""
    return [FIRST + n * (1 << 22) for n in range(count)]


def added_reference() -> str:
    old = {e.reference for e in parse_consolidated_list(un_list("2020-03-20").read_bytes()).entries}
    new = parse_consolidated_list(un_list("2024-09-21").read_bytes()).entries
    return sorted(e.reference for e in new if e.reference not in old)[0]


async def seed(settings: Settings, guilds: list[int], watchers: int, reference: str) -> None:
    """The 2020-03-20 list, a due digest per server, and watches on `reference` for the first `watchers`."""
    async with open_core(settings, clock=SystemClock()) as core:
        core.feeds.default_feeds = ()
        await core.importer.import_bytes(un_list("2020-03-20").read_bytes(), "un-2020-03-20.xml")
        await core.after_import()
        version = core.lists.require_version().id
        past = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)).isoformat(timespec="seconds")
        async with core.db.transaction() as conn:
            # Set up as `/digest subscribe` leaves a server (with no feeds here: the digests carry the list).
            await conn.executemany(
                "INSERT INTO guild_setup (guild_id, set_up_at) VALUES (?, ?)", [(g, past) for g in guilds]
            )
            await conn.executemany(
                "INSERT INTO digest_subscriptions (guild_id, channel_id, cadence, local_time, timezone, post_empty,"
                " created_at, next_run_at, through_version_id) VALUES (?, ?, 'daily', '06:00', 'UTC', 1, ?, ?, ?)",
                [(g, g + 1, past, past, version) for g in guilds],
            )
        for guild in guilds[:watchers]:
            await core.watches.add(guild, reference, user_id=1)
            await core.watches.set_channel(guild, guild + 2)


def fake_for(guilds: list[int], shards: int) -> FakeDiscord:
    fake = FakeDiscord(openapi_path=openapi_path(), shards=shards)
    for guild in guilds:
        fake.add_guild(
            guild,
            name=f"Server {guild}",
            channels=[{"id": guild + 1, "name": "digest"}, {"id": guild + 2, "name": "alerts"}],
        )
    return fake


async def wait_for(
    fake: FakeDiscord, channels: list[int], limit_s: float, procs: list[asyncio.subprocess.Process]
) -> tuple[float | None, float | None]:
    """Poll until every channel has a post: (time of the first post, time of the last), from now. The last is
    None when the limit passed (or every bot process ended) first: the run's row then shows what is lost."""
    start = time.perf_counter()
    first = None
    while time.perf_counter() - start < limit_s:
        done = sum(1 for c in channels if fake.messages(c))
        if done and first is None:
            first = time.perf_counter() - start
        if done == len(channels):
            return first, time.perf_counter() - start
        if all(p.returncode is not None for p in procs):
            print(f"every bot process ended with {done}/{len(channels)} posted", file=sys.stderr)
            return first, None
        await asyncio.sleep(0.2)
    print(f"timed out: {done}/{len(channels)} posted in {limit_s:.0f} s", file=sys.stderr)
    return first, None


async def one_run(
    label: str,
    location: Path | str,
    processes: int,
    guilds: list[int],
    watchers: int,
    *,
    limit_s: float,
    profile: Path | None = None,
) -> dict[str, Any]:
    reference = added_reference()
    is_pg = isinstance(location, str)
    settings = Settings(
        database_path=Path(location) if not is_pg else Path("unused.sqlite3"),
        database_url=Secret(location) if is_pg else None,
    )
    await seed(settings, guilds, watchers, reference)
    fake = fake_for(guilds, shards=max(1, processes))
    await fake.start()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_", "SHARD_"))}
    env.update(
        {
            "PYTHONPATH": str(REPO_ROOT),
            "DISCORD_TOKEN": TOKEN,
            "DISCORD_API_BASE": fake.api_base,
            "DISCORD_GATEWAY_URL": fake.gateway_url,
            "SYNC_INTERVAL_MINUTES": "0",
            "LOG_LEVEL": "WARNING",
            **({"DATABASE_URL": str(location)} if is_pg else {"DATABASE_PATH": str(location)}),
        }
    )
    procs: list[asyncio.subprocess.Process] = []
    digests_s = alerts_s = None
    first = last = None
    cpu = 0.0
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as cwd:
        try:
            for shard in range(processes):
                shard_env = {"SHARD_COUNT": str(processes), "SHARD_IDS": str(shard)} if processes > 1 else {}
                profiler = (
                    ["-m", "cProfile", "-o", str(profile / f"{label}-{processes}p-shard{shard}.prof")]
                    if profile
                    else []
                )
                procs.append(
                    await asyncio.create_subprocess_exec(
                        sys.executable,
                        *profiler,
                        "-m",
                        "bot",
                        "run",
                        cwd=cwd,
                        env={**env, **shard_env},
                        stderr=asyncio.subprocess.DEVNULL,
                    )
                )
            first, last = await wait_for(fake, [g + 1 for g in guilds], limit_s, procs)
            digests_s = time.perf_counter() - started if last is not None else None
            import_started = time.perf_counter()
            async with open_core(settings, clock=SystemClock()) as core:
                await core.importer.import_bytes(un_list("2024-09-21").read_bytes(), "un-2024-09-21.xml")
            _f, alerts_last = await wait_for(fake, [g + 2 for g in guilds[:watchers]], limit_s, procs)
            alerts_s = time.perf_counter() - import_started if alerts_last is not None else None
            await asyncio.sleep(2)  # a late duplicate would show up here
            for p in procs:
                with contextlib.suppress(psutil.Error):
                    cpu += sum(psutil.Process(p.pid).cpu_times()[:2])
        finally:
            for proc in procs:
                if proc.returncode is None:
                    proc.terminate()
                try:
                    await asyncio.wait_for(proc.wait(), 60)
                except TimeoutError:
                    proc.kill()
                    await proc.wait()
            await fake.stop()
    digest_posts = [len([m for m in fake.messages(g + 1) if m.get("nonce")]) for g in guilds]
    alert_posts = [len([m for m in fake.messages(g + 2) if m.get("nonce")]) for g in guilds[:watchers]]
    posted = digest_posts + alert_posts
    rate = len(guilds) / max(last - (first or 0), 1e-9) if last is not None else None
    return {
        "store": label,
        "processes": processes,
        "servers": len(guilds),
        "digests: last post (s)": f"{digests_s:.1f}" if digests_s is not None else f"> {limit_s:.0f}",
        "digests/s (first→last)": f"{rate:.0f}" if rate is not None else "-",
        "alerts": watchers,
        "import → last alert (s)": f"{alerts_s:.1f}" if alerts_s is not None else f"> {limit_s:.0f}",
        "duplicates": sum(max(0, n - 1) for n in posted),
        "lost": sum(1 for n in posted if n == 0),
        "bot CPU (s)": f"{cpu:.1f}",
    }


CONFIGURATIONS = {"sqlite": ("SQLite", 1), "pg1": ("PostgreSQL", 1), "pg2": ("PostgreSQL", 2)}


async def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", type=int, default=10_000)
    parser.add_argument("--watchers", type=int, default=500)
    parser.add_argument("--quick", action="store_true", help="200 servers, 50 watchers")
    parser.add_argument(
        "--only", choices=sorted(CONFIGURATIONS), action="append", help="run only these configurations (repeatable)"
    )
    parser.add_argument("--limit", type=float, default=1800, help="seconds each wait may take before it gives up")
    parser.add_argument("--profile", type=Path, help="a folder: each bot process runs under cProfile, stats there")
    args = parser.parse_args(argv)
    count, watchers = (200, 50) if args.quick else (args.servers, min(args.watchers, args.servers))
    logging.basicConfig(level=logging.ERROR)
    guilds = servers(count)
    pg = PgServer(admin_url())
    reason = await asyncio.to_thread(pg.probe)
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    wall = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory() as folder:
            for key in args.only or list(CONFIGURATIONS):
                label, processes = CONFIGURATIONS[key]
                run = functools.partial(one_run, limit_s=args.limit, profile=args.profile)
                if label == "SQLite":
                    rows.append(await run(label, Path(folder) / f"bench-{key}.sqlite3", processes, guilds, watchers))
                elif reason is not None:
                    print(f"PostgreSQL skipped: {reason}")
                else:
                    url = await asyncio.to_thread(pg.create)
                    try:
                        rows.append(await run(label, url, processes, guilds, watchers))
                    finally:
                        await asyncio.to_thread(pg.drop, url)
    finally:  # the rows measured so far are printed even when a later run fails
        print(table(f"Digests for {count:,} servers and a list import with {watchers:,} alerts", rows))
        load = os.getloadavg()
        print(
            f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {time.perf_counter() - wall:.0f} s in all; load average:"
            f" {load[0]:.1f} (1 min), {load[1]:.1f} (5 min) on {os.cpu_count()} CPUs"
        )
    failed = any(r["duplicates"] or r["lost"] for r in rows)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
