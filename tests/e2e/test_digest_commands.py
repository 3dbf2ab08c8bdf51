"""/digest preview and send-now, /feeds add and /feeds keywords through the local Discord, each checked against
what the real bot then posts (or does not post) in the digest channel."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest

from bot.core import Core
from bot.models_outbox import without_marker
from bot.store import digests as store
from tests.discord_fake.objects import SEND_MESSAGES
from tests.e2e.conftest import CHANNEL, E2E, GUILD, MOD, OTHER_CHANNEL, e2e_run, start_e2e
from tests.e2e.digests import (
    EPHEMERAL,
    answer,
    assert_safe_post_bodies,
    embeds_text,
    manual,
    news,
    posts,
    publish_rss,
    text_of,
)
from tests.fixtures import feeds as docs
from tests.fixtures.feed_server import FeedServer
from tests.shared_files import un_list

pytestmark = pytest.mark.both_engines


async def no_sleep(_seconds: float) -> None:
    return None


@pytest.fixture
async def env(loaded_core: Core, feed_server: FeedServer) -> AsyncIterator[E2E]:
    loaded_core.feeds.fetcher.sleep = no_sleep
    async for e in start_e2e(loaded_core, run_background=False, feed_server=feed_server):
        yield e


async def subscribe(env: E2E, **options: object) -> None:
    """/digest subscribe in CHANNEL, daily at 13:00 UTC; then the feeds' first read (already seen)."""
    values = {"channel": CHANNEL, "time": "13:00", "timezone": "UTC", **options}
    data = await answer(env.fake, "digest subscribe", values)
    assert data["embeds"][0]["title"] == "Digest scheduled", data
    await env.core.feeds.poller.poll_due()


async def poll(env: E2E, minutes: int = 20) -> None:
    manual(env.core).advance(minutes=minutes)
    await env.core.feeds.poller.poll_due()


def to_run_time(env: E2E) -> None:
    clock = manual(env.core)
    clock.set(clock.now().replace(hour=13, minute=1))


async def test_preview_is_ephemeral_and_exactly_what_is_then_posted(env: E2E, feed_server: FeedServer) -> None:
    fake = env.fake
    await subscribe(env)
    publish_rss(feed_server, "/rss20.xml", news(3, slug="soon"))
    await poll(env)
    to_run_time(env)
    preview = await answer(fake, "digest preview", {"channel": CHANNEL})
    assert preview["flags"] & EPHEMERAL
    assert preview["content"] == f"Preview: the next digest in <#{CHANNEL}> would post this now (1 message)."
    assert posts(fake, CHANNEL) == []  # a preview posts nothing and records nothing
    assert await store.last_delivery(env.core.db, (await store.guild_subscriptions(env.core.db, GUILD))[0].id) is None
    report = await env.core.digests.run_due()
    assert report.sent == 1
    (message,) = posts(fake, CHANNEL)
    # The same embeds, but for the marker the outbox puts in every post (the preview has no nonce to mark).
    assert without_marker(message)["embeds"] == preview["embeds"]
    assert message["embeds"] != preview["embeds"]
    assert "soon-2" in embeds_text([message])
    # Without a channel the preview shows the server's next digest: nothing new since the one just posted.
    again = await answer(fake, "digest preview")
    assert again["flags"] & EPHEMERAL and "would post this now" in again["content"]
    assert "Nothing is new, so this digest would be skipped (post_empty is off)." in again["content"]


async def test_preview_without_a_subscription_looks_back_a_day(env: E2E) -> None:
    data = await answer(env.fake, "digest preview")
    assert data["flags"] & EPHEMERAL and "no digest is set up yet" in data["content"]
    assert "**DPRK today:** 80 individuals and 75 entities" in embeds_text([data])
    assert posts(env.fake, CHANNEL) == []


async def test_send_now_posts_once_and_the_schedule_carries_on_after_it(env: E2E, feed_server: FeedServer) -> None:
    fake = env.fake
    await subscribe(env)
    publish_rss(feed_server, "/rss20.xml", news(2, slug="now"))
    data = await answer(fake, "digest send-now", {"channel": CHANNEL})  # refreshes the feeds itself
    assert data["flags"] & EPHEMERAL and data["embeds"][0]["title"] == "Digest sent"
    assert f"Posted the digest in <#{CHANNEL}> (1 message: 2 news items, 0 list changes)." in text_of(data)
    (sent,) = posts(fake, CHANNEL)
    assert "now-0" in embeds_text([sent]) and "now-1" in embeds_text([sent])
    assert assert_safe_post_bodies(fake) == 1
    # The scheduled digest at 13:00 has nothing new after it: skipped, not a repeat.
    to_run_time(env)
    report = await env.core.digests.run_due()
    assert (report.started, report.skipped) == (1, 1)
    assert posts(fake, CHANNEL) == [sent]
    # The next day's digest carries only what came after.
    publish_rss(feed_server, "/rss20.xml", news(1, slug="later") + news(2, slug="now"))
    await poll(env, minutes=60)
    manual(env.core).advance(days=1)
    report = await env.core.digests.run_due()
    assert report.sent == 1
    later = posts(fake, CHANNEL)[-1]
    assert len(posts(fake, CHANNEL)) == 2
    assert "later-0" in embeds_text([later]) and "now-0" not in embeds_text([later])


async def test_send_now_to_a_channel_without_a_digest_is_refused(env: E2E) -> None:
    data = await answer(env.fake, "digest send-now", {"channel": OTHER_CHANNEL})
    assert data["flags"] & EPHEMERAL and f"There is no digest in <#{OTHER_CHANNEL}>" in text_of(data)
    assert posts(env.fake, OTHER_CHANNEL) == []


async def test_feeds_add_a_page_a_duplicate_and_the_new_feeds_news(env: E2E, feed_server: FeedServer) -> None:
    fake = env.fake
    url = feed_server.serve("/extra.xml", docs.rss20(docs.stories(3, slug="extra-old"), title="Extra Wire"))
    data = await answer(fake, "feeds add", {"url": url})
    assert data["flags"] & EPHEMERAL and data["embeds"][0]["title"] == "Feed added"
    text = text_of(data)
    assert "Now following **Extra Wire** (rss20)." in text and "Its 3 current items count as already seen" in text
    # The same feed again, under another name: refused, naming the one it already follows.
    data = await answer(fake, "feeds add", {"url": url, "name": "Again"})
    assert data["flags"] & EPHEMERAL and "This server already follows that feed (as `Extra Wire`)." in text_of(data)
    # An HTML page is no feed; the message points at the feed the page advertises.
    data = await answer(fake, "feeds add", {"url": feed_server.url("/page.html")})
    text = text_of(data)
    assert data["flags"] & EPHEMERAL and "not an RSS or Atom feed (it is an HTML page)" in text
    assert feed_server.url("/rss20.xml") in text
    listing = text_of(await answer(fake, "feeds list"))
    assert "4. Extra Wire" in listing and "page.html" not in listing
    # Its back catalogue never reaches a digest; what it publishes next does.
    await subscribe(env)
    feed_server.serve(
        "/extra.xml", docs.rss20(news(1, slug="extra-new") + docs.stories(3, slug="extra-old"), title="Extra Wire")
    )
    await poll(env)
    to_run_time(env)
    assert (await env.core.digests.run_due()).sent == 1
    (message,) = posts(fake, CHANNEL)
    titles = [e["title"] for e in message["embeds"]]
    assert "Extra Wire" in titles
    body = embeds_text([message])
    assert "extra-new-0" in body and "extra-old" not in body


async def test_feeds_keywords_choose_what_the_digest_carries(env: E2E, feed_server: FeedServer) -> None:
    fake = env.fake
    await subscribe(env)
    data = await answer(fake, "feeds keywords set", {"keywords": "uranium, Panel of Experts"})
    assert data["flags"] & EPHEMERAL and "Panel of Experts, uranium" in text_of(data)
    data = await answer(fake, "feeds keywords add", {"keywords": "centrifuge"})
    assert "Added: centrifuge." in text_of(data)
    data = await answer(fake, "feeds keywords add", {"keywords": "URANIUM"})
    assert "Those were already there." in text_of(data)
    choices = await fake.autocomplete(
        "feeds keywords remove", {"keywords": "pan"}, focused="keywords", user_id=MOD, channel_id=OTHER_CHANNEL
    )
    assert [c["value"] for c in choices] == ["Panel of Experts"]
    data = await answer(fake, "feeds keywords remove", {"keywords": "panel of experts"})
    assert "Removed: Panel of Experts." in text_of(data)
    data = await answer(fake, "feeds keywords remove", {"keywords": "plutonium"})
    assert data["flags"] & EPHEMERAL and "`plutonium` is not among this server's keywords." in text_of(data)
    data = await answer(fake, "feeds keywords list")
    assert "centrifuge, uranium" in text_of(data)
    publish_rss(
        feed_server,
        "/rss20.xml",
        news(1, slug="uranium", keyword="uranium")
        + news(1, slug="spin", keyword="centrifuges")  # plural of a keyword
        + news(1, slug="plain", keyword="sanctions")  # a default keyword no longer set
        + news(1, slug="panel", keyword="Panel of Experts"),
    )
    await poll(env)
    to_run_time(env)
    assert (await env.core.digests.run_due()).sent == 1
    (message,) = posts(fake, CHANNEL)
    body = embeds_text([message])
    assert "uranium-0" in body and "spin-0" in body
    assert "plain-0" not in body and "panel-0" not in body


async def test_a_channel_the_bot_cannot_post_in_is_refused_at_subscribe(env: E2E) -> None:
    fake = env.fake
    # Moderators deny the bot Send Messages in the channel; Discord tells the bot (CHANNEL_UPDATE).
    channel = fake.channel(CHANNEL)
    bot_role = next(r for r in fake.guilds[GUILD].roles.values() if r.get("managed"))
    channel["permission_overwrites"] = [{"id": bot_role["id"], "type": 0, "allow": "0", "deny": str(SEND_MESSAGES)}]
    await fake.dispatch("CHANNEL_UPDATE", channel, guild_id=GUILD)

    def bot_may_send() -> bool:
        guild = env.bot.get_guild(GUILD)
        cached = guild.get_channel(CHANNEL) if guild else None
        assert guild is not None and cached is not None
        return cached.permissions_for(guild.me).send_messages

    await fake.wait_until(lambda: not bot_may_send(), 5, "the bot to see its new permissions")
    for path in ("digest subscribe", "digest send-now"):
        options = {"channel": CHANNEL, "time": "13:00", "timezone": "UTC"} if path == "digest subscribe" else {}
        data = await answer(fake, path, {"channel": CHANNEL, **options})
        assert data["flags"] & EPHEMERAL
        # Without Send Messages, Discord (and discord.py) count Embed Links as denied too.
        assert f"I cannot post in <#{CHANNEL}>: I need Send Messages, Embed Links there." in text_of(data), path
    assert await store.guild_subscriptions(env.core.db, GUILD) == []


async def test_send_now_into_a_deleted_channel_says_so_and_pauses(env: E2E, feed_server: FeedServer) -> None:
    fake = env.fake
    await subscribe(env)
    fake.set_channel_status(CHANNEL, 404)
    data = await answer(fake, "digest send-now", {"channel": CHANNEL})
    assert data["flags"] & EPHEMERAL
    assert f"I cannot post in <#{CHANNEL}>: the channel no longer exists." in text_of(data)
    (sub,) = await store.guild_subscriptions(env.core.db, GUILD)
    assert sub.paused and sub.paused_reason == "the channel no longer exists"
    assert posts(fake, CHANNEL) == []


async def test_a_long_preview_pages_through_exactly_the_messages_then_posted(
    core: Core, feed_server: FeedServer
) -> None:
    await core.importer.import_bytes(un_list("2020-03-20").read_bytes(), "un-2020-03-20.xml")
    async with e2e_run(core, run_background=False, feed_server=feed_server) as env:
        fake = env.fake
        await subscribe(env)
        for date in ("2024-09-21", "2024-09-26"):  # 900-odd list changes: a digest of several messages
            await core.importer.import_bytes(un_list(date).read_bytes(), f"un-{date}.xml")
        to_run_time(env)
        first = await answer(fake, "digest preview", {"channel": CHANNEL})
        pages = [first["embeds"]]
        match = re.search(r"\((\d+) messages\)\.$", first["content"])
        assert match is not None
        count = int(match.group(1))
        assert count >= 2
        shown = first
        for _ in range(count - 1):
            next_id = next(c["custom_id"] for c in shown["components"][0]["components"] if c["label"] == "Next")
            res = await fake.click(shown, next_id, user_id=MOD)
            assert res.type == 7  # the same ephemeral message, updated
            shown = {**shown, **res.data}
            pages.append(res.data["embeds"])
        report = await core.digests.run_due()
        assert report.sent == 1
        messages = posts(fake, CHANNEL)
        assert [without_marker(m)["embeds"] for m in messages] == pages  # but for the outbox's marker


async def test_a_feed_added_under_a_hostile_title_stays_inert_everywhere(env: E2E, feed_server: FeedServer) -> None:
    fake = env.fake
    # A redirect to a feed the server already follows is that feed.
    data = await answer(fake, "feeds add", {"url": feed_server.url("/redirect")})
    assert "This server already follows that feed (as `UN Press`)." in text_of(data)
    # Named after its own title: "@here Hostile <@&123456789012345678>".
    data = await answer(fake, "feeds add", {"url": feed_server.url("/hostile.xml")})
    assert "Now following **@\u200bhere Hostile <\u200b@\u200b&123456789012345678>** (rss20)." in text_of(data)
    await subscribe(env)
    feed_server.serve("/hostile.xml", docs.HOSTILE.replace(b"<guid>h-1</guid>", b"<guid>h-3</guid>"))
    await poll(env)
    to_run_time(env)
    assert (await env.core.digests.run_due()).sent == 1
    (message,) = posts(fake, CHANNEL)
    assert "@\u200bhere Hostile <\u200b@\u200b&123456789012345678>" in [e["title"] for e in message["embeds"]]
    for method, path, body in fake.message_bodies:  # every answer and post of this test
        assert body.get("allowed_mentions") == {"parse": []}, (method, path)
        sent = text_of({k: v for k, v in body.items() if k != "allowed_mentions"})
        assert "@here" not in sent and "@everyone" not in sent and "<@&" not in sent, (method, path)
