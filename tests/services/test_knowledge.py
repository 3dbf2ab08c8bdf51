"""The knowledge service: idempotent loading, reload reports, refusals that keep the store, its answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.core import Core, open_core
from bot.errors import (
    InvalidOption,
    KnowledgeError,
    KnowledgeNotLoaded,
    UnknownRegime,
    UnknownStatement,
    UnknownYear,
)
from bot.services.knowledge import KnowledgeService
from bot.services.lists import ListService
from bot.settings import Settings
from bot.store import knowledge as store
from bot.store.db import Database
from tests.knowledge_files import bundled, edited, record_block, write
from tests.store.test_knowledge import table_rows


def service_on(core: Core, directory: Path) -> KnowledgeService:
    """A second service on the same store, reading another folder (as if the files were edited on disk)."""
    return KnowledgeService(core.db, core.lists, core.clock, directory)


# --- loading ------------------------------------------------------------------------------------------------


async def test_start_up_loads_the_bundled_files(core: Core) -> None:
    stored = await store.files(core.db)
    assert sorted(f.name for f in stored) == sorted(bundled())
    assert core.knowledge.last_report is not None and core.knowledge.last_report.status == "loaded"
    assert core.knowledge.last_error is None


async def test_reloading_the_same_files_changes_nothing(core: Core, clock: ManualClock) -> None:
    before = await table_rows(core.db)
    clock.advance(days=1)
    report = await core.knowledge.load()
    assert report.status == "unchanged" and report.changes == () and report.files_changed == ()
    assert await table_rows(core.db) == before  # same rows, same rowids, same loaded_at


async def test_a_restart_on_the_same_store_changes_nothing(settings: Settings, clock: ManualClock) -> None:
    async with open_core(settings, clock=clock) as first:
        before = await table_rows(first.db)
    clock.advance(hours=5)
    async with open_core(settings, clock=clock) as second:
        assert second.knowledge.last_report is not None and second.knowledge.last_report.status == "unchanged"
        assert await table_rows(second.db) == before


async def test_reload_reports_what_changed(core: Core, tmp_path: Path) -> None:
    files = edited(
        "statements.toml",
        'summary = "The U.S. Mission said the quotes',
        'summary = "The U.S. Mission said that the quotes',
    )
    text = files["statements.toml"].decode() + (
        '\n[[quotes]]\nstatement = "dprk-mission-denial"\ntext = "a new quote"\nsource = "voa-2018-05-02"\n'
    )
    files["statements.toml"] = text.encode()
    chair_2008 = record_block("chairs.toml", "chairs", 3)
    files["chairs.toml"] = files["chairs.toml"].decode().replace(chair_2008, "").encode()
    service = service_on(core, write(tmp_path / "data", files))
    report = await service.load()
    assert report.status == "updated"
    assert report.files_changed == ("chairs.toml", "statements.toml")
    changes = {c.kind: c for c in report.changes}
    assert set(changes) == {"chairs", "statements", "quotes"}
    assert changes["chairs"].removed == ("2008",)
    assert changes["statements"].changed == ("us-mission-rebuttal",)
    assert changes["quotes"].added == ("dprk-mission-denial: a new quote",)
    assert await store.chair(core.db, 2008) is None
    # And again: nothing more to do.
    assert (await service.load()).status == "unchanged"


async def test_a_comment_only_edit_is_loaded_but_changes_no_record(core: Core, tmp_path: Path) -> None:
    files = bundled()
    files["panel.toml"] = files["panel.toml"] + b"\n# a new comment\n"
    report = await service_on(core, write(tmp_path / "data", files)).load()
    assert report.status == "updated" and report.files_changed == ("panel.toml",) and report.changes == ()


async def test_a_broken_file_is_refused_and_the_store_keeps_its_data(core: Core, tmp_path: Path) -> None:
    before = await table_rows(core.db)
    files = edited("statements.toml", 'statement = "us-mission-rebuttal"\n', 'statement = "nobody"\n')
    service = service_on(core, write(tmp_path / "data", files))
    with pytest.raises(KnowledgeError, match=r"^statements\.toml: \[\[quotes\]\] #8 .*unknown statement 'nobody'"):
        await service.load()
    assert await table_rows(core.db) == before
    assert service.last_error is not None and "unknown statement 'nobody'" in service.last_error
    ((name, text),) = await service.about_lines()
    assert name == "Knowledge files" and "Last load refused: statements.toml" in text


async def test_a_broken_file_at_start_up_does_not_stop_the_bot(
    tmp_path: Path, clock: ManualClock, store_location: Path | str
) -> None:
    files = edited("council.toml", 'members = ["Italy"]', 'members = ["Italy", "Brazil"]')
    async with await Database.open(store_location) as db:
        service = KnowledgeService(db, ListService(db), clock, write(tmp_path / "data", files))
        assert await service.load_at_startup() is None
        assert service.last_error is not None and service.last_error.startswith("council.toml: year 2017")
        with pytest.raises(KnowledgeNotLoaded, match=r"Last load failed: council\.toml: year 2017"):
            await service.members(2017)


# --- answers ------------------------------------------------------------------------------------------------


async def test_members_of_2018(core: Core) -> None:
    answer = await core.knowledge.members(2018)
    assert [s.member for s in answer.permanent] == [
        "China",
        "France",
        "Russian Federation",
        "United Kingdom",
        "United States",
    ]
    assert len(answer.elected) == 10 and "Netherlands" in {s.member for s in answer.elected}
    assert answer.chair is not None and answer.chair.person == "Karel J.G. van Oosterom" and answer.chair.confirmed
    assert answer.vice_chairs is None


async def test_members_of_2026_with_the_unconfirmed_chair(core: Core) -> None:
    answer = await core.knowledge.members(2026)
    assert {s.member for s in answer.elected} == {
        "Bahrain",
        "Colombia",
        "Democratic Republic of the Congo",
        "Denmark",
        "Greece",
        "Latvia",
        "Liberia",
        "Pakistan",
        "Panama",
        "Somalia",
    }
    assert answer.chair is not None and not answer.chair.confirmed


@pytest.mark.parametrize("year", [1990, 2005, 2027, 3000, 0, -5, 10**12])
async def test_unknown_years_say_which_are_known(core: Core, year: int) -> None:
    if year < 2006:  # before the Committee existed: said so, with its establishment date
        with pytest.raises(InvalidOption) as before:
            await core.knowledge.members(year)
        assert "established on 14 October 2006" in before.value.message and "2006–2026" in before.value.message
        return
    with pytest.raises(UnknownYear) as info:
        await core.knowledge.members(year)
    assert "the known years are 2006–2026" in info.value.message


@pytest.mark.parametrize(
    ("text", "regime"),
    [
        (None, "DPRK"),
        ("DPRK", "DPRK"),
        ("dprk", "DPRK"),
        ("North Korea", "DPRK"),
        ("1718", "DPRK"),
        ("al-qaeda", "Al-Qaida"),
        ("1267", "Al-Qaida"),
        ("ISIL", "Al-Qaida"),
        ("south sudan", "SouthSudan"),
        ("Al-Shabaab", "Somalia"),
        ("751", "Somalia"),
        ("1636", "Lebanon"),
        ("guinea bissau", "GB"),
        ("Mali", "Mali"),
    ],
)
async def test_regimes_by_any_name(core: Core, text: str | None, regime: str) -> None:
    assert (await core.knowledge.resolve_regime(text)).id == regime


async def test_unknown_regimes_get_suggestions_or_the_known_list(core: Core) -> None:
    with pytest.raises(UnknownRegime) as info:
        await core.knowledge.resolve_regime("Talibn")
    assert info.value.suggestions[0] == "Taliban"
    with pytest.raises(UnknownRegime) as info:
        await core.knowledge.resolve_regime("Narnia")
    assert "DPRK" in info.value.message and "Iran" in info.value.message


async def test_committee_info_counts_are_those_of_sanctions_count(loaded_core: Core) -> None:
    info = await loaded_core.knowledge.committee_info(None, 2026)
    count = loaded_core.lists.counts("DPRK")
    assert info.counts is not None
    assert (info.counts.individuals, info.counts.entities) == (count.individuals, count.entities) == (80, 75)
    assert info.version is not None and info.version.generated_date == "2024-09-26"
    assert info.chair is not None and info.chair.year == 2026
    mali = await loaded_core.knowledge.committee_info("Mali", 2026)
    assert mali.counts is None and mali.chair is None  # no Mali entries on the 2024-09-26 list


async def test_committee_info_without_a_list(core: Core) -> None:
    info = await core.knowledge.committee_info("DPRK", 2026)
    assert info.counts is None and info.version is None and info.panel is not None


async def test_the_denial_and_its_answers(core: Core) -> None:
    answer = await core.knowledge.denial()
    assert answer.statement.id == "dprk-mission-denial" and answer.statement.date == "2018-05-02"
    assert [s.id for s in answer.responds_to] == ["us-remarks-as-reported"]
    assert [s.id for s, _q in answer.responses] == ["us-mission-rebuttal", "diplomats-account"]
    assert [s.id for s, _q in answer.evidence] == ["panel-hacking-finding"]
    assert answer.publication.date_derived


async def test_unknown_statement_ids_get_suggestions(core: Core) -> None:
    with pytest.raises(UnknownStatement) as info:
        await core.knowledge.statement("denial")
    assert info.value.suggestions[0] == "dprk-mission-denial"
    with pytest.raises(UnknownStatement) as info:
        await core.knowledge.statement("   ")
    assert "`/statement list`" in info.value.message
    assert (await core.knowledge.statement(" DPRK-Mission-Denial ")).statement.id == "dprk-mission-denial"


async def test_quote_search_limits(core: Core) -> None:
    with pytest.raises(InvalidOption, match="at most 200"):
        await core.knowledge.search_quotes("x" * 201)
    with pytest.raises(InvalidOption, match="at least one word"):
        await core.knowledge.search_quotes('* " NEAR ( )'.replace("NEAR", ""))
    answer = await core.knowledge.search_quotes("entirely false")
    assert answer.total == 1 and answer.hits[0].statement.id == "us-mission-rebuttal"


async def test_core_reload_moves_the_knowledge_revision_only_when_files_changed(core: Core, tmp_path: Path) -> None:
    revision = core.knowledge_revision
    assert (await core.reload_knowledge()).status == "unchanged"
    assert core.knowledge_revision == revision
    changed = edited(
        "chairs.toml",
        'person = "Mona Juul"\ncountry = "Norway"\nsources = [\n    "Norway\'s UN mission',
        'person = "Mona Juul"\ncountry = "Norway"\nnote = "edited"\nsources = [\n    "Norway\'s UN mission',
    )
    core.knowledge.directory = write(tmp_path / "changed", changed)
    assert (await core.reload_knowledge()).status != "unchanged"
    assert core.knowledge_revision == revision + 1
    broken = edited("council.toml", 'members = ["Italy"]', 'members = ["Italy", "Brazil"]')  # 16 members
    core.knowledge.directory = write(tmp_path / "broken", broken)
    with pytest.raises(KnowledgeError):
        await core.reload_knowledge()
    assert core.knowledge_revision == revision + 1
