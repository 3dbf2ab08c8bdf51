"""The UN list parser, on hand-written fixtures and on the five real lists in ../shared."""

from __future__ import annotations

import contextlib
import re
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import HostileXml, ListTooLarge, MalformedList, NotAConsolidatedList
from bot.sources.un_xml import MAX_LIST_BYTES, clean, clean_date, parse_consolidated_list
from tests.fixtures.lists import (
    BILLION_LAUGHS,
    EXTERNAL_ENTITY,
    HTML_PAGE,
    OFAC_SDN,
    consolidated,
    entity,
    individual,
)
from tests.shared_files import UN_LIST_DATES, un_list

EXPECTED_TOTALS = {
    # (individuals, entities) counted straight from the files with grep -c '<INDIVIDUAL>' / '<ENTITY>'
    "2017-06-20": (653, 371),
    "2017-07-03": (650, 371),
    "2020-03-20": (709, 305),
    "2024-09-21": (682, 193),
    "2024-09-26": (682, 193),
}


@pytest.mark.parametrize("date", UN_LIST_DATES)
def test_real_lists_parse_with_their_counts(date: str) -> None:
    data = un_list(date).read_bytes()
    parsed = parse_consolidated_list(data)
    kinds = [e.kind for e in parsed.entries]
    assert (kinds.count("individual"), kinds.count("entity")) == EXPECTED_TOTALS[date]
    assert parsed.generated_at.startswith(date)
    # Every reference is trimmed and well-formed, although some files carry "KPe.053 ".
    assert all(re.fullmatch(r"[A-Z]{2}[ie]\.\d{3}", e.reference) for e in parsed.entries)


def test_dprk_counts_in_2020_and_2017() -> None:
    for date, expected in (("2020-03-20", (80, 75)), ("2024-09-26", (80, 75)), ("2017-07-03", (53, 46))):
        parsed = parse_consolidated_list(un_list(date).read_bytes())
        dprk = [e for e in parsed.entries if e.regime == "DPRK"]
        got = (sum(e.kind == "individual" for e in dprk), sum(e.kind == "entity" for e in dprk))
        assert got == expected, date


def test_ri_won_ho_record_in_the_compact_2017_layout() -> None:
    parsed = parse_consolidated_list(un_list("2017-06-20").read_bytes())
    ri = next(e for e in parsed.entries if e.reference == "KPi.033")
    assert ri.first_name == "RI"  # " RI " in the file
    assert ri.name == "RI WON HO"
    assert ri.comments == "Ri Won Ho is a DPRK Ministry of State Security Official stationed in Syria supporting KOMID."
    assert ri.designations == ("DPRK Ministry of State Security Official",)
    assert ri.dates_of_birth[0].type == "EXACT" and ri.dates_of_birth[0].date == "1964-07-17"
    assert ri.documents[0].number == "381310014"  # " 381310014" in the file
    assert ri.aliases == () and ri.addresses == ()  # empty rows are dropped


def test_indented_2024_layout_multiline_values_and_original_script() -> None:
    parsed = parse_consolidated_list(un_list("2024-09-26").read_bytes())
    entry = next(e for e in parsed.entries if e.reference == "TAi.005")
    assert entry.name_original_script == "محمد طاهر أنوري"
    assert entry.designations[0] == "a) Director of Administrative Affairs under the Taliban regime"
    assert "\n" not in entry.comments


def test_trailing_space_references_are_trimmed() -> None:
    raw = un_list("2024-09-26").read_bytes()
    assert b"<REFERENCE_NUMBER>KP" in raw and re.search(rb"<REFERENCE_NUMBER>KP[ie]\.\d{3} </REFERENCE_NUMBER>", raw)
    parsed = parse_consolidated_list(raw)
    assert sum(e.regime == "DPRK" for e in parsed.entries) == 155


def test_dates_with_a_glued_offset_become_dates() -> None:
    assert clean_date("2015-07-01-04:00") == "2015-07-01"
    assert clean_date(" 2024-09-26T00:00:07.514Z ") == "2024-09-26"
    assert clean_date("1960") == "1960"
    parsed = parse_consolidated_list(un_list("2017-06-20").read_bytes())
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", e.listed_on) for e in parsed.entries)


def test_dates_of_birth_of_every_kind() -> None:
    parsed = parse_consolidated_list(un_list("2024-09-26").read_bytes())
    types = {d.type for e in parsed.entries for d in e.dates_of_birth}
    assert {"EXACT", "APPROXIMATELY", "BETWEEN"} <= types
    between = next(d for e in parsed.entries for d in e.dates_of_birth if d.type == "BETWEEN")
    assert between.from_year and between.to_year
    year_only = [d for e in parsed.entries for d in e.dates_of_birth if d.type == "EXACT" and d.year and not d.date]
    assert year_only


def test_aliases_keep_their_quality() -> None:
    parsed = parse_consolidated_list(un_list("2024-09-26").read_bytes())
    qualities = {a.quality for e in parsed.entries for a in e.aliases}
    assert {"Good", "Low", "a.k.a.", "f.k.a."} <= qualities
    assert all(a.name for e in parsed.entries for a in e.aliases)


def test_fixture_list_parses() -> None:
    data = consolidated([individual("KPi.001", " KIM ", "JONG  UN\n")], [entity("KPe.001", "KOMID")])
    parsed = parse_consolidated_list(data)
    assert [e.name for e in parsed.entries] == ["KIM JONG UN", "KOMID"]
    assert parsed.entries[1].aliases[0].quality == "a.k.a."


@pytest.mark.parametrize(
    ("data", "error", "words"),
    [
        (BILLION_LAUGHS, HostileXml, "DTD"),
        (EXTERNAL_ENTITY, HostileXml, "DTD"),
        (OFAC_SDN, NotAConsolidatedList, "not a UN Consolidated List"),
        (HTML_PAGE, MalformedList, "not well-formed"),
        (b"", MalformedList, "empty"),
        (b"   \n", MalformedList, "empty"),
        (
            b"<CONSOLIDATED_LIST dateGenerated='2024-01-01T00:00:00Z'><INDIVIDUALS>",
            MalformedList,
            "truncated",
        ),
        (
            b"<CONSOLIDATED_LIST dateGenerated='yesterday'><INDIVIDUALS/><ENTITIES/></CONSOLIDATED_LIST>",
            MalformedList,
            "dateGenerated",
        ),
        (
            b"<CONSOLIDATED_LIST dateGenerated='2024-01-01T00:00:00Z'><INDIVIDUALS/><ENTITIES/></CONSOLIDATED_LIST>",
            MalformedList,
            "no entries",
        ),
        (
            b"<CONSOLIDATED_LIST dateGenerated='2024-01-01T00:00:00Z'><INDIVIDUALS/></CONSOLIDATED_LIST>",
            MalformedList,
            "ENTITIES",
        ),
    ],
)
def test_refused_files_say_why(data: bytes, error: type[Exception], words: str) -> None:
    with pytest.raises(error) as info:
        parse_consolidated_list(data)
    assert words in str(info.value)


def test_truncated_real_list_is_refused() -> None:
    data = un_list("2024-09-26").read_bytes()
    with pytest.raises(MalformedList):
        parse_consolidated_list(data[: len(data) // 2])


def test_entries_without_or_with_bad_reference_or_duplicates() -> None:
    with pytest.raises(MalformedList, match="no REFERENCE_NUMBER"):
        parse_consolidated_list(consolidated([individual("", "A")], []))
    with pytest.raises(MalformedList, match="malformed reference"):
        parse_consolidated_list(consolidated([individual("KP.1", "A")], []))
    with pytest.raises(MalformedList, match="appears twice"):
        parse_consolidated_list(consolidated([individual("KPi.001", "A"), individual("KPi.001", "B")], []))


def test_oversized_input_is_refused_before_parsing() -> None:
    with pytest.raises(ListTooLarge):
        parse_consolidated_list(b" " * (MAX_LIST_BYTES + 1))


@given(st.text())
@settings(max_examples=200)
def test_clean_folds_whitespace_and_is_idempotent(text: str) -> None:
    once = clean(text)
    assert clean(once) == once
    assert once == once.strip()
    assert "  " not in once and "\n" not in once


@given(st.binary(max_size=400))
@settings(max_examples=200)
def test_arbitrary_bytes_never_crash_the_parser(data: bytes) -> None:
    from bot.errors import ImportRefused

    with contextlib.suppress(ImportRefused):
        parse_consolidated_list(data)


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60))
@settings(max_examples=200)
def test_any_name_text_round_trips_through_xml(name: str) -> None:
    # Names the XML can carry come back folded, never crash the parser.
    escaped = ET.Element("x")
    escaped.text = name
    try:
        body = ET.tostring(escaped, encoding="unicode")[3:-4]
    except ValueError:
        return
    data = consolidated([individual("KPi.001", body or "X")], [])
    try:
        parsed = parse_consolidated_list(data)
    except MalformedList:
        return  # control characters XML 1.0 forbids
    assert parsed.entries[0].first_name == clean(name) or not name.strip()
