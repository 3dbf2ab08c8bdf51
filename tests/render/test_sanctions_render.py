"""The /sanctions renderers: every part within Discord's limits, nothing lost, nothing that pings."""

from __future__ import annotations

import datetime as dt

import discord
from hypothesis import given
from hypothesis import strategies as st

from bot.models import Address, Alias, DateOfBirth, Document, Entry, ListVersion, PlaceOfBirth
from bot.regimes import regime_info
from bot.render import limits
from bot.render.as_of import count_as_of_reply
from bot.render.entry import entry_reply, field_words
from bot.render.limits import escape
from bot.render.packing import split_text
from bot.render.reply import Reply
from bot.render.search import search_reply
from bot.render.timeline import timeline_reply
from bot.respond import interaction_payload
from bot.services.history import CountAsOf, EntryRecord, HistoryEvent, RegimeRange, Timeline
from bot.services.search import Hit, SearchResult
from bot.sources.un_xml import parse_consolidated_list
from tests.shared_files import un_list

V1 = ListVersion(1, "2017-06-20T19:04:40.335-04:00", "", "", "", 0, 0, 0, 0)
V2 = ListVersion(2, "2020-03-20T19:09:21.822-04:00", "", "", "", 0, 0, 0, 0)
V3 = ListVersion(3, "2024-09-26T00:00:07.514Z", "", "", "", 0, 0, 0, 0)


def assert_within_limits(reply: Reply) -> None:
    """Every page: ≤10 embeds, ≤6,000 characters; every embed part within its own limit; payload builds."""
    for page in reply.pages:
        assert len(page.embeds) <= limits.EMBEDS_PER_MESSAGE
        assert sum(len(e) for e in page.embeds) <= limits.EMBED_TOTAL
        for embed in page.embeds:
            assert len(embed.title or "") <= limits.TITLE
            assert len(embed.description or "") <= limits.DESCRIPTION
            assert len(embed.fields) <= limits.FIELDS
            for f in embed.fields:
                assert 0 < len(f.name or "") <= limits.FIELD_NAME and 0 < len(f.value or "") <= limits.FIELD_VALUE
            assert embed.footer.text and "UN list version" in embed.footer.text
    interaction_payload(reply)


def all_text(reply: Reply) -> str:
    out = []
    for page in reply.pages:
        for e in page.embeds:
            out += [e.title or "", e.description or "", *(f"{f.name}\n{f.value}" for f in e.fields)]
    return "\n".join(out)


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=3000), st.integers(20, 1100))
def test_split_text_keeps_limits_and_words(text: str, limit: int) -> None:
    pieces = split_text(text, limit)
    assert all(len(p) <= limit for p in pieces)
    words = " ".join(p.removesuffix(limits.ELLIPSIS) for p in pieces).split()
    # Nothing is lost; pieces end between words unless one word is longer than half the limit.
    assert "".join(words) == "".join(text.split())
    for piece in pieces[:-1]:
        assert piece.endswith(limits.ELLIPSIS)


def test_field_words_are_plain() -> None:
    assert field_words(("first_name", "second_name", "comments", "dates_of_birth")) == "name, narrative, dates of birth"


def big_entry() -> Entry:
    aliases = tuple(
        Alias(f"Alias Number {i} " + "Abu " * 8, "Good" if i % 2 else "Low", note="DOB: 1960") for i in range(120)
    )
    return Entry(
        kind="individual",
        reference="QDi.999",
        regime="Al-Qaida",
        first_name="MUHAMMAD",
        second_name="TEST",
        name_original_script="محمد",
        listed_on="2001-01-25",
        comments=("Long narrative sentence. " * 700).strip(),
        titles=("Haji",),
        designations=("Commander",),
        nationalities=("Egypt", "Syria"),
        last_updated=("2010-12-16", "2019-05-01"),
        aliases=aliases,
        addresses=tuple(Address(city=f"City {i}", country="Country") for i in range(60)),
        dates_of_birth=(
            DateOfBirth("EXACT", "1963-04-11"),
            DateOfBirth("APPROXIMATELY", year="1961"),
            DateOfBirth("BETWEEN", from_year="1960", to_year="1962"),
        ),
        places_of_birth=(PlaceOfBirth(city="Monufia", country="Egypt"),),
        documents=tuple(Document("Passport", number=f"A{i:06d}", issuing_country="Egypt") for i in range(40)),
    )


def test_a_huge_entry_is_split_within_limits_and_nothing_is_lost() -> None:
    record = EntryRecord(
        big_entry(),
        True,
        V3,
        V3,
        V1,
        [HistoryEvent(V1, "first seen"), HistoryEvent(V2, "amended", ("comments", "aliases"))],
        regime_info("Al-Qaida"),
    )
    reply = entry_reply(record)
    assert len(reply.pages) > 1
    assert_within_limits(reply)
    text = all_text(reply)
    for i in range(120):
        assert f"Alias Number {i} " in text
    for i in range(40):
        assert f"A{i:06d}" in text
    assert "between 1960 and 1962" in text and "approximately 1961" in text
    assert "Aliases — good quality" in text and "Aliases — low quality" in text
    assert "Amended in the imported version of 2020-03-20: narrative, aliases" in text
    # The narrative runs on over several embeds, cut between words: every word is there, in order.
    descriptions = " ".join((e.description or "").removesuffix(limits.ELLIPSIS) for p in reply.pages for e in p.embeds)
    assert " ".join(("Long narrative sentence. " * 700).split()) in " ".join(descriptions.split())


def test_a_removed_entry_says_so() -> None:
    entry = Entry(kind="entity", reference="IQe.003", regime="Iraq", first_name="RAFIDAIN BANK")
    record = EntryRecord(
        entry,
        False,
        V2,
        V3,
        V1,
        [HistoryEvent(V1, "first seen"), HistoryEvent(V3, "removed")],
        regime_info("Iraq"),
    )
    reply = entry_reply(record)
    assert_within_limits(reply)
    embed = reply.first.embeds[0]
    assert "No longer on the list" in (embed.description or "")
    assert "2020-03-20" in (embed.footer.text or "")


def hit(i: int, name: str = "RI WON HO") -> Hit:
    return Hit(f"KPi.{i:03d}", name, "DPRK", "individual", name, "primary name", "", 100 - i, ("exact",))


def test_search_pages_hold_five_hits() -> None:
    reply = search_reply(SearchResult("Ri", V3, [hit(i) for i in range(12)]))
    assert [len(p.embeds[0].fields) for p in reply.pages] == [5, 5, 2]
    assert_within_limits(reply)


def test_search_echoes_queries_without_pinging() -> None:
    query = "@everyone <@&123> **x** \u202e"
    reply = search_reply(SearchResult(query, V3, []))
    text = all_text(reply)
    assert "@everyone" not in text and "<@&123>" not in text and "\u202e" not in text
    assert "\\*\\*x\\*\\*" in text
    assert interaction_payload(reply)["data"]["allowed_mentions"] == {"parse": []}


def test_search_says_when_nothing_is_close() -> None:
    weak = Hit(
        "KPi.066",
        "KIM JONG SIK",
        "DPRK",
        "individual",
        "KIM JONG SIK",
        "primary name",
        "",
        63,
        ("similar spelling",),
    )
    text = all_text(search_reply(SearchResult("Kim Jong-un", V3, [weak])))
    assert "No entry on the list matches Kim Jong-un closely" in text
    assert "**63**/100 · similar spelling" in text


def test_a_typo_or_a_part_is_never_called_a_different_name() -> None:
    def hit(reference: str, name: str, score: int, reasons: tuple[str, ...]) -> Hit:
        return Hit(reference, name, "DPRK", "entity", name, "primary name", "", score, reasons)

    typo = all_text(
        search_reply(
            SearchResult("Namchongang Tradign Corporaton", V3, [hit("KPe.004", "NAMCHONGANG TRADING", 83, ("typo",))])
        )
    )
    assert "not spellings of this one" not in typo
    assert "The first, KPe.004, is a letter or two away from what was typed" in typo
    part = all_text(
        search_reply(SearchResult("Korea", V3, [hit("KPe.035", "KOREA DAESONG BANK", 64, ("part of the name",))]))
    )
    assert "not spellings of this one" not in part and "contain what was typed" in part
    # POSCO is not in BOSCO TAGANDA: a word of it is a letter or two away.
    near = all_text(
        search_reply(SearchResult("POSCO", V3, [hit("CDi.030", "BOSCO TAGANDA", 60, ("part of the name", "typo"))]))
    )
    assert "contain what was typed" not in near and "a letter or two away from what was typed" in near


def test_count_as_of_range_and_sources() -> None:
    answer = CountAsOf(
        dt.date(2022, 1, 1),
        "Iraq",
        "between",
        [RegimeRange("Iraq", (60, 64), (10, 10))],
        [V2, V3],
        uncertain=4,
        before=(V2, 70, 12),
    )
    reply = count_as_of_reply(answer)
    assert_within_limits(reply)
    text = all_text(reply)
    assert "between 60 and 64 individuals" in text and "10 entities" in text
    assert "4 entries removed between the two versions" in text
    assert reply.first.embeds[0].footer.text == "UN list versions of 2020-03-20 and 2024-09-26 · counted for 2022-01-01"


def test_count_as_of_estimate_is_labelled() -> None:
    answer = CountAsOf(dt.date(2010, 1, 1), "DPRK", "estimate", [RegimeRange("DPRK", (5, 5), (8, 8))], [V1])
    text = all_text(count_as_of_reply(answer))
    assert "About **5 individuals**" in text and "An estimate" in text


def test_timeline_is_a_png_attachment_shown_in_the_embed() -> None:
    timeline = Timeline(V3, "DPRK", [2016, 2017, 2018], [27, 40, 1], [22, 12, 21])
    reply = timeline_reply(timeline)
    assert_within_limits(reply)
    attachment = reply.files[0]
    assert attachment.data.startswith(b"\x89PNG\r\n\x1a\n")
    assert attachment.filename == "designations-per-year-dprk.png"
    assert reply.first.embeds[0].image.url == "attachment://designations-per-year-dprk.png"
    assert "2024-09-26" in (attachment.description or "")
    assert isinstance(attachment.to_file(), discord.File)


def test_every_entry_of_the_2024_list_renders_within_limits() -> None:
    parsed = parse_consolidated_list(un_list("2024-09-26").read_bytes())
    for entry in parsed.entries:
        record = EntryRecord(entry, True, V3, V3, V1, [HistoryEvent(V1, "first seen")], regime_info(entry.regime))
        reply = entry_reply(record)
        assert_within_limits(reply)
        text = all_text(reply)
        for alias in entry.aliases:
            assert escape(alias.name) in text, (entry.reference, alias.name)
        for document in entry.documents:
            assert escape(document.number) in text


def test_search_shows_how_hangul_was_read_and_where_names_and_numbers_came_from() -> None:
    note = Hit(
        "QDi.299",
        "IBRAHIM AWWAD IBRAHIM ALI AL-BADRI AL-SAMARRAI",
        "Al-Qaida",
        "individual",
        "Abu Du’a",
        "name in an alias note",
        "Low",
        97,
        ("exact alias",),
        "from the note of alias أبو دعاء",
    )
    text = all_text(search_reply(SearchResult("Abu Du'a", V3, [note])))
    assert "Matched name in an alias note, low quality: Abu Du’a (from the note of alias أبو دعاء)" in text
    read = all_text(search_reply(SearchResult("리원호", V3, [hit(1)], reading="Ri Won Ho")))
    assert "리원호 read as **Ri Won Ho**" in read
    nothing = all_text(search_reply(SearchResult("리리", V3, [], reading="Ri Ri")))
    assert "read as **Ri Ri**" in nothing
    number = Hit(
        "KPe.020",
        "OCEAN MARITIME MANAGEMENT",
        "DPRK",
        "entity",
        "1790183",
        "identifier",
        "",
        100,
        ("identifier",),
        "IMO number 1790183 (the entry's comments)",
    )
    found = all_text(search_reply(SearchResult("1790183", V3, [number], identifier="1790183")))
    assert "**1790183** is an identifier of 1 entry on the list" in found
    assert "Matched identifier: IMO number 1790183 (the entry's comments)" in found
    missing = all_text(search_reply(SearchResult("9999999", V3, [], identifier="9999999")))
    assert "No document, IMO or other number of an entry on the list is **9999999**" in missing
