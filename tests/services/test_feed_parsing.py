"""The parser's child process: a hostile document costs the bot bounded memory and time (issue 11, item 1)."""

from __future__ import annotations

import resource
import time

import pytest

from bot.errors import NotAFeed
from bot.services import feed_parsing
from bot.services.feed_parsing import parse_isolated
from tests.fixtures import abuse
from tests.fixtures import feeds as docs


async def test_a_good_feed_comes_back_parsed() -> None:
    feed = await parse_isolated(docs.rss20(docs.stories(3)), "https://press.un.org/", max_items=200)
    assert [i.title for i in feed.items][:1] == ["Security Council extends sanctions regime — item 0"]


async def test_refusals_come_back_with_their_reason_and_suggestions() -> None:
    with pytest.raises(NotAFeed, match="HTML page") as info:
        await parse_isolated(docs.HTML_PAGE, "https://press.un.org/", max_items=200)
    assert info.value.suggestions


async def test_an_unguarded_parser_on_a_bomb_is_stopped_by_the_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """The second wall: even a parser that expands entities cannot take the bot's memory or time."""
    monkeypatch.setattr(feed_parsing, "PARSE_MEMORY_BYTES", 256 * 2**20)
    monkeypatch.setattr(feed_parsing, "PARSE_CPU_SECONDS", 3)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    bomb = abuse.encode(abuse.entity_bomb("plain", 300_000), "utf-16le")  # ~7.5 GB once expanded
    started = time.monotonic()
    with pytest.raises(NotAFeed, match=r"memory or time limit|needs more than 256 MB"):
        await parse_isolated(bomb, max_items=200, parser=abuse.unguarded_parse)
    assert time.monotonic() - started < feed_parsing.PARSE_TIMEOUT + 5
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 50, f"the test process grew {grown_mb:.0f} MB: the expansion happened here"


async def test_a_parser_that_never_ends_is_killed_at_the_time_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(feed_parsing, "PARSE_TIMEOUT", 1.0)
    started = time.monotonic()
    with pytest.raises(NotAFeed, match="took over 1 s"):
        await parse_isolated(b"<rss/>", max_items=200, parser=abuse.spin_parse)
    assert time.monotonic() - started < 5
    # The next parse works: nothing is left stuck.
    assert (await parse_isolated(docs.rss20(docs.stories(1)), max_items=200)).items
