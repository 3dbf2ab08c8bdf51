"""Composing digests from a real store: matching items since a cursor grouped by feed, list changes since a
version (DPRK first), the DPRK counts line, failing feeds noted."""

from __future__ import annotations

import datetime as dt

from bot.core import Core
from bot.services.digest import DigestComposer, group_changes
from bot.sources.feeds import FeedItem
from bot.store import feeds as store
from bot.store import lists as list_store
from tests.fixtures.digest import GUILD, isolate

T0 = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)


def item(
    key: str,
    title: str,
    *,
    hours: float = 0,
    link: str | None = None,
    summary: str = "",
    published: bool = True,
) -> FeedItem:
    return FeedItem(
        f"g:{key}",
        title,
        link or f"https://news.example/{key}",
        key,
        summary,
        T0 + dt.timedelta(hours=hours) if published else None,
    )


async def follow(core: Core, guild: int, feeds: list[tuple[str, str]], keywords: list[str]) -> list[store.Feed]:
    """Set a server up with feeds that have been fetched once (empty), so what comes next is news."""
    await store.set_up_guild(core.db, guild, feeds=feeds, keywords=keywords, now=core.clock.now())
    out = []
    for url, _name in feeds:
        feed = await store.feed_by_url(core.db, url)
        assert feed is not None
        await store.save_poll(
            core.db,
            feed.id,
            [],
            at=core.clock.now(),
            next_poll_at=core.clock.now(),
            title="",
            kind="rss20",
            etag=None,
            last_modified=None,
            warning=None,
        )
        out.append(feed)
    return out


async def publish(core: Core, feed: store.Feed, items: list[FeedItem], at: dt.datetime | None = None) -> None:
    await store.save_poll(
        core.db,
        feed.id,
        items,
        at=at or core.clock.now(),
        next_poll_at=core.clock.now(),
        title="",
        kind="rss20",
        etag=None,
        last_modified=None,
        warning=None,
    )


async def test_items_grouped_by_feed_newest_first_cut_at_ten(loaded_core: Core) -> None:
    core = isolate(loaded_core)
    press, news = await follow(
        core,
        GUILD,
        [("https://a.example/rss", "Press"), ("https://b.example/rss", "News")],
        ["DPRK", "sanction"],
    )
    await publish(core, press, [item(f"p{i}", f"DPRK item {i}", hours=i) for i in range(14)])
    await publish(
        core,
        news,
        [
            item("n1", "New sanctions", hours=1),
            item("n2", "Weather report", hours=2),
            item("n3", "Nothing here", hours=3, summary="but the summary says DPRK"),
        ],
    )
    composer = DigestComposer(core.db, core.feeds)
    latest = await list_store.latest_version(core.db)
    assert latest is not None
    digest = await composer.compose(GUILD, after_item_id=0, after_version_id=latest.id, now=core.clock.now())
    assert [s.name for s in digest.sections] == ["Press", "News"]
    press_section, news_section = digest.sections
    assert [i.title for i in press_section.items] == [f"DPRK item {i}" for i in range(13, 3, -1)]
    assert press_section.more == 4
    assert [i.title for i in news_section.items] == ["Nothing here", "New sanctions"]  # weather filtered out
    assert digest.item_count == 16
    assert digest.changes == () and digest.change_count == 0
    assert digest.focus is not None and (digest.focus.individuals, digest.focus.entities) == (80, 75)
    assert digest.version is not None and digest.version.generated_date == "2024-09-26"


async def test_cursor_excludes_what_the_previous_digest_covered(loaded_core: Core) -> None:
    core = isolate(loaded_core)
    (feed,) = await follow(core, GUILD, [("https://a.example/rss", "Press")], ["DPRK"])
    await publish(core, feed, [item("old", "DPRK old")])
    composer = DigestComposer(core.db, core.feeds)
    first = await composer.compose(GUILD, after_item_id=0, after_version_id=5, now=core.clock.now())
    assert first.item_count == 1
    await publish(core, feed, [item("new", "DPRK new", hours=1), item("old", "DPRK old")])
    second = await composer.compose(
        GUILD, after_item_id=first.through_item_id, after_version_id=5, now=core.clock.now()
    )
    assert [i.title for s in second.sections for i in s.items] == ["DPRK new"]


async def test_future_dates_never_sort_above_what_we_saw_later(loaded_core: Core) -> None:
    core = isolate(loaded_core)
    (feed,) = await follow(core, GUILD, [("https://a.example/rss", "Press")], [])
    seen = core.clock.now()
    far_future = FeedItem("g:f", "Claims 2099", "https://x/f", "f", "", dt.datetime(2099, 1, 1, tzinfo=dt.UTC))
    await publish(core, feed, [far_future], at=seen)
    await publish(core, feed, [item("later", "Seen later", hours=0, published=False)], at=seen + dt.timedelta(hours=1))
    digest = await DigestComposer(core.db, core.feeds).compose(GUILD, after_item_id=0, after_version_id=5, now=seen)
    titles = [i.title for i in digest.sections[0].items]
    assert titles == ["Seen later", "Claims 2099"]
    assert digest.sections[0].items[1].when == seen


async def test_list_changes_since_a_version_dprk_first(loaded_core: Core) -> None:
    core = isolate(loaded_core)
    versions = await list_store.list_versions(core.db)
    v2020 = next(v for v in versions if v.generated_date == "2020-03-20")
    digest = await DigestComposer(core.db, core.feeds).compose(
        GUILD, after_item_id=0, after_version_id=v2020.id, now=core.clock.now()
    )
    assert [v.generated_date for v in digest.versions] == ["2024-09-21", "2024-09-26"]
    assert digest.changes[0].regime == "DPRK"
    others = [c.regime for c in digest.changes[1:]]
    assert others == sorted(others, key=str.casefold)
    dprk = digest.changes[0]
    assert len(dprk.amended) == 73
    expected = await list_store.changes_of_version(core.db, v2020.id + 1)
    assert digest.change_count == len(expected) == 46 + 185 + 677
    assert digest.through_version_id == versions[-1].id
    assert not digest.empty


async def test_nothing_new_is_empty_but_still_has_the_counts(loaded_core: Core) -> None:
    core = isolate(loaded_core)
    await follow(core, GUILD, [("https://a.example/rss", "Press")], ["DPRK"])
    latest = await list_store.latest_version(core.db)
    assert latest is not None
    digest = await DigestComposer(core.db, core.feeds).compose(
        GUILD, after_item_id=0, after_version_id=latest.id, now=core.clock.now()
    )
    assert digest.empty and digest.focus is not None


async def test_a_failing_feed_is_noted_and_the_rest_still_goes_out(loaded_core: Core) -> None:
    core = isolate(loaded_core)
    good, bad = await follow(
        core, GUILD, [("https://a.example/rss", "Good"), ("https://b.example/rss", "Bad")], ["DPRK"]
    )
    await publish(core, good, [item("g1", "DPRK news")])
    await store.save_failure(
        core.db,
        bad.id,
        at=core.clock.now(),
        error="HTTP 500 Internal Server Error",
        next_poll_at=core.clock.now(),
    )
    digest = await DigestComposer(core.db, core.feeds).compose(
        GUILD, after_item_id=0, after_version_id=5, now=core.clock.now()
    )
    assert [s.name for s in digest.sections] == ["Good"]
    assert [(p.name, p.error) for p in digest.problems] == [("Bad", "HTTP 500 Internal Server Error")]


async def test_another_servers_feeds_and_keywords_do_not_leak(loaded_core: Core) -> None:
    core = isolate(loaded_core)
    (mine,) = await follow(core, GUILD, [("https://a.example/rss", "Mine")], ["DPRK"])
    (theirs,) = await follow(core, GUILD + 1, [("https://b.example/rss", "Theirs")], [])
    await publish(core, mine, [item("m", "DPRK mine")])
    await publish(core, theirs, [item("t", "DPRK theirs"), item("u", "unrelated")])
    composer = DigestComposer(core.db, core.feeds)
    a = await composer.compose(GUILD, after_item_id=0, after_version_id=5, now=core.clock.now())
    b = await composer.compose(GUILD + 1, after_item_id=0, after_version_id=5, now=core.clock.now())
    assert [i.title for s in a.sections for i in s.items] == ["DPRK mine"]
    assert sorted(i.title for s in b.sections for i in s.items) == ["DPRK theirs", "unrelated"]


def test_group_changes_puts_the_focus_regime_first() -> None:
    from bot.models import Change

    changes = [
        Change(1, "TAi.1", "added", "individual", "Taliban", "B"),
        Change(1, "KPi.2", "removed", "individual", "DPRK", "Z"),
        Change(1, "KPi.1", "removed", "individual", "DPRK", "A"),
        Change(1, "CFi.1", "amended", "individual", "CAR", "C", ("aliases",)),
    ]
    grouped = group_changes(changes)
    assert [g.regime for g in grouped] == ["DPRK", "CAR", "Taliban"]
    assert [c.name for c in grouped[0].removed] == ["A", "Z"]
