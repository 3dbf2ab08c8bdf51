"""PostgreSQL: a version imported by one process reaches the others at once (LISTEN/NOTIFY), not at the next poll."""

from __future__ import annotations

import asyncio

import pytest

from bot.clock import ManualClock
from bot.core import open_core
from bot.settings import Settings
from tests.shared_files import un_list


@pytest.mark.parametrize("engine", ["postgresql"])
async def test_a_version_imported_elsewhere_reaches_a_follower_at_once(
    engine: str, settings: Settings, clock: ManualClock
) -> None:
    async with open_core(settings, clock=clock) as follower, open_core(settings, clock=clock) as importer:
        listening = asyncio.Event()
        following = asyncio.create_task(follower.follow_versions(listening))
        try:
            await asyncio.wait_for(listening.wait(), 10)
            assert follower.lists.version is None
            result = await importer.importer.import_bytes(un_list("2020-03-20").read_bytes(), "other-host.xml")
            assert result.version is not None
            for _ in range(100):  # up to 5 s; the poll it replaces waits 30 s (5 min on PostgreSQL)
                if follower.lists.version is not None:
                    break
                await asyncio.sleep(0.05)
            assert follower.lists.version is not None and follower.lists.version.id == result.version.id
        finally:
            following.cancel()
            await asyncio.gather(following, return_exceptions=True)
