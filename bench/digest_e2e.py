"""Benchmark: 1,000 due digests delivered by the real bot through the local fake Discord.

Run: `.venv/bin/python -m bench.digest_e2e [--subscriptions 1000] [--concurrency 8 32] [--no-faults] [--unvalidated]`

The real `SanctionsBot` logs in to `tests/discord_fake` (REST + gateway on 127.0.0.1, every request body validated
against Discord's OpenAPI description) and its `DiscordDeliverer` posts each digest through discord.py's HTTP
client with a nonce and `enforce_nonce`. 100 servers with 10 digest channels each, two feeds per server with
new items, the 2024-09-26 UN list; the manual clock is moved past the run time and `run_due()` is called in
passes, back to back, like the digest loop would, until nothing is due or pending. Reported: wall time, POSTs
per second (retries included), messages, duplicates (a channel holding two messages with one nonce, or more
messages than its delivery record holds), what a second pass sends (must be 0). A second run injects REST
faults on a share of the posts: 429 with retry_after (discord.py waits and retries), 502 (discord.py retries
after 1 s) and 503 (our scheduler retries). The fake runs in the same process and event loop as the bot, so
the figures include its validation work.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench._common import table
from bot.app import SanctionsBot
from bot.clock import ManualClock
from bot.core import Core, open_core
from bot.settings import Settings
from bot.sources.feeds import FeedItem
from bot.store import digests as store
from bot.store import feeds as feed_store
from tests.discord_fake import FakeDiscord
from tests.discord_fake.harness import running_bot
from tests.fixtures.digest import isolate
from tests.shared_files import openapi_path, un_list

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)
FIRST_GUILD = 1_150_000_000_000_000_000
CHANNELS_PER_GUILD = 10
POSTS = r"^/channels/\d+/messages$"


def guild_ids(count: int) -> list[int]:
    """Server ids spread over shards, as real ones are."""
    return [FIRST_GUILD + n * (1 << 22) for n in range(count)]


def channel_ids(guild: int) -> list[int]:
    """A server's digest channels (clear of the fake's role ids guild+7 …)."""
    return [guild + 100 + n for n in range(CHANNELS_PER_GUILD)]


def build_fake(guilds: list[int], validate: bool = True) -> FakeDiscord:
    """The local Discord with every server and channel the subscriptions post to."""
    fake = FakeDiscord(openapi_path=openapi_path(), validate_schema=validate)
    for guild in guilds:
        fake.add_guild(
            guild,
            name=f"Server {guild}",
            channels=[{"id": c, "name": f"digest-{i}"} for i, c in enumerate(channel_ids(guild))],
        )
    return fake


async def seed(core: Core, guilds: list[int]) -> int:
    """Feeds read once (baseline), subscriptions due at 13:00 UTC, then new items; return the subscriptions."""
    now = core.clock.now()
    await core.importer.import_bytes(un_list("2024-09-26").read_bytes(), "un-2024-09-26.xml")
    feeds: dict[int, list[int]] = {}
    for guild in guilds:
        urls = [(f"https://feed{guild}-{n}.example/rss", f"Wire {n}") for n in range(2)]
        await feed_store.set_up_guild(core.db, guild, feeds=urls, keywords=["DPRK", "sanction", "1718"], now=now)
        feeds[guild] = []
        for url, name in urls:
            feed = await feed_store.feed_by_url(core.db, url)
            assert feed is not None
            await feed_store.save_poll(
                core.db, feed.id, [], at=now, next_poll_at=now, title=name, kind="rss20", etag=None,
                last_modified=None, warning=None,
            )  # fmt: skip
            feeds[guild].append(feed.id)
    count = 0
    for guild in guilds:
        for channel in channel_ids(guild):
            await core.digests.subscribe(guild, channel, time_text="13:00", timezone="UTC")
            count += 1
    for guild in guilds:
        for n, feed_id in enumerate(feeds[guild]):
            items = [
                FeedItem(
                    f"g:{guild}-{n}-{i}",
                    f"Security Council {'DPRK' if i % 3 else 'weather'} sanctions story {n}.{i}",
                    f"https://feed{guild}-{n}.example/{i}",
                    f"{guild}-{n}-{i}",
                    "The 1718 Committee met." if i % 3 else "Sunny.",
                    now - dt.timedelta(minutes=i),
                )
                for i in range(12)
            ]
            await feed_store.save_poll(
                core.db, feed_id, items, at=now, next_poll_at=now, title="", kind="rss20", etag=None,
                last_modified=None, warning=None,
            )  # fmt: skip
    return count


async def deliver_all(core: Core, clock: ManualClock) -> tuple[int, int, int]:
    """run_due() passes back to back until nothing is due or pending: (passes, sent, messages).

    A pass starts at most 500 digests (the loop's batch); deliveries left for a later retry get their retry
    time by moving the manual clock, never by sleeping.
    """
    passes = sent = messages = 0
    far = NOW + dt.timedelta(days=1)
    while passes < 100:
        report = await core.digests.run_due()
        passes += 1
        sent += report.sent
        messages += report.messages
        if report.started or report.sent:
            continue
        if not await store.pending_deliveries(core.db, far, 1):
            break
        clock.advance(minutes=5)
    return passes, sent, messages


async def one_run(
    folder: Path, subscriptions: int, concurrency: int, faults: bool, validate: bool = True
) -> dict[str, Any]:
    """Seed a store, log the bot in to the fake, deliver everything once; measure and check for duplicates."""
    guilds = guild_ids(max(1, subscriptions // CHANNELS_PER_GUILD))
    path = folder / f"e2e-{concurrency}-{faults}-{validate}.sqlite3"
    clock = ManualClock(NOW)
    settings = Settings(database_path=path, feeds_allow_private=True, sync_interval_minutes=0, commands_per_minute=0)
    async with open_core(settings, clock=clock) as core:
        isolate(core)
        count = await seed(core, guilds)
        core.digests._concurrency = concurrency
        fake = build_fake(guilds, validate)
        await fake.start()
        try:
            bot = SanctionsBot(core, run_background=False, guild_ready_timeout=0.05)
            async with running_bot(fake, bot, token="bench.token.for-local-fake", timeout=60):
                injected = []
                if faults:
                    injected = [
                        fake.inject_fault("POST", POSTS, 429, ratio=0.05, retry_after=0.05),
                        fake.inject_fault("POST", POSTS, 502, ratio=0.01),
                        fake.inject_fault("POST", POSTS, 503, ratio=0.01),
                    ]
                clock.set(NOW.replace(hour=13, minute=1))
                before = len(fake.requests)
                started = time.perf_counter()
                passes, sent, messages = await deliver_all(core, clock)
                wall = time.perf_counter() - started
                posts = sum(1 for r in fake.requests[before:] if r.method == "POST" and "/messages" in r.path)
                fake.clear_faults()
                clock.advance(hours=1)
                again = await core.digests.run_due()
            # Duplicates: per channel, messages beyond what the delivery records hold, or a nonce used twice.
            duplicates = 0
            posted = 0
            for guild in guilds:
                for channel in channel_ids(guild):
                    stored = [m for m in fake.messages(channel) if m.get("nonce")]
                    posted += len(stored)
                    nonces = Counter(m["nonce"] for m in stored)
                    duplicates += sum(n - 1 for n in nonces.values())
                    sub = await store.subscription_for_channel(core.db, guild, channel)
                    assert sub is not None
                    expected = sum(len(d.payload) for d in await store.deliveries_of(core.db, sub.id))
                    duplicates += max(0, len(stored) - expected)
            fake.assert_no_violations()
        finally:
            await fake.stop()
    return {
        "subscriptions": count,
        "concurrency": concurrency,
        "OpenAPI checks": "on" if validate else "off",
        "faults": ", ".join(f"{f.status}×{f.hits}" for f in injected) if faults else "none",
        "passes": passes,
        "sent": sent,
        "messages": posted,
        "POSTs": posts,
        "wall_s": wall,
        "POSTs/s": posts / wall,
        "digests/s": sent / wall,
        "duplicates": duplicates,
        "2nd pass sent": again.sent + again.started,
        "nonce dedups": fake.nonce_dedup_count,
        "_ok": sent == count and posted == messages,
    }


async def main(argv: list[str]) -> int:
    """Run the delivery benchmark and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscriptions", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8])
    parser.add_argument("--no-faults", action="store_true", help="skip the run with injected REST faults")
    parser.add_argument(
        "--unvalidated", action="store_true", help="also run once with the fake's OpenAPI checks off (their cost)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for concurrency in args.concurrency:
            for faults in (False,) if args.no_faults else (False, True):
                rows.append(await one_run(Path(tmp), args.subscriptions, concurrency, faults))
        if args.unvalidated:
            rows.append(await one_run(Path(tmp), args.subscriptions, args.concurrency[0], False, validate=False))
    ok = all(r.pop("_ok") for r in rows)
    print(table(f"Digest delivery through the local Discord (real bot, real DiscordDeliverer), {NOW:%Y-%m-%d}", rows))
    bad = [r for r in rows if r["duplicates"] or r["2nd pass sent"]]
    if bad or not ok:
        print("FAILED: duplicates, a second pass that sent, or digests missing", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
