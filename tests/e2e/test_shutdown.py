"""Graceful shutdown: no new work, answers in progress finish, loops stop, then the client closes."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from discord import app_commands

from bot.app import SanctionsBot
from bot.core import Core
from tests.discord_fake.harness import running_bot
from tests.e2e.conftest import ALICE, BOB, new_fake

pytestmark = pytest.mark.both_engines

EPHEMERAL = 1 << 6


def _command(bot: SanctionsBot, path: str) -> app_commands.Command[Any, Any, Any]:
    node: Any = None
    items = list(bot.tree.get_commands())
    for word in path.split():
        node = next(c for c in items if c.name == word)
        items = list(node.commands) if isinstance(node, app_commands.Group) else []
    return node


async def test_shutdown_finishes_answers_in_progress_and_refuses_new_ones(loaded_core: Core) -> None:
    fake = new_fake()
    await fake.start()
    try:
        bot = SanctionsBot(loaded_core, guild_ready_timeout=0.05)
        async with running_bot(fake, bot, token="dummy.token.for-tests-only"):
            command = _command(bot, "sanctions count")
            original = command.extras["answer"]
            entered, release = asyncio.Event(), asyncio.Event()

            async def slow(ctx: Any, **options: Any) -> Any:
                entered.set()
                await release.wait()
                return await original(ctx, **options)

            command.extras["answer"] = slow
            in_progress = asyncio.create_task(fake.invoke("sanctions count", {"regime": "DPRK"}, user_id=ALICE))
            await asyncio.wait_for(entered.wait(), 5)
            assert bot.in_flight >= 1  # this answer (a digest pass may be running too)
            closing = asyncio.create_task(bot.shutdown(grace=10))
            await asyncio.sleep(0.05)
            assert not closing.done()  # waiting for the answer in progress
            refused = await fake.invoke("about", {}, user_id=BOB)
            assert refused.data["flags"] & EPHEMERAL and "restarting" in str(refused.data)
            release.set()
            answered = await asyncio.wait_for(in_progress, 10)
            fields = {f["name"]: f["value"] for f in answered.data["embeds"][0]["fields"]}
            assert fields["Individuals"] == "80"
            await asyncio.wait_for(closing, 10)
            assert bot.is_closed()
            assert all(loop.get_task() is None or loop.get_task().done() for loop in bot.background_loops())
        fake.assert_no_violations()
    finally:
        await fake.stop()


async def test_shutdown_does_not_wait_forever(loaded_core: Core) -> None:
    fake = new_fake()
    await fake.start()
    try:
        bot = SanctionsBot(loaded_core, guild_ready_timeout=0.05)
        async with running_bot(fake, bot, token="dummy.token.for-tests-only"):
            command = _command(bot, "sanctions count")
            entered = asyncio.Event()

            async def stuck(ctx: Any, **options: Any) -> Any:
                entered.set()
                await asyncio.Event().wait()

            command.extras["answer"] = stuck
            hanging = asyncio.create_task(fake.invoke("sanctions count", {}, user_id=ALICE, timeout=5))
            await asyncio.wait_for(entered.wait(), 5)
            loop = asyncio.get_running_loop()
            started = loop.time()
            await bot.shutdown(grace=0.3)
            assert loop.time() - started < 3
            assert bot.is_closed()
            hanging.cancel()
    finally:
        await fake.stop()
