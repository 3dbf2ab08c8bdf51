"""A `sanctionsbot run` process killed in the middle of a delivery — one digest's POST created on the local
Discord, its answer held back, so the process dies not knowing the message went out — and started again: every
server gets its digest exactly once, on SQLite and on PostgreSQL. The message in doubt is sent again with its
nonce (and enforce_nonce), and Discord answers with the message it already has instead of posting a second.

(The same on two hosts sharing PostgreSQL, with alerts and feeds: tests/e2e/test_two_hosts.py.)
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import sys
from pathlib import Path

import pytest

from bot.clock import SystemClock
from bot.core import open_core
from bot.settings import Secret, Settings
from tests.e2e.conftest import new_fake
from tests.shared_files import REPO_ROOT, un_list

pytestmark = [pytest.mark.slow, pytest.mark.both_engines]

TOKEN = "fake-kill-token.not-real.killkillkillkillkill1234"
FIRST = 1_150_000_000_000_000_000
SERVERS = tuple(FIRST + n * (1 << 22) for n in range(12))


def _posted(fake: object, channel: int) -> int:
    return len([m for m in fake.messages(channel) if m.get("nonce")])  # type: ignore[attr-defined]


async def test_a_process_killed_mid_message_and_restarted_posts_every_digest_once(
    engine: str, tmp_path: Path, pg_database: str | None
) -> None:
    settings = (
        Settings(database_url=Secret(pg_database))
        if pg_database is not None
        else Settings(database_path=tmp_path / "store.sqlite3")
    )
    async with open_core(settings, clock=SystemClock()) as core:
        core.feeds.default_feeds = ()
        await core.importer.import_bytes(un_list("2020-03-20").read_bytes(), "un-2020-03-20.xml")
        await core.after_import()
        for guild in SERVERS:
            await core.digests.subscribe(guild, guild + 1, time_text="06:00", timezone="UTC", post_empty=True)
        past = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)).isoformat(timespec="seconds")
        async with core.db.transaction() as conn:
            await conn.execute("UPDATE digest_subscriptions SET next_run_at = ?", (past,))
    fake = new_fake(guilds=SERVERS)
    await fake.start()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_", "SHARD_"))}
    env.update(
        {
            "PYTHONPATH": str(REPO_ROOT),
            "DISCORD_TOKEN": TOKEN,
            "DISCORD_API_BASE": fake.api_base,
            "DISCORD_GATEWAY_URL": fake.gateway_url,
            "SYNC_INTERVAL_MINUTES": "0",
            "FEED_POLL_MINUTES": "60",
            "LOG_LEVEL": "INFO",
            **(
                {"DATABASE_URL": pg_database}
                if pg_database is not None
                else {"DATABASE_PATH": str(tmp_path / "store.sqlite3")}
            ),
        }
    )

    async def start() -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env, stderr=asyncio.subprocess.PIPE
        )

    channels = [g + 1 for g in SERVERS]
    in_doubt = channels[len(channels) // 2]
    held = fake.hold_posts(in_doubt)
    proc = await start()
    logs: list[str] = []
    try:
        await asyncio.wait_for(held.arrived.wait(), 90)  # the POST is in flight: the message exists already
        proc.send_signal(signal.SIGKILL)
        _out, err = await asyncio.wait_for(proc.communicate(), 30)
        logs.append(err.decode())
        held.release()
        assert _posted(fake, in_doubt) == 1
        deduplicated = fake.nonce_dedup_count
        proc = await start()
        await fake.wait_until(lambda: all(fake.messages(c) for c in channels), 90, "one digest in every server")
        await asyncio.sleep(2)  # time for a wrong second post to show up
        assert [_posted(fake, c) for c in channels] == [1] * len(channels)
        # The restarted process sent the message in doubt again with the same nonce (and any other whose answer
        # it had not recorded when it died): Discord gave back the first.
        assert fake.nonce_dedup_count > deduplicated
    finally:
        held.release()
        if proc.returncode is None:
            proc.terminate()
            _out, err = await asyncio.wait_for(proc.communicate(), 30)
            logs.append(err.decode())
        await fake.stop()
    async with open_core(settings, clock=SystemClock()) as core:
        rows = await core.db.fetchall("SELECT status, parts_sent, sending_part FROM outbox WHERE producer = 'digest'")
    assert sorted(tuple(r) for r in rows) == [("sent", 1, None)] * len(SERVERS), logs[-1][-2000:] if logs else ""
    fake.assert_no_violations()
