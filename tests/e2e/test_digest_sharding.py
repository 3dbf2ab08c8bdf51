"""Two bot processes' worth of sharding against one local Discord with two shards: SHARD_COUNT=2 with
SHARD_IDS=0 in one and SHARD_IDS=1 in the other, both on one store (a SQLite file, or PostgreSQL). Each
server's digest is sent exactly once, by the process whose shard holds that server."""

from __future__ import annotations

import asyncio
import dataclasses
from contextlib import AsyncExitStack

import pytest

from bot.clock import ManualClock
from bot.core import open_core
from bot.settings import Settings
from bot.sharding import ShardScope, shard_of
from bot.store import digests as store
from tests.e2e.conftest import GUILD, e2e_run, new_fake
from tests.e2e.digests import (
    Recording,
    answer,
    assert_once_each,
    assert_safe_post_bodies,
    embeds_text,
    news,
    posts,
    publish_rss,
    text_of,
)
from tests.fixtures.feed_server import FeedServer

# Two servers on different shards of two: shard = (guild_id >> 22) % 2.
SERVERS = (GUILD, GUILD + (1 << 22))

pytestmark = pytest.mark.both_engines


async def no_sleep(_seconds: float) -> None:
    return None


async def test_two_processes_each_send_only_their_shards_digests(
    loaded_settings: Settings, clock: ManualClock, feed_server: FeedServer
) -> None:
    shards = {guild: shard_of(guild, 2) for guild in SERVERS}
    assert sorted(shards.values()) == [0, 1]
    settings = {shard: dataclasses.replace(loaded_settings, shard_count=2, shard_ids=(shard,)) for shard in (0, 1)}
    fake = new_fake(shards=2, guilds=SERVERS)
    await fake.start()
    try:
        async with AsyncExitStack() as stack:
            cores = {s: await stack.enter_async_context(open_core(settings[s], clock=clock)) for s in (0, 1)}
            envs = {}
            for s in (0, 1):  # the second process finds the commands already synced by the first
                cores[s].feeds.fetcher.sleep = no_sleep
                envs[s] = await stack.enter_async_context(
                    e2e_run(cores[s], run_background=False, feed_server=feed_server, fake=fake, wait_commands=s == 0)
                )
            for s in (0, 1):
                assert envs[s].bot.scope == ShardScope(2, frozenset({s}))
                assert envs[s].core.digests.scope == envs[s].bot.scope
                assert sorted(g.id for g in envs[s].bot.guilds) == [g for g in SERVERS if shards[g] == s]
            recorders = {}
            for s in (0, 1):
                real = cores[s].digests.deliverer
                assert real is not None
                recorders[s] = cores[s].digests.deliverer = Recording(real)

            # Each server's moderator subscribes; the interaction reaches the process whose shard holds it.
            for guild in SERVERS:
                data = await answer(
                    fake,
                    "digest subscribe",
                    {"channel": guild + 1, "time": "13:00", "timezone": "UTC"},
                    guild_id=guild,
                    channel_id=guild + 2,
                )
                assert f"New digest in <#{guild + 1}>" in text_of(data)
            await cores[0].feeds.poller.poll_due()  # the feed baselines (feeds are shared by the servers)
            publish_rss(feed_server, "/rss20.xml", news(2, slug="sharded"))
            clock.advance(minutes=20)
            await cores[1].feeds.poller.poll_due()
            clock.set(clock.now().replace(hour=13, minute=1))

            # Both processes run their pass at the same moment, on the same database.
            reports = await asyncio.gather(cores[0].digests.run_due(), cores[1].digests.run_due())
            for s in (0, 1):
                assert (reports[s].started, reports[s].sent) == (1, 1), reports[s]
                mine = [g for g in SERVERS if shards[g] == s]
                assert recorders[s].channels == [g + 1 for g in mine]
            for guild in SERVERS:
                messages = posts(fake, guild + 1)
                assert len(messages) == 1 and "sharded-0" in embeds_text(messages)
                assert_once_each(messages)
                (sub,) = await store.guild_subscriptions(cores[0].db, guild)
                (delivery,) = await store.deliveries_of(cores[0].db, sub.id)
                assert delivery.status == "sent" and delivery.message_ids == [int(messages[0]["id"])]
            assert assert_safe_post_bodies(fake) == 2

            # Later passes of either process send nothing more.
            clock.advance(minutes=30)
            again = await asyncio.gather(cores[0].digests.run_due(), cores[1].digests.run_due())
            assert [r.started for r in again] == [0, 0]
            assert [len(posts(fake, g + 1)) for g in SERVERS] == [1, 1]
    finally:
        await fake.stop()
