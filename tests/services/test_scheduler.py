"""The digest scheduler on a real store with a fake Discord: schedules across DST, catch-up after downtime,
exactly one message per period across crashes and restarts, pauses on 403/404, retries on 5xx."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import json
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.clock import ManualClock
from bot.core import Core, open_core
from bot.errors import (
    ChannelNotPostable,
    DeliveryUnavailable,
    InvalidOption,
    NoSubscription,
    UnknownTimezone,
    UserError,
)
from bot.render.digest import digest_pages
from bot.services.scheduler import RunReport, Schedule, parse_time, resolve_timezone
from bot.settings import Settings
from bot.sources.feeds import FeedItem
from bot.store import digests as store
from bot.store import feeds as feed_store
from tests.fixtures.digest import CHANNEL, GUILD, Crash, FakeDeliverer, FakeDiscord, isolate, utc

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


async def no_sleep(_seconds: float) -> None:
    return None


def prepare(core: Core, discord: FakeDiscord) -> FakeDeliverer:
    """Loopback-only feeds, no default feeds, instant retries, and a fake Discord to post to."""
    isolate(core)
    deliverer = FakeDeliverer(discord)
    core.digests.deliverer = deliverer
    core.digests._sleep = no_sleep
    return deliverer


@pytest.fixture
def discord() -> FakeDiscord:
    return FakeDiscord()


@pytest.fixture
async def dcore(loaded_settings: Settings, clock: ManualClock, discord: FakeDiscord) -> AsyncIterator[Core]:
    async with open_core(loaded_settings, clock=clock) as core:
        prepare(core, discord)
        yield core


async def add_feed(core: Core, guild: int = GUILD, url: str = "https://news.example/rss") -> feed_store.Feed:
    """A feed the server follows, fetched once (so later items are news), keywords DPRK/sanction."""
    now = core.clock.now()
    await feed_store.set_up_guild(core.db, guild, feeds=[(url, "News")], keywords=["DPRK", "sanction"], now=now)
    feed = await feed_store.feed_by_url(core.db, url)
    assert feed is not None
    await feed_store.save_poll(
        core.db,
        feed.id,
        [],
        at=now,
        next_poll_at=now,
        title="News",
        kind="rss20",
        etag=None,
        last_modified=None,
        warning=None,
    )
    return feed


async def publish(core: Core, feed: feed_store.Feed, *titles: str) -> None:
    now = core.clock.now()
    items = [FeedItem(f"g:{t}", t, f"https://news.example/{abs(hash(t))}", t, "", now) for t in titles]
    await feed_store.save_poll(
        core.db,
        feed.id,
        items,
        at=now,
        next_poll_at=now,
        title="News",
        kind="rss20",
        etag=None,
        last_modified=None,
        warning=None,
    )


async def subscribe(
    core: Core,
    *,
    time: str = "08:00",
    tz: str = "Europe/Berlin",
    cadence: str = "daily",
    weekday: str | None = None,
    post_empty: bool = True,
    channel: int = CHANNEL,
    guild: int = GUILD,
) -> store.Subscription:
    result = await core.digests.subscribe(
        guild, channel, time_text=time, timezone=tz, cadence=cadence, weekday=weekday, post_empty=post_empty
    )
    return result.subscription


async def run_every(core: Core, clock: ManualClock, until: dt.datetime, minutes: int = 10) -> None:
    while clock.now() < until:
        clock.advance(minutes=minutes)
        await core.digests.run_due()


# --- schedule arithmetic ------------------------------------------------------------------------------------


def test_parse_time_refuses_what_is_not_hh_mm() -> None:
    assert parse_time("08:00") == (8, 0) and parse_time("7:05") == (7, 5) and parse_time(" 23:59 ") == (23, 59)
    for bad, words in [
        ("7pm", "24-hour clock"),
        ("25:00", "00 to 23"),
        ("12:60", "00 to 59"),
        ("8.30", "HH:MM"),
        ("", "HH:MM"),
        ("08:00:00", "HH:MM"),
        ("٠٨:٠٠", "HH:MM"),
    ]:
        with pytest.raises(InvalidOption, match=words):
            parse_time(bad)


def test_time_zones_resolve_with_suggestions() -> None:
    assert resolve_timezone("europe/berlin") == "Europe/Berlin"
    assert resolve_timezone("America/New York") == "America/New_York"
    assert resolve_timezone("utc") == "UTC"
    with pytest.raises(UnknownTimezone) as info:
        resolve_timezone("Europe/Berln")
    assert info.value.suggestions[0] == "Europe/Berlin"
    with pytest.raises(UnknownTimezone) as info:
        resolve_timezone("Seoul")
    assert "Asia/Seoul" in info.value.suggestions
    with pytest.raises(UnknownTimezone):
        resolve_timezone("Mars/Olympus_Mons")
    with pytest.raises(UnknownTimezone):
        resolve_timezone("../../etc/passwd")


def test_skipped_local_time_runs_once_just_after_the_jump() -> None:
    s = Schedule("daily", 2, 30, BERLIN)
    # 29 March 2026: clocks jump from 02:00 to 03:00 in Berlin; 02:30 does not exist.
    assert s.run_at(dt.date(2026, 3, 28)) == utc(2026, 3, 28, 1, 30)  # 02:30 CET
    assert s.run_at(dt.date(2026, 3, 29)) == utc(2026, 3, 29, 1, 30)  # = 03:30 CEST
    assert s.run_at(dt.date(2026, 3, 30)) == utc(2026, 3, 30, 0, 30)  # 02:30 CEST


def test_repeated_local_time_runs_once_at_its_first_occurrence() -> None:
    s = Schedule("daily", 2, 30, BERLIN)
    # 25 October 2026: 02:00–03:00 happens twice; the digest runs at the first 02:30 (CEST) only.
    assert s.run_at(dt.date(2026, 10, 25)) == utc(2026, 10, 25, 0, 30)
    day, at = s.next_after(utc(2026, 10, 25, 0, 30))
    assert day == dt.date(2026, 10, 26) and at == utc(2026, 10, 26, 1, 30)


def test_weekly_schedule() -> None:
    s = Schedule("weekly", 9, 0, NEW_YORK, weekday=4)  # Fridays
    day, at = s.next_after(utc(2026, 11, 26, 12, 0))  # a Thursday
    assert day == dt.date(2026, 11, 27) and at == utc(2026, 11, 27, 14, 0)
    assert s.latest_at_or_before(utc(2026, 11, 26, 12, 0)) == (
        dt.date(2026, 11, 20),
        utc(2026, 11, 20, 14, 0),
    )


_ZONES = st.sampled_from(
    [
        "Europe/Berlin",
        "America/New_York",
        "Australia/Lord_Howe",
        "Asia/Kolkata",
        "UTC",
        "America/Santiago",
        "Pacific/Chatham",
        "Europe/London",
    ]
)


@given(
    _ZONES,
    st.integers(0, 23),
    st.sampled_from([0, 15, 30, 45, 59]),
    st.datetimes(min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2028, 1, 1)),
)
def test_daily_runs_once_per_local_date_in_any_zone(zone: str, hour: int, minute: int, start: dt.datetime) -> None:
    s = Schedule("daily", hour, minute, ZoneInfo(zone))
    at = start.replace(tzinfo=dt.UTC)
    days = []
    for _ in range(400):
        day, nxt = s.next_after(at)
        assert nxt > at
        days.append(day)
        at = nxt
    assert all((b - a).days == 1 for a, b in itertools.pairwise(days))
    latest = s.latest_at_or_before(at)
    assert latest is not None and latest[0] == days[-1]


# --- runs on the clock --------------------------------------------------------------------------------------


async def test_daily_digest_runs_once_a_day_across_spring_forward(
    dcore: Core, clock: ManualClock, discord: FakeDiscord
) -> None:
    clock.set(utc(2026, 3, 26, 12, 0))
    await subscribe(dcore, time="02:30")
    await run_every(dcore, clock, utc(2026, 4, 1, 12, 0))
    posts = discord.in_channel(CHANNEL)
    records = await store.deliveries_of(dcore.db, (await store.guild_subscriptions(dcore.db, GUILD))[0].id)
    assert [r.period for r in records] == [f"2026-03-{d}" for d in (27, 28, 29, 30, 31)] + ["2026-04-01"]
    assert len(posts) == 6 and all(r.status == "sent" for r in records)
    # The 29 March run happened once, just after the jump (01:30 UTC = 03:30 CEST), within one 10-minute tick.
    on_29 = next(r for r in records if r.period == "2026-03-29")
    assert utc(2026, 3, 29, 1, 30) <= dt.datetime.fromisoformat(on_29.created_at) <= utc(2026, 3, 29, 1, 40)


async def test_daily_digest_runs_once_a_day_across_fall_back(
    dcore: Core, clock: ManualClock, discord: FakeDiscord
) -> None:
    clock.set(utc(2026, 10, 22, 12, 0))
    await subscribe(dcore, time="02:30")
    await run_every(dcore, clock, utc(2026, 10, 28, 12, 0))
    periods = Counter(r.period for r in await store.deliveries_of(dcore.db, 1))
    assert periods == Counter({f"2026-10-{d}": 1 for d in range(23, 29)})
    assert len(discord.in_channel(CHANNEL)) == 6


async def test_new_york_dst_and_a_weekly_digest(dcore: Core, clock: ManualClock, discord: FakeDiscord) -> None:
    clock.set(utc(2026, 3, 1, 12, 0))
    await subscribe(dcore, time="09:00", tz="America/New_York", cadence="weekly", weekday="monday")
    await run_every(dcore, clock, utc(2026, 3, 24, 0, 0), minutes=30)
    records = await store.deliveries_of(dcore.db, 1)
    assert [r.period for r in records] == ["2026-03-02", "2026-03-09", "2026-03-16", "2026-03-23"]
    created = [dt.datetime.fromisoformat(r.created_at) for r in records]
    # 09:00 EST is 14:00 UTC, 09:00 EDT (from 8 March) is 13:00 UTC: the local time holds.
    assert [c.astimezone(NEW_YORK).hour for c in created] == [9, 9, 9, 9]


async def test_after_downtime_one_catch_up_digest_covers_the_missed_days(
    dcore: Core, clock: ManualClock, discord: FakeDiscord
) -> None:
    feed = await add_feed(dcore)
    await subscribe(dcore, time="08:00", post_empty=False)
    for day in range(5):  # the bot is down; news keeps arriving (another process polls)
        clock.advance(days=1)
        await publish(dcore, feed, f"DPRK news day {day}")
    await dcore.digests.run_due()
    await dcore.digests.run_due()
    posts = discord.in_channel(CHANNEL)
    assert len(posts) == 1
    text = json.dumps(posts[0].message.embeds)
    assert all(f"DPRK news day {d}" in text for d in range(5))
    (record,) = await store.deliveries_of(dcore.db, 1)
    assert record.period == "2026-12-01"  # the latest missed period stands for all of them
    sub = (await store.guild_subscriptions(dcore.db, GUILD))[0]
    assert sub.next_run_at == "2026-12-02T07:00:00+00:00"


async def test_nothing_new_is_skipped_unless_post_empty(dcore: Core, clock: ManualClock, discord: FakeDiscord) -> None:
    await add_feed(dcore)
    await subscribe(dcore, channel=1, post_empty=False)
    await subscribe(dcore, channel=2, post_empty=True)
    clock.advance(days=1)
    report = await dcore.digests.run_due()
    assert (report.started, report.sent, report.skipped) == (2, 1, 1)
    assert discord.in_channel(1) == [] and len(discord.in_channel(2)) == 1
    assert "Nothing new" in json.dumps(discord.in_channel(2)[0].message.embeds)


async def test_items_go_out_once_then_never_again(dcore: Core, clock: ManualClock, discord: FakeDiscord) -> None:
    feed = await add_feed(dcore)
    await subscribe(dcore, post_empty=False)
    await publish(dcore, feed, "DPRK first", "weather")
    clock.advance(days=1)
    await dcore.digests.run_due()
    await publish(dcore, feed, "New sanctions")
    clock.advance(days=1)
    await dcore.digests.run_due()
    first, second = (json.dumps(p.message.embeds) for p in discord.in_channel(CHANNEL))
    assert "DPRK first" in first and "weather" not in first
    assert "New sanctions" in second and "DPRK first" not in second


# --- exactly once -------------------------------------------------------------------------------------------


@asynccontextmanager
async def reopen(settings: Settings, clock: ManualClock, discord: FakeDiscord) -> AsyncIterator[Core]:
    async with open_core(settings, clock=clock) as core:
        prepare(core, discord)
        yield core


@pytest.mark.parametrize("crash", ["before_post", "after_post"])
async def test_crash_between_record_and_send_then_restart_posts_exactly_once(
    loaded_settings: Settings, clock: ManualClock, discord: FakeDiscord, crash: str
) -> None:
    async with reopen(loaded_settings, clock, discord) as core:
        feed = await add_feed(core)
        await subscribe(core, post_empty=False)
        await publish(core, feed, "DPRK news")
        clock.advance(days=1)
        deliverer = core.digests.deliverer
        assert isinstance(deliverer, FakeDeliverer)
        if crash == "before_post":
            deliverer.crash_before_post = 1
        else:
            deliverer.crash_after_post = 1
        with pytest.raises(Crash):
            await core.digests.run_due()
    async with reopen(loaded_settings, clock, discord) as core:  # the restart, minutes later
        (pending,) = await store.deliveries_of(core.db, 1)
        assert pending.status == "pending" and pending.parts_sent == 0
        clock.advance(minutes=1)
        await core.digests.run_due()
        await core.digests.run_due()
        (done,) = await store.deliveries_of(core.db, 1)
        assert done.status == "sent"
    posts = discord.in_channel(CHANNEL)
    assert len(posts) == 1
    assert "DPRK news" in json.dumps(posts[0].message.embeds)
    deliverer_nonces = {p.nonce for p in posts}
    assert len(deliverer_nonces) == 1


async def test_a_multi_message_digest_resumes_after_the_last_message_sent(
    loaded_settings: Settings, clock: ManualClock, discord: FakeDiscord
) -> None:
    async with reopen(loaded_settings, clock, discord) as core:
        feed = await add_feed(core)
        await subscribe(core, post_empty=False)
        # Twenty feeds' worth of long DPRK titles: more than one message.
        await publish(core, feed, *[f"DPRK story {i} " + "x" * 180 for i in range(60)])
        for n in range(12):
            extra = await feed_store.ensure_feed(core.db, f"https://more.example/{n}", core.clock.now())
            await feed_store.add_guild_feed(core.db, GUILD, extra.url, f"Feed {n}", core.clock.now())
            await feed_store.save_poll(
                core.db,
                extra.id,
                [],
                at=core.clock.now(),
                next_poll_at=core.clock.now(),
                title="",
                kind="rss20",
                etag=None,
                last_modified=None,
                warning=None,
            )
            await publish(core, extra, *[f"DPRK {n}/{i} " + "y" * 200 for i in range(10)])
        clock.advance(days=1)
        deliverer = core.digests.deliverer
        assert isinstance(deliverer, FakeDeliverer)
        original = deliverer.send
        calls = 0

        async def crash_on_third(channel_id: int, message: object, nonce: str) -> int:
            nonlocal calls
            calls += 1
            if calls == 3:
                deliverer.crash_after_post = 1
            return await original(channel_id, message, nonce)  # type: ignore[arg-type]

        deliverer.send = crash_on_third  # type: ignore[method-assign]
        with pytest.raises(Crash):
            await core.digests.run_due()
    async with reopen(loaded_settings, clock, discord) as core:
        (pending,) = await store.deliveries_of(core.db, 1)
        assert pending.parts_sent == 2 and len(pending.payload) >= 3
        await core.digests.run_due()
        (done,) = await store.deliveries_of(core.db, 1)
        assert done.status == "sent" and done.parts_sent == len(done.payload)
        assert len(discord.in_channel(CHANNEL)) == len(done.payload)  # not one more
        assert [m.id for m in discord.in_channel(CHANNEL)] == done.message_ids


async def test_the_same_period_is_never_recorded_twice(dcore: Core, clock: ManualClock, discord: FakeDiscord) -> None:
    sub = await subscribe(dcore, time="08:00")
    clock.advance(days=1)
    await dcore.digests.run_due()
    # Someone changes the time to later the same day: that day's digest has gone out already.
    clock.set(utc(2026, 11, 27, 9, 0))
    await subscribe(dcore, time="20:00")
    clock.set(utc(2026, 11, 27, 19, 30))
    report = await dcore.digests.run_due()
    assert report.already_done == 1 and report.sent == 0
    assert [r.period for r in await store.deliveries_of(dcore.db, sub.id)] == ["2026-11-27"]
    assert len(discord.in_channel(CHANNEL)) == 1


async def test_many_due_subscriptions_post_once_each(dcore: Core, clock: ManualClock, discord: FakeDiscord) -> None:
    for n in range(60):
        await subscribe(dcore, channel=1000 + n, guild=GUILD + n % 6, time=f"{7 + n % 3:02d}:{n % 60:02d}")
    clock.advance(days=1)
    report = await dcore.digests.run_due()
    assert report.sent == 60 and report.errors == []
    per_channel = Counter(m.channel_id for m in discord.messages)
    assert set(per_channel.values()) == {1} and len(per_channel) == 60
    assert (await dcore.digests.run_due()).started == 0


async def test_a_backlog_larger_than_a_pass_goes_out_in_one_run(
    dcore: Core, clock: ManualClock, discord: FakeDiscord
) -> None:
    """A pass starts at most `limit` digests; a run keeps passing while a pass was full, so a backlog does not
    wait for the loop's next tick `limit` at a time — and still stops after `passes`."""
    for n in range(25):
        await subscribe(dcore, channel=1000 + n, guild=GUILD + n % 5)
    clock.advance(days=1)
    report = await dcore.digests.run_due(limit=4, passes=3)
    assert report.started == 12 and report.sent == 12  # three full passes, then the run ends
    report = await dcore.digests.run_due(limit=4)
    assert report.started == 13 and report.sent == 13 and report.errors == []
    assert sorted(Counter(m.channel_id for m in discord.messages).values()) == [1] * 25
    assert (await dcore.digests.run_due(limit=4)).started == 0


async def test_a_run_during_shutdown_ends_with_its_pass(dcore: Core, clock: ManualClock) -> None:
    for n in range(10):
        await subscribe(dcore, channel=1000 + n, guild=GUILD + n % 2)
    clock.advance(days=1)
    dcore.digests.stopping = True  # set by the bot's graceful shutdown
    assert (await dcore.digests.run_due(limit=4)).started == 4
    dcore.digests.stopping = False
    assert (await dcore.digests.run_due(limit=4)).started == 6


async def test_a_run_stops_passing_when_a_full_pass_got_nowhere(
    dcore: Core, clock: ManualClock, discord: FakeDiscord
) -> None:
    """Deliveries whose sends crash stay pending and due: the run does not spin on them."""
    for n in range(3):
        await subscribe(dcore, channel=1000 + n)
    clock.advance(days=1)
    dcore.digests.deliverer = None  # recorded, then left pending: no connection
    assert (await dcore.digests.run_due(limit=3)).started == 3
    broken = FakeDeliverer(discord)

    async def boom(*_args: object) -> int:
        raise RuntimeError("a bug in sending")

    broken.send = boom  # type: ignore[method-assign]
    dcore.digests.deliverer = broken
    report = await asyncio.wait_for(dcore.digests.run_due(limit=3), 30)
    assert report.sent == 0 and len(report.errors) == 3  # one pass, not a hundred
    subs = await store.guild_subscriptions(dcore.db, GUILD)
    assert len(subs) == 3 and all([await store.has_pending_delivery(dcore.db, sub.id) for sub in subs])


# --- faults -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fault, reason", [("forbidden", "permission"), ("deleted", "no longer exists")])
async def test_403_and_404_pause_the_subscription_with_the_reason(
    dcore: Core, clock: ManualClock, discord: FakeDiscord, fault: str, reason: str
) -> None:
    await subscribe(dcore)
    getattr(discord, fault).add(CHANNEL)
    clock.advance(days=1)
    report = await dcore.digests.run_due()
    assert report.paused == 1
    sub = (await store.guild_subscriptions(dcore.db, GUILD))[0]
    assert sub.paused and reason in (sub.paused_reason or "")
    clock.advance(days=3)
    assert (await dcore.digests.run_due()).started == 0  # paused: nothing more is tried
    # Fixed, then subscribed again: it resumes.
    getattr(discord, fault).discard(CHANNEL)
    await subscribe(dcore)
    clock.advance(days=1)
    assert (await dcore.digests.run_due()).sent == 1


async def test_5xx_is_retried_with_backoff_until_it_goes_through(
    dcore: Core, clock: ManualClock, discord: FakeDiscord
) -> None:
    await subscribe(dcore)
    deliverer = dcore.digests.deliverer
    assert isinstance(deliverer, FakeDeliverer)
    deliverer.transient_failures = 2  # within one pass: retried after a short sleep
    clock.advance(days=1)
    assert (await dcore.digests.run_due()).sent == 1
    deliverer.transient_failures = 3 + 3  # two passes' worth of failures
    clock.advance(days=1)
    assert (await dcore.digests.run_due()).retrying == 1
    delivery = await store.last_delivery(dcore.db, 1)
    assert delivery is not None and delivery.status == "pending" and "503" in (delivery.last_error or "")
    assert (await dcore.digests.run_due()).sent == 0  # not before its retry time
    clock.advance(minutes=1)
    assert (await dcore.digests.run_due()).retrying == 1
    clock.advance(minutes=2)
    assert (await dcore.digests.run_due()).sent == 1
    assert len(discord.in_channel(CHANNEL)) == 2


async def test_a_failing_feed_never_blocks_the_digest(dcore: Core, clock: ManualClock, discord: FakeDiscord) -> None:
    feed = await add_feed(dcore)
    now = dcore.clock.now()
    broken = await feed_store.ensure_feed(dcore.db, "https://broken.example/rss", now)
    await feed_store.add_guild_feed(dcore.db, GUILD, broken.url, "Broken feed", now)
    await feed_store.save_failure(dcore.db, broken.id, at=now, error="HTTP 500", next_poll_at=now)
    await subscribe(dcore, post_empty=False)
    await publish(dcore, feed, "DPRK launch")
    clock.advance(days=1)
    await dcore.digests.run_due()
    (post,) = discord.in_channel(CHANNEL)
    text = json.dumps(post.message.embeds, ensure_ascii=False)
    assert "DPRK launch" in text and "Broken feed: could not be read (HTTP 500)" in text


async def test_without_a_connection_deliveries_wait(dcore: Core, clock: ManualClock, discord: FakeDiscord) -> None:
    await subscribe(dcore)
    dcore.digests.deliverer = None
    clock.advance(days=1)
    await dcore.digests.run_due()
    assert discord.messages == []
    assert (await store.last_delivery(dcore.db, 1)).status == "pending"  # type: ignore[union-attr]
    with pytest.raises(DeliveryUnavailable):
        await dcore.digests.send_now(GUILD, CHANNEL)
    dcore.digests.deliverer = FakeDeliverer(discord)
    await dcore.digests.run_due()
    assert len(discord.messages) == 1


# --- send-now and preview -----------------------------------------------------------------------------------


async def test_send_now_posts_and_moves_the_cursor(dcore: Core, clock: ManualClock, discord: FakeDiscord) -> None:
    feed = await add_feed(dcore)
    await subscribe(dcore, post_empty=False)
    await publish(dcore, feed, "DPRK now")
    result = await dcore.digests.send_now(GUILD, CHANNEL)
    assert result.messages == 1 and result.item_count == 1 and not result.pending
    clock.advance(days=1)
    report = await dcore.digests.run_due()
    assert report.skipped == 1  # the scheduled digest has nothing the manual one did not already post
    assert len(discord.in_channel(CHANNEL)) == 1


async def test_send_now_to_a_forbidden_channel_says_why(dcore: Core, discord: FakeDiscord) -> None:
    await subscribe(dcore)
    discord.forbidden.add(CHANNEL)
    with pytest.raises(ChannelNotPostable, match="permission"):
        await dcore.digests.send_now(GUILD, CHANNEL)
    with pytest.raises(NoSubscription):
        await dcore.digests.send_now(GUILD, 999)


async def test_preview_is_what_the_next_digest_would_post(
    dcore: Core, clock: ManualClock, discord: FakeDiscord
) -> None:
    feed = await add_feed(dcore)
    await subscribe(dcore, post_empty=False)
    await publish(dcore, feed, "DPRK preview")
    preview = await dcore.digests.preview(GUILD, refresh=False)
    clock.advance(days=1)
    await dcore.digests.run_due()
    (post,) = discord.in_channel(CHANNEL)
    shown = [e.to_dict() for p in digest_pages(preview.digest, preview.tz) for e in p.embeds]
    # Identical but for the date in the title (the preview was made a day earlier).
    assert [e["description"] for e in shown] == [e["description"] for e in post.message.embeds]
    assert discord.requests == 1


async def test_send_now_and_the_schedule_never_overlap(dcore: Core, clock: ManualClock, discord: FakeDiscord) -> None:
    feed = await add_feed(dcore)
    sub = await subscribe(dcore, post_empty=False)
    await publish(dcore, feed, "DPRK once")
    deliverer = dcore.digests.deliverer
    assert isinstance(deliverer, FakeDeliverer)
    deliverer.transient_failures = 1000  # Discord keeps failing: the manual digest stays pending
    assert (await dcore.digests.send_now(GUILD, CHANNEL)).pending
    with pytest.raises(UserError, match="still being delivered"):
        await dcore.digests.send_now(GUILD, CHANNEL)
    clock.advance(days=1)  # the scheduled run comes while the manual one is still pending: it waits
    report = await dcore.digests.run_due()
    assert report.started == 0 and report.retrying == 1
    deliverer.transient_failures = 0
    clock.advance(minutes=5)
    await dcore.digests.run_due()  # the manual digest goes out (and, once it has, the scheduled one starts)
    await dcore.digests.run_due()
    posts = discord.in_channel(CHANNEL)
    assert len(posts) == 1 and "DPRK once" in json.dumps(posts[0].message.embeds)
    assert [d.status for d in await store.deliveries_of(dcore.db, sub.id)] == ["sent", "skipped"]


async def test_a_pass_leaves_alone_a_delivery_send_now_is_still_sending(dcore: Core, discord: FakeDiscord) -> None:
    feed = await add_feed(dcore)
    await subscribe(dcore, post_empty=False)
    await publish(dcore, feed, "DPRK raced")
    deliverer = dcore.digests.deliverer
    assert isinstance(deliverer, FakeDeliverer)
    deliverer.transient_failures = 1  # send-now's first attempt fails; it waits before retrying …
    ticks: list[asyncio.Future[RunReport]] = []

    async def loop_pass_meanwhile(_seconds: float) -> None:
        ticks.append(asyncio.ensure_future(dcore.digests.run_due()))  # … and the loop's pass comes round
        await asyncio.sleep(0)

    dcore.digests._sleep = loop_pass_meanwhile
    assert not (await dcore.digests.send_now(GUILD, CHANNEL)).pending
    (tick,) = ticks
    report = await tick
    assert report.sent == 0 and report.messages == 0  # it waited for send-now, then found the delivery done
    assert len(discord.in_channel(CHANNEL)) == 1
    assert len(deliverer.sent_nonces) == 2  # the failed attempt and its retry: one sender


async def test_a_schedule_that_became_invalid_pauses_with_the_reason(dcore: Core, clock: ManualClock) -> None:
    sub = await subscribe(dcore)
    async with dcore.db.transaction() as conn:
        await conn.execute("UPDATE digest_subscriptions SET timezone = 'Nowhere/Gone' WHERE id = ?", (sub.id,))
    clock.advance(days=1)
    assert (await dcore.digests.run_due()).paused == 1
    (paused,) = await store.guild_subscriptions(dcore.db, GUILD)
    assert paused.paused and "Nowhere/Gone" in (paused.paused_reason or "")


async def test_a_server_has_at_most_ten_digests(dcore: Core) -> None:
    for n in range(10):
        await subscribe(dcore, channel=500 + n)
    await subscribe(dcore, channel=505, time="09:00")  # changing one is fine
    with pytest.raises(InvalidOption, match="at most 10"):
        await subscribe(dcore, channel=600)


# --- option handling, by property ---------------------------------------------------------------------------


@given(st.integers(0, 23), st.integers(0, 59), st.booleans())
def test_every_valid_time_parses(hour: int, minute: int, pad: bool) -> None:
    text = f"{hour:02d}:{minute:02d}" if pad else f"{hour}:{minute:02d}"
    assert parse_time(text) == (hour, minute)


@given(st.text(max_size=12))
def test_any_time_text_parses_or_is_refused_clearly(text: str) -> None:
    try:
        hour, minute = parse_time(text)
    except InvalidOption as exc:
        assert exc.option == "time"
    else:
        assert 0 <= hour <= 23 and 0 <= minute <= 59


@given(st.text(max_size=40))
def test_any_zone_text_resolves_or_is_refused_clearly(text: str) -> None:
    try:
        name = resolve_timezone(text)
    except UnknownTimezone as exc:
        assert all(ZoneInfo(s) for s in exc.suggestions)
    else:
        assert ZoneInfo(name).key == name
