"""Feed parsing: RSS 2.0, RSS 1.0, Atom into plain-text items with UTC dates and dedup keys; broken input
refused."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.errors import NotAFeed
from bot.sources.feeds import (
    MAX_ITEMS_PER_POLL,
    TITLE_MAX,
    dedup_key,
    feed_links_in_html,
    fold,
    html_to_text,
    normalise_link,
    parse_feed,
    web_link,
)
from tests.fixtures import abuse
from tests.fixtures import feeds as docs

NOW = dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.UTC)


def test_rss20_in_the_shape_of_un_press() -> None:
    stories = docs.stories(3, slug="press")
    feed = parse_feed(docs.rss20(stories), "https://press.un.org/en/rss.xml", "application/rss+xml; charset=utf-8")
    assert feed.kind == "rss20"
    assert feed.title == "UN Press"
    assert feed.warning is None
    assert [i.title for i in feed.items] == [s.title for s in stories]
    first = feed.items[0]
    assert first.link == "https://press.un.org/en/2026/press-0.doc.htm"
    assert first.guid == "press-0 at https://press.un.org"
    assert first.dedup_key == "g:press-0 at https://press.un.org"
    assert first.summary == "The Council considered the sanctions measures (item 0)."
    assert first.published == NOW
    assert feed.items[2].published == NOW - dt.timedelta(hours=2)


def test_rss10_rdf_with_dublin_core_dates() -> None:
    feed = parse_feed(docs.rss10(docs.stories(2, slug="scr")), "https://www.scr.example/rss")
    assert feed.kind == "rss10"
    assert [i.link for i in feed.items] == ["https://www.scr.example/scr-0", "https://www.scr.example/scr-1"]
    assert feed.items[0].published == NOW
    # RDF items have no guid element: feedparser takes rdf:about as the id.
    assert feed.items[0].dedup_key.startswith(("g:", "l:"))
    assert feed.items[1].summary == "The Council considered the sanctions measures (item 1)."


def test_atom_with_html_titles_and_summaries() -> None:
    stories = [docs.Story("DPRK & the <Panel> of Experts", "a", NOW, "<p>One &amp; <b>two</b></p>")]
    feed = parse_feed(docs.atom(stories), "https://news.example/feed")
    assert feed.kind == "atom10"
    item = feed.items[0]
    assert item.title == "DPRK & the <Panel> of Experts"  # html-escaped markup is text, decoded once
    assert item.summary == "One & two"
    assert item.guid == "tag:news.example,2026:a"
    assert item.published == NOW


def test_summary_html_is_stripped_entities_decoded_whitespace_folded() -> None:
    text = html_to_text(
        "<div>\n  <p>Caf&eacute;&nbsp;au&#160;lait</p><script>alert(1)</script><style>p{}</style>"
        "<ul><li>one</li><li>two</li></ul>\t&amp;amp;</div>"
    )
    assert text == "Café au lait one two &amp;"


def test_html_page_is_not_a_feed_and_names_the_feed_it_links_to() -> None:
    with pytest.raises(NotAFeed, match="HTML page") as info:
        parse_feed(docs.HTML_PAGE, "https://press.un.org/en/")
    assert info.value.suggestions == ["https://press.un.org/rss20.xml"]
    assert "press.un.org/rss20.xml" in info.value.message


@pytest.mark.parametrize("body", [b"", b"   \n", docs.MALFORMED_GARBAGE, b'{"items": []}', b"/etc/passwd"])
def test_unreadable_bodies_are_not_feeds(body: bytes) -> None:
    with pytest.raises(NotAFeed):
        parse_feed(body)


def test_a_body_naming_a_file_is_never_opened() -> None:
    # feedparser opens a *path* given as bytes/str; we only ever hand it a stream.
    with pytest.raises(NotAFeed):
        parse_feed(b"/etc/hostname")


def test_entity_declarations_are_refused() -> None:
    with pytest.raises(NotAFeed, match="entities"):
        parse_feed(docs.ENTITY_BOMB)


def test_malformed_but_recoverable_xml_keeps_its_items_with_a_warning() -> None:
    feed = parse_feed(docs.MALFORMED_RECOVERABLE, "https://broken.example/rss")
    assert feed.kind.startswith("rss")
    assert [i.guid for i in feed.items] == ["b-1", "b-2"]
    assert [i.title for i in feed.items] == ["DPRK sanctions committee meets", "Council & Panel of Experts"]
    assert feed.warning is not None and "not well-formed" in feed.warning


def test_entries_without_dates_or_guids_get_link_then_title_keys() -> None:
    feed = parse_feed(docs.NO_DATES_NO_GUIDS, "https://sloppy.example/rss")
    keys = [i.dedup_key for i in feed.items]
    assert len(feed.items) == 4
    assert keys[0] == "l:https://sloppy.example/a"  # tracking parameter dropped
    assert keys[1].startswith("t:") and keys[2].startswith("t:")
    assert keys[1] != keys[2]  # same title, different date: two items
    assert feed.items[0].published is None
    assert feed.items[3].title == "Only a description mentioning sanctions."
    assert len(set(keys)) == 4


def test_hostile_item_is_kept_as_inert_text_and_cut() -> None:
    feed = parse_feed(docs.HOSTILE, "https://hostile.example/rss")
    first, second = feed.items
    assert first.title.startswith("@everyone free coins <@123456789012345678> **bold**")
    assert "<script>" not in first.summary and "alert" not in first.summary
    assert first.link == "https://hostile.example/a_(b)_c?x=1&y=[2]"
    assert len(second.title) <= TITLE_MAX
    assert second.link is None  # javascript: is not a link we show


def test_relative_links_resolve_and_other_schemes_are_dropped() -> None:
    assert web_link("/en/a.htm", "https://press.un.org/en/rss.xml") == "https://press.un.org/en/a.htm"
    assert web_link("javascript:alert(1)") is None
    assert web_link("mailto:x@y.z") is None
    assert web_link("ftp://x/y") is None
    assert web_link("https://" + "a" * 3000) is None
    assert web_link("http://a.org:0\u0660/") is None  # a port of non-ASCII digits


def test_normalised_links() -> None:
    assert normalise_link("HTTPS://Press.UN.org:443/en/a?utm_source=rss&id=3#top") == "https://press.un.org/en/a?id=3"
    assert normalise_link("http://x.org") == "http://x.org/"
    assert normalise_link("http://x.org:8080/a") == "http://x.org:8080/a"


def test_feed_links_in_html_ignores_other_links() -> None:
    page = b'<link rel="stylesheet" href="/a.css"><link rel="alternate" type="application/atom+xml" href="atom.xml">'
    assert feed_links_in_html(page, "https://x.org/news/") == ["https://x.org/news/atom.xml"]


def test_duplicate_entries_in_one_feed_are_kept_once() -> None:
    story = docs.Story("Twice", "same")
    feed = parse_feed(docs.rss20([story, story]))
    assert len(feed.items) == 1


def test_large_feed_reads_the_newest_items_up_to_the_cap() -> None:
    feed = parse_feed(docs.rss20(docs.stories(500)))
    assert len(feed.items) == MAX_ITEMS_PER_POLL == 200
    assert len({i.dedup_key for i in feed.items}) == 200
    assert feed.items[0].title.endswith("item 0")  # the first listed (newest) are the ones kept
    assert feed.skipped == 300 and "300 older item(s)" in (feed.warning or "")


# --- properties ---------------------------------------------------------------------------------------------

_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=200)


@given(_text)
def test_escaped_text_round_trips_through_html_to_text(text: str) -> None:
    assert html_to_text(html.escape(text)) == fold(text)


@given(st.text(max_size=300))
def test_html_to_text_output_is_one_clean_line(fragment: str) -> None:
    out = html_to_text(fragment)
    assert out == out.strip()
    assert "  " not in out and "\n" not in out and "\t" not in out
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", out)


# Latin-1 supplement characters are left out: feedparser deliberately "repairs" UTF-8 read as Latin-1
# ("Â¡" → "¡").
@given(
    st.text(
        st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters=[chr(c) for c in range(0x80, 0x100)]),
        min_size=1,
        max_size=120,
    )
)
def test_any_title_survives_an_rss_round_trip(title: str) -> None:
    feed = parse_feed(docs.rss20([docs.Story(title, "x")]))
    expected = fold(title)
    got = feed.items[0].title
    # A title that folds to nothing falls back to the item's link.
    assert got == expected if expected else got.startswith("https://")


@given(
    st.from_regex(r"https?://[a-z]{1,10}\.(org|com)(:\d{2,4})?/[a-z/]{0,20}(\?[a-z]=[a-z0-9]{1,3})?", fullmatch=True)
)
def test_normalise_link_is_idempotent(url: str) -> None:
    once = normalise_link(url)
    assert normalise_link(once) == once


@given(st.text(max_size=50), st.none() | st.datetimes(timezones=st.just(dt.UTC)))
def test_dedup_key_by_title_and_date_is_stable(title: str, when: dt.datetime | None) -> None:
    assert dedup_key(None, None, title, when) == dedup_key(None, None, title, when)
    assert dedup_key("g", "https://x/", title, when) == "g:g"


# --- hostile documents (issue 11) -----------------------------------------------------------------------------


@pytest.mark.parametrize("layout", abuse.LAYOUTS)
@pytest.mark.parametrize("encoding", [e[0] for e in abuse.ENCODINGS])
def test_no_entity_declaration_passes_in_any_layout_or_encoding(layout: str, encoding: str) -> None:
    data = abuse.encode(abuse.entity_bomb(layout, 3000), encoding)
    with pytest.raises(NotAFeed, match="declares"):
        parse_feed(data)


@pytest.mark.parametrize("encoding", [e[0] for e in abuse.ENCODINGS])
def test_a_good_feed_reads_the_same_in_every_encoding(encoding: str) -> None:
    text = docs.rss20(docs.stories(3)).decode().replace(' encoding="utf-8"', "")
    feed = parse_feed(abuse.encode(text, encoding))
    assert [i.title for i in feed.items] == [i.title for i in parse_feed(text.encode()).items]


def test_a_doctype_without_declarations_is_dropped_and_the_feed_read() -> None:
    netscape = b'<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "http://x.invalid/rss.dtd">'
    body = docs.rss20(docs.stories(2)).replace(b"?>", b"?>" + netscape, 1)
    assert len(parse_feed(body).items) == 2


@pytest.mark.parametrize("name", sorted(abuse.POISON))
def test_poison_bodies_raise_only_not_a_feed(name: str) -> None:
    try:
        feed = parse_feed(abuse.POISON[name])
    except NotAFeed as exc:
        assert exc.message.startswith("That is not an RSS or Atom feed (it ")
    else:
        for item in feed.items:
            item.title.encode("utf-8")  # storable: no lone surrogates, no NUL
            assert "\x00" not in item.title
