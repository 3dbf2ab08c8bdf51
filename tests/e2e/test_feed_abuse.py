"""Hostile feeds and addresses through the real bot and the local Discord (issue 11, items 1–4, 8, 9).

Each test is the attack itself: a server's manager adds the feed with /feeds add, the bot polls it, and the test
reads what the bot answered, stored and posted.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
import time
from collections.abc import AsyncIterator
from typing import Any
from xml.sax.saxutils import escape as xml_escape

import pytest

from bot.core import Core
from bot.services.feeds import REFRESH_INTERVAL
from bot.services.netguard import public_only
from bot.sources.feeds import MAX_ITEMS_PER_POLL
from bot.store import feeds as feed_store
from bot.store.feeds import MAX_ITEMS_PER_FEED
from tests.conftest import OWNER_ID
from tests.e2e.conftest import CHANNEL, E2E, GUILD, new_fake, start_e2e
from tests.e2e.digests import EPHEMERAL, answer, embeds_text, manual, posts, text_of
from tests.fixtures import abuse
from tests.fixtures import feeds as docs
from tests.fixtures.feed_server import FeedServer

pytestmark = pytest.mark.both_engines

OTHER_GUILD = 1_150_000_000_000_100_000  # a second server, shaped like GUILD


async def no_sleep(_seconds: float) -> None:
    return None


@pytest.fixture
async def two_servers(loaded_core: Core, feed_server: FeedServer) -> AsyncIterator[E2E]:
    """The bot in two servers: GUILD (the attacker's) and OTHER_GUILD."""
    loaded_core.feeds.fetcher.sleep = no_sleep
    fake = new_fake(guilds=(GUILD, OTHER_GUILD))
    await fake.start()
    try:
        async for e in start_e2e(loaded_core, run_background=False, feed_server=feed_server, fake=fake):
            yield e
            feed_server.release.set()  # let what still hangs finish before the bot stops
    finally:
        await fake.stop()


async def until(condition: Any, seconds: float) -> bool:
    """Wait (at most `seconds`) until condition() is true; say whether it became true."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await condition():
            return True
        await asyncio.sleep(0.05)
    return bool(await condition())


@pytest.fixture
async def env(loaded_core: Core, feed_server: FeedServer) -> AsyncIterator[E2E]:
    loaded_core.feeds.fetcher.sleep = no_sleep
    async for e in start_e2e(loaded_core, run_background=False, feed_server=feed_server):
        yield e


async def feed_rows(core: Core) -> int:
    row = await core.db.fetchone("SELECT COUNT(*) FROM feeds")
    return int(row[0]) if row else 0


async def item_rows(core: Core) -> int:
    row = await core.db.fetchone("SELECT COUNT(*) FROM feed_items")
    return int(row[0]) if row else 0


# --- 1. Entity-expansion bombs ----------------------------------------------------------------------------------


async def test_entity_bombs_are_refused_in_every_layout_and_encoding(env: E2E, feed_server: FeedServer) -> None:
    await answer(env.fake, "feeds list")  # the server's default feeds, set up before counting
    feeds_before, items_before = await feed_rows(env.core), await item_rows(env.core)
    for layout in abuse.LAYOUTS:
        for encoding, _bom, _codec in abuse.ENCODINGS:
            url = feed_server.serve(
                f"/bomb-{layout}-{encoding}.xml",
                abuse.encode(abuse.entity_bomb(layout, 3000), encoding),
                "application/xml",  # no charset: the document's own BOM or declaration decides
            )
            data = await answer(env.fake, "feeds add", {"url": url})
            text = text_of(data)
            assert data["flags"] & EPHEMERAL
            assert "not an RSS or Atom feed (it declares" in text, (layout, encoding, text)
    assert (await feed_rows(env.core), await item_rows(env.core)) == (feeds_before, items_before)


@pytest.mark.parametrize(("encoding", "chars"), [("utf-8", 3_000_000), ("utf-16le+bom", 1_450_000)])
async def test_a_3_mb_bomb_is_refused_without_expanding_it(
    env: E2E, feed_server: FeedServer, encoding: str, chars: int
) -> None:
    body = abuse.encode(abuse.entity_bomb("padded", chars), encoding)
    assert 2_900_000 <= len(body) <= 3_100_000  # about 3 MB
    url = feed_server.serve("/big-bomb.xml", body, "application/xml")
    data = await answer(env.fake, "feeds add", {"url": url})
    assert "not an RSS or Atom feed (it declares XML entities" in text_of(data)


# --- 2. Poison feeds --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(abuse.POISON))
async def test_poison_bodies_get_a_specific_answer(env: E2E, feed_server: FeedServer, name: str) -> None:
    url = feed_server.serve(f"/poison-{name}.xml", abuse.POISON[name])
    data = await answer(env.fake, "feeds add", {"url": url})
    text = text_of(data)
    assert "Something went wrong" not in text
    assert data["embeds"][0]["title"] == "Feed added" or "not an RSS or Atom feed (it " in text, text
    if name == "huge-charref":
        assert "it contains an invalid character or character reference" in text


async def test_a_feed_turned_poison_is_marked_failing_with_backoff(env: E2E, feed_server: FeedServer) -> None:
    url = feed_server.serve("/turns.xml", docs.rss20(docs.stories(2, slug="fine"), title="Turns"))
    assert (await answer(env.fake, "feeds add", {"url": url}))["embeds"][0]["title"] == "Feed added"
    feed_server.serve("/turns.xml", abuse.POISON["huge-charref"])
    clock = manual(env.core)
    clock.advance(minutes=20)
    outcomes = {o.url: o for o in await env.core.feeds.poller.poll_due()}
    assert outcomes[url].ok is False
    listing = text_of(await answer(env.fake, "feeds list"))
    assert "⚠ failing 1×" in listing and "invalid character or character reference" in listing
    # Backed off: not fetched again at the next passes of the loop, only once its longer interval is over.
    hits = feed_server.hits["/turns.xml"]
    clock.advance(minutes=2)
    await env.core.feeds.poller.poll_due()
    assert feed_server.hits["/turns.xml"] == hits
    feed = await feed_store.feed_by_url(env.core.db, url)
    assert feed is not None and feed.consecutive_failures == 1
    clock.advance(minutes=env.core.feeds.poller.backoff_minutes(1))
    await env.core.feeds.poller.poll_due()
    feed = await feed_store.feed_by_url(env.core.db, url)
    assert feed is not None and feed.consecutive_failures == 2
    assert feed_server.hits["/turns.xml"] == hits + 1


# --- 3. Caps ----------------------------------------------------------------------------------------------------


async def test_a_churning_feed_stores_a_bounded_number_of_items(env: E2E, feed_server: FeedServer) -> None:
    url = feed_server.serve("/churn.xml", abuse.churning_feed(2000, round_=0))
    data = await answer(env.fake, "feeds add", {"url": url})
    assert data["embeds"][0]["title"] == "Feed added"
    assert "Its 200 current items count as already seen" in text_of(data)
    assert "1800 older item(s) beyond the first 200 not read" in text_of(data)
    feed = await feed_store.feed_by_url(env.core.db, url)
    assert feed is not None
    clock = manual(env.core)
    for round_ in range(1, 5):
        feed_server.serve("/churn.xml", abuse.churning_feed(2000, round_=round_))
        clock.advance(minutes=20)
        outcomes = {o.url: o for o in await env.core.feeds.poller.poll_due()}
        assert outcomes[url].ok and outcomes[url].new_items == MAX_ITEMS_PER_POLL
        assert await feed_store.feed_item_count(env.core.db, feed.id) <= MAX_ITEMS_PER_FEED
    assert await feed_store.feed_item_count(env.core.db, feed.id) == MAX_ITEMS_PER_FEED
    # What the feed lists now is kept (pruning it would make it "new" again): the next poll adds nothing.
    clock.advance(minutes=20)
    feed_server.serve("/churn.xml", abuse.churning_feed(2000, round_=4) + b" ")  # same items, new ETag
    outcomes = {o.url: o for o in await env.core.feeds.poller.poll_due()}
    assert outcomes[url].ok and outcomes[url].new_items == 0


async def test_preview_fetches_a_servers_feeds_at_most_once_per_few_minutes(env: E2E, feed_server: FeedServer) -> None:
    await answer(env.fake, "feeds list")  # the default feeds: three on the local server
    before = sum(feed_server.hits.values())
    await answer(env.fake, "digest preview")
    fetched = sum(feed_server.hits.values()) - before
    assert fetched == 3
    for _ in range(5):
        data = await answer(env.fake, "digest preview")
        assert data["flags"] & EPHEMERAL and "Preview" in data["content"]
    assert sum(feed_server.hits.values()) - before == fetched  # the stored items were used
    manual(env.core).advance(minutes=REFRESH_INTERVAL.total_seconds() / 60 + 1)
    await answer(env.fake, "digest preview")
    assert sum(feed_server.hits.values()) - before == 2 * fetched


# --- 4. One server's feeds never hold up another's ------------------------------------------------------------------


async def test_one_servers_hanging_adds_never_delay_anothers(two_servers: E2E, feed_server: FeedServer) -> None:
    fake = two_servers.fake
    attack = [
        asyncio.ensure_future(
            answer(fake, "feeds add", {"url": feed_server.url(f"/hang?n={n}")}, guild_id=GUILD, timeout=60)
        )
        for n in range(60)
    ]

    async def answered_but_two() -> bool:
        return sum(t.done() for t in attack) >= len(attack) - 2

    assert await until(answered_but_two, 30), "a server's extra adds are answered at once, not queued"
    refused = [t for t in attack if t.done() and "already checking 2 new feeds" in text_of(t.result())]
    assert len(refused) == len(attack) - 2
    url = feed_server.serve("/other.xml", docs.rss20(docs.stories(2, slug="other"), title="Other Wire"))
    data = await asyncio.wait_for(
        answer(fake, "feeds add", {"url": url}, guild_id=OTHER_GUILD, channel_id=OTHER_GUILD + 2), timeout=10
    )
    assert data["embeds"][0]["title"] == "Feed added"
    hanging = [t for t in attack if not t.done()]
    assert hanging, "the other server's feed was added while the attacker's were still hanging"
    assert feed_server.hits["/hang"] <= 2, "only two of the attacker's adds ever reached the network"
    feed_server.release.set()
    await asyncio.wait(attack, timeout=30)
    assert all(t.done() for t in attack)


async def test_one_servers_slow_feeds_never_delay_anothers_polls(two_servers: E2E, feed_server: FeedServer) -> None:
    core = two_servers.core
    url = feed_server.serve("/other.xml", docs.rss20(docs.stories(2, slug="other"), title="Other Wire"))
    data = await answer(two_servers.fake, "feeds add", {"url": url}, guild_id=OTHER_GUILD, channel_id=OTHER_GUILD + 2)
    assert data["embeds"][0]["title"] == "Feed added"
    other = await feed_store.feed_by_url(core.db, url)
    assert other is not None
    # The attacker follows 20 feeds that never answer, all due before the other server's.
    now = core.clock.now()
    for n in range(20):
        slow = feed_server.url(f"/hang?slow={n}")
        await feed_store.ensure_feed(core.db, slow, now)
        await feed_store.add_guild_feed(core.db, GUILD, slow, f"slow {n}", now)
    feed_server.serve("/other.xml", docs.rss20(docs.stories(3, slug="fresh") + docs.stories(2, slug="other")))
    manual(core).advance(minutes=20)
    passing = asyncio.ensure_future(core.feeds.poller.poll_due())

    async def other_polled() -> bool:
        return await feed_store.feed_item_count(core.db, other.id) == 5

    try:
        assert await until(other_polled, 10), "the other server's feed waited behind the attacker's"
        assert not passing.done()  # the attacker's feeds are still hanging
        assert feed_server.hits["/hang"] <= 2, "the attacker's feeds poll two at a time"
    finally:
        feed_server.release.set()
        await asyncio.wait([passing], timeout=30)


async def test_an_add_that_failed_backs_off_before_fetching_again(env: E2E, feed_server: FeedServer) -> None:
    url = feed_server.url("/error500?backoff=1")
    assert "HTTP 500" in text_of(await answer(env.fake, "feeds add", {"url": url}))
    hits = feed_server.hits["/error500"]
    again = text_of(await answer(env.fake, "feeds add", {"url": url}))
    assert "HTTP 500" in again and "it can be tried again in 60 s" in again
    assert feed_server.hits["/error500"] == hits  # answered from the failure, not fetched
    manual(env.core).advance(minutes=1, seconds=1)
    assert "HTTP 500" in text_of(await answer(env.fake, "feeds add", {"url": url}))
    assert feed_server.hits["/error500"] == hits + 1
    # A second failure in a row backs off twice as long.
    manual(env.core).advance(minutes=1, seconds=1)
    assert "tried again in 59 s" in text_of(await answer(env.fake, "feeds add", {"url": url}))


# --- 8. Secrets and addresses -----------------------------------------------------------------------------------


async def test_a_refusal_never_tells_what_a_name_resolves_to(env: E2E, feed_server: FeedServer) -> None:
    env.core.feeds.fetcher.policy = public_only  # production's policy (the session is opened at the first fetch)
    port = feed_server.base.rsplit(":", 1)[1]
    data = await answer(env.fake, "feeds add", {"url": f"http://localhost:{port}/rss20.xml"})
    text = text_of(data)
    assert "Refused: `localhost` does not lead to a public internet address" in text
    assert "127.0.0.1" not in text
    assert feed_server.hits["/rss20.xml"] == 0


@pytest.mark.parametrize(
    "literal",
    [
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b:1::7f00:1",  # local-use NAT64
        "2002:7f00:1::1",  # 6to4
        "::7f00:1",  # IPv4-compatible
        "::ffff:0:7f00:1",  # IPv4-translated
        "::ffff:7f00:1",  # IPv4-mapped
        "fec0::1",  # site-local
    ],
)
async def test_ipv6_that_carries_a_private_ipv4_is_refused(env: E2E, feed_server: FeedServer, literal: str) -> None:
    env.core.feeds.fetcher.policy = public_only
    port = feed_server.base.rsplit(":", 1)[1]
    data = await answer(env.fake, "feeds add", {"url": f"http://[{literal}]:{port}/rss20.xml"})
    assert "does not lead to a public internet address" in text_of(data)


async def test_credentials_in_addresses_are_never_shown_or_logged(
    env: E2E, feed_server: FeedServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    secret_list_url = "http://listuser:listpass99@127.0.0.1:9/consolidated.xml?apikey=SEKRET-LIST-1"
    env.core.settings = dataclasses.replace(env.core.settings, un_list_url=secret_list_url)
    env.core.sync.url = secret_list_url  # the sync service was made at start-up, from the settings
    good = feed_server.serve("/keyed.xml", docs.rss20(docs.stories(2, slug="keyed"), title="Keyed"))
    added = await answer(env.fake, "feeds add", {"url": good + "?access_token=SEKRET-FEED-2&lang=en"})
    assert added["embeds"][0]["title"] == "Feed added"
    failing = await answer(env.fake, "feeds add", {"url": feed_server.url("/error500?api_key=SEKRET-FEED-3")})
    assert "HTTP 500" in text_of(failing) and "api_key=***" in text_of(failing)
    listing = text_of(await answer(env.fake, "feeds list"))
    assert "access_token=***&lang=en" in listing
    synced = await answer(env.fake, "admin sync", user_id=OWNER_ID)
    about = text_of(await answer(env.fake, "about"))
    assert "http://***@127.0.0.1:9/consolidated.xml?apikey=***" in about
    # Everything the bot said and logged (the feed server's own access log is the remote side: not ours).
    logged = [r.getMessage() for r in caplog.records if not r.name.startswith("aiohttp.access")]
    shown = "\n".join([text_of(added), text_of(failing), listing, text_of(synced), about, *logged])
    for secret in ("SEKRET", "listpass99", "listuser"):
        assert secret not in shown, secret


# --- 9. Markup from feeds ---------------------------------------------------------------------------------------

DISCORD_TOKEN = re.compile(r"<(/|t:|id:|a?:|@|#|sound:)")


def hostile_markup_feed(items: list[tuple[str, str]], guid: str = "m") -> bytes:
    """An RSS feed of (title, link) items, escaped as XML (the markup is in the text, as a feed would carry it)."""
    body = "".join(
        f"<item><title>{xml_escape(title)}</title><link>{xml_escape(link)}</link><guid>{guid}-{n}</guid>"
        "<pubDate>Thu, 26 Nov 2026 11:00:00 GMT</pubDate></item>"
        for n, (title, link) in enumerate(items)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Markup</title>{body}</channel></rss>'.encode()


async def test_markup_in_feed_items_reaches_the_channel_as_plain_text(env: E2E, feed_server: FeedServer) -> None:
    fake = env.fake
    url = feed_server.serve("/markup.xml", hostile_markup_feed([("old sanctions story", "https://press.un.org/old")]))
    data = await answer(fake, "digest subscribe", {"channel": CHANNEL, "time": "13:00", "timezone": "UTC"})
    assert data["embeds"][0]["title"] == "Digest scheduled"
    assert (await answer(fake, "feeds add", {"url": url}))["embeds"][0]["title"] == "Feed added"
    await env.core.feeds.poller.poll_due()
    hostile = [
        ("https://press.un.org/en/2026/sc1234.doc.htm sanctions", "https://evil.example/phish"),
        ("Official sanctions notice", "https://press.un.org@evil.example/login"),
        ("</sanctions search:123456789012345678> sanctions", "https://a.example/1"),
        ("<t:1700000000:R> sanctions deadline", "https://a.example/2"),
        ("<id:customize> sanctions <id:browse>", "https://a.example/3"),
        ("<:pepe:123456789012345678> <a:dance:123456789012345678> sanctions", "https://a.example/4"),
        ("<#123456789012345678> <@123456789012345678> <@&123456789012345678> sanctions", "https://a.example/5"),
        ("<sound:123:456> sanctions @everyone @here", "https://a.example/6"),
    ]
    feed_server.serve("/markup.xml", hostile_markup_feed(hostile, guid="hostile"))
    clock = manual(env.core)
    clock.advance(minutes=20)
    await env.core.feeds.poller.poll_due()
    clock.set(clock.now().replace(hour=13, minute=1))
    assert (await env.core.digests.run_due()).sent == 1
    sent = embeds_text(posts(fake, CHANNEL))
    assert not DISCORD_TOKEN.search(sent), DISCORD_TOKEN.search(sent)
    assert "@everyone" not in sent and "@here" not in sent
    # A title that looks like an address is text, and the domain the link really goes to is shown.
    assert "https://press.un.org/en/2026/sc1234" not in sent
    assert "](https://evil.example/phish) · evil.example · " in sent
    # A link with a user@ part goes where it says: the misleading part is gone.
    assert "press.un.org@" not in sent and "](https://evil.example/login) · evil.example · " in sent
