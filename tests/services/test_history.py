"""The list through time, on the five shared versions: counts on a date, changes, entry history, timeline."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core import Core
from bot.errors import InvalidOption, ListNotLoaded, UnknownReference, UnknownRegime
from bot.services.history import parse_day
from bot.sources.un_xml import parse_consolidated_list
from tests.fixtures.lists import consolidated, individual
from tests.shared_files import un_list

TODAY = dt.date(2026, 11, 26)
D = dt.date.fromisoformat


def listed(date: str) -> dict[str, tuple[str, str, str]]:
    """reference → (kind, regime, listed_on), straight from a shared list file."""
    parsed = parse_consolidated_list(un_list(date).read_bytes())
    return {e.reference: (e.kind, e.regime, e.listed_on) for e in parsed.entries}


def independent_count(day: str, before: str, after: str, regime: str | None) -> tuple[Counter, Counter]:
    """The rule of the issue, computed from the XML files: certain = later version listed by then;
    possible = removed between the two versions, listed by then."""
    old, new = listed(before), listed(after)
    certain: Counter = Counter()
    possible: Counter = Counter()
    for kind, reg, listed_on in new.values():
        if (regime is None or reg == regime) and listed_on <= day:
            certain[kind] += 1
    for ref in old.keys() - new.keys():
        kind, reg, listed_on = old[ref]
        if (regime is None or reg == regime) and listed_on <= day:
            possible[kind] += 1
    return certain, possible


# --- parse_day ----------------------------------------------------------------------------------------------


def test_parse_day_accepts_iso_dates() -> None:
    assert parse_day("as_of", "2018-05-02", TODAY) == D("2018-05-02")
    assert parse_day("as_of", " 2016-02-29 ", TODAY) == D("2016-02-29")
    assert parse_day("as_of", TODAY.isoformat(), TODAY) == TODAY


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("2018-02-30", "February 2018 has 28 days"),
        ("2018-02-29", "February 2018 has 28 days"),
        ("2018-13-01", "no month 13"),
        ("2018-00-10", "no month 0"),
        ("18/05/2018", "for 18/05/2018: 2018-05-18"),
        ("05/18/2018", "for 05/18/2018: 2018-05-18"),
        ("05/04/2018", "could be 2018-04-05 or 2018-05-04"),
        ("yesterday", "write dates as YYYY-MM-DD"),
        ("", "write dates as YYYY-MM-DD"),
        ("2027-01-01", "in the future (today is 2026-11-26)"),
        ("2026-11-27", "in the future"),
        ("'; DROP TABLE list_versions; --", "not a date"),
    ],
)
def test_parse_day_explains_bad_dates(text: str, words: str) -> None:
    with pytest.raises(InvalidOption) as caught:
        parse_day("as_of", text, TODAY)
    assert words in caught.value.message
    assert caught.value.option == "as_of"


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY))
def test_parse_day_round_trips(day: dt.date) -> None:
    assert parse_day("since", day.isoformat(), TODAY) == day


@given(st.text(max_size=30))
def test_parse_day_accepts_or_explains(text: str) -> None:
    try:
        day = parse_day("since", text, TODAY)
    except InvalidOption as exc:
        assert exc.problem
        return
    assert day <= TODAY


# --- count as of a date -------------------------------------------------------------------------------------


async def test_dprk_on_2018_05_02_is_exactly_80_and_75(loaded_core: Core) -> None:
    answer = await loaded_core.history.count_as_of(D("2018-05-02"), "DPRK")
    assert answer.method == "between"
    assert answer.individuals == (80, 80) and answer.entities == (75, 75)
    assert answer.uncertain == 0 and not answer.exact  # 2.7 years between the versions: not proven exact
    assert [v.generated_date for v in answer.versions] == ["2017-07-03", "2020-03-20"]
    assert answer.before is not None and answer.before[1:] == (53, 46)  # what the older version said
    certain, possible = independent_count("2018-05-02", "2017-07-03", "2020-03-20", "DPRK")
    assert (certain["individual"], certain["entity"]) == (80, 75) and not possible


async def test_a_version_of_that_very_day_is_exact(loaded_core: Core) -> None:
    answer = await loaded_core.history.count_as_of(D("2017-07-03"), "DPRK")
    assert answer.method == "version" and answer.exact
    assert (answer.individuals, answer.entities) == ((53, 53), (46, 46))
    assert [v.generated_date for v in answer.versions] == ["2017-07-03"]


async def test_removals_between_the_versions_make_a_range(loaded_core: Core) -> None:
    answer = await loaded_core.history.count_as_of(D("2022-01-01"), None)
    certain, possible = independent_count("2022-01-01", "2020-03-20", "2024-09-21", None)
    assert answer.method == "between" and not answer.exact
    assert answer.individuals == (certain["individual"], certain["individual"] + possible["individual"])
    assert answer.entities == (certain["entity"], certain["entity"] + possible["entity"])
    assert answer.uncertain == sum(possible.values()) > 0
    assert [v.generated_date for v in answer.versions] == ["2020-03-20", "2024-09-21"]


async def test_one_regime_range_matches_the_files(loaded_core: Core) -> None:
    answer = await loaded_core.history.count_as_of(D("2019-06-01"), "Iraq")
    certain, possible = independent_count("2019-06-01", "2017-07-03", "2020-03-20", "Iraq")
    assert answer.individuals == (certain["individual"], certain["individual"] + possible["individual"])
    assert answer.entities == (certain["entity"], certain["entity"] + possible["entity"])
    assert [r.regime for r in answer.rows] == ["Iraq"]


async def test_after_the_latest_version_the_latest_answers(loaded_core: Core) -> None:
    answer = await loaded_core.history.count_as_of(D("2025-03-01"), "DPRK")
    assert answer.method == "latest"
    assert (answer.individuals, answer.entities) == ((80, 80), (75, 75))
    assert [v.generated_date for v in answer.versions] == ["2024-09-26"]


async def test_before_the_first_version_is_an_estimate(loaded_core: Core) -> None:
    answer = await loaded_core.history.count_as_of(D("2010-01-01"), "DPRK")
    assert answer.method == "estimate" and not answer.exact
    first = listed("2017-06-20")
    expected = Counter(k for k, r, on in first.values() if r == "DPRK" and on <= "2010-01-01")
    assert answer.individuals[0] == expected["individual"] and answer.entities[0] == expected["entity"]
    assert [v.generated_date for v in answer.versions] == ["2017-06-20"]


async def test_dates_before_a_regime_began_are_refused(loaded_core: Core) -> None:
    with pytest.raises(InvalidOption) as caught:
        await loaded_core.history.count_as_of(D("2006-10-13"), "DPRK")
    assert "2006-10-14" in caught.value.message and "1718" in caught.value.message
    answer = await loaded_core.history.count_as_of(D("2006-10-14"), "DPRK")
    assert answer.individuals == (0, 0) and answer.entities == (0, 0)
    with pytest.raises(InvalidOption):
        await loaded_core.history.count_as_of(D("1980-01-01"), None)


async def test_regimes_of_older_versions_resolve(loaded_core: Core) -> None:
    assert await loaded_core.history.resolve_any_regime("iran") == "Iran"
    assert await loaded_core.history.resolve_any_regime("north korea") == "DPRK"
    assert await loaded_core.history.resolve_any_regime("  ") is None
    with pytest.raises(UnknownRegime):
        await loaded_core.history.resolve_any_regime("Narnia")
    answer = await loaded_core.history.count_as_of(D("2018-01-01"), "Iran")
    assert sum(answer.individuals) + sum(answer.entities) > 0


async def test_empty_store(core: Core) -> None:
    with pytest.raises(ListNotLoaded):
        await core.history.count_as_of(D("2018-05-02"), None)
    with pytest.raises(ListNotLoaded):
        await core.history.changes(None, None)


# --- changes ------------------------------------------------------------------------------------------------


async def test_changes_are_grouped_by_version_newest_first(loaded_core: Core) -> None:
    answer = await loaded_core.history.changes(None, None)
    assert [g.version.generated_date for g in answer.groups] == [
        "2024-09-26",
        "2024-09-21",
        "2020-03-20",
        "2017-07-03",
    ]
    assert [g.previous.generated_date for g in answer.groups] == [
        "2024-09-21",
        "2020-03-20",
        "2017-07-03",
        "2017-06-20",
    ]
    for group in answer.groups:
        kinds = Counter(c.change for c in group.changes)
        assert (kinds["added"], kinds["removed"], kinds["amended"]) == (
            group.version.added,
            group.version.removed,
            group.version.amended,
        )
    old, new = listed("2020-03-20"), listed("2024-09-21")
    group = answer.groups[1]
    assert {c.reference for c in group.changes if c.change == "removed"} == old.keys() - new.keys()
    assert {c.reference for c in group.changes if c.change == "added"} == new.keys() - old.keys()
    assert answer.baseline.generated_date == "2017-06-20"


async def test_changes_since_and_by_regime(loaded_core: Core) -> None:
    since = await loaded_core.history.changes(D("2020-03-20"), None)
    assert [g.version.generated_date for g in since.groups] == ["2024-09-26", "2024-09-21"]
    dprk = await loaded_core.history.changes(None, "DPRK")
    assert {c.regime for g in dprk.groups for c in g.changes} == {"DPRK"}
    none = await loaded_core.history.changes(D("2024-09-26"), None)
    assert none.groups == []


# --- one entry ----------------------------------------------------------------------------------------------


async def test_entry_history(loaded_core: Core) -> None:
    record = await loaded_core.history.entry("KPi.033")
    assert record.current and record.entry.name == "RI WON HO"
    assert [(e.version.generated_date, e.what) for e in record.events] == [("2017-06-20", "first seen")]
    assert record.info is not None and record.info.committee.endswith("resolution 1718 (2006)")
    qdi = await loaded_core.history.entry("QDi.001")
    amended = [e for e in qdi.events if e.what == "amended"]
    assert [e.version.generated_date for e in amended] == ["2020-03-20", "2024-09-21"]
    assert "comments" in amended[-1].fields


async def test_removed_entry_keeps_its_last_record(loaded_core: Core) -> None:
    record = await loaded_core.history.entry("IQe.003")
    assert not record.current
    assert record.last_seen.generated_date == "2020-03-20"
    assert record.events[-1].what == "removed" and record.events[-1].version.generated_date == "2024-09-21"
    assert record.entry.name == "RAFIDAIN BANK"


async def test_entry_added_after_the_first_version(loaded_core: Core) -> None:
    record = await loaded_core.history.entry("HTi.001")
    first = record.events[0]
    assert (first.version.generated_date, first.what) == ("2024-09-21", "added")


async def test_unknown_entry(loaded_core: Core) -> None:
    with pytest.raises(UnknownReference):
        await loaded_core.history.entry("KPi.999")


# --- timeline and regimes -----------------------------------------------------------------------------------


async def test_timeline_counts_the_latest_list_by_year(loaded_core: Core) -> None:
    latest = listed("2024-09-26")
    dprk = await loaded_core.history.timeline("DPRK")
    assert sum(dprk.individuals) == 80 and sum(dprk.entities) == 75
    assert dprk.years == list(range(2009, 2019))
    expected = Counter((on[:4], k) for k, r, on in latest.values() if r == "DPRK")
    assert dprk.entities[dprk.years.index(2018)] == expected[("2018", "entity")]
    everything = await loaded_core.history.timeline(None)
    assert sum(everything.individuals) + sum(everything.entities) == 875


async def test_regimes_overview(loaded_core: Core) -> None:
    answer = await loaded_core.history.regimes()
    rows = {r.regime: r for r in answer.rows}
    assert len(rows) == 13
    assert rows["DPRK"].prefixes == ("KPi", "KPe") and (rows["DPRK"].individuals, rows["DPRK"].entities) == (
        80,
        75,
    )
    assert rows["GB"].prefixes == ("GBi",)
    assert all(r.info is not None for r in answer.rows)  # the committee table knows every regime on the list
    assert sum(r.individuals + r.entities for r in answer.rows) == 875


async def test_history_speaks_of_the_refreshed_version_only(loaded_core: Core) -> None:
    """A version imported by another process waits for the refresh (as search and footers do)."""
    newer = consolidated([individual("KPi.001", "YUN", "HO-JIN")], [], generated="2025-01-01T00:00:00Z")
    await loaded_core.importer.import_bytes(newer, "newer.xml", force=True)
    versions = await loaded_core.history.versions()
    assert versions[-1].generated_date == "2024-09-26"
    assert (await loaded_core.history.entry("KPi.033")).current
    await loaded_core.after_import()
    removed = await loaded_core.history.entry("KPi.033")
    assert not removed.current and removed.events[-1].what == "removed"
    versions = await loaded_core.history.versions()
    assert versions[-1].generated_date == "2025-01-01"
    assert loaded_core.search.index is not None
    assert loaded_core.search.index.version.generated_date == "2025-01-01"
