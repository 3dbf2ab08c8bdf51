"""Feeds against a local HTTP server: adding (checks, back catalogue), polling with health and backoff, broken
feeds, private addresses, defaults, keywords."""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import AsyncIterator

import aiohttp
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.clock import ManualClock
from bot.core import Core
from bot.errors import DuplicateFeed, FeedRefused, InvalidOption, NotAFeed, UnknownFeed
from bot.services.feed_keywords import MAX_KEYWORDS, KeywordMatcher, split_keywords
from bot.services.feeds import FeedService
from bot.services.netguard import check_feed_url, public_only
from bot.store import feeds as store
from tests.fixtures import feeds as docs
from tests.fixtures.digest import GUILD, isolate
from tests.fixtures.feed_server import FeedServer, run_feed_server

SHORT = aiohttp.ClientTimeout(total=0.5, sock_connect=0.5, sock_read=0.5)


@pytest.fixture
async def feed_server() -> AsyncIterator[FeedServer]:
    """The local feed server (127.0.0.1)."""
    async with run_feed_server() as server:
        yield server


async def no_sleep(_seconds: float) -> None:
    return None


@pytest.fixture
def fcore(core: Core, feed_server: FeedServer) -> Core:
    core.feeds.fetcher.sleep = no_sleep
    return isolate(core, feed_server)


async def feed_of(core: Core, url: str) -> store.Feed:
    feed = await store.feed_by_url(core.db, check_feed_url(url))
    assert feed is not None
    return feed


async def digestible(core: Core, guild: int = GUILD) -> list[str]:
    items = await store.candidate_items(core.db, guild, after_id=0, through_id=10**9)
    return [i.title for i in items]


# --- adding -------------------------------------------------------------------------------------------------


async def test_added_feed_counts_its_back_catalogue_as_seen(fcore: Core, feed_server: FeedServer) -> None:
    url = feed_server.serve("/mine.xml", docs.rss20(docs.stories(5, slug="old")))
    added = await fcore.feeds.add(GUILD, url, "Mine")
    assert added.items == 5 and added.guild_feed.name == "Mine" and added.guild_feed.feed.kind == "rss20"
    assert await digestible(fcore) == []
    # The feed publishes two new stories: only those can go into a digest.
    new = docs.stories(2, slug="new", start=docs.BASE_TIME + dt.timedelta(hours=5))
    feed_server.serve("/mine.xml", docs.rss20(new + docs.stories(5, slug="old")))
    outcome = await fcore.feeds.poller.poll(await feed_of(fcore, url))
    assert outcome.ok and outcome.new_items == 2
    assert sorted(await digestible(fcore)) == sorted(s.title for s in new)


@pytest.mark.parametrize("path, kind", [("/rss10.xml", "rss10"), ("/atom.xml", "atom10"), ("/gzip.xml", "rss20")])
async def test_every_format_can_be_added(fcore: Core, feed_server: FeedServer, path: str, kind: str) -> None:
    fcore.feeds.default_feeds = ()
    added = await fcore.feeds.add(GUILD, feed_server.url(path))
    assert added.guild_feed.feed.kind == kind
    assert added.items >= 3
    assert added.guild_feed.name  # the feed's own title when no name is given


async def test_html_page_is_refused_with_the_feed_it_advertises(fcore: Core, feed_server: FeedServer) -> None:
    with pytest.raises(NotAFeed) as info:
        await fcore.feeds.add(GUILD, feed_server.url("/page.html"))
    assert info.value.suggestions == [feed_server.url("/rss20.xml")]
    assert "HTML page" in info.value.message


@pytest.mark.parametrize("path", ["/garbage.xml", "/entities.xml"])
async def test_unreadable_feeds_are_refused(fcore: Core, feed_server: FeedServer, path: str) -> None:
    with pytest.raises(NotAFeed):
        await fcore.feeds.add(GUILD, feed_server.url(path))
    assert await store.feed_by_url(fcore.db, check_feed_url(feed_server.url(path))) is None


async def test_duplicates_are_refused_also_behind_a_redirect(fcore: Core, feed_server: FeedServer) -> None:
    await fcore.feeds.ensure_guild(GUILD)  # the defaults include /rss20.xml
    with pytest.raises(DuplicateFeed, match="UN Press"):
        await fcore.feeds.add(GUILD, feed_server.url("/rss20.xml"))
    with pytest.raises(DuplicateFeed):
        await fcore.feeds.add(GUILD, feed_server.url("/redirect"))


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.org/feed",
        "javascript:alert(1)",
        "file:///etc/passwd",
        "not a url",
        "http://user:pw@example.org/rss",
        "https://",
        "",
    ],
)
def test_unusable_urls_are_refused(url: str) -> None:
    with pytest.raises(FeedRefused):
        check_feed_url(url)


async def test_private_addresses_are_refused_in_production(core: Core, feed_server: FeedServer) -> None:
    feeds = FeedService(core.db, core.clock, allow_private=False, default_feeds=())
    try:
        with pytest.raises(FeedRefused, match="does not lead to a public internet address"):
            await feeds.add(GUILD, feed_server.url("/rss20.xml"))  # a literal 127.0.0.1
        port = feed_server.base.rsplit(":", 1)[1]
        with pytest.raises(FeedRefused, match="does not lead to a public internet address") as info:
            await feeds.add(GUILD, f"http://localhost:{port}/rss20.xml")  # a name resolving to loopback
        assert "127.0.0.1" not in info.value.message  # what the name resolves to is not told
        assert feed_server.hits["/rss20.xml"] == 0
    finally:
        await feeds.close()


async def test_a_redirect_to_a_forbidden_address_is_refused(core: Core, feed_server: FeedServer) -> None:
    # Allow exactly 127.0.0.1; a redirect to 127.0.0.2 (a literal IP: no resolver involved) must be refused.
    feeds = FeedService(core.db, core.clock, default_feeds=(), policy=lambda a: a == ipaddress.ip_address("127.0.0.1"))
    port = feed_server.base.rsplit(":", 1)[1]
    try:
        assert (await feeds.add(GUILD, feed_server.url("/atom.xml"))).items == 3  # allowed
        with pytest.raises(FeedRefused, match=r"127\.0\.0\.2"):
            await feeds.add(GUILD, feed_server.url(f"/redirect-to?target=http://127.0.0.2:{port}/rss20.xml"))
        with pytest.raises(FeedRefused, match="only http"):
            await feeds.add(GUILD, feed_server.url("/redirect-to?target=file:///etc/passwd"))
    finally:
        await feeds.close()


def test_public_only_policy() -> None:
    for bad in [
        "127.0.0.1",
        "10.1.2.3",
        "192.168.0.1",
        "172.16.5.4",
        "169.254.169.254",
        "::1",
        "fe80::1",
        "fc00::1",
        "0.0.0.0",
        "100.64.0.1",
        "224.0.0.1",
        "::ffff:127.0.0.1",
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "64:ff9b:1::a00:1",  # local-use NAT64 of 10.0.0.1
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "2002:c0a8:1::",  # 6to4 of 192.168.0.1
        "::7f00:1",  # IPv4-compatible 127.0.0.1
        "::a00:1",  # IPv4-compatible 10.0.0.1
        "::ffff:0:7f00:1",  # IPv4-translated 127.0.0.1
        "::ffff:0:a9fe:a9fe",  # IPv4-translated 169.254.169.254
        "fec0::1",  # site-local
        "fed0::1234",
    ]:
        assert not public_only(ipaddress.ip_address(bad)), bad
    for good in ["8.8.8.8", "157.150.185.49", "2001:4860:4860::8888", "64:ff9b::808:808", "2002:808:808::1"]:
        assert public_only(ipaddress.ip_address(good)), good


# --- polling ------------------------------------------------------------------------------------------------


async def test_conditional_get_answers_304_and_keeps_health(fcore: Core, feed_server: FeedServer) -> None:
    url = feed_server.serve("/conditional.xml", docs.atom(docs.stories(3)))
    await fcore.feeds.add(GUILD, url)
    outcome = await fcore.feeds.poller.poll(await feed_of(fcore, url))
    assert outcome.ok and outcome.not_modified
    assert feed_server.conditional_hits["/conditional.xml"] == 1
    feed = await feed_of(fcore, url)
    assert feed.consecutive_failures == 0 and feed.last_error is None


async def test_failures_are_counted_backed_off_and_cleared(
    fcore: Core, feed_server: FeedServer, clock: ManualClock
) -> None:
    url = feed_server.serve("/flaky.xml", docs.rss10(docs.stories(2)))
    await fcore.feeds.add(GUILD, url)
    feed_server.fail("/flaky.xml", 500)
    delays = []
    for _ in range(4):
        feed = await feed_of(fcore, url)
        outcome = await fcore.feeds.poller.poll(feed)
        assert not outcome.ok and outcome.error is not None and "500" in outcome.error
        after = await feed_of(fcore, url)
        next_poll = dt.datetime.fromisoformat(after.next_poll_at)
        delays.append(round((next_poll - clock.now()).total_seconds() / 60))
    after = await feed_of(fcore, url)
    assert after.consecutive_failures == 4 and after.last_success_at is not None
    assert delays == [15, 30, 60, 120]
    feed_server.fail("/flaky.xml", None)
    assert (await fcore.feeds.poller.poll(after)).ok
    healed = await feed_of(fcore, url)
    assert healed.consecutive_failures == 0 and healed.last_error is None


@pytest.mark.parametrize(
    "path, words",
    [
        ("/error500", "500"),
        ("/huge.xml", "5 MB cap"),
        ("/huge-declared.xml", "5 MB cap"),
        ("/loop", "too many redirects"),
        ("/page.html", "HTML page"),
        ("/garbage.xml", "not an RSS or Atom feed"),
        ("/hang", "timed out"),
        ("/missing.xml", "404"),
    ],
)
async def test_broken_feeds_record_a_clear_error(fcore: Core, feed_server: FeedServer, path: str, words: str) -> None:
    # Follow a good feed, then make the URL serve the broken thing (a feed going bad after it was added).
    url = feed_server.url(path)
    now = fcore.clock.now()
    feed = await store.ensure_feed(fcore.db, check_feed_url(url), now)
    await store.set_up_guild(fcore.db, GUILD, feeds=[(feed.url, "Broken")], keywords=[], now=now)
    outcome = await fcore.feeds.poller.poll(feed, client_timeout=SHORT, attempts=1)
    assert not outcome.ok
    assert outcome.error is not None and words in outcome.error
    stored = await feed_of(fcore, url)
    assert stored.consecutive_failures == 1 and stored.last_error == outcome.error


async def test_poll_due_polls_only_due_followed_feeds(fcore: Core, feed_server: FeedServer, clock: ManualClock) -> None:
    await fcore.feeds.ensure_guild(GUILD)  # three local defaults, never fetched: due now
    outcomes = await fcore.feeds.poller.poll_due()
    assert sorted(o.url for o in outcomes) == sorted(check_feed_url(u) for u, _n in fcore.feeds.default_feeds)
    assert all(o.ok for o in outcomes)
    assert await fcore.feeds.poller.poll_due() == []  # next poll in FEED_POLL_MINUTES
    clock.advance(minutes=15)
    assert len(await fcore.feeds.poller.poll_due()) == 3


async def test_default_feeds_get_their_baseline_at_first_fetch(fcore: Core, feed_server: FeedServer) -> None:
    await fcore.feeds.ensure_guild(GUILD)
    await fcore.feeds.poller.poll_due()
    assert await digestible(fcore) == []  # everything there at first fetch counts as seen
    feed_server.serve(
        "/rss20.xml",
        docs.rss20(docs.stories(1, slug="fresh", keyword="DPRK") + docs.stories(5, slug="press")),
    )
    await fcore.feeds.poller.poll(await feed_of(fcore, feed_server.url("/rss20.xml")))
    assert await digestible(fcore) == ["Security Council extends DPRK regime — item 0"]


async def test_defaults_are_given_once(fcore: Core, feed_server: FeedServer) -> None:
    feeds = await fcore.feeds.guild_feeds(GUILD)
    assert [gf.name for gf in feeds] == ["UN Press", "UN News", "What's in Blue"]
    assert await fcore.feeds.keywords(GUILD) == sorted(
        [
            "sanction",
            "1718",
            "DPRK",
            "North Korea",
            "Democratic People's Republic of Korea",
            "Panel of Experts",
        ],
        key=str.casefold,
    )
    removed = await fcore.feeds.remove(GUILD, "un press")
    assert removed.name == "UN Press"
    assert [gf.name for gf in await fcore.feeds.guild_feeds(GUILD)] == ["UN News", "What's in Blue"]


async def test_feeds_are_shared_between_servers_and_deleted_when_nobody_follows(
    fcore: Core, feed_server: FeedServer
) -> None:
    url = feed_server.url("/atom.xml")
    await fcore.feeds.ensure_guild(GUILD)
    await fcore.feeds.ensure_guild(GUILD + 1)
    feed = await feed_of(fcore, url)
    await fcore.feeds.remove(GUILD, url)
    assert await store.feed_by_id(fcore.db, feed.id) is not None
    await fcore.feeds.remove(GUILD + 1, "2")  # by its number in /feeds list
    assert await store.feed_by_id(fcore.db, feed.id) is None


async def test_unknown_feed_suggests_close_names(fcore: Core) -> None:
    with pytest.raises(UnknownFeed, match="Did you mean `UN Press`"):
        await fcore.feeds.remove(GUILD, "UN Pres")


async def test_refresh_guild_gives_up_on_a_hanging_feed_quickly(fcore: Core, feed_server: FeedServer) -> None:
    now = fcore.clock.now()
    hang = await store.ensure_feed(fcore.db, check_feed_url(feed_server.url("/hang")), now)
    await store.set_up_guild(
        fcore.db,
        GUILD,
        feeds=[(hang.url, "Hangs"), (check_feed_url(feed_server.url("/atom.xml")), "Atom")],
        keywords=[],
        now=now,
    )
    outcomes = await fcore.feeds.refresh_guild(GUILD, seconds=0.3)
    by_url = {o.url: o for o in outcomes}
    assert by_url[check_feed_url(feed_server.url("/atom.xml"))].ok
    assert not by_url[hang.url].ok and "timed out" in (by_url[hang.url].error or "")


# --- keywords -----------------------------------------------------------------------------------------------


def test_keywords_match_whole_words_any_case_with_plurals() -> None:
    m = KeywordMatcher(
        [
            "sanction",
            "1718",
            "DPRK",
            "North Korea",
            "Democratic People's Republic of Korea",
            "Panel of Experts",
        ]
    )
    assert m.matches("New SANCTIONS on shipping")
    assert m.matches("The sanction's scope")
    assert m.matches("Resolution 1718 (2006)")
    assert m.matches("the dprk's envoy")
    assert m.matches("North-Korea talks") and m.matches("north  korea")
    assert m.matches("Democratic People’s Republic of Korea")  # a typographic apostrophe
    assert m.matches("", "summary: the panel of experts reported")
    assert not m.matches("Sanctioned vessels")  # a different word, not a form of it
    assert not m.matches("Resolution 17180")
    assert not m.matches("XDPRK")
    assert not m.matches("Northern Korea")


def test_no_keywords_match_everything() -> None:
    assert KeywordMatcher([]).matches("anything at all")


@given(st.from_regex(r"[A-Za-z]{3,12}", fullmatch=True), st.from_regex(r"[a-z]{1,5}", fullmatch=True))
def test_a_keyword_inside_a_longer_word_never_matches(word: str, glue: str) -> None:
    m = KeywordMatcher([word])
    assert m.matches(f"about {word}.")
    assert not m.matches(f"{glue}{word}{glue}x")


def test_keyword_lists_are_validated() -> None:
    assert split_keywords(" DPRK , dprk; Panel  of Experts ,") == ["DPRK", "Panel of Experts"]
    for bad in ["", " , ", "***", "x" * 61]:
        with pytest.raises(InvalidOption):
            split_keywords(bad)


async def test_keyword_commands(fcore: Core) -> None:
    assert await fcore.feeds.set_keywords(GUILD, "DPRK, 1718") == ["1718", "DPRK"]
    assert await fcore.feeds.add_keywords(GUILD, "dprk, ballistic") == ["ballistic"]
    assert await fcore.feeds.remove_keywords(GUILD, "DPRK") == ["DPRK"]
    assert await fcore.feeds.keywords(GUILD) == ["1718", "ballistic"]
    with pytest.raises(InvalidOption, match="not among"):
        await fcore.feeds.remove_keywords(GUILD, "uranium")
    with pytest.raises(InvalidOption, match="at most"):
        await fcore.feeds.add_keywords(GUILD, ", ".join(f"word{i}" for i in range(MAX_KEYWORDS)))


async def test_old_items_are_forgotten_only_once_the_feed_drops_them(fcore: Core, clock: ManualClock) -> None:
    from bot.sources.feeds import FeedItem

    feed = await store.ensure_feed(fcore.db, "https://a.example/rss", clock.now())

    def item(key: str) -> FeedItem:
        return FeedItem(f"g:{key}", key, None, key, "", None)

    async def poll(*keys: str) -> int:
        return await store.save_poll(
            fcore.db,
            feed.id,
            [item(k) for k in keys],
            at=clock.now(),
            next_poll_at=clock.now(),
            title="",
            kind="rss20",
            etag=None,
            last_modified=None,
            warning=None,
        )

    assert await poll("a", "b") == 2
    clock.advance(days=200)
    assert await poll("b", "c") == 1  # "a" is old and gone: deleted; "b" is old but still listed: kept
    assert await store.feed_item_count(fcore.db, feed.id) == 2
    assert await poll("b", "c") == 0  # "b" was never re-added as new


@given(st.text(max_size=80))
def test_any_keyword_text_is_cleaned_or_refused_clearly(text: str) -> None:
    try:
        words = split_keywords(text)
    except InvalidOption as exc:
        assert exc.option in ("keyword", "keywords")
    else:
        assert words and all(1 <= len(w) <= 60 and w == w.strip() for w in words)
        assert len({w.casefold() for w in words}) == len(words)
        KeywordMatcher(words).matches(text)  # any accepted keyword compiles into the matcher


@given(st.text(max_size=100) | st.from_regex(r"(https?|HTTP|ftp|javascript)://[^\s]{0,60}", fullmatch=True))
def test_any_url_text_is_accepted_as_http_or_refused_clearly(text: str) -> None:
    try:
        url = check_feed_url(text)
    except FeedRefused:
        return
    assert url.startswith(("http://", "https://")) and "#" not in url
    assert check_feed_url(url) == url


async def test_malformed_undated_and_hostile_feeds_are_stored_safely(fcore: Core, feed_server: FeedServer) -> None:
    fcore.feeds.default_feeds = ()
    malformed = await fcore.feeds.add(GUILD, feed_server.url("/malformed.xml"))
    assert malformed.items == 2 and malformed.warning is not None and "not well-formed" in malformed.warning
    assert (await feed_of(fcore, feed_server.url("/malformed.xml"))).last_warning == malformed.warning
    undated = await fcore.feeds.add(GUILD, feed_server.url("/nodates.xml"))
    assert undated.items == 4
    hostile = await fcore.feeds.add(GUILD, feed_server.url("/hostile.xml"))
    assert hostile.items == 2
    # Polling the same content again adds nothing: every item is recognised, with or without guid and date.
    for path in ("/malformed.xml", "/nodates.xml", "/hostile.xml"):
        feed_server.serve(path, feed_server.bodies[path][0] + b"\n")  # new ETag, same items
        outcome = await fcore.feeds.poller.poll(await feed_of(fcore, feed_server.url(path)))
        assert outcome.ok and outcome.new_items == 0, path
