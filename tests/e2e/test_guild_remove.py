"""Leaving a server (issue 11, item 11), through the real bot and the local Discord.

When the bot is removed from a server (GUILD_DELETE), that server's feeds stop being fetched and its digests and
watchlist alerts are suspended; if the bot is added back, all of it resumes (alerts for versions imported
meanwhile included); 30 days after it left, the server's data is deleted. Another server is never touched.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.core import Core
from bot.store import digests as digest_store
from bot.store import feeds as feed_store
from bot.store import watches as watch_store
from tests.e2e.conftest import CHANNEL, E2E, GUILD, MOD, OTHER_CHANNEL, add_watchers_guild, new_fake, start_e2e
from tests.e2e.digests import manual, news, publish_rss
from tests.fixtures import feeds as docs
from tests.fixtures.feed_server import FeedServer
from tests.shared_files import un_list

pytestmark = pytest.mark.both_engines

GUILD2 = GUILD + 1_000
ONLY_A = "/only-guild-a.xml"  # a feed only GUILD follows


async def no_sleep(_seconds: float) -> None:
    return None


@pytest.fixture
async def env(core: Core, feed_server: FeedServer) -> AsyncIterator[E2E]:
    for date in ("2017-06-20", "2017-07-03"):
        await core.importer.import_bytes(un_list(date).read_bytes(), f"un-{date}.xml")
    await core.after_import()
    core.feeds.fetcher.sleep = no_sleep
    fake = new_fake(guilds=(GUILD, GUILD2))
    await fake.start()
    try:
        async for e in start_e2e(core, run_background=False, feed_server=feed_server, fake=fake):
            yield e
    finally:
        await fake.stop()


async def ask(env: E2E, path: str, options: dict, guild: int) -> str:
    res = await env.fake.invoke(path, options, user_id=MOD, guild_id=guild, channel_id=guild + 2)
    if res.type == 5:
        await res.wait_followups(1, timeout=10)
        return str(res.followups[0])
    return str(res.data)


async def until(predicate: object, what: str) -> None:
    for _ in range(200):
        if await predicate():  # type: ignore[operator]
            return
        await asyncio.sleep(0.025)
    raise AssertionError(f"timed out waiting for {what}")


def posted(env: E2E, channel: int) -> int:
    return sum(1 for m, path, _ in env.fake.message_bodies if m == "POST" and path.endswith(f"/{channel}/messages"))


async def test_a_removed_server_is_suspended_resumed_on_return_and_deleted_after_30_days(
    env: E2E, feed_server: FeedServer
) -> None:
    core, fake = env.core, env.fake
    feed_server.serve(ONLY_A, docs.rss20(docs.stories(3, slug="a")))
    for guild in (GUILD, GUILD2):
        assert "Digest scheduled" in await ask(
            env, "digest subscribe", {"channel": guild + 1, "time": "13:00", "timezone": "UTC"}, guild
        )
        await ask(env, "watch add", {"target": "Kim Mun Chol"}, guild)
        await ask(env, "watch channel", {"channel": guild + 1}, guild)
    await ask(env, "feeds add", {"url": feed_server.url(ONLY_A)}, GUILD)
    await core.feeds.poller.poll_due()
    assert feed_server.hits[ONLY_A] >= 1

    fake.remove_guild(GUILD)  # kicked: Discord sends GUILD_DELETE
    await until(lambda: _departed(core, GUILD), "the bot to notice it left GUILD")

    # Its own feed is no longer fetched; the feeds GUILD2 follows still are.
    before = feed_server.hits.copy()
    publish_rss(feed_server, "/rss20.xml", news(2, slug="later"))
    manual(core).advance(minutes=20)
    await core.feeds.poller.poll_due()
    assert feed_server.hits[ONLY_A] == before[ONLY_A]
    assert feed_server.hits["/rss20.xml"] > before["/rss20.xml"]

    # Its digest is suspended (not run, not paused as failing); GUILD2's goes out.
    clock = manual(core)
    clock.set(clock.now().replace(hour=13, minute=1))
    await core.digests.run_due()
    assert posted(env, GUILD2 + 1) == 1 and posted(env, CHANNEL) == 0
    (sub_a,) = await digest_store.guild_subscriptions(core.db, GUILD)
    assert sub_a.paused_at is None

    # A new list version: GUILD2 is alerted, GUILD's alerts wait.
    await core.importer.import_bytes(un_list("2020-03-20").read_bytes(), "un-2020-03-20.xml")
    await core.after_import()
    await core.watches.run()
    assert posted(env, GUILD2 + 1) == 2 and posted(env, CHANNEL) == 0

    # The bot is added back: everything resumes, the alert worked out for the version imported meanwhile.
    add_watchers_guild(fake, GUILD)
    await until(lambda: _present(core, GUILD), "the bot to notice it is back in GUILD")
    await core.watches.run()
    assert posted(env, CHANNEL) == 1
    manual(core).advance(minutes=20)
    await core.feeds.poller.poll_due()
    assert feed_server.hits[ONLY_A] > before[ONLY_A]
    await core.digests.run_due()  # today's digest, missed while away: one catch-up
    assert posted(env, CHANNEL) > 1  # (one or more messages: the list changed a lot meanwhile)

    # Removed again, and gone for good: kept for 30 days, then deleted (GUILD2 untouched).
    fake.remove_guild(GUILD)
    await until(lambda: _departed(core, GUILD), "the second departure")
    manual(core).advance(days=29)
    assert await core.guilds.purge_expired() == []
    assert await digest_store.guild_subscriptions(core.db, GUILD)
    manual(core).advance(days=2)
    assert await core.guilds.purge_expired() == [GUILD]
    assert await digest_store.guild_subscriptions(core.db, GUILD) == []
    assert await feed_store.guild_feeds(core.db, GUILD) == []
    assert await feed_store.keywords(core.db, GUILD) == []
    assert await watch_store.server(core.db, GUILD) is None
    assert await feed_store.feed_by_url(core.db, feed_server.url(ONLY_A)) is None  # no one follows it now
    assert await core.guilds.departed() == {}
    assert await digest_store.guild_subscriptions(core.db, GUILD2)
    assert await feed_store.guild_feeds(core.db, GUILD2)
    assert len(await watch_store.guild_watches(core.db, GUILD2)) == 1
    assert OTHER_CHANNEL  # (the moderator asks from each server's second channel)


async def _departed(core: Core, guild_id: int) -> bool:
    return guild_id in await core.guilds.departed()


async def _present(core: Core, guild_id: int) -> bool:
    return guild_id not in await core.guilds.departed()


async def test_a_server_left_while_the_bot_was_offline_is_suspended_at_the_next_start(
    core: Core, feed_server: FeedServer
) -> None:
    fake = new_fake(guilds=(GUILD, GUILD2))
    await fake.start()
    try:
        async for e in start_e2e(core, run_background=False, feed_server=feed_server, fake=fake):
            for guild in (GUILD, GUILD2):
                options = {"channel": guild + 1, "time": "13:00", "timezone": "UTC"}
                assert "Digest scheduled" in await ask(e, "digest subscribe", options, guild)
        fake.remove_guild(GUILD)  # while no bot is connected: nobody hears a GUILD_DELETE
        async for _e in start_e2e(core, run_background=False, feed_server=feed_server, fake=fake, wait_commands=False):
            await until(lambda: _departed(core, GUILD), "the bot to notice GUILD is gone")
            assert GUILD2 not in await core.guilds.departed()
            add_watchers_guild(fake, GUILD)  # and back again
            await until(lambda: _present(core, GUILD), "the bot to notice it is back in GUILD")
    finally:
        await fake.stop()
