"""Processes sharing one store fetch each due feed once per interval, not once each (both engines)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.core import open_core
from bot.settings import Settings
from tests.fixtures.digest import GUILD, isolate
from tests.fixtures.feed_server import FeedServer, run_feed_server


@pytest.fixture
async def feed_server() -> AsyncIterator[FeedServer]:
    async with run_feed_server() as server:
        yield server


async def test_two_processes_polling_at_once_fetch_each_feed_once(
    settings: Settings, clock: ManualClock, feed_server: FeedServer, tmp_path: Path
) -> None:
    # Two cores on the same store: what two `sanctionsbot run` processes on two hosts share.
    async with open_core(settings, clock=clock) as one, open_core(settings, clock=clock) as two:
        for core in (one, two):
            isolate(core, feed_server)
        await one.feeds.ensure_guild(GUILD)  # three local default feeds, due now
        await two.feeds.ensure_guild(GUILD + 1)  # the same three, followed by another server
        first, second = await asyncio.gather(one.feeds.poller.poll_due(), two.feeds.poller.poll_due())
        assert sorted(o.url for o in first + second) == sorted({o.url for o in first + second})
        assert len(first) + len(second) == 3
        assert sum(feed_server.hits.values()) == 3
        # Nothing is due again until the interval has passed, for either of them.
        assert await one.feeds.poller.poll_due() == [] and await two.feeds.poller.poll_due() == []
        clock.advance(minutes=15)
        first, second = await asyncio.gather(two.feeds.poller.poll_due(), one.feeds.poller.poll_due())
        assert len(first) + len(second) == 3
        assert sum(feed_server.hits.values()) == 6
