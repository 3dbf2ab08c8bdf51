"""The real bot, logged in to the local fake Discord, on a real store. Every body it sends is validated."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from bot.app import SanctionsBot
from bot.core import Core
from tests.conftest import OWNER_ID
from tests.discord_fake import FakeDiscord
from tests.discord_fake.harness import BotRun, running_bot
from tests.fixtures.digest import isolate
from tests.fixtures.feed_server import FeedServer
from tests.shared_files import openapi_path

GUILD = 1_150_000_000_000_000_000
CHANNEL = GUILD + 1
OTHER_CHANNEL = GUILD + 2
MOD_ROLE = GUILD + 10
ALICE = 1_160_000_000_000_000_001  # an ordinary member
BOB = 1_160_000_000_000_000_002  # another ordinary member
MOD = 1_160_000_000_000_000_003  # has Manage Server through MOD_ROLE
MANAGE_GUILD = 1 << 5


@dataclass
class E2E:
    """The pieces of one end-to-end run."""

    fake: FakeDiscord
    bot: SanctionsBot
    core: Core
    run: BotRun


def new_fake() -> FakeDiscord:
    """A fake Discord with one server: two channels, a moderator role, four members."""
    fake = FakeDiscord(openapi_path=openapi_path())
    fake.add_guild(
        GUILD,
        name="UN Watchers",
        channels=[{"id": CHANNEL, "name": "sanctions"}, {"id": OTHER_CHANNEL, "name": "news"}],
        roles=[{"id": MOD_ROLE, "name": "Mod", "permissions": MANAGE_GUILD}],
        members=[
            {"id": ALICE, "username": "alice"},
            {"id": BOB, "username": "bob"},
            {"id": MOD, "username": "mod", "roles": [MOD_ROLE]},
            {"id": OWNER_ID, "username": "owner"},
        ],
    )
    return fake


async def start_e2e(
    core: Core, *, run_background: bool = True, feed_server: FeedServer | None = None
) -> AsyncIterator[E2E]:
    """Start fake + bot; on the way out, fail the test on any contract violation or logged discord.py error.

    Feeds can only reach 127.0.0.1 (the default feeds are the feed server's, or none): tests never go online.
    """
    isolate(core, feed_server)
    fake = new_fake()
    await fake.start()
    try:
        bot = SanctionsBot(core, run_background=run_background, guild_ready_timeout=0.05)
        async with running_bot(fake, bot, token="dummy.token.for-tests-only") as run:
            yield E2E(fake, bot, core, run)
            errors = run.error_messages()
        fake.assert_no_violations()
        assert not errors, f"discord.py logged errors: {errors}"
    finally:
        await fake.stop()


@pytest.fixture
async def e2e(loaded_core: Core) -> AsyncIterator[E2E]:
    """The bot on a store holding the five shared list versions."""
    async for env in start_e2e(loaded_core):
        yield env


@pytest.fixture
async def e2e_empty(core: Core) -> AsyncIterator[E2E]:
    """The bot on an empty store (no list imported)."""
    async for env in start_e2e(core):
        yield env
