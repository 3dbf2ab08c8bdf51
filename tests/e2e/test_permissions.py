"""Who may point the bot where (issue 11, item 7), through the real bot and the local Discord.

A channel hidden from everyone but a few: a member with Manage Server who cannot see it must not be able to send
digests or alerts there. /admin is hidden (no default permission) and never offered in DMs; owning the bot gives
no bypass of a server's own permissions.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.core import Core
from bot.store import digests as digest_store
from bot.store import watches as watch_store
from tests.conftest import OWNER_ID
from tests.discord_fake import FakeDiscord
from tests.discord_fake.objects import EMBED_LINKS, SEND_MESSAGES, VIEW_CHANNEL
from tests.discord_fake.server import UnknownCommand
from tests.e2e.conftest import E2E, MANAGE_GUILD, e2e_run
from tests.e2e.digests import EPHEMERAL
from tests.shared_files import openapi_path

pytestmark = pytest.mark.both_engines

GUILD = 1_170_000_000_000_000_000
GENERAL = GUILD + 1
SECRET = GUILD + 2  # only the board (and the bot) can see it
MANAGERS = GUILD + 10  # Manage Server
BOARD = GUILD + 11  # may see and post in SECRET
BOT_ROLE = GUILD + 7  # the fake's managed role for the bot
MANAGER = 1_170_000_000_000_000_101  # Manage Server, not on the board
CHAIR = 1_170_000_000_000_000_102  # Manage Server and on the board
ADMIN = 1_170_000_000_000_000_103  # Administrator of the server, not a bot owner


def add_guild(fake: FakeDiscord) -> None:
    fake.add_guild(
        GUILD,
        name="Permissions",
        channels=[
            {"id": GENERAL, "name": "general"},
            {
                "id": SECRET,
                "name": "board-room",
                "permission_overwrites": [
                    {"id": GUILD, "type": 0, "allow": "0", "deny": str(VIEW_CHANNEL)},
                    {"id": BOARD, "type": 0, "allow": str(VIEW_CHANNEL | SEND_MESSAGES), "deny": "0"},
                    {"id": BOT_ROLE, "type": 0, "allow": str(VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS), "deny": "0"},
                ],
            },
        ],
        roles=[
            {"id": MANAGERS, "name": "Managers", "permissions": MANAGE_GUILD},
            {"id": BOARD, "name": "Board", "permissions": 0},
            {"id": GUILD + 12, "name": "Admins", "permissions": 1 << 3},
        ],
        members=[
            {"id": MANAGER, "username": "manager", "roles": [MANAGERS]},
            {"id": CHAIR, "username": "chair", "roles": [MANAGERS, BOARD]},
            {"id": ADMIN, "username": "admin", "roles": [GUILD + 12]},
            {"id": OWNER_ID, "username": "bot-owner"},  # owns the bot; no role in this server
        ],
    )


@pytest.fixture
async def env(loaded_core: Core) -> AsyncIterator[E2E]:
    fake = FakeDiscord(openapi_path=openapi_path())
    add_guild(fake)
    await fake.start()
    try:
        async with e2e_run(loaded_core, run_background=False, fake=fake) as e:
            yield e
    finally:
        await fake.stop()


async def ask(env: E2E, path: str, options: dict[str, Any], user_id: int) -> dict[str, Any]:
    res = await env.fake.invoke(path, options, user_id=user_id, channel_id=GENERAL)
    if res.type == 5:
        await res.wait_followups(1, timeout=10)
        return res.followups[0]
    return res.data


def refused(data: dict[str, Any], *words: str) -> bool:
    text = str(data)
    return bool(data.get("flags", 0) & EPHEMERAL) and all(w in text for w in words)


async def test_a_manager_cannot_point_digests_or_alerts_at_a_channel_they_cannot_see(env: E2E) -> None:
    subscribe = {"channel": SECRET, "time": "08:00", "timezone": "UTC"}
    data = await ask(env, "digest subscribe", subscribe, MANAGER)
    assert refused(data, "View Channel", f"<#{SECRET}>"), data
    data = await ask(env, "watch channel", {"channel": SECRET}, MANAGER)
    assert refused(data, "View Channel", f"<#{SECRET}>"), data
    assert await digest_store.guild_subscriptions(env.core.db, GUILD) == []
    server = await watch_store.server(env.core.db, GUILD)
    assert server is None or server.channel_id != SECRET
    # The chair sits on the board: the same commands work for them.
    data = await ask(env, "digest subscribe", subscribe, CHAIR)
    assert data["embeds"][0]["title"] == "Digest scheduled", data
    data = await ask(env, "digest send-now", {"channel": SECRET}, MANAGER)
    assert refused(data, "View Channel", f"<#{SECRET}>"), data
    data = await ask(env, "watch channel", {"channel": SECRET}, CHAIR)
    assert not data.get("flags", 0) & EPHEMERAL or "View Channel" not in str(data)
    server = await watch_store.server(env.core.db, GUILD)
    assert server is not None and server.channel_id == SECRET


async def test_bot_owners_get_no_bypass_of_server_permissions(env: E2E) -> None:
    data = await ask(env, "digest status", {}, OWNER_ID)
    assert refused(data, "Manage Server"), data
    data = await ask(env, "watch add", {"target": "KPi.033"}, OWNER_ID)
    assert refused(data, "Manage Server"), data
    assert await watch_store.guild_watches(env.core.db, GUILD) == []


async def test_admin_is_hidden_never_in_dms_and_for_owners_only(env: E2E) -> None:
    (admin,) = [c for c in env.fake.commands() if c["name"] == "admin"]
    assert admin["default_member_permissions"] == "0"  # hidden from every member unless a server grants it
    assert admin["dm_permission"] is False or admin.get("contexts") == [0]
    with pytest.raises(UnknownCommand):  # Discord does not offer it in DMs
        await env.fake.invoke("admin reload-knowledge", {}, user_id=OWNER_ID, guild_id=None)
    forged = await env.fake.invoke("admin reload-knowledge", {}, user_id=OWNER_ID, guild_id=None, raw=True)
    assert refused(forged.data, "only works in a server"), forged.data
    data = await ask(env, "admin reload-knowledge", {}, ADMIN)  # a server's Administrator is no bot owner
    assert refused(data, "Only the bot's owners"), data
    data = await ask(env, "admin reload-knowledge", {}, OWNER_ID)
    assert not data.get("flags", 0) & EPHEMERAL or "Only the bot's owners" not in str(data)
