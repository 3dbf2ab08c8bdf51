"""The search index: built at most once per list version, kept on disk per version, large lists built in a child
process; and knowledge loaded once, seen as loaded only when it is."""

from __future__ import annotations

import asyncio
import threading
import weakref
from pathlib import Path

import pytest

from bot.clock import Clock
from bot.core import Core, open_core
from bot.memory import wait_released
from bot.services import search_cache
from bot.services.search_index import SearchIndex
from bot.settings import Settings
from tests.shared_files import un_list


async def test_answers_during_a_build_wait_for_it_instead_of_building_again(
    loaded_settings: Settings, clock: Clock
) -> None:
    async with open_core(loaded_settings, clock=clock, eager=False, writable=False) as core:
        service = core.search
        version = core.lists.require_version()
        # The list's listener builds (as after an import) while three answers ask for the same version.
        build = asyncio.ensure_future(service.rebuild(version))
        await asyncio.sleep(0)
        answers = await asyncio.gather(core.ready_search(), core.ready_search(), core.ready_search())
        index = await build
        assert all(a.index is index for a in answers)
        assert service.builds == 1


async def test_an_explicit_rebuild_of_the_same_version_builds_anew(loaded_core: Core) -> None:
    version = loaded_core.lists.require_version()
    old = loaded_core.search.index
    before = loaded_core.search.builds
    new = await loaded_core.search.rebuild(version)
    assert new is not old and loaded_core.search.builds == before + 1
    assert (await loaded_core.ready_search()).index is new  # and an answer then reuses it
    assert loaded_core.search.builds == before + 1


async def test_a_second_start_loads_the_index_of_its_version_from_disk(loaded_settings: Settings, clock: Clock) -> None:
    async with open_core(loaded_settings, clock=clock) as first:
        built = first.search.require_index()
        assert (first.search.builds, first.search.loads) == (1, 0)
    async with open_core(loaded_settings, clock=clock) as second:
        loaded = second.search.require_index()
        assert (second.search.builds, second.search.loads) == (0, 1)
        assert loaded.version == built.version and loaded.name_text == built.name_text
        for query in ("Ri Won Ho", "KOMID", "kim jong", "리원호", "IMO 9113757", "Abu Mohammed al-Jawlani"):
            assert loaded.search(query) == built.search(query), query
        assert loaded.name_choices("Ri Wo") == built.name_choices("Ri Wo")
        assert loaded.reference_choices("kpi.0") == built.reference_choices("kpi.0")
        assert second.search.resolve_reference("iqe.003") == "IQe.003"


async def test_an_import_makes_a_new_cache_file_and_drops_the_old(core: Core, settings: Settings) -> None:
    await core.importer.import_bytes(un_list("2024-09-21").read_bytes(), "a.xml")
    await core.after_import()
    folder = search_cache.cache_dir_for(settings.store_location())
    first = sorted(folder.glob("*search-*.pickle"))
    assert len(first) == 1
    await core.importer.import_bytes(un_list("2024-09-26").read_bytes(), "b.xml")
    await core.after_import()
    second = sorted(folder.glob("*search-*.pickle"))
    assert len(second) == 1 and second != first


async def test_a_damaged_cache_file_is_rebuilt(loaded_settings: Settings, clock: Clock) -> None:
    async with open_core(loaded_settings, clock=clock) as first:
        del first
    folder = search_cache.cache_dir_for(loaded_settings.store_location())
    (cached,) = folder.glob("*search-*.pickle")
    cached.write_bytes(cached.read_bytes()[:1000])
    async with open_core(loaded_settings, clock=clock) as second:
        assert (second.search.builds, second.search.loads) == (1, 0)
        assert second.search.search("Ri Won Ho").hits[0].reference.startswith("KP")


async def test_a_large_list_is_built_in_a_child_process(loaded_settings: Settings, clock: Clock) -> None:
    async with open_core(loaded_settings, clock=clock, eager=False) as core:
        in_process = core.search
        in_process.process_entries = 10**9
        version = core.lists.require_version()
        reference = await in_process.rebuild(version)
        in_process.process_entries = 0  # the shared list counts as large here
        child = await in_process.rebuild(version)
        assert child is not reference
        assert child.name_text == reference.name_text
        assert child.search("Ri Won Ho") == reference.search("Ri Won Ho")
        assert list(Path(loaded_settings.database_path).parent.glob("*.tmp")) == []


async def test_knowledge_is_not_seen_as_loaded_before_its_load_ends(settings: Settings, clock: Clock) -> None:
    async with open_core(settings, clock=clock, eager=False) as core:  # the terminal: knowledge loaded on first use
        first = asyncio.ensure_future(core.ready_knowledge())
        await asyncio.sleep(0)  # the first caller is inside the load
        await core.ready_knowledge()
        assert first.done()  # the second caller waited for the load instead of answering from an unloaded store
        await first


async def test_a_large_list_without_an_index_on_disk_is_built_while_the_bot_connects(
    loaded_settings: Settings, clock: Clock
) -> None:
    async with open_core(loaded_settings, clock=clock, eager=False) as core:
        core.search.process_entries = 0  # the shared list counts as large here
        await core.prepare_search()
        assert core.search.index is None  # start-up goes on; the build runs in a child process
        index = (await core.ready_search()).require_index()  # the first search waits for that build
        assert index.search("Ri Won Ho")[0].reference.startswith("KP")
        assert (core.search.builds, core.search.loads) == (1, 0)
    async with open_core(loaded_settings, clock=clock, eager=False) as again:
        again.search.process_entries = 0
        await again.prepare_search()
        assert again.search.index is not None  # on disk now: loaded before the bot connects
        assert (again.search.builds, again.search.loads) == (0, 1)


async def test_the_bot_starts_without_waiting_for_the_index_of_a_large_list(
    loaded_settings: Settings, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The eager start-up (the bot's) of a large list with no index on disk: the list's first refresh and
    prepare_search both leave the build in the background; the first search waits for it."""
    monkeypatch.setattr(search_cache, "PROCESS_ENTRIES", 0)  # the shared list counts as large here
    async with open_core(loaded_settings, clock=clock) as core:
        assert core.search.index is None
        assert (await core.ready_search()).search("Ri Won Ho").hits[0].reference.startswith("KP")
        assert core.search.builds == 1


async def test_closing_during_a_background_build_ends_it(loaded_settings: Settings, clock: Clock) -> None:
    async with open_core(loaded_settings, clock=clock, eager=False) as core:
        core.search.process_entries = 0
        await core.prepare_search()
        await asyncio.sleep(0.2)  # the child process has started
    folder = search_cache.cache_dir_for(loaded_settings.store_location())
    assert list(folder.glob("*.tmp")) == []
    assert list(folder.glob("*search-*.pickle")) == []


async def test_suggestions_do_not_wait_for_a_large_lists_build(
    loaded_settings: Settings, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Discord drops autocomplete after 3 s: while the child process builds, suggestions offer what was typed."""
    from bot.answers import sanctions as answers
    from bot.answers.context import AnswerContext

    monkeypatch.setattr(answers, "CHOICES_WAIT_SECONDS", 0.05)
    async with open_core(loaded_settings, clock=clock, eager=False) as core:
        core.search.process_entries = 0  # the shared list counts as large here
        await core.prepare_search()
        ctx = AnswerContext(core=core)
        assert core.search.index is None  # still building in the child process
        assert await answers.complete_name(ctx, " Ri  Won\u200b") == [("Ri Won (suggestions still loading)", "Ri Won")]
        assert await answers.complete_reference(ctx, "") == []
        assert core.search.index is None  # they did not wait for it
        await core.ready_search()  # the build ends; suggestions come from the index again
        assert ("RI WON HO — KPi.033", "RI WON HO") in await answers.complete_name(ctx, "Ri Won")
        assert core.search.builds == 1


def _note_where_freed(index: SearchIndex, threads: list[int]) -> None:
    """Note the thread that frees the index's word postings (the index itself may be an empty shell by then)."""
    weakref.finalize(index.postings, lambda: threads.append(threading.get_ident()))


async def test_a_replaced_index_is_freed_off_the_event_loop_even_when_kept_choices_held_it(loaded_core: Core) -> None:
    # Kept autocomplete choices remember the index they came from; freeing a 50x index whole where that reference
    # goes (the next autocomplete, on the event loop) stalled the loop as a build never does (issue 12).
    service = loaded_core.search
    freed_in: list[int] = []
    old = service.require_index()
    _note_where_freed(old, freed_in)
    assert service.name_choices("Ri Wo")
    del old
    await service.rebuild(loaded_core.lists.require_version())
    assert service.name_choices("Ri Wo")  # the kept choices are the new index's now
    assert await asyncio.to_thread(wait_released, 10)
    assert freed_in and freed_in[0] != threading.get_ident()


async def test_an_index_still_held_when_replaced_is_freed_off_the_event_loop_when_let_go(loaded_core: Core) -> None:
    service = loaded_core.search
    freed_in: list[int] = []
    held = service.require_index()  # as an answer that awaited ready_search() holds it
    _note_where_freed(held, freed_in)
    await service.rebuild(loaded_core.lists.require_version())
    assert await asyncio.to_thread(wait_released, 10)
    assert not freed_in and held.search("Ri Won Ho")  # still whole for whoever holds it
    del held  # here, on the event loop's thread: its contents go to a background thread
    assert await asyncio.to_thread(wait_released, 10)
    assert freed_in and freed_in[0] != threading.get_ident()
