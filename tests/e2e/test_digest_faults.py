"""Digest delivery under faults, through the local Discord with the real DiscordDeliverer: REST 500/502/429 on a
share of channel posts (discord.py retries those), 503 (the scheduler retries it), a deleted channel or a missing
permission (the subscription pauses with the reason), and a crash on either side of Discord accepting a message
followed by a restart (a new bot and core on the same database and the same Discord): one message per period."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.clock import ManualClock
from bot.core import Core, open_core
from bot.services.delivery import make_nonce
from bot.services.scheduler import RunReport
from bot.settings import Settings
from bot.store import digests as store
from tests.discord_fake import FakeDiscord
from tests.discord_fake.objects import VIEW_CHANNEL
from tests.e2e.conftest import CHANNEL, E2E, GUILD, e2e_run, new_fake, start_e2e
from tests.e2e.digests import (
    POST_MESSAGE_REGEX,
    Dying,
    answer,
    assert_once_each,
    assert_safe_post_bodies,
    embeds_text,
    manual,
    news,
    post_bodies,
    posts,
    publish_rss,
    text_of,
)
from tests.fixtures import feeds as docs
from tests.fixtures.digest import Crash
from tests.fixtures.feed_server import FeedServer
from tests.shared_files import un_list

pytestmark = pytest.mark.both_engines

CHANNELS = [GUILD + 1, GUILD + 2, GUILD + 3, GUILD + 4, GUILD + 5, GUILD + 6]


async def no_sleep(_seconds: float) -> None:
    return None


class Backoff:
    """Stands in for the scheduler's sleep between send attempts: records the delays, waits for nothing."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def quiet(core: Core) -> Backoff:
    """No real waiting for feed retries or the scheduler's backoff; the scheduler's delays are recorded."""
    backoff = Backoff()
    core.feeds.fetcher.sleep = no_sleep
    core.digests._sleep = backoff
    return backoff


@pytest.fixture
async def env(loaded_core: Core, feed_server: FeedServer) -> AsyncIterator[E2E]:
    quiet(loaded_core)
    async for e in start_e2e(loaded_core, run_background=False, feed_server=feed_server):
        yield e


async def subscribe(env: E2E, channel: int = CHANNEL) -> None:
    data = await answer(env.fake, "digest subscribe", {"channel": channel, "time": "13:00", "timezone": "UTC"})
    assert data["embeds"][0]["title"] in ("Digest scheduled",), data
    await env.core.feeds.poller.poll_due()


async def news_then_run_time(env: E2E, server: FeedServer, slug: str = "fault", long: bool = False) -> None:
    """Two new items on the first default feed (and many long ones on every feed if `long`), read at 12:20;
    then the clock to 13:01 (the digests are due)."""
    if long:
        long_news(server, slug)
    else:
        publish_rss(server, "/rss20.xml", news(2, slug=slug))
    clock = manual(env.core)
    clock.advance(minutes=20)
    await env.core.feeds.poller.poll_due()
    clock.set(clock.now().replace(hour=13, minute=1))


async def test_500_502_and_429_on_a_share_of_posts_still_deliver_every_digest_once(
    core: Core, feed_server: FeedServer
) -> None:
    # Six channels, each digest three messages long (the 2024 list changes): 18 posts to get through.
    for date in ("2020-03-20",):
        await core.importer.import_bytes(un_list(date).read_bytes(), f"un-{date}.xml")
    backoff = quiet(core)
    fake = new_fake(extra_channels=4)
    await fake.start()
    try:
        async with e2e_run(core, run_background=False, feed_server=feed_server, fake=fake) as env:
            for channel in CHANNELS:
                await subscribe(env, channel)
            for date in ("2024-09-21", "2024-09-26"):
                await core.importer.import_bytes(un_list(date).read_bytes(), f"un-{date}.xml")
            await news_then_run_time(env, feed_server)
            limited = fake.inject_fault("POST", POST_MESSAGE_REGEX, 429, ratio=0.3, retry_after=0.05)
            errors = [
                fake.inject_fault("POST", POST_MESSAGE_REGEX, 500, times=2),
                fake.inject_fault("POST", POST_MESSAGE_REGEX, 502, times=1),
                fake.inject_fault("POST", POST_MESSAGE_REGEX, 503, times=2),  # discord.py does not retry 503
            ]
            report = await core.digests.run_due()
            assert (report.started, report.sent, report.failed, report.retrying) == (6, 6, 0, 0), report
            assert limited.hits >= 1 and [f.hits for f in errors] == [2, 1, 2]
            # The outbox's own retries of the two 503s: full jitter, within the first and second ceilings.
            assert len(backoff.delays) == 2 and all(0.0 <= d <= 2.0 for d in backoff.delays), backoff.delays
            subs = await store.guild_subscriptions(core.db, GUILD)
            total = 0
            for sub in subs:
                (delivery,) = await store.deliveries_of(core.db, sub.id)
                messages = posts(fake, sub.channel_id)
                assert delivery.status == "sent" and len(messages) == len(delivery.payload) >= 2
                assert_once_each(messages)
                assert [m["nonce"] for m in messages] == [
                    make_nonce(delivery.nonce_seed, i) for i in range(len(messages))
                ]
                assert [m["embeds"] for m in messages] == [p["embeds"] for p in delivery.payload]
                total += len(messages)
            # Every attempt went out with its nonce; the retries are the extra requests, none became a message.
            attempts = assert_safe_post_bodies(fake)
            assert attempts == total + limited.hits + 5
            assert fake.nonce_dedup_count == 0
            fake.clear_faults()
            manual(core).advance(minutes=30)
            assert (await core.digests.run_due()).started == 0
            assert sum(len(posts(fake, c)) for c in CHANNELS) == total
    finally:
        await fake.stop()


async def test_a_503_that_outlasts_the_retries_is_delivered_on_a_later_pass_once(
    env: E2E, feed_server: FeedServer
) -> None:
    fake = env.fake
    await subscribe(env)
    await news_then_run_time(env, feed_server)
    fault = fake.inject_fault("POST", POST_MESSAGE_REGEX, 503, times=3)
    report = await env.core.digests.run_due()
    assert (report.started, report.sent, report.retrying) == (1, 0, 1) and fault.hits == 3
    assert posts(fake, CHANNEL) == []
    status = text_of(await answer(fake, "digest status"))
    assert "Last: being delivered" in status and "Discord server error 503" in status
    assert (await env.core.digests.run_due()).started == 0  # its retry time has not come
    manual(env.core).advance(minutes=1)
    report = await env.core.digests.run_due()
    assert report.sent == 1 and report.started == 0  # the same record, not a new digest
    (message,) = posts(fake, CHANNEL)
    assert "fault-0" in embeds_text([message])
    assert len({b["nonce"] for b in post_bodies(fake, CHANNEL)}) == 1  # four attempts, one nonce
    assert "Last: posted" in text_of(await answer(fake, "digest status"))


@pytest.mark.parametrize(
    "status, reason",
    [
        (404, "the channel no longer exists"),
        (403, "the bot lacks permission to post there (it needs View Channel, Send Messages and Embed Links)"),
        (50001, "the bot cannot see the channel (Missing Access)"),
    ],
    ids=["deleted", "missing-permission", "missing-access"],
)
async def test_a_deleted_channel_or_missing_permission_pauses_with_the_reason(
    env: E2E, feed_server: FeedServer, status: int, reason: str
) -> None:
    fake = env.fake
    await subscribe(env)
    await news_then_run_time(env, feed_server)
    if status == 50001:  # the channel was hidden from the bot (the bot's cache does not know yet)
        channel = fake.channel(CHANNEL)
        saved = list(channel["permission_overwrites"])
        bot_role = next(r for r in fake.guilds[GUILD].roles.values() if r.get("managed"))
        channel["permission_overwrites"] = [{"id": bot_role["id"], "type": 0, "allow": "0", "deny": str(VIEW_CHANNEL)}]
    else:
        fake.set_channel_status(CHANNEL, status)
    report = await env.core.digests.run_due()
    assert (report.started, report.paused, report.sent) == (1, 1, 0)
    assert posts(fake, CHANNEL) == []
    assert len(post_bodies(fake, CHANNEL)) == 1  # no pointless retries of a 403/404
    (sub,) = await store.guild_subscriptions(env.core.db, GUILD)
    assert sub.paused and sub.paused_reason == reason
    status_text = text_of(await answer(fake, "digest status"))
    assert f"⏸ **Paused**: {reason}." in status_text and "run `/digest subscribe` for this channel again" in status_text
    manual(env.core).advance(days=2)
    assert (await env.core.digests.run_due()).started == 0  # paused: no attempts at all
    # Fixed, and subscribed again: the digest resumes, and nothing the failed one held is lost.
    if status == 50001:
        fake.channel(CHANNEL)["permission_overwrites"] = saved
    else:
        fake.set_channel_status(CHANNEL, None)
    data = await answer(fake, "digest subscribe", {"channel": CHANNEL, "time": "13:00", "timezone": "UTC"})
    assert f"Digest updated in <#{CHANNEL}>" in text_of(data)
    assert "Paused" not in text_of(await answer(fake, "digest status"))
    manual(env.core).advance(days=1)
    assert (await env.core.digests.run_due()).sent == 1
    (message,) = posts(fake, CHANNEL)
    assert "fault-0" in embeds_text([message]) and "fault-1" in embeds_text([message])


def long_news(server: FeedServer, slug: str) -> None:
    """Ten items with long titles and long links on each default feed (two new ones on the first, slugged
    `slug`): a digest of three messages or more."""
    prefix = "Security Council briefing on the implementation of measures " * 3
    padding = "-" + "detail" * 50

    def many(feed: str) -> list:
        return news(10, slug=f"{feed}{padding}", prefix=prefix)

    server.serve("/rss20.xml", docs.rss20(news(2, slug=slug) + many("press")))
    server.serve("/atom.xml", docs.atom(many("news")), "application/atom+xml")
    server.serve("/rss10.xml", docs.rss10(many("blue")), "application/rdf+xml")


async def _run_until_crash(
    settings: Settings, clock: ManualClock, server: FeedServer, fake: FakeDiscord, dying: dict, long: bool
) -> int:
    """The first process: subscribe, news, and a due digest whose send dies as `dying` says; return how many
    messages the digest has."""
    async with open_core(settings, clock=clock) as core:
        quiet(core)
        async with e2e_run(core, run_background=False, feed_server=server, fake=fake) as env:
            await subscribe(env)
            await news_then_run_time(env, server, slug="crash", long=long)
            real = core.digests.deliverer
            assert real is not None
            core.digests.deliverer = Dying(real, **dying)
            with pytest.raises(Crash):
                await core.digests.run_due()
            core.digests.deliverer = real
            (sub,) = await store.guild_subscriptions(core.db, GUILD)
            (pending,) = await store.deliveries_of(core.db, sub.id)
            assert pending.status == "pending"
            return len(pending.payload)


async def _restart(settings: Settings, clock: ManualClock, server: FeedServer, fake: FakeDiscord) -> list[dict]:
    """A new process on the same database and the same Discord: its first pass resumes the pending delivery."""
    async with open_core(settings, clock=clock) as core:
        quiet(core)
        async with e2e_run(core, run_background=False, feed_server=server, fake=fake, wait_commands=False) as env:
            (sub,) = await store.guild_subscriptions(core.db, GUILD)
            (pending,) = await store.deliveries_of(core.db, sub.id)
            assert pending.status == "pending"
            report = await core.digests.run_due()
            assert (report.started, report.sent) == (0, 1), report
            manual(core).advance(hours=1)
            assert (await core.digests.run_due()).started == 0
            (done,) = await store.deliveries_of(core.db, sub.id)
            messages = posts(env.fake, CHANNEL)
            assert done.status == "sent" and done.message_ids == [int(m["id"]) for m in messages]
            assert [m["embeds"] for m in messages] == [p["embeds"] for p in done.payload]
            assert [m["nonce"] for m in messages] == [make_nonce(done.nonce_seed, i) for i in range(len(messages))]
            return messages


@pytest.mark.parametrize(
    "dying, long, accepted_unrecorded",
    [
        ({"before": 1}, False, 0),  # died between writing the delivery record and the send
        ({"after": 1}, False, 1),  # Discord accepted the message; the bot died before recording it
        ({"before": 2}, True, 0),  # the second message of a long digest never went out
        ({"after": 2}, True, 1),  # the second message went out but was never recorded
    ],
    ids=["before-send", "after-accept", "long-before-second", "long-after-second"],
)
async def test_a_crash_then_a_restart_posts_each_message_of_the_period_once(
    loaded_settings: Settings,
    clock: ManualClock,
    feed_server: FeedServer,
    dying: dict,
    long: bool,
    accepted_unrecorded: int,
) -> None:
    fake = new_fake()
    await fake.start()
    try:
        parts = await _run_until_crash(loaded_settings, clock, feed_server, fake, dying, long)
        assert (parts >= 3) if long else (parts == 1)
        reached = dying.get("after", dying.get("before", 1) - 1)
        assert len(posts(fake, CHANNEL)) == reached  # what Discord holds at the moment of the crash
        messages = await _restart(loaded_settings, clock, feed_server, fake)
        assert len(messages) == parts
        assert_once_each(messages)
        assert "crash-0" in embeds_text(messages)
        bodies = post_bodies(fake, CHANNEL)
        assert len(bodies) == parts + accepted_unrecorded  # the unrecorded one was sent again, same nonce …
        assert len({b["nonce"] for b in bodies}) == parts
        assert fake.nonce_dedup_count == accepted_unrecorded  # … and Discord answered with the message it had
        fake.assert_no_violations()
    finally:
        await fake.stop()


async def test_a_rejected_message_fails_the_delivery_and_the_next_digest_carries_its_news(
    env: E2E, feed_server: FeedServer
) -> None:
    fake = env.fake
    await subscribe(env)
    await news_then_run_time(env, feed_server, slug="refused")
    fault = fake.inject_fault("POST", POST_MESSAGE_REGEX, 400, times=1)
    report = await env.core.digests.run_due()
    assert (report.started, report.failed, report.sent) == (1, 1, 0) and fault.hits == 1
    assert len(post_bodies(fake, CHANNEL)) == 1  # a 400 is not retried: the same body would fail again
    status = text_of(await answer(fake, "digest status"))
    assert "Last: failed" in status and "Discord refused the message (400" in status and "Paused" not in status
    manual(env.core).advance(days=1)
    report = await env.core.digests.run_due()
    assert report.sent == 1
    (message,) = posts(fake, CHANNEL)
    assert "refused-0" in embeds_text([message]) and "refused-1" in embeds_text([message])


async def test_discords_per_channel_rate_limit_holds_a_long_digest_back_without_loss(
    env: E2E, feed_server: FeedServer
) -> None:
    fake = env.fake
    await subscribe(env)
    await news_then_run_time(env, feed_server, slug="paced", long=True)
    fake.rate_limit = (2, 0.3)  # per channel: two posts per 0.3 s (Discord's is 5 per 5 s)
    report = await env.core.digests.run_due()
    assert report.sent == 1 and report.messages >= 3
    messages = posts(fake, CHANNEL)
    assert len(messages) == report.messages
    assert_once_each(messages)
    # discord.py read the bucket headers and waited, or was told to (429) and retried: either way no loss.
    assert len(post_bodies(fake, CHANNEL)) == len(messages) + fake.rate_limited_count


async def test_the_loop_never_sends_a_delivery_that_send_now_is_still_sending(
    env: E2E, feed_server: FeedServer
) -> None:
    fake = env.fake
    core = env.core
    await subscribe(env)
    publish_rss(feed_server, "/rss20.xml", news(2, slug="race"))
    fake.inject_fault("POST", POST_MESSAGE_REGEX, 503, times=1)
    passes: list[asyncio.Future[RunReport]] = []

    async def loop_tick_during_backoff(_seconds: float) -> None:
        # While /digest send-now waits to retry its 503, the digest loop's pass comes round (its own task).
        passes.append(asyncio.ensure_future(core.digests.run_due()))
        await asyncio.sleep(0)

    core.digests._sleep = loop_tick_during_backoff
    data = await answer(fake, "digest send-now", {"channel": CHANNEL})
    assert "Posted the digest" in text_of(data)
    (tick,) = passes
    report = await tick
    assert (report.started, report.sent) == (0, 0)  # it found the delivery in hand, then done
    (message,) = posts(fake, CHANNEL)
    (sub,) = await store.guild_subscriptions(core.db, GUILD)
    (delivery,) = await store.deliveries_of(core.db, sub.id)
    assert delivery.status == "sent" and delivery.message_ids == [int(message["id"])]
    bodies = post_bodies(fake, CHANNEL)
    assert len(bodies) == 2  # the 503 and its retry: one sender only
    assert fake.nonce_dedup_count == 0
