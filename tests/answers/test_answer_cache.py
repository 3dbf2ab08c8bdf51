"""Answers are kept per list version and knowledge revision: the same question is not worked out twice, and a
new version, a knowledge reload, a new day or other options give a fresh answer."""

from __future__ import annotations

import asyncio

import pytest

from bot.answers import about, committee, sanctions, statement
from bot.answers.admin import reload_knowledge
from bot.answers.cache import MAX_CACHED
from bot.answers.context import AnswerContext
from bot.clock import ManualClock
from bot.core import Core
from bot.store import lists as store
from tests.answers.payloads import text_of
from tests.fixtures.lists import consolidated, individual


async def test_a_repeated_question_is_answered_from_the_cache(loaded_core: Core) -> None:
    ctx = AnswerContext(core=loaded_core)
    first = await sanctions.count(ctx, regime="DPRK", as_of="2018-05-02")
    again = await sanctions.count(ctx, regime="DPRK", as_of="2018-05-02")
    assert again is first
    other = await sanctions.count(ctx, regime="DPRK", as_of="2017-07-03")
    assert other is not first and text_of(other) != text_of(first)
    for fn in (sanctions.changes, sanctions.regimes, committee.resolutions, statement.denial, about.help_):
        size = len(loaded_core.answer_cache)
        first_text = text_of(await fn(ctx))
        assert len(loaded_core.answer_cache) == size + 1
        assert text_of(await fn(ctx)) == first_text
        assert len(loaded_core.answer_cache) == size + 1  # the second came from the cache


async def test_the_freshness_warning_is_not_kept_with_the_answer(loaded_core: Core, clock: ManualClock) -> None:
    """The list is 26 months old on the test clock: the warning is on every copy, and goes once a sync succeeds."""
    ctx = AnswerContext(core=loaded_core)
    stale = await sanctions.changes(ctx, regime="DPRK")
    assert "Possibly out of date" in (stale.first.content or "")
    await store.record_sync(loaded_core.db, attempt_at=clock.now().isoformat(timespec="seconds"), ok=True)
    loaded_core.lists.forget_sync_status()  # as the sync service does after recording
    fresh = await sanctions.changes(ctx, regime="DPRK")
    assert not fresh.first.content
    assert fresh.first.embeds[0].to_dict() == stale.first.embeds[0].to_dict()  # the same kept answer


async def test_a_new_version_gives_new_answers(loaded_core: Core) -> None:
    ctx = AnswerContext(core=loaded_core)
    before = text_of(await sanctions.count(ctx, regime="DPRK"))
    newer = consolidated([individual("KPi.001", "YUN", "HO-JIN")], [], generated="2025-01-01T00:00:00Z")
    await loaded_core.importer.import_bytes(newer, "newer.xml", force=True)
    # This process has not seen the version yet: the same answer.
    assert text_of(await sanctions.count(ctx, regime="DPRK")) == before
    await loaded_core.after_import()
    after = text_of(await sanctions.count(ctx, regime="DPRK"))
    assert "2024-09-26" in before and "80 individuals" in before
    assert "2025-01-01" in after and "1 individual" in after


async def test_a_knowledge_reload_that_changes_files_gives_new_answers(loaded_core: Core) -> None:
    owner = AnswerContext(core=loaded_core, is_owner=True)
    await committee.resolutions(owner)
    size = len(loaded_core.answer_cache)
    await reload_knowledge(owner)  # unchanged files: answers stay
    await committee.resolutions(owner)
    assert len(loaded_core.answer_cache) == size
    loaded_core.knowledge_revision += 1  # what a reload that changed a file does
    await committee.resolutions(owner)
    assert len(loaded_core.answer_cache) == size + 1


async def test_the_day_is_part_of_the_key(loaded_core: Core, clock: ManualClock) -> None:
    ctx = AnswerContext(core=loaded_core)
    await committee.members(ctx)
    size = len(loaded_core.answer_cache)
    clock.advance(days=1)
    await committee.members(ctx)
    assert len(loaded_core.answer_cache) == size + 1


async def test_the_cache_is_bounded(loaded_core: Core) -> None:
    ctx = AnswerContext(core=loaded_core)
    for n in range(MAX_CACHED + 20):
        await sanctions.count(ctx, regime="DPRK", as_of=f"{2018 + n // 365}-01-01" if n % 2 else None)
        await statement.quotes(ctx, search=f"sanction {n}")
    assert len(loaded_core.answer_cache) <= MAX_CACHED


async def test_a_question_asked_many_times_at_once_is_worked_out_once(
    loaded_core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = AnswerContext(core=loaded_core)
    history = loaded_core.history
    original = history.count_as_of
    calls = []

    async def slow_count(*args: object, **kwargs: object) -> object:
        calls.append(args)
        await asyncio.sleep(0.05)  # long enough for every other copy of the question to arrive meanwhile
        return await original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(history, "count_as_of", slow_count)
    replies = await asyncio.gather(*(sanctions.count(ctx, regime="DPRK", as_of="2018-05-02") for _ in range(10)))
    assert len(calls) == 1
    assert len({text_of(r) for r in replies}) == 1 and not loaded_core.answer_pending


async def test_a_failure_is_not_shared_by_those_who_waited(loaded_core: Core, monkeypatch: pytest.MonkeyPatch) -> None:
    """Errors are not kept: each copy of a failing question is worked out (and refused) on its own."""
    ctx = AnswerContext(core=loaded_core)
    history = loaded_core.history
    original = history.count_as_of
    calls = []

    async def failing_first(*args: object, **kwargs: object) -> object:
        calls.append(args)
        await asyncio.sleep(0.05)
        if len(calls) == 1:
            raise RuntimeError("the store went away")
        return await original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(history, "count_as_of", failing_first)
    outcomes = await asyncio.gather(
        *(sanctions.count(ctx, regime="DPRK", as_of="2018-05-02") for _ in range(3)), return_exceptions=True
    )
    assert isinstance(outcomes[0], RuntimeError)
    assert all(not isinstance(o, BaseException) for o in outcomes[1:])
    assert len(calls) >= 2 and not loaded_core.answer_pending
