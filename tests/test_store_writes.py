"""tests/store_writes.py sees every write another connection makes, and nothing else, on both engines."""

from __future__ import annotations

from bot.core import Core
from bot.settings import Settings
from bot.store import guilds
from tests.store_writes import write_marker


async def test_the_marker_moves_on_a_write_and_only_then(core: Core, settings: Settings) -> None:
    async with write_marker(settings) as marker:
        first = await marker()
        assert await guilds.departed(core.db) == {}  # a read
        assert await marker() == first
        assert await guilds.mark_departed(core.db, 5, "2026-11-26T12:00:00+00:00")  # an insert
        second = await marker()
        assert second != first
        assert not await guilds.mark_departed(core.db, 5, "2026-11-27T12:00:00+00:00")  # a write that changes nothing
        assert await marker() == second
        assert await guilds.mark_departed(core.db, 6, "2026-11-27T12:00:00+00:00")
        third = await marker()
        assert await guilds.mark_returned(core.db, 5)  # a delete
        assert await marker() not in (first, second, third)
