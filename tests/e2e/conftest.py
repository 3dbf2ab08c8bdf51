"""The real bot, logged in to the local fake Discord, on a real store. Every body it sends is validated."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest

from bot.app import SanctionsBot
from bot.core import Core
from bot.settings import Secret, Settings
from tests.conftest import ENGINES, OWNER_ID, _require_pg, make_settings
from tests.discord_fake import FakeDiscord
from tests.discord_fake.harness import BotRun, running_bot
from tests.fixtures.digest import isolate
from tests.fixtures.feed_server import FeedServer, run_feed_server
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


def add_watchers_guild(
    fake: FakeDiscord, guild_id: int = GUILD, name: str = "UN Watchers", *, extra_channels: int = 0
) -> None:
    """A server shaped like GUILD: channels guild+1 (sanctions) and guild+2 (news), then `extra_channels` more
    (guild+3, …), a moderator role guild+10 (Manage Server), and the same four members (ALICE, BOB, MOD with the
    role, OWNER_ID)."""
    assert extra_channels <= 4, "guild+7 is the bot's role, guild+10 the moderators'"
    extra = [{"id": guild_id + 3 + n, "name": f"digest-{n + 1}"} for n in range(extra_channels)]
    fake.add_guild(
        guild_id,
        name=name,
        channels=[{"id": guild_id + 1, "name": "sanctions"}, {"id": guild_id + 2, "name": "news"}, *extra],
        roles=[{"id": guild_id + 10, "name": "Mod", "permissions": MANAGE_GUILD}],
        members=[
            {"id": ALICE, "username": "alice"},
            {"id": BOB, "username": "bob"},
            {"id": MOD, "username": "mod", "roles": [guild_id + 10]},
            {"id": OWNER_ID, "username": "owner"},
        ],
    )


def new_fake(*, shards: int = 1, guilds: Sequence[int] = (GUILD,), extra_channels: int = 0) -> FakeDiscord:
    """A fake Discord with one server (or several of the same shape): two channels, a moderator role, four
    members. `shards` is how many shards the fake tells a bot to run."""
    fake = FakeDiscord(openapi_path=openapi_path(), shards=shards)
    for n, guild_id in enumerate(guilds):
        name = "UN Watchers" if n == 0 else f"UN Watchers {n + 1}"
        add_watchers_guild(fake, guild_id, name, extra_channels=extra_channels)
    return fake


@asynccontextmanager
async def e2e_run(
    core: Core,
    *,
    run_background: bool = True,
    feed_server: FeedServer | None = None,
    fake: FakeDiscord | None = None,
    wait_commands: bool = True,
) -> AsyncIterator[E2E]:
    """The bot on `core`, logged in to `fake` (a new one if None); fails on contract violations and logged
    discord.py errors. A fake passed in is the caller's to start and stop (a second bot may log in to it, as
    after a restart or in another process; pass wait_commands=False when the store already synced commands)."""
    isolate(core, feed_server)
    own = fake is None
    if fake is None:
        fake = new_fake()
        await fake.start()
    try:
        bot = SanctionsBot(core, run_background=run_background, guild_ready_timeout=0.05)
        async with running_bot(fake, bot, token="dummy.token.for-tests-only", wait_commands=wait_commands) as run:
            yield E2E(fake, bot, core, run)
            errors = run.error_messages()
        fake.assert_no_violations()
        assert not errors, f"discord.py logged errors: {errors}"
    finally:
        if own:
            await fake.stop()


async def start_e2e(
    core: Core,
    *,
    run_background: bool = True,
    feed_server: FeedServer | None = None,
    fake: FakeDiscord | None = None,
    wait_commands: bool = True,
) -> AsyncIterator[E2E]:
    """Start fake + bot; on the way out, fail the test on any contract violation or logged discord.py error.

    Feeds can only reach 127.0.0.1 (the default feeds are the feed server's, or none): tests never go online.
    """
    async with e2e_run(
        core, run_background=run_background, feed_server=feed_server, fake=fake, wait_commands=wait_commands
    ) as env:
        yield env


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


@pytest.fixture
async def feed_server() -> AsyncIterator[FeedServer]:
    """The local feed server (127.0.0.1): RSS 2.0, RSS 1.0 and Atom feeds that tests change, and broken ones."""
    async with run_feed_server() as server:
        yield server


# --- one store for a whole module, on each engine -----------------------------------------------------------
# A module whose commands only read shares one bot and one store across its tests (a few seconds instead of a
# login per test). The function-scoped `engine` cannot reach a module-scoped fixture, so these take the engine
# as their own module-scoped parameter: the module runs once on a SQLite file, once on a PostgreSQL database
# (test ids end in [sqlite] / [postgresql]).


def _module_settings(request: pytest.FixtureRequest, folder_name: str, *, loaded: bool) -> Iterator[Settings]:
    folder = request.getfixturevalue("tmp_path_factory").mktemp(folder_name)
    if request.param == "postgresql":
        server = _require_pg(request.getfixturevalue("pg_server"))
        template = request.getfixturevalue("pg_loaded_template" if loaded else "pg_empty_template")
        url = server.copy_of(template)
        try:
            yield make_settings(folder, database_url=Secret(url))
        finally:
            server.give_back(template, url)  # kept for another test if untouched, else dropped
        return
    target = folder / "store.sqlite3"
    if loaded:
        shutil.copyfile(request.getfixturevalue("loaded_template"), target)
    yield make_settings(folder, database_path=target)


@pytest.fixture(scope="module", params=ENGINES)
def module_loaded_settings(request: pytest.FixtureRequest) -> Iterator[Settings]:
    """Settings on a module's own copy of the five shared list versions: a SQLite file, then PostgreSQL."""
    yield from _module_settings(request, "module-loaded", loaded=True)


@pytest.fixture(scope="module", params=ENGINES)
def module_empty_settings(request: pytest.FixtureRequest) -> Iterator[Settings]:
    """Settings on a module's own empty store: a SQLite file, then PostgreSQL."""
    yield from _module_settings(request, "module-empty", loaded=False)
