"""Hostile feeds and addresses through the real bot and the local Discord (issue 11, items 1–4, 8, 9).

Each test is the attack itself: a server's manager adds the feed with /feeds add, the bot polls it, and the test
reads what the bot answered, stored and posted.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.core import Core
from bot.store import feeds as feed_store
from tests.e2e.conftest import E2E, start_e2e
from tests.e2e.digests import EPHEMERAL, answer, manual, text_of
from tests.fixtures import abuse
from tests.fixtures import feeds as docs
from tests.fixtures.feed_server import FeedServer


async def no_sleep(_seconds: float) -> None:
    return None


@pytest.fixture
async def env(loaded_core: Core, feed_server: FeedServer) -> AsyncIterator[E2E]:
    loaded_core.feeds._sleep = no_sleep
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
    outcomes = {o.url: o for o in await env.core.feeds.poll_due()}
    assert outcomes[url].ok is False
    listing = text_of(await answer(env.fake, "feeds list"))
    assert "⚠ failing 1×" in listing and "invalid character or character reference" in listing
    # Backed off: not fetched again at the next passes of the loop, only once its longer interval is over.
    hits = feed_server.hits["/turns.xml"]
    clock.advance(minutes=2)
    await env.core.feeds.poll_due()
    assert feed_server.hits["/turns.xml"] == hits
    feed = await feed_store.feed_by_url(env.core.db, url)
    assert feed is not None and feed.consecutive_failures == 1
    clock.advance(minutes=env.core.feeds.backoff_minutes(1))
    await env.core.feeds.poll_due()
    feed = await feed_store.feed_by_url(env.core.db, url)
    assert feed is not None and feed.consecutive_failures == 2
    assert feed_server.hits["/turns.xml"] == hits + 1
