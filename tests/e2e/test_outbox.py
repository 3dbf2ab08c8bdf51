"""The outbox beyond Discord's nonce window, through the local Discord with the real DiscordDeliverer: the bot
dies right after Discord accepted a message and before it could record it, and comes back ten (simulated)
minutes later — when Discord no longer remembers the nonce. It looks for its own message by the marker every
post carries, finds it, and posts nothing again."""

from __future__ import annotations

import pytest

from bot.clock import ManualClock
from bot.core import open_core
from bot.models_outbox import carries_marker, make_nonce
from bot.services import outbox as outbox_service
from bot.settings import Settings
from bot.store import digests as store
from tests.e2e.conftest import CHANNEL, GUILD, e2e_run, new_fake
from tests.e2e.digests import Dying, assert_once_each, embeds_text, post_bodies, posts
from tests.e2e.test_digest_faults import news_then_run_time, quiet, subscribe
from tests.fixtures.digest import Crash
from tests.fixtures.feed_server import FeedServer

pytestmark = pytest.mark.both_engines

TEN_MINUTES = 600


async def _crash_after_discord_accepted(
    settings: Settings, clock: ManualClock, server: FeedServer, fake, *, long: bool = False
) -> int:
    """The first process: a due digest whose first message Discord accepts just before the bot dies."""
    async with open_core(settings, clock=clock) as core:
        quiet(core)
        async with e2e_run(core, run_background=False, feed_server=server, fake=fake) as env:
            await subscribe(env)
            await news_then_run_time(env, server, slug="window", long=long)
            real = core.digests.deliverer
            assert real is not None
            core.digests.deliverer = Dying(real, after=1)
            with pytest.raises(Crash):
                await core.digests.run_due()
            core.digests.deliverer = real
            (sub,) = await store.guild_subscriptions(core.db, GUILD)
            (pending,) = await store.deliveries_of(core.db, sub.id)
            assert pending.status == "pending" and pending.parts_sent == 0
            return len(pending.payload)


async def _restart(settings: Settings, clock: ManualClock, server: FeedServer, fake) -> None:
    async with open_core(settings, clock=clock) as core:
        quiet(core)
        async with e2e_run(core, run_background=False, feed_server=server, fake=fake, wait_commands=False):
            report = await core.digests.run_due()
            assert (report.started, report.sent) == (0, 1), report


@pytest.mark.parametrize("long", [False, True], ids=["one-message", "long"])
async def test_a_restart_ten_minutes_after_discord_accepted_posts_exactly_one_message(
    loaded_settings: Settings, clock: ManualClock, feed_server: FeedServer, long: bool
) -> None:
    fake = new_fake()
    await fake.start()
    try:
        parts = await _crash_after_discord_accepted(loaded_settings, clock, feed_server, fake, long=long)
        assert len(posts(fake, CHANNEL)) == 1  # Discord holds the first message; the bot never recorded it
        clock.advance(seconds=TEN_MINUTES)
        fake.advance_time(TEN_MINUTES)  # past Discord's nonce window: the same nonce would post again
        await _restart(loaded_settings, clock, feed_server, fake)
        messages = posts(fake, CHANNEL)
        assert len(messages) == parts  # the first one exactly once, the rest once each
        assert_once_each(messages)
        assert "window-0" in embeds_text(messages)
        bodies = post_bodies(fake, CHANNEL)
        assert len(bodies) == parts  # no second POST of the message in doubt at all
        assert fake.nonce_dedup_count == 0
        looked = [r for r in fake.requests if r.method == "GET" and r.path == f"/channels/{CHANNEL}/messages"]
        assert len(looked) == 1 and looked[0].status == 200
        async with open_core(loaded_settings, clock=clock) as core:
            (sub,) = await store.guild_subscriptions(core.db, GUILD)
            (done,) = await store.deliveries_of(core.db, sub.id)
        assert done.status == "sent" and done.message_ids == [int(m["id"]) for m in messages]
        assert all(carries_marker(m, make_nonce(done.nonce_seed, i)) for i, m in enumerate(messages))
        fake.assert_no_violations()
    finally:
        await fake.stop()


async def test_within_the_nonce_window_the_nonce_does_the_work_without_a_look(
    loaded_settings: Settings, clock: ManualClock, feed_server: FeedServer
) -> None:
    fake = new_fake()
    await fake.start()
    try:
        await _crash_after_discord_accepted(loaded_settings, clock, feed_server, fake)
        clock.advance(seconds=outbox_service.NONCE_TRUST.total_seconds() - 30)
        await _restart(loaded_settings, clock, feed_server, fake)
        assert len(posts(fake, CHANNEL)) == 1 and len(post_bodies(fake, CHANNEL)) == 2
        assert fake.nonce_dedup_count == 1
        assert not [r for r in fake.requests if r.method == "GET" and r.path == f"/channels/{CHANNEL}/messages"]
        fake.assert_no_violations()
    finally:
        await fake.stop()


async def test_a_message_in_doubt_that_never_reached_discord_is_posted_after_the_look(
    loaded_settings: Settings, clock: ManualClock, feed_server: FeedServer
) -> None:
    fake = new_fake()
    await fake.start()
    try:
        async with open_core(loaded_settings, clock=clock) as core:
            quiet(core)
            async with e2e_run(core, run_background=False, feed_server=feed_server, fake=fake) as env:
                await subscribe(env)
                await news_then_run_time(env, feed_server, slug="lost")
                real = core.digests.deliverer
                assert real is not None
                core.digests.deliverer = Dying(real, before=1)  # noted as going out, then died before the POST
                with pytest.raises(Crash):
                    await core.digests.run_due()
        assert posts(fake, CHANNEL) == []
        clock.advance(seconds=TEN_MINUTES)
        fake.advance_time(TEN_MINUTES)
        await _restart(loaded_settings, clock, feed_server, fake)
        (message,) = posts(fake, CHANNEL)
        assert "lost-0" in embeds_text([message])
        fake.assert_no_violations()
    finally:
        await fake.stop()


async def test_a_look_the_bot_may_not_take_pauses_the_digest_with_the_reason(
    loaded_settings: Settings, clock: ManualClock, feed_server: FeedServer
) -> None:
    fake = new_fake()
    await fake.start()
    try:
        await _crash_after_discord_accepted(loaded_settings, clock, feed_server, fake)
        clock.advance(seconds=TEN_MINUTES)
        fake.advance_time(TEN_MINUTES)
        fake.set_channel_status(CHANNEL, 404)
        async with open_core(loaded_settings, clock=clock) as core:
            quiet(core)
            async with e2e_run(core, run_background=False, feed_server=feed_server, fake=fake, wait_commands=False):
                report = await core.digests.run_due()
                assert report.paused == 1 and report.sent == 0
                (sub,) = await store.guild_subscriptions(core.db, GUILD)
                assert sub.paused and sub.paused_reason == "the channel no longer exists"
        assert len(posts(fake, CHANNEL)) == 1
    finally:
        await fake.stop()
