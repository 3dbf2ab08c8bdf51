"""Benchmarks for feeds and digests; prints tables. Run: `.venv/bin/python -m bench.digest_bench [--quick]`.

1. Composition: a digest with 500 candidate items (10 feeds) and 50 list changes — compose, render, both.
2. Delivery: 1,000 due subscriptions (100 servers) through the Deliverer interface — a fake Discord with
   enforce_nonce semantics, with 0 ms and 20 ms per request; and discord.py's real HTTP client posting to a
   local stand-in for POST /channels/{id}/messages. Wall time, requests per second, duplicates.
3. Feed parsing: items per second on large RSS 2.0, RSS 1.0 and Atom feeds.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bot.clock import ManualClock
from bot.core import Core, open_core
from bot.render.digest import digest_pages
from bot.services.delivery import DiscordDeliverer, OutgoingMessage
from bot.settings import Settings
from bot.sources.feeds import FeedItem, parse_feed
from bot.store import feeds as feed_store
from bot.store import lists as list_store
from tests.fixtures import feeds as docs
from tests.fixtures.digest import FakeDeliverer, FakeDiscord, loopback_only
from tests.fixtures.lists import consolidated, entity, individual

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)


def table(title: str, header: list[str], rows: list[list[Any]]) -> None:
    """Print a plain-text table."""
    cells = [header] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    print(f"\n{title}")
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for r in cells[1:]:
        print("  ".join(c.rjust(w) if c[:1].isdigit() else c.ljust(w) for c, w in zip(r, widths, strict=True)))


async def _timed(fn: Callable[[], Awaitable[Any]], runs: int) -> tuple[float, float, Any]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = await fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), max(times), result


async def _seed_lists(core: Core, changes: int) -> None:
    """Two list versions `changes` apart: a third added, a third removed, a third amended."""
    base_ind = [individual(f"KPi.{i:03d}", f"PERSON {i}", regime="DPRK" if i % 2 else "Al-Qaida") for i in range(300)]
    base_ent = [entity(f"KPe.{i:03d}", f"COMPANY {i}", regime="DPRK" if i % 3 else "Iran") for i in range(200)]
    await core.importer.import_bytes(consolidated(base_ind, base_ent, "2024-01-01T00:00:00Z"), "v1.xml")
    third = changes // 3
    new_ind = base_ind[third:]  # removed: the first `third`
    new_ind = [
        individual(f"KPi.{i:03d}", f"PERSON {i} AMENDED", regime="DPRK" if i % 2 else "Al-Qaida")
        if i < 2 * third
        else x
        for i, x in zip(range(third, 300), new_ind, strict=True)
    ]
    new_ind += [individual(f"KPi.{900 + i:03d}", f"NEWCOMER {i}") for i in range(changes - 2 * third)]
    await core.importer.import_bytes(consolidated(new_ind, base_ent, "2024-02-01T00:00:00Z"), "v2.xml")


async def _seed_guild(core: Core, guild: int, feeds: int, items_per_feed: int) -> None:
    now = core.clock.now()
    urls = [(f"https://feed{guild}-{n}.example/rss", f"Feed {n}") for n in range(feeds)]
    await feed_store.set_up_guild(core.db, guild, feeds=urls, keywords=["DPRK", "sanction", "1718"], now=now)
    for n, (url, _name) in enumerate(urls):
        feed = await feed_store.feed_by_url(core.db, url)
        assert feed is not None
        await feed_store.save_poll(
            core.db,
            feed.id,
            [],
            at=now,
            next_poll_at=now,
            title="",
            kind="rss20",
            etag=None,
            last_modified=None,
            warning=None,
        )
        items = [
            FeedItem(
                f"g:{guild}-{n}-{i}",
                f"{'DPRK' if i % 4 else 'Weather'} story {n}.{i} on sanctions" if i % 4 else f"Weather report {n}.{i}",
                f"https://feed{guild}-{n}.example/{i}",
                f"{guild}-{n}-{i}",
                "The Security Council discussed resolution 1718 measures." if i % 4 else "Sunny.",
                NOW - dt.timedelta(minutes=i),
            )
            for i in range(items_per_feed)
        ]
        await feed_store.save_poll(
            core.db,
            feed.id,
            items,
            at=now,
            next_poll_at=now,
            title="",
            kind="rss20",
            etag=None,
            last_modified=None,
            warning=None,
        )


async def bench_composition(folder: Path, runs: int) -> None:
    settings = Settings(database_path=folder / "compose.sqlite3", feeds_allow_private=True)
    async with open_core(settings, clock=ManualClock(NOW)) as core:
        core.feeds.fetcher.policy = loopback_only
        core.feeds.default_feeds = ()
        await _seed_lists(core, 50)
        await _seed_guild(core, 1, feeds=10, items_per_feed=50)
        versions = await list_store.list_versions(core.db)
        composer = core.digests._composer

        async def compose() -> Any:
            return await composer.compose(1, after_item_id=0, after_version_id=versions[0].id, now=NOW)

        digest = await compose()
        from zoneinfo import ZoneInfo

        tz = ZoneInfo("Europe/Berlin")

        async def render() -> Any:
            return digest_pages(digest, tz)

        async def both() -> Any:
            return digest_pages(await compose(), tz)

        rows = []
        for name, fn in (
            ("compose (store + filter + group)", compose),
            ("render (embeds + pages)", render),
            ("compose + render", both),
        ):
            median, worst, _result = await _timed(fn, runs)
            rows.append([name, f"{median:.1f}", f"{worst:.1f}"])
        pages = await render()
        table(
            f"Composition: 500 candidate items ({digest.item_count} matching, 10 feeds), "
            f"{digest.change_count} list changes → {len(pages)} message(s), "
            f"{sum(len(p.embeds) for p in pages)} "
            f"embeds; {runs} runs",
            ["step", "median ms", "max ms"],
            rows,
        )


class SlowDeliverer(FakeDeliverer):
    """The fake Discord with a fixed latency per request."""

    def __init__(self, discord: FakeDiscord, latency: float) -> None:
        super().__init__(discord)
        self.latency = latency

    async def send(self, channel_id: int, message: OutgoingMessage, nonce: str) -> int:
        """Wait, then post."""
        if self.latency:
            await asyncio.sleep(self.latency)
        return await super().send(channel_id, message, nonce)


async def _subscriptions(core: Core, count: int) -> None:
    guilds = max(1, count // 10)
    for g in range(guilds):
        await _seed_guild(core, 100 + g, feeds=2, items_per_feed=6)
    for n in range(count):
        await core.digests.subscribe(
            100 + n % guilds,
            50_000 + n,
            time_text=f"{8 + n % 3:02d}:{n % 60:02d}",
            timezone="Europe/Berlin",
            post_empty=True,
        )


async def _local_discord() -> tuple[Any, str, Counter[str]]:
    from aiohttp import web

    posted: Counter[str] = Counter()
    ids = iter(range(10**6, 10**9))
    app = web.Application()

    def reply(data: dict[str, Any]) -> web.Response:
        return web.Response(body=json.dumps(data).encode(), headers={"Content-Type": "application/json"})

    async def me(_request: web.Request) -> web.Response:
        return reply({"id": "1", "username": "bench", "discriminator": "0", "avatar": None})

    async def post(request: web.Request) -> web.Response:
        body = await request.json()
        key = f"{request.match_info['channel']}:{body['nonce']}"
        posted[key] += 1
        return reply({"id": str(next(ids)), "channel_id": request.match_info["channel"], "nonce": body["nonce"]})

    app.router.add_get("/api/v10/users/@me", me)
    app.router.add_post("/api/v10/channels/{channel}/messages", post)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}/api/v10", posted


async def bench_delivery(folder: Path, count: int) -> None:
    import discord

    rows = []
    for label, latency, real in (
        ("fake Discord, 0 ms/request", 0.0, False),
        ("fake Discord, 20 ms/request", 0.02, False),
        ("discord.py HTTP → local server", 0.0, True),
    ):
        path = folder / f"deliver-{latency}-{real}.sqlite3"
        clock = ManualClock(NOW)
        async with open_core(Settings(database_path=path, feeds_allow_private=True), clock=clock) as core:
            core.feeds.fetcher.policy = loopback_only
            core.feeds.default_feeds = ()
            await _subscriptions(core, count)
            fake = FakeDiscord()
            client = runner = None
            posted: Counter[str] = Counter()
            if real:
                runner, base, posted = await _local_discord()
                original = discord.http.Route.BASE
                discord.http.Route.BASE = base
                client = discord.Client(intents=discord.Intents.none())
                await client.http.static_login("bench-token-not-real")
                core.digests.deliverer = DiscordDeliverer(client)
            else:
                core.digests.deliverer = SlowDeliverer(fake, latency)
            clock.advance(days=1)
            started = time.perf_counter()
            report = await core.digests.run_due(limit=count)
            wall = time.perf_counter() - started
            again = await core.digests.run_due(limit=count)  # nothing may go out twice
            if real:
                assert client is not None and runner is not None
                await client.close()
                await runner.cleanup()
                discord.http.Route.BASE = original
                requests = sum(posted.values())
                duplicates = sum(n - 1 for n in posted.values())
            else:
                requests = fake.requests
                per_key = Counter((m.channel_id, m.nonce) for m in fake.messages)
                duplicates = sum(n - 1 for n in per_key.values()) + (len(fake.messages) - len(per_key))
            messages = report.messages
            rows.append(
                [
                    label,
                    f"{report.sent}",
                    f"{messages}",
                    f"{wall:.2f}",
                    f"{requests / wall:.0f}",
                    f"{duplicates}",
                    f"{again.started + again.sent}",
                ]
            )
    table(
        f"Delivery: {count} due subscriptions (compose + record + post), concurrency 8",
        ["deliverer", "sent", "messages", "wall s", "requests/s", "duplicates", "2nd pass"],
        rows,
    )


def bench_parsing(sizes: list[int]) -> None:
    rows = []
    for name, build in (("RSS 2.0", docs.rss20), ("RSS 1.0", docs.rss10), ("Atom", docs.atom)):
        for n in sizes:
            body = build(docs.stories(n))
            started = time.perf_counter()
            feed = parse_feed(body, "https://bench.example/feed")
            seconds = time.perf_counter() - started
            assert len(feed.items) == n
            rows.append([name, f"{n}", f"{len(body) / 1e6:.2f}", f"{seconds * 1000:.0f}", f"{n / seconds:,.0f}"])
    table("Feed parsing (feedparser + cleaning), one thread", ["format", "items", "MB", "ms", "items/s"], rows)


async def main(argv: list[str]) -> int:
    """Run the three benchmarks."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer runs")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        await bench_composition(folder, runs=5 if args.quick else 20)
        await bench_delivery(folder, 200 if args.quick else 1000)
    bench_parsing([500] if args.quick else [1000, 5000])
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
