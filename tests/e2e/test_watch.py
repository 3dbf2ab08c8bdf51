"""Watchlists through the local Discord: /watch commands, alerts after imports (in this process, by /admin sync and
by `sanctionsbot import` in another process), a restart between import and alert, paused channels, role pings."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.app import SanctionsBot
from bot.clock import ManualClock
from bot.core import Core, open_core
from bot.settings import Settings
from bot.store import watches as store
from bot.store.db import Database
from tests.conftest import OWNER_ID, store_env
from tests.discord_fake import FakeDiscord
from tests.discord_fake.harness import running_bot
from tests.e2e.conftest import ALICE, CHANNEL, E2E, GUILD, MOD, MOD_ROLE, OTHER_CHANNEL, new_fake, start_e2e
from tests.fixtures.digest import isolate
from tests.fixtures.feed_server import run_feed_server
from tests.shared_files import REPO_ROOT, un_list

pytestmark = pytest.mark.both_engines

EPHEMERAL = 1 << 6
TOKEN = "dummy.token.for-tests-only"


def text_of(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)


def alerts(fake: FakeDiscord, channel: int = CHANNEL) -> list[dict[str, Any]]:
    """Bodies the bot POSTed to a channel (every attempt, deduplicated by nonce or not)."""
    return [
        body for method, path, body in fake.message_bodies if method == "POST" and path.endswith(f"/{channel}/messages")
    ]


async def invoke(env: E2E, path: str, options: dict[str, Any], user_id: int = MOD, **kw: Any) -> dict[str, Any]:
    """Run a command from #news (alerts go to #sanctions) and return the answer's data."""
    res = await env.fake.invoke(path, options, user_id=user_id, channel_id=OTHER_CHANNEL, **kw)
    if res.type == 5:
        await res.wait_followups(1, timeout=10)
        return res.followups[0]
    return res.data


async def import_date(core: Core, date: str, *, notice: bool = True) -> None:
    await core.importer.import_bytes(un_list(date).read_bytes(), f"un-{date}.xml")
    if notice:
        await core.after_import()  # what the sync loop does after an import, and the version loop every 30 s


async def flush(core: Core) -> None:
    """Wait for alert work started in the background (sending is serialised: this returns after it)."""
    await core.watches.run()


@pytest.fixture
async def first(core: Core) -> AsyncIterator[E2E]:
    """The bot logged in to the local Discord, its store holding only the 2017-06-20 version."""
    await import_date(core, "2017-06-20")
    async for env in start_e2e(core):
        yield env


async def watch_the_two(env: E2E) -> None:
    await invoke(env, "watch add", {"target": "QDi.168", "note": "Al-Qaida @everyone"})
    await invoke(env, "watch add", {"target": "Kim Mun Chol"})
    data = await invoke(env, "watch channel", {"channel": CHANNEL})
    assert data["flags"] & EPHEMERAL and f"<#{CHANNEL}>" in text_of(data)


async def test_importing_the_versions_in_order_alerts_exactly_those_once(first: E2E) -> None:
    env, fake = first, first.fake
    await watch_the_two(env)
    for date, expected in (("2017-07-03", 1), ("2020-03-20", 2), ("2024-09-21", 2), ("2024-09-26", 2)):
        await import_date(env.core, date)
        await flush(env.core)
        assert len(fake.messages(CHANNEL)) == expected, date
    removed, added = fake.messages(CHANNEL)
    assert "QDi.168" in text_of(removed) and "Removed from the list" in text_of(removed)
    assert "Al-Qaida @\u200beveryone" in text_of(removed)  # the note, defused
    assert "KIM MUN CHOL" in text_of(added) and "score 100, exact" in text_of(added)
    bodies = alerts(fake)
    assert len(bodies) == 2
    assert all(b["allowed_mentions"] == {"parse": []} and b.get("enforce_nonce") and b.get("nonce") for b in bodies)


async def test_add_list_test_and_remove(first: E2E) -> None:
    env = first
    data = await invoke(env, "watch add", {"target": "KPi.033", "note": "<@&1150000000000000010> **boss**"})
    assert data["flags"] & EPHEMERAL and "RI WON HO" in text_of(data) and "Alerts need a channel" in text_of(data)
    data = await invoke(env, "watch add", {"target": "Ri Won Ho"})
    assert "KPi.033" in text_of(data) and "100, exact" in text_of(data)
    listed = await invoke(env, "watch list", {})
    assert "Watchlist: 2 of 100" in text_of(listed) and "#1 · Reference: KPi.033" in text_of(listed)
    test = await invoke(env, "watch test", {})
    assert test["flags"] & EPHEMERAL and "nothing to test against" in text_of(test)
    await import_date(env.core, "2017-07-03")
    test = await invoke(env, "watch test", {})
    assert "None of this server's 2 watches would fire against the version of 2017-07-03" in text_of(test)
    await invoke(env, "watch add", {"target": "QDi.170"})
    test = await invoke(env, "watch test", {})
    assert test["flags"] & EPHEMERAL and "Test: 1 watched entry changed" in text_of(test)
    assert "HACENE ALLANE" in text_of(test) and env.fake.messages(CHANNEL) == []
    data = await invoke(env, "watch remove", {"id": 1})
    assert "No more alerts for reference" in text_of(data)
    data = await invoke(env, "watch remove", {"id": 1})
    assert "no watch #1" in text_of(data)
    assert "Watchlist: 2 of 100" in text_of(await invoke(env, "watch list", {}))


async def test_hostile_targets_get_clear_messages(first: E2E) -> None:
    env = first
    for target, words in (
        ("@everyone", "looks like a Discord mention"),
        ("<@&1150000000000000010>", "looks like a Discord mention"),
        ("**Kim Jong Un**", "formatting characters"),
        ("x", "at least 3 letters"),
        ("x" * 6000, "at most 100 characters"),
    ):
        data = await invoke(env, "watch add", {"target": target}, raw=True)
        assert data["flags"] & EPHEMERAL and words in text_of(data), (target[:20], text_of(data))
    assert all(b["allowed_mentions"] == {"parse": []} for _m, _p, b in env.fake.message_bodies)
    assert await store.guild_watches(env.core.db, GUILD) == []


async def test_watch_commands_need_manage_server(first: E2E) -> None:
    data = await invoke(first, "watch add", {"target": "KPi.033"}, user_id=ALICE)
    assert data["flags"] & EPHEMERAL and "Manage Server" in text_of(data)
    data = await invoke(first, "watch list", {}, user_id=ALICE)
    assert "Manage Server" in text_of(data)


@pytest.mark.parametrize(
    ("status", "reason"),
    [(404, "the channel no longer exists"), (403, "the bot lacks permission to post there")],
)
async def test_a_gone_or_forbidden_channel_pauses_with_the_reason(first: E2E, status: int, reason: str) -> None:
    env, fake = first, first.fake
    await watch_the_two(env)
    fake.set_channel_status(CHANNEL, status)
    await import_date(env.core, "2017-07-03")
    await flush(env.core)
    listed = text_of(await invoke(env, "watch list", {}))
    assert "Alerts are paused" in listed and reason in listed and "1 alert waiting" in listed
    fake.set_channel_status(CHANNEL, None)
    await invoke(env, "watch channel", {"channel": CHANNEL})
    await fake.wait_until(lambda: len(fake.messages(CHANNEL)) == 1, 10, "the kept alert")
    assert "Alerts are paused" not in text_of(await invoke(env, "watch list", {}))


async def test_role_ping_is_opt_in_and_only_that_role(first: E2E) -> None:
    env, fake = first, first.fake
    await watch_the_two(env)
    data = await invoke(env, "watch ping", {"role": MOD_ROLE})
    assert "“@Mod”" in text_of(data)
    await import_date(env.core, "2017-07-03")
    await flush(env.core)
    [body] = alerts(fake)
    mentions = body["allowed_mentions"]
    assert mentions["parse"] == [] and [str(r) for r in mentions["roles"]] == [str(MOD_ROLE)]
    assert set(mentions) == {"parse", "roles"}
    assert body["content"].startswith(f"<@&{MOD_ROLE}> ")
    await invoke(env, "watch ping", {})  # no role: stop pinging
    await import_date(env.core, "2020-03-20")
    await flush(env.core)
    assert alerts(fake)[-1]["allowed_mentions"] == {"parse": []} and not alerts(fake)[-1].get("content")


async def test_admin_sync_imports_and_alerts(first: E2E) -> None:
    env = first
    await watch_the_two(env)
    async with run_feed_server() as server:
        env.core.sync.url = server.serve("/consolidated.xml", un_list("2017-07-03").read_bytes(), "text/xml")
        refused = await invoke(env, "admin sync", {}, user_id=MOD)
        assert "Only the bot's owners" in text_of(refused)
        data = await invoke(env, "admin sync", {}, user_id=OWNER_ID)
        text = text_of(data)
        assert "2017-07-03" in text and "against 2017-06-20" in text and "0 entries added, 3 removed, 1 amended" in text
        await env.fake.wait_until(lambda: len(env.fake.messages(CHANNEL)) == 1, 10, "the alert after /admin sync")
        again = text_of(await invoke(env, "admin sync", {}, user_id=OWNER_ID))
        assert "List unchanged" in again


async def test_a_failed_admin_sync_says_why(first: E2E) -> None:
    data = await invoke(first, "admin sync", {}, user_id=OWNER_ID)  # the test URL (127.0.0.1:9) refuses
    assert data["flags"] & EPHEMERAL and "Sync failed; the last good list is kept" in text_of(data)


async def test_an_import_by_another_process_is_noticed_and_alerted(first: E2E, settings: Settings) -> None:
    env = first
    await watch_the_two(env)
    child_env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_", "UN_LIST"))}
    child_env.update({"PYTHONPATH": str(REPO_ROOT), **store_env(settings)})
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "import",
        str(un_list("2017-07-03")),
        env=child_env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == 0, err.decode()
    assert env.fake.messages(CHANNEL) == []  # the other process never sends
    await env.core.after_import()  # the bot's version loop (every 30 s) notices the new version
    await env.fake.wait_until(lambda: len(env.fake.messages(CHANNEL)) == 1, 10, "the alert")


async def test_a_restart_between_import_and_alert_sends_it_once(settings: Settings, clock: ManualClock) -> None:
    fake = new_fake()
    await fake.start()
    try:
        # 1. The bot runs; the list is imported; the bot stops before it noticed (its loops never ran).
        async with open_core(settings, clock=clock) as core:
            isolate(core)
            await import_date(core, "2017-06-20")
            bot = SanctionsBot(core, run_background=False, guild_ready_timeout=0.05)
            async with running_bot(fake, bot, token=TOKEN) as run:
                env = E2E(fake, bot, core, run)
                await watch_the_two(env)
                await import_date(core, "2017-07-03", notice=False)
                assert not run.error_messages()
            assert fake.messages(CHANNEL) == []
        # 2. A new bot on the same store and the same Discord: its first pass finds the version and alerts.
        async with open_core(settings, clock=clock) as core:
            isolate(core)
            bot = SanctionsBot(core, guild_ready_timeout=0.05)
            async with running_bot(fake, bot, token=TOKEN, wait_commands=False) as run:
                await fake.wait_until(lambda: len(fake.messages(CHANNEL)) == 1, 10, "the alert after the restart")
                await flush(core)
                assert not run.error_messages()
            [delivery] = await store.deliveries_of(core.db, GUILD)
            assert delivery.status == "sent"
        # 3. The state a crash leaves when Discord accepted the message but the bot died before recording it.
        async with await Database.open(settings.store_location()) as db, db.transaction() as conn:
            await conn.execute(
                "UPDATE outbox SET status = 'pending', parts_sent = 0, message_ids = '[]', sending_part = 0,"
                " sending_at = updated_at WHERE producer = 'alert'"
            )
        async with open_core(settings, clock=clock) as core:
            isolate(core)
            bot = SanctionsBot(core, guild_ready_timeout=0.05)
            async with running_bot(fake, bot, token=TOKEN, wait_commands=False) as run:
                await fake.wait_until(lambda: fake.nonce_dedup_count == 1, 10, "the resend, deduplicated")
                await flush(core)
                assert not run.error_messages()
            [delivery] = await store.deliveries_of(core.db, GUILD)
            assert delivery.status == "sent" and delivery.message_ids == [int(fake.messages(CHANNEL)[0]["id"])]
        assert len(fake.messages(CHANNEL)) == 1 and len(alerts(fake)) == 2  # two POSTs, one message
        fake.assert_no_violations()
    finally:
        await fake.stop()


async def test_the_terminal_never_sends_alerts(first: E2E) -> None:
    """`sanctionsbot ask` loads the same cogs on a bot that never logs in: it works alerts out, never posts."""
    from bot.cli_ask import ask

    await watch_the_two(first)
    watches = first.core.watches
    deliverer, watches.deliverer = watches.deliverer, None  # the terminal's core has none
    try:
        outcome = await ask(first.core, ["watch", "list"], guild_id=GUILD, user_id=MOD)
        assert outcome.exit_code == 0
        await import_date(first.core, "2017-07-03")
        _checked, sent = await watches.run()
        assert sent.messages == 0 and first.fake.messages(CHANNEL) == []
    finally:
        watches.deliverer = deliverer
    await flush(first.core)
    assert len(first.fake.messages(CHANNEL)) == 1
