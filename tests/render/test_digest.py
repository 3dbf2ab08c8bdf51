"""Digest messages: Discord's limits (10 embeds, 6,000 characters, 4,096 per description), links never cut,
every feed-supplied text inert (no markdown, no mentions)."""

from __future__ import annotations

import datetime as dt
import json
import re
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.models import Change, ListVersion, RegimeCount
from bot.render import limits
from bot.render.digest import digest_pages, inert, page_payload, payload_pages, safe_link
from bot.render.reply import Page
from bot.services.digest import Digest, DigestItem, FeedProblem, FeedSection, group_changes
from tests.fixtures.feeds import LONG_TITLE

NOW = dt.datetime(2026, 11, 26, 7, 0, tzinfo=dt.UTC)
BERLIN = ZoneInfo("Europe/Berlin")
VERSION = ListVersion(5, "2024-09-26T17:00:05.547Z", "x" * 64, "un.xml", "2026-11-26T12:00:00+00:00", 1000, 0, 0, 0)
MENTION = re.compile(r"@(everyone|here)|<@[!&]?\d+>|<#\d+>")


def make_digest(
    sections: list[FeedSection], changes: list[Change] = (), problems: tuple[FeedProblem, ...] = ()
) -> Digest:
    return Digest(
        guild_id=1,
        generated_at=NOW,
        since=NOW - dt.timedelta(days=1),
        sections=tuple(sections),
        problems=problems,
        changes=tuple(group_changes(list(changes))),
        versions=(VERSION,) if changes else (),
        version=VERSION,
        focus=RegimeCount("DPRK", 80, 75),
        through_item_id=99,
        through_version_id=5,
    )


def section(name: str, titles: list[str], links: list[str | None] | None = None, more: int = 0) -> FeedSection:
    links = links or [f"https://news.example/{i}" for i in range(len(titles))]
    items = tuple(
        DigestItem(i, t, link, NOW - dt.timedelta(hours=i))
        for i, (t, link) in enumerate(zip(titles, links, strict=True))
    )
    return FeedSection(1, name, items, more)


def all_text(pages: list[Page]) -> str:
    out = []
    for page in pages:
        out.append(page.content or "")
        for e in page.embeds:
            out.extend([e.title or "", e.description or "", e.footer.text or ""])
            out.extend(f"{f.name} {f.value}" for f in e.fields)
    return "\n".join(out)


def assert_within_limits(pages: list[Page]) -> None:
    assert pages
    for page in pages:
        assert 1 <= len(page.embeds) <= limits.EMBEDS_PER_MESSAGE
        assert sum(len(e) for e in page.embeds) <= limits.EMBED_TOTAL
        assert page.content is None or len(page.content) <= limits.CONTENT
        for e in page.embeds:
            assert len(e.title or "") <= limits.TITLE
            assert len(e.description or "") <= limits.DESCRIPTION
            assert len(e.footer.text or "") <= limits.FOOTER


def test_a_typical_digest_reads_well() -> None:
    digest = make_digest(
        [section("UN Press", ["Council extends DPRK sanctions panel", "Briefing on 1718 Committee"])],
        [
            Change(5, "KPi.081", "added", "individual", "DPRK", "KIM Su Il"),
            Change(5, "QDi.001", "amended", "individual", "Al-Qaida", "Someone", ("addresses", "aliases")),
        ],
    )
    pages = digest_pages(digest, BERLIN)
    assert_within_limits(pages)
    text = all_text(pages)
    assert "Sanctions digest — 26 November 2026" in text
    assert "[Council extends DPRK sanctions panel](https://news.example/0) · news.example · 26 Nov" in text
    assert "**DPRK** — 1 added, 0 removed, 0 amended" in text
    assert text.index("**DPRK**") < text.index("**Al-Qaida**")
    assert "Amended: Someone (QDi.001) — addresses, aliases" in text
    assert "**DPRK today:** 80 individuals and 75 entities (list version of 2024-09-26)." in text
    assert "UN list version of 2024-09-26" in text


def test_and_n_more_and_problem_notes() -> None:
    digest = make_digest(
        [section("Press", ["DPRK a"], more=7)],
        problems=(FeedProblem("Broken <@123> feed", "HTTP 500", None),),
    )
    text = all_text(digest_pages(digest, BERLIN))
    assert "…and 7 more from this feed." in text
    assert "⚠ Broken <\u200b@\u200b123> feed: could not be read (HTTP 500); not read yet." in text


def test_hostile_titles_are_inert() -> None:
    titles = [
        "@everyone free coins <@123456789012345678> <@&42> <#99> **bold** __u__ ||s|| `c` [x](https://evil.example)",
        LONG_TITLE,
    ]
    digest = make_digest([section("@here <@&1> feed **name**", titles)])
    pages = digest_pages(digest, BERLIN)
    assert_within_limits(pages)
    text = all_text(pages)
    assert not MENTION.search(text)
    assert "\\*\\*bold\\*\\*" in text and "\\|\\|s\\|\\|" in text
    assert "[x\\](https:/\u200b/evil.example)" in text  # the fake link stays text: bracket escaped, URL broken
    long_line = next(line for line in text.splitlines() if "free coins \\*\\*now" in line)
    assert len(long_line) < 600  # 10,000 characters cut to a line


def test_links_with_markdown_breaking_characters_stay_one_link() -> None:
    link = "https://hostile.example/a_(b)_c?x=1&y=[2] z"
    digest = make_digest([section("Press", ["DPRK"], [link])])
    text = all_text(digest_pages(digest, BERLIN))
    assert "[DPRK](https://hostile.example/a_%28b%29_c?x=1&y=%5B2%5D%20z)" in text
    assert safe_link("javascript:alert(1)") is None
    assert safe_link("https://" + "a" * 2000) is None


def test_a_huge_list_change_digest_is_split_within_limits() -> None:
    changes = [
        Change(5, f"QDi.{i:03d}", kind, "individual", regime, f"Name {i} " + "x" * 60, ("aliases",))
        for i, (kind, regime) in enumerate(
            (k, r)
            for r in [
                "DPRK",
                "Al-Qaida",
                "Taliban",
                "Iraq",
                "Libya",
                "DRC",
                "Sudan",
                "Yemen",
                "CAR",
                "Mali",
                "Haiti",
                "Somalia",
                "SouthSudan",
                "GB",
                "Iran",
            ]
            for k in ("added", "removed", "amended")
            for _ in range(30)
        )
    ]
    sections = [
        section(f"Feed {n}", [f"DPRK story {n}.{i} " + "y" * 150 for i in range(10)], more=3) for n in range(20)
    ]
    pages = digest_pages(make_digest(sections, changes), BERLIN)
    assert_within_limits(pages)
    assert len(pages) > 1
    text = all_text(pages)
    assert text.count("…and 20 more") == 15 * 3  # ten names shown per kind and regime
    for n in range(20):
        for i in range(10):
            assert f"](https://news.example/{i}) · " in text
            assert f"DPRK story {n}.{i} " in text


def test_payload_round_trips_through_json() -> None:
    pages = digest_pages(make_digest([section("Press", ["DPRK a", "DPRK b"])]), BERLIN)
    stored = json.loads(json.dumps([page_payload(p) for p in pages]))
    again = payload_pages(stored)
    assert [page_payload(p) for p in again] == stored


_title = st.text(st.characters(blacklist_categories=("Cs",)), min_size=0, max_size=400)
_link = st.one_of(
    st.none(),
    st.from_regex(r"https://[a-z]{1,12}\.example/[\w()\[\]<> %*_~|.-]{0,120}", fullmatch=True),
    st.text(max_size=50),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.text(max_size=120),
            st.lists(st.tuples(_title, _link), min_size=1, max_size=10),
            st.integers(0, 50),
        ),
        min_size=0,
        max_size=14,
    )
)
def test_any_digest_fits_discord_and_keeps_links_whole(
    feeds: list[tuple[str, list[tuple[str, str | None]], int]],
) -> None:
    sections = [
        section(name, [t for t, _l in items], [link for _t, link in items], more) for name, items, more in feeds
    ]
    pages = digest_pages(make_digest(sections), BERLIN)
    assert_within_limits(pages)
    descriptions = [e.description or "" for p in pages for e in p.embeds]
    for s in sections:
        for it in s.items:
            target = safe_link(it.link)
            if target:
                # The whole link is inside one description, right after the link text.
                assert any(f"]({target}) · " in d for d in descriptions)
    assert not MENTION.search(all_text(pages))


@given(st.text(max_size=300))
def test_inert_text_never_mentions(text: str) -> None:
    out = inert(text, 200)
    assert not MENTION.search(out)
    assert "\n" not in out
