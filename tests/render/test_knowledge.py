"""Rendering knowledge answers stays within Discord's limits however long the data grows."""

from __future__ import annotations

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.render.knowledge import (
    chair_text,
    members_reply,
    quotes_reply,
    reload_reply,
    resolutions_reply,
    statement_reply,
)
from bot.services.knowledge import (
    KindChange,
    LoadReport,
    MembersAnswer,
    QuoteSearchAnswer,
    ResolutionsAnswer,
    Seat,
    StatementAnswer,
)
from bot.sources.knowledge import Chair, CouncilTerm, Publication, Quote, Regime, Resolution, Statement
from bot.store.knowledge import QuoteHit
from tests.answers.payloads import assert_valid, text_of

LONG = "word " * 400
REGIME = Regime(
    "DPRK", "Democratic People's Republic of Korea", "Committee 1718", "1718 (2006)", True, "active", ("s",)
)
PUB = Publication("p", "Publisher", "Title", "2018-05-02", ("s",), url="https://example.org/a", date_derived=True)


def statement(i: int, **changes: object) -> Statement:
    base = Statement(f"s-{i}", "rebuttal", "2018-05-02", f"Speaker {i} " + LONG[:300], "Body", LONG, "p")
    return dataclasses.replace(base, **changes)


def test_many_long_resolutions_fit_on_valid_pages() -> None:
    resolutions = tuple(
        Resolution(
            "DPRK",
            1000 + i,
            2000 + i % 20,
            (LONG, LONG),
            (LONG,),
            adopted=f"{2000 + i % 20}-01-01",
            vote=LONG,
            trigger=LONG,
            designations=LONG,
        )
        for i in range(37)
    )
    reply = resolutions_reply(ResolutionsAnswer(REGIME, resolutions))
    assert_valid(reply)
    assert len(reply.pages) >= 8
    for i in range(37):
        assert f"Resolution {1000 + i} (" in text_of(reply)


def test_a_statement_with_long_everything_is_valid() -> None:
    quotes = tuple(Quote("s-0", LONG[: 200 + i], "p", lead=LONG[:150]) for i in range(30))
    answer = StatementAnswer(
        statement=statement(0, context=LONG, date_note=LONG, kind="denial", responds_to=("s-1",)),
        quotes=quotes,
        publication=dataclasses.replace(PUB, date_note=LONG, also_carried_by=(LONG,) * 5),
        responds_to=(statement(1),),
        responses=tuple((statement(i), quotes[:5]) for i in range(2, 12)),
        evidence=((statement(20, kind="finding"), quotes),),
    )
    assert_valid(statement_reply(answer))


def test_members_with_long_names_and_notes() -> None:
    term = CouncilTerm(2017, 2018, tuple(f"Member {i} {LONG[:90]}" for i in range(10)), (LONG,) * 10, note=LONG)
    permanent = CouncilTerm(2006, 2026, ("A", "B", "C", "D", "E"), ("s",), permanent=True)
    answer = MembersAnswer(
        2018,
        2006,
        2026,
        permanent=tuple(Seat(m, permanent) for m in permanent.members),
        elected=tuple(Seat(m, term) for m in term.members),
        chair=Chair(2018, "Country", (LONG,), person=LONG[:200], note=LONG),
        vice_chairs=None,
    )
    assert_valid(members_reply(answer))


def test_chair_text_is_honest_about_what_is_not_known() -> None:
    assert chair_text(None, 2030) == "Not recorded for 2030."
    unconfirmed = Chair(2026, "Greece", ("s",), person="A B", confirmed=False, note="No source seen.")
    assert chair_text(unconfirmed, 2026) == "**Not confirmed:** A B (Greece) is believed to chair. No source seen."
    assert chair_text(Chair(2009, "Turkey", ("s",)), 2009) == "Turkey"


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300))
def test_any_search_text_renders_a_valid_inert_answer(query: str) -> None:
    hit = QuoteHit(Quote("s-1", "a quote", "p"), statement(1))
    for hits in ((), (hit,) * 10):
        reply = quotes_reply(QuoteSearchAnswer(query, hits, len(hits) + 3))
        bodies = assert_valid(reply)
        embed = bodies[0]["data"]["embeds"][0]
        assert "@everyone" not in embed["title"] + embed.get("description", "")


def test_reload_reply_lists_changes_and_stays_valid() -> None:
    many = tuple(f"key {i} {LONG[:60]}" for i in range(200))
    report = LoadReport("updated", ("a.toml", "b.toml"), (KindChange("quotes", many, many, many),), (("a.toml", 3),))
    reply = reload_reply(report)
    assert reply.ephemeral
    assert_valid(reply)
    assert "Quotes" in text_of(reply) and "200 added" in text_of(reply)
