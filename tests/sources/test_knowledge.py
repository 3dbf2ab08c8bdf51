"""Knowledge files: the bundled ones load and match the fact sheet; each broken rule names where and why."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.errors import KnowledgeError
from bot.models_knowledge import record_from_dict, record_to_dict
from bot.sources.knowledge import (
    COUNCIL_SIZE,
    FILES,
    Knowledge,
    parse_knowledge,
)
from tests.knowledge_files import appended, bundled, edited, record_block
from tests.shared_files import unpublished_shared_file

P5 = {"China", "France", "Russian Federation", "United Kingdom", "United States"}
# The fact sheet's abbreviations, spelled out as the knowledge files spell them.
FACT_SHEET_NAMES = {
    "United Rep. of Tanzania": "United Republic of Tanzania",
    "Rep. of Korea": "Republic of Korea",
    "Dominican Rep.": "Dominican Republic",
    "Dem. Rep. of the Congo": "Democratic Republic of the Congo",
}


@pytest.fixture(scope="module")
def knowledge() -> Knowledge:
    return parse_knowledge(bundled())


def fact_sheet_section(heading: str) -> str:
    text = unpublished_shared_file("facts", "1718-committee.md").read_text(encoding="utf-8")
    start = text.index(heading)
    end = text.find("\n#", start + len(heading))
    return text[start : end if end != -1 else len(text)]


# --- the bundled files --------------------------------------------------------------------------------------


def test_bundled_files_load_with_every_kind_of_record(knowledge: Knowledge) -> None:
    assert (knowledge.first_year, knowledge.last_year) == (2006, 2026)
    counts = {kind: len(knowledge.records(kind)) for kind in Knowledge.KINDS}
    assert counts["terms"] == 25 and counts["chairs"] == 21 and counts["vice_chairs"] == 1
    assert counts["regimes"] == 16 and counts["resolutions"] == 20 and counts["panels"] == 1
    assert counts["statements"] == 5 and counts["quotes"] == 15 and counts["publications"] == 1
    assert [f.name for f in knowledge.files] == list(FILES)
    assert sum(f.records for f in knowledge.files) == sum(counts.values())


def test_every_record_names_its_source(knowledge: Knowledge) -> None:
    publications = {p.id for p in knowledge.publications}
    for kind in Knowledge.KINDS:
        for record in knowledge.records(kind):
            sources = getattr(record, "sources", None)
            if sources is not None:
                assert sources and all(s.strip() for s in sources), (kind, record.key)
            else:
                assert record.source in publications, (kind, record.key)  # type: ignore[union-attr]


def test_every_year_has_five_permanent_and_ten_elected_members(knowledge: Knowledge) -> None:
    for year in range(2006, 2027):
        seats = knowledge.members_in(year)
        assert len(seats) == COUNCIL_SIZE, year
        assert {m for m, t in seats if t.permanent} == P5
        assert sum(not t.permanent for _m, t in seats) == 10


def test_membership_agrees_with_the_fact_sheets_table_by_year(knowledge: Knowledge) -> None:
    """Table 1c of the fact sheet lists the ten elected members of each year: an independent cross-check."""
    rows = re.findall(r"^\| (\d{4}) \| ([^|]+) \|", fact_sheet_section("### 1c."), re.M)
    assert len(rows) == 21
    for year, names in rows:
        expected = {FACT_SHEET_NAMES.get(n, n) for n in (x.strip().strip("*") for x in names.split(","))}
        elected = {m for m, t in knowledge.members_in(int(year)) if not t.permanent}
        assert elected == expected, year


def test_the_split_seat_italy_2017_netherlands_2018(knowledge: Knowledge) -> None:
    def elected(year: int) -> set[str]:
        return {m for m, t in knowledge.members_in(year) if not t.permanent}

    assert "Italy" in elected(2017) and "Netherlands" not in elected(2017)
    assert "Netherlands" in elected(2018) and "Italy" not in elected(2018)
    italy = next(t for m, t in knowledge.members_in(2017) if m == "Italy")
    assert (italy.start, italy.end, italy.seat) == (2017, 2017, "split seat")


def test_chairs_agree_with_the_fact_sheet(knowledge: Knowledge) -> None:
    rows = re.findall(r"^\| (\d{4})[^|]*\| ([^|]+) \| ([^|]+) \|", fact_sheet_section("## 2. Chairs"), re.M)
    by_year = {c.year: c for c in knowledge.chairs}
    assert len(rows) == 21
    for year, _person, country in rows:
        chair = by_year[int(year)]
        if country.strip() == "—":  # 2026: not confirmed in the fact sheet
            assert not chair.confirmed
        else:
            assert chair.confirmed and chair.country == country.split("(")[0].strip(), year
    assert [c.year for c in knowledge.chairs if not c.confirmed] == [2026]
    assert [(v.year, v.countries) for v in knowledge.vice_chairs] == [(2023, ("Albania", "Japan"))]


def test_panel_and_resolutions(knowledge: Knowledge) -> None:
    (panel,) = knowledge.panels
    assert (panel.established_by, panel.established_on, panel.mandate_ended) == (
        1874,
        "2009-06-12",
        "2024-04-30",
    )
    assert "13 in favour, 1 against" in panel.status and "China" in panel.status and not panel.active
    numbers = [r.number for r in knowledge.resolutions]
    assert numbers == sorted(numbers) and {1718, 1874, 2270, 2321, 2371, 2375, 2397} <= set(numbers)
    # The unconfirmed renewals stay out; 2680 is in, without an adoption date, saying why.
    assert not {2050, 2276, 2345} & set(numbers)
    r2680 = next(r for r in knowledge.resolutions if r.number == 2680)
    assert not r2680.adopted and "not seen" in r2680.adopted_note


def test_other_regimes_use_the_lists_spelling(knowledge: Knowledge) -> None:
    by_id = {r.id: r for r in knowledge.regimes}
    assert by_id["DPRK"].prefixes == ("KPi", "KPe") and by_id["DPRK"].established_on == "2006-10-14"
    assert by_id["SouthSudan"].list_type == "SouthSudan" and by_id["GB"].prefixes == ("GBi",)
    assert not by_id["Mali"].active and by_id["Lebanon"].list_type == ""
    # Prefixes never observed stay out.
    all_prefixes = {p for r in knowledge.regimes for p in r.prefixes}
    assert not {"GBe", "SDe", "SSe", "HTe", "MLe"} & all_prefixes


def test_records_survive_the_round_trip_through_plain_values(knowledge: Knowledge) -> None:
    for kind in Knowledge.KINDS:
        for record in knowledge.records(kind):
            assert record_from_dict(kind, record_to_dict(record)) == record


# --- each rule, broken on purpose ---------------------------------------------------------------------------


def refused(files: dict[str, bytes]) -> KnowledgeError:
    with pytest.raises(KnowledgeError) as info:
        parse_knowledge(files)
    return info.value


def test_a_record_without_a_source() -> None:
    block = record_block("chairs.toml", "chairs", 3)  # 2008, Spatafora
    sources = block[block.index("sources = [") :]
    sources = sources[: sources.index("]\n") + 2]
    error = refused(edited("chairs.toml", block, block.replace(sources, "")))
    assert error.file == "chairs.toml"
    assert error.record == "[[chairs]] #3 (2008)"
    assert "has no source" in error.problem
    assert error.message.startswith("chairs.toml: [[chairs]] #3 (2008): has no source")


def test_a_record_with_an_empty_source_list() -> None:
    block = record_block("resolutions.toml", "resolutions", 3)  # 1928
    error = refused(edited("resolutions.toml", block, re.sub(r"sources = \[.*\]", "sources = []", block)))
    assert (error.file, error.record) == ("resolutions.toml", "[[resolutions]] #3 (1928 (2010))")
    assert "has no source" in error.problem


def test_a_statement_without_its_publication() -> None:
    block = record_block("statements.toml", "statements", 4)  # diplomats-account
    error = refused(edited("statements.toml", block, block.replace('source = "voa-2018-05-02"\n', "")))
    assert (error.file, error.record) == ("statements.toml", "[[statements]] #4 (diplomats-account)")
    assert "has no source" in error.problem


def test_a_year_with_fourteen_members() -> None:
    error = refused(
        edited(
            "council.toml",
            'members = ["Côte d\'Ivoire", "Equatorial Guinea", "Kuwait", "Peru", "Poland"]',
            'members = ["Côte d\'Ivoire", "Equatorial Guinea", "Kuwait", "Poland"]',
        )
    )
    assert error.file == "council.toml"
    assert error.record == "year 2018 (records [[permanent]], #13, #15, #16)"
    assert error.problem.startswith("14 members, not fifteen: ")
    assert "Peru" not in error.problem and "Netherlands" in error.problem


def test_a_year_with_sixteen_members() -> None:
    error = refused(edited("council.toml", 'members = ["Italy"]', 'members = ["Italy", "Brazil"]'))
    assert error.file == "council.toml" and error.record.startswith("year 2017 (records")
    assert error.problem.startswith("16 members, not fifteen") and "Brazil" in error.problem


def test_overlapping_terms_of_one_member() -> None:
    extra = '[[terms]]\nstart = 2017\nend = 2018\nmembers = ["Japan"]\nsources = ["a test"]\n'
    error = refused(appended("council.toml", extra))
    assert error.file == "council.toml"
    assert error.record == "[[terms]] #25 (2017–2018: Japan)"
    assert error.problem == (
        "Japan holds overlapping terms: 2017–2018 here and 2016–2017 in [[terms]] #12 "
        "(2016–2017: Egypt, Japan, Senegal, Ukraine, Uruguay)"
    )


def test_a_permanent_member_also_elected_overlaps() -> None:
    error = refused(edited("council.toml", 'members = ["Ecuador", "Japan",', 'members = ["France", "Japan",'))
    assert error.file == "council.toml" and "France holds overlapping terms" in error.problem


def test_a_quote_attributed_to_an_unknown_statement() -> None:
    error = refused(
        edited("statements.toml", 'statement = "us-mission-rebuttal"\n', 'statement = "us-mision-rebuttal"\n')
    )
    assert error.file == "statements.toml"
    assert error.record.startswith("[[quotes]] #8 (us-mision-rebuttal: “the quotes and comments")
    assert error.problem.startswith("quote attributed to unknown statement 'us-mision-rebuttal' (known: ")


@pytest.mark.parametrize(
    ("name", "old", "new", "record", "problem"),
    [
        (
            "chairs.toml",
            'country = "Slovakia"',
            'country = "Sweden"',
            "[[chairs]] #1 (2006)",
            "Sweden is not a member of the Council in 2006",
        ),
        ("chairs.toml", "year = 2008\n", "year = 2007\n", "[[chairs]] #3 (2007)", "duplicate year 2007"),
        (
            "chairs.toml",
            "year = 2026\n",
            "year = 2027\n",
            "[[chairs]] #21 (2027)",
            "year 2027 is outside the council data (2006–2026)",
        ),
        (
            "resolutions.toml",
            'adopted = "2009-06-12"',
            'adopted = "2009-06-31"',
            "[[resolutions]] #2 (1874 (2009))",
            "`adopted` = '2009-06-31' is not a calendar date",
        ),
        (
            "resolutions.toml",
            "number = 1928\n",
            'number = 1928\ncolour = "blue"\n',
            "[[resolutions]] #3 (1928 (2010))",
            "unknown field `colour`",
        ),
        (
            "resolutions.toml",
            "number = 1985\n",
            'number = "1985"\n',
            "[[resolutions]] #4 (1985 (2011))",
            "`number` must be a whole number",
        ),
        (
            "regimes.toml",
            "resolutions = [1718, 1874, 2270]",
            "resolutions = [1718, 1874, 2271]",
            "[[measures]] #1 (DPRK: Arms embargo)",
            "resolution 2271 is not in resolutions.toml for DPRK",
        ),
        (
            "statements.toml",
            'kind = "finding"',
            'kind = "rumour"',
            "[[statements]] #5 (panel-hacking-finding)",
            "kind 'rumour' is not one of denial, rebuttal, claim, finding",
        ),
        (
            "statements.toml",
            'responds_to = ["us-remarks-as-reported"]',
            'responds_to = ["us-remarks"]',
            "[[statements]] #2 (dprk-mission-denial)",
            "`responds_to` names unknown statement 'us-remarks'",
        ),
        (
            "panel.toml",
            "established_by = 1874",
            "established_by = 1875",
            "[[panels]] #1 (DPRK)",
            "resolution 1875 is not in resolutions.toml for DPRK",
        ),
    ],
)
def test_other_rules(name: str, old: str, new: str, record: str, problem: str) -> None:
    error = refused(edited(name, old, new))
    assert (error.file, error.record) == (name, record)
    assert error.problem.startswith(problem), error.problem


def test_toml_syntax_errors_name_the_file_and_line() -> None:
    error = refused(edited("panel.toml", 'regime = "DPRK"\nname', 'regime = "DPRK\nname'))
    assert error.file == "panel.toml" and error.problem.startswith("not valid TOML:") and "line" in error.problem


def test_missing_and_unexpected_files() -> None:
    files = bundled()
    del files["chairs.toml"]
    assert refused(files).message.startswith("chairs.toml: missing")
    files = bundled() | {"chairz.toml": b""}
    assert refused(files).message.startswith("chairz.toml: not a knowledge file")


def test_unknown_tables_and_bad_settings() -> None:
    error = refused(appended("panel.toml", '[[panelz]]\nregime = "DPRK"\n'))
    assert (error.file, error.record) == ("panel.toml", "panelz") and "unknown table" in error.problem
    error = refused(edited("council.toml", "last_year = 2026", 'last_year = "2026"'))
    assert (error.file, error.record, error.problem) == (
        "council.toml",
        "last_year",
        "must be a whole number",
    )
    error = refused(edited("council.toml", "first_year = 2006", "first_year = 2005"))
    assert error.record.startswith("year 2005") and "members, not fifteen" in error.problem


def test_the_first_problem_is_reported_and_nothing_else_leaks() -> None:
    """A file that is not UTF-8 is refused with the byte position, not a UnicodeDecodeError."""
    files = bundled()
    files["regimes.toml"] = b"\xff\xfe" + files["regimes.toml"]
    error = refused(files)
    assert error.file == "regimes.toml" and "not UTF-8" in error.problem


# --- property: any content in any one file is either valid or a KnowledgeError ------------------------------

_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
_SCALARS = st.one_of(
    _TEXT,
    st.integers(-10, 3000),
    st.booleans(),
    st.lists(_TEXT, max_size=3),
    st.lists(st.integers(0, 3000), max_size=3),
)


def _toml_value(value: object) -> str:
    """A TOML literal (JSON's string escapes are TOML's)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(list(FILES)),
    field=st.sampled_from(
        [
            "sources",
            "year",
            "members",
            "country",
            "statement",
            "text",
            "date",
            "id",
            "number",
            "kind",
            "regime",
            "start",
            "end",
            "resolutions",
            "confirmed",
            "established_by",
            "extra",
        ]
    ),
    value=_SCALARS,
)
def test_any_field_value_is_accepted_or_refused_with_a_knowledge_error(name: str, field: str, value: object) -> None:
    files = bundled()
    text = files[name].decode()
    # Set (or add) the field in the file's first record.
    match = re.search(r"^\[\[\w+\]\]\n", text, re.M)
    assert match
    body = text[match.end() :]
    line = re.search(rf"^{field} = .*$", body.split("\n[[")[0], re.M)
    new = f"{field} = {_toml_value(value)}"
    # Replace a one-line value; otherwise add the field (a duplicate key is a TOML error, also fine here).
    body = body.replace(line.group(0), new, 1) if line and not line.group(0).endswith("[") else new + "\n" + body
    files[name] = (text[: match.end()] + body).encode()
    try:
        parse_knowledge(files)
    except KnowledgeError as exc:
        assert exc.file in FILES and exc.problem


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(list(FILES)), junk=st.binary(max_size=200))
def test_arbitrary_bytes_are_refused_cleanly(name: str, junk: bytes) -> None:
    files = bundled()
    files[name] = junk
    with pytest.raises(KnowledgeError) as info:
        parse_knowledge(files)
    assert info.value.file == name


def test_knowledge_records_are_frozen(knowledge: Knowledge) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        knowledge.chairs[0].year = 1999  # type: ignore[misc]


def test_an_emptied_file_is_refused_rather_than_wiping_its_data() -> None:
    error = refused(bundled() | {"chairs.toml": b"# truncated\n"})
    assert (error.file, error.record) == ("chairs.toml", "[[chairs]]")
    assert "no records" in error.problem
