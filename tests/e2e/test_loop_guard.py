"""Background loops survive any exception (issue 11, item 5): the real bot with its loops, a local list server.

A StoreUnavailable and then an IntegrityError are injected into the scheduled list sync. Before the guard the first
one ended the loop for good (discord.ext.tasks stops on an unhandled exception) and the list was never synced
again. Now each failure is logged with a reference, shown in /about, the loop backs off (jittered) and goes on.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import sqlite3
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from aiohttp import web

from bot.clock import ManualClock
from bot.core import open_core
from bot.errors import StoreUnavailable
from bot.services.importer import ImportResult
from bot.settings import Settings
from tests.e2e.conftest import ALICE, start_e2e
from tests.shared_files import un_list

pytestmark = pytest.mark.both_engines


class Ceiling:
    """A random source that always draws the top of the range: the backoff's longest wait, deterministically."""

    def uniform(self, a: float, b: float, /) -> float:
        return b


@pytest.fixture
async def list_url() -> AsyncIterator[str]:
    body = un_list("2024-09-26").read_bytes()

    async def handle(_request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="application/xml")

    app = web.Application()
    app.router.add_get("/consolidated.xml", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}/consolidated.xml"
    await runner.cleanup()


async def test_list_sync_loop_survives_store_and_integrity_errors(
    settings: Settings,
    clock: ManualClock,
    list_url: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = dataclasses.replace(settings, sync_interval_minutes=60, un_list_url=list_url)
    # What each engine's driver raises when two imports of one list race for its unique sha256.
    raced: BaseException = (
        sqlite3.IntegrityError("UNIQUE constraint failed: list_versions.sha256")
        if settings.database_url is None
        else asyncpg.UniqueViolationError('duplicate key value violates unique constraint "list_versions_sha256_key"')
    )
    faults: list[BaseException] = [StoreUnavailable("cannot write to the database: database is locked"), raced]
    hits: list[str] = []
    caplog.set_level(logging.INFO, logger="bot")
    async with open_core(settings, clock=clock) as core:
        real_import = core.importer.import_bytes

        async def faulty_import(data: bytes, source: str, *, force: bool = False) -> ImportResult:
            if faults:
                fault = faults.pop(0)
                hits.append(type(fault).__name__)
                raise fault
            return await real_import(data, source, force=force)

        # Injected where the sync writes the list: the loop sees exactly what a locked or raced database raises.
        # Everything else (HTTP, parsing, the import once the faults are spent, the store) is real.
        monkeypatch.setattr(core.importer, "import_bytes", faulty_import)
        now = [1000.0]
        core.loops.monotonic = lambda: now[0]
        core.loops.rng = Ceiling()
        async for env in start_e2e(core):
            cog: Any = env.bot.get_cog("ListSyncCog")
            await env.fake.wait_until(lambda: hits == ["StoreUnavailable"], 10, "the first injected fault")
            cog.sync_loop.change_interval(seconds=0.05)  # a pass every 50 ms from now on
            await asyncio.sleep(0.3)  # several loop periods: the loop backs off instead of retrying at once
            assert hits == ["StoreUnavailable"]
            assert cog.sync_loop.is_running() and not cog.sync_loop.failed()
            state = core.loops.state("list sync")
            assert state.failures == 1 and state.last_reference
            first_reference = state.last_reference
            about = json.dumps((await env.fake.invoke("about", {}, user_id=ALICE)).data)
            assert "list sync: failing (1 in a row, reference " + first_reference in about

            now[0] += 60.0  # the first backoff (its ceiling: the 60 s base) is over
            await env.fake.wait_until(lambda: len(hits) == 2, 10, "the second injected fault")
            await asyncio.sleep(0.3)
            assert cog.sync_loop.is_running()
            assert state.failures == 2 and state.last_reference != first_reference
            assert state.last_error and state.last_error.startswith(type(raced).__name__)

            now[0] += 120.0  # the second backoff: up to 2 × 60 s
            await env.fake.wait_until(lambda: core.lists.version is not None, 20, "the list synced after faults")
            await env.fake.wait_until(lambda: not core.loops.state("list sync").failing, 10, "the loop's recovery")
            assert cog.sync_loop.is_running()
            about = json.dumps((await env.fake.invoke("about", {}, user_id=ALICE)).data)
            assert "Background jobs" not in about and "list sync" not in about
    logged = [r for r in caplog.records if r.getMessage().startswith("background loop failed loop=list sync")]
    assert len(logged) == 2 and all(r.exc_info for r in logged)
    assert f"reference={first_reference}" in logged[0].getMessage()
