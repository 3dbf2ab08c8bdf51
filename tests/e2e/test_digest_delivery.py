"""Digests delivered by the real bot through the local Discord: /digest subscribe as a moderator, then a due
run posts the news grouped by feed, the UN list's changes and the DPRK counts, once per period, with a nonce,
enforce_nonce and no mentions; a hostile feed item stays inert; a failing feed never blocks the digest; the
digest loop itself delivers when the (manual) clock says so."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from xml.sax.saxutils import escape

import pytest
from discord.ext import tasks

from bot.core import Core
from bot.models_outbox import without_marker
from bot.services.delivery import make_nonce
from bot.store import digests as store
from bot.store import lists as list_store
from tests.e2e.conftest import ALICE, CHANNEL, E2E, GUILD, OTHER_CHANNEL, e2e_run, start_e2e
from tests.e2e.digests import (
    EPHEMERAL,
    answer,
    assert_once_each,
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

# A mention that would ping if Discord parsed it: @everyone/@here, users, roles (not escaped with a zero-width space).
PING = re.compile(r"@(everyone|here)|<@[!&]?\d+>")


async def no_sleep(_seconds: float) -> None:
    return None


@pytest.fixture
async def env(loaded_core: Core, feed_server: FeedServer) -> AsyncIterator[E2E]:
    """The bot on the five list versions, feeds on the local server, no background loops (the test drives)."""
    loaded_core.feeds.fetcher.sleep = no_sleep  # a failing feed's retry backoff
    async for e in start_e2e(loaded_core, run_background=False, feed_server=feed_server):
        yield e


async def subscribe(env: E2E, channel: int = CHANNEL, **options: object) -> dict:
    """/digest subscribe as the moderator (daily 13:00 UTC unless told), then the first read of the feeds, whose
    items count as already seen."""
    values = {"channel": channel, "time": "13:00", "timezone": "UTC", **options}
    data = await answer(env.fake, "digest subscribe", values)
    assert data["flags"] & EPHEMERAL and data["embeds"][0]["title"] == "Digest scheduled", data
    await env.core.feeds.poller.poll_due()
    return data


async def poll(env: E2E, minutes: int = 20) -> None:
    """Let the feeds' poll interval pass and read them."""
    manual(env.core).advance(minutes=minutes)
    await env.core.feeds.poller.poll_due()


def to_run_time(env: E2E) -> None:
    """Move the clock to just after 13:00 UTC on the test's day (the subscription's first run)."""
    clock = manual(env.core)
    clock.set(clock.now().replace(hour=13, minute=1))


async def test_only_a_manager_may_subscribe_and_refusals_are_ephemeral(env: E2E, feed_server: FeedServer) -> None:
    fake = env.fake
    for path, options in [
        ("digest subscribe", {"channel": CHANNEL, "time": "13:00", "timezone": "UTC"}),
        ("digest send-now", {"channel": CHANNEL}),
        ("digest status", {}),
        ("feeds add", {"url": feed_server.url("/extra.xml")}),
        ("feeds keywords set", {"keywords": "uranium"}),
    ]:
        data = await answer(fake, path, options, user_id=ALICE)
        assert data["flags"] & EPHEMERAL, path
        assert "You need the Manage Server permission" in text_of(data), path
    assert await store.guild_subscriptions(env.core.db, GUILD) == []
    assert feed_server.hits["/extra.xml"] == 0  # refused before anything was fetched
    assert posts(fake, CHANNEL) == []
    # The moderator may.
    data = await subscribe(env)
    assert f"New digest in <#{CHANNEL}>: daily at 13:00 (UTC)." in text_of(data)
    assert "Next: **Thu 26 Nov 2026 13:00 UTC**" in text_of(data)


async def test_a_due_digest_posts_news_by_feed_list_changes_and_dprk_counts(
    core: Core, feed_server: FeedServer
) -> None:
    # The store starts at the 2020 list; the two 2024 versions arrive after the subscription: they are news.
    for date in ("2017-06-20", "2017-07-03", "2020-03-20"):
        await core.importer.import_bytes(un_list(date).read_bytes(), f"un-{date}.xml")
    async with e2e_run(core, run_background=False, feed_server=feed_server) as env:
        fake = env.fake
        await subscribe(env)
        publish_rss(feed_server, "/rss20.xml", news(2, slug="fresh") + news(1, slug="dull", keyword="weather"))
        atom_items = news(1, slug="korea", keyword="DPRK", prefix="Panel") + docs.stories(3, slug="news")
        feed_server.serve("/atom.xml", docs.atom(atom_items), "application/atom+xml")
        await poll(env)
        for date in ("2024-09-21", "2024-09-26"):
            await core.importer.import_bytes(un_list(date).read_bytes(), f"un-{date}.xml")
        versions = await list_store.list_versions(core.db)
        expected_changes = len(await list_store.changes_after(core.db, versions[2].id))

        assert (await core.digests.run_due()).started == 0  # 12:20: not due yet
        assert posts(fake, CHANNEL) == []
        to_run_time(env)
        report = await core.digests.run_due()
        assert (report.started, report.sent, report.failed, report.retrying) == (1, 1, 0, 0)

        messages = posts(fake, CHANNEL)
        assert len(messages) == report.messages >= 2  # 900-odd list changes do not fit one message
        assert fake.messages(CHANNEL) == messages  # nothing else was posted there
        assert_once_each(messages)
        assert assert_safe_post_bodies(fake) == len(messages)
        titles = [e["title"] for m in messages for e in m["embeds"]]
        assert titles[:4] == ["Sanctions digest — 26 November 2026", "UN Press", "UN News", "UN list changes"]
        assert all(t == "UN list changes (continued)" for t in titles[4:])
        body = embeds_text(messages)
        summary = messages[0]["embeds"][0]["description"]
        assert f"3 news items from 2 feeds · {expected_changes} list changes." in summary
        assert "since Thu 26 Nov 2026 12:00 UTC" in summary
        press = messages[0]["embeds"][1]["description"].split("\n")
        assert press == [
            "• [Council extends sanctions regime — item 0](https://press.un.org/en/2026/fresh-0.doc.htm) · press.un.org"
            " · 26 Nov",
            "• [Council extends sanctions regime — item 1](https://press.un.org/en/2026/fresh-1.doc.htm) · press.un.org"
            " · 26 Nov",
        ]
        assert "(https://news.example/story/korea-0)" in body
        assert "weather" not in body  # no keyword: not news for this server
        assert "press-0" not in body and "story/news-0" not in body  # what the feeds held before: already seen
        assert "Versions of 2024-09-21, 2024-09-26:" in body
        assert body.index("**DPRK** — 0 added, 0 removed, 73 amended") < body.index("**Al-Qaida** —")
        last = messages[-1]["embeds"][-1]
        assert last["description"].endswith(
            "**DPRK today:** 80 individuals and 75 entities (list version of 2024-09-26)."
        )
        assert without_marker(messages[-1])["embeds"][-1]["footer"]["text"] == "UN list version of 2024-09-26"

        # What was posted is what the delivery record holds, under the nonces derived from its seed.
        (delivery,) = await store.deliveries_of(core.db, (await store.guild_subscriptions(core.db, GUILD))[0].id)
        assert (delivery.period, delivery.status, delivery.parts_sent) == ("2026-11-26", "sent", len(messages))
        assert delivery.message_ids == [int(m["id"]) for m in messages]
        assert [m["nonce"] for m in messages] == [make_nonce(delivery.nonce_seed, i) for i in range(len(messages))]

        # Once per period: more passes the same day post nothing; the next day has nothing new and is skipped.
        for _ in range(3):
            manual(core).advance(minutes=10)
            assert (await core.digests.run_due()).started == 0
        manual(core).advance(hours=24)
        report = await core.digests.run_due()
        assert (report.started, report.skipped, report.messages) == (1, 1, 0)
        assert posts(fake, CHANNEL) == messages
        status = text_of(await answer(fake, "digest status"))
        assert "Last: skipped (nothing new)" in status and "Next: Sat 28 Nov 2026 13:00 UTC" in status


async def test_a_hostile_feed_item_cannot_ping_and_is_escaped(env: E2E, feed_server: FeedServer) -> None:
    fake = env.fake
    await subscribe(env)
    # The fixture's 10,000-character title has its keyword at the very end, past what a feed item keeps
    # (1,000 characters): put one up front so this item is news for the server.
    long_title = "Sanctions: " + docs.LONG_TITLE
    hostile = docs.HOSTILE.replace(escape(docs.LONG_TITLE).encode(), escape(long_title).encode())
    assert hostile != docs.HOSTILE and len(long_title) > 10_000
    feed_server.serve("/atom.xml", hostile)  # a default feed turns hostile: its two items are new
    await poll(env)
    to_run_time(env)
    report = await env.core.digests.run_due()
    assert report.sent == 1
    (message,) = posts(fake, CHANNEL)
    assert assert_safe_post_bodies(fake) == 1
    (body,) = [b for m, p, b in fake.message_bodies if p == f"/channels/{CHANNEL}/messages"]
    sent = text_of(body)
    assert "free coins" in sent  # the items are there …
    assert not PING.search(sent), PING.search(sent)  # … but nothing in them can mention anyone
    assert "@\u200beveryone" in sent and "<\u200b@\u200b123456789012345678>" in sent
    section = next(e for e in message["embeds"] if e["title"] == "UN News")
    lines = section["description"].split("\n")
    assert len(lines) == 2
    first = next(line for line in lines if "**bold**" not in line and "\\*\\*bold\\*\\*" in line)
    assert "\\_\\_u\\_\\_" in first and "\\|\\|spoiler\\|\\|" in first and "[x](https://evil.example)" not in first
    # Parentheses and brackets in a link are percent-encoded, so the link stays one link.
    assert first.endswith("](https://hostile.example/a_%28b%29_c?x=1&y=%5B2%5D) · hostile.example · 26 Nov")
    # The 10,000-character title is cut to one short line, and its javascript: link is not a link.
    long = next(line for line in lines if line is not first)
    assert len(long) < 260 and long.endswith("… · 26 Nov") and "javascript" not in sent
    assert "<script>" not in sent


async def test_a_failing_feed_never_blocks_the_digest(env: E2E, feed_server: FeedServer) -> None:
    fake = env.fake
    await subscribe(env)
    publish_rss(feed_server, "/rss20.xml", news(1, slug="through"))
    feed_server.fail("/atom.xml", 500)
    await poll(env)
    to_run_time(env)
    report = await env.core.digests.run_due()
    assert report.sent == 1
    (message,) = posts(fake, CHANNEL)
    titles = [e["title"] for e in message["embeds"]]
    assert titles == [
        "Sanctions digest — 26 November 2026",
        "UN Press",
        "Feeds that could not be read",
        "UN list changes",
    ]
    problems = message["embeds"][2]["description"]
    assert problems.startswith("⚠ UN News: could not be read (") and "500" in problems
    assert problems.endswith("; last read Thu 26 Nov 2026 12:00 UTC.")
    assert "through-0" in embeds_text([message])
    feeds = text_of(await answer(fake, "feeds list"))
    assert "⚠ failing 1×" in feeds


async def test_the_digest_loop_delivers_when_the_clock_says(loaded_core: Core, feed_server: FeedServer) -> None:
    loaded_core.feeds.fetcher.sleep = no_sleep
    async with e2e_run(loaded_core, run_background=True, feed_server=feed_server) as env:
        fake = env.fake
        # discord.py loads extensions as fresh modules: look the loop up by name, not by class.
        loop = getattr(env.bot.get_cog("DigestCog"), "digest_loop", None)
        assert isinstance(loop, tasks.Loop)
        await subscribe(env)
        publish_rss(feed_server, "/rss20.xml", news(2, slug="loop"))
        await poll(env)
        loop.change_interval(seconds=0.05)  # the loop's own pace; the schedule comes from the manual clock
        start = loop.current_loop
        await fake.wait_until(lambda: loop.current_loop >= start + 3, 10, "three passes of the digest loop")
        assert posts(fake, CHANNEL) == []  # 12:20: not due
        to_run_time(env)
        await fake.wait_until(lambda: len(posts(fake, CHANNEL)) >= 1, 10, "the loop to post the digest")
        after = loop.current_loop
        await fake.wait_until(lambda: loop.current_loop >= after + 3, 10, "three more passes")
        (message,) = posts(fake, CHANNEL)
        assert "loop-0" in embeds_text([message]) and "loop-1" in embeds_text([message])
        assert assert_safe_post_bodies(fake) == 1
        assert fake.messages(OTHER_CHANNEL) and not posts(fake, OTHER_CHANNEL)


async def test_after_downtime_one_catch_up_digest_covers_the_missed_days(env: E2E, feed_server: FeedServer) -> None:
    fake = env.fake
    await subscribe(env)
    clock = manual(env.core)
    stories: list = []
    for day in range(3):  # the bot is down for three run times; the feeds keep publishing
        stories = news(1, slug=f"day{day}", start=clock.now()) + stories
        publish_rss(feed_server, "/rss20.xml", stories)
        clock.advance(hours=24)
        await env.core.feeds.poller.poll_due()
    report = await env.core.digests.run_due()  # 29 Nov 12:00: 26, 27 and 28 Nov 13:00 were missed
    assert (report.started, report.sent) == (1, 1)
    (message,) = posts(fake, CHANNEL)
    body = embeds_text([message])
    assert all(f"day{d}-0" in body for d in range(3))
    (sub,) = await store.guild_subscriptions(env.core.db, GUILD)
    (delivery,) = await store.deliveries_of(env.core.db, sub.id)
    assert delivery.period == "2026-11-28"  # the latest missed period stands for them all
    assert (await env.core.digests.run_due()).started == 0
    assert "Next: Sun 29 Nov 2026 13:00 UTC" in text_of(await answer(fake, "digest status"))


async def test_two_digests_in_one_server_each_carry_the_news_once(env: E2E, feed_server: FeedServer) -> None:
    fake = env.fake
    await subscribe(env)  # daily at 13:00 UTC in CHANNEL
    weekly = {"cadence": "weekly", "weekday": "friday", "time": "09:00", "timezone": "Asia/Seoul"}
    data = await subscribe(env, OTHER_CHANNEL, **weekly)  # Fri 27 Nov 09:00 KST = Fri 00:00 UTC
    assert "weekly on Friday at 09:00 (Asia/Seoul)" in text_of(data)
    publish_rss(feed_server, "/rss20.xml", news(1, slug="both"))
    await poll(env)
    to_run_time(env)
    assert (await env.core.digests.run_due()).sent == 1
    manual(env.core).advance(hours=11)  # Fri 00:01 UTC
    assert (await env.core.digests.run_due()).sent == 1
    daily, weekly_posts = posts(fake, CHANNEL), posts(fake, OTHER_CHANNEL)
    assert len(daily) == 1 and len(weekly_posts) == 1
    assert "both-0" in embeds_text(daily) and "both-0" in embeds_text(weekly_posts)
    assert weekly_posts[0]["embeds"][0]["title"] == "Sanctions digest — 27 November 2026"  # the server's date
    # Stopping one leaves the other.
    data = await answer(fake, "digest unsubscribe", {"channel": OTHER_CHANNEL})
    assert f"No more digests in <#{OTHER_CHANNEL}>" in text_of(data)
    publish_rss(feed_server, "/rss20.xml", news(1, slug="after") + news(1, slug="both"))
    await poll(env, minutes=60)
    manual(env.core).advance(days=7)
    assert (await env.core.digests.run_due()).sent == 1
    assert len(posts(fake, CHANNEL)) == 2 and len(posts(fake, OTHER_CHANNEL)) == 1
    assert "after-0" in embeds_text(posts(fake, CHANNEL)[-1:])
