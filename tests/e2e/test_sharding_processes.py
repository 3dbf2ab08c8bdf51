"""Two `sanctionsbot run` processes (SHARD_COUNT=2, SHARD_IDS 0 and 1) on one database and one local Discord
with two shards: each server's due digest is posted once, by the process whose shard holds the server."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sys
from pathlib import Path

import pytest

from bot.clock import SystemClock
from bot.core import open_core
from bot.settings import Settings
from bot.sharding import shard_of
from tests.conftest import store_env
from tests.e2e.conftest import GUILD, new_fake
from tests.fixtures.digest import isolate
from tests.shared_files import REPO_ROOT

TOKEN = "fake-shard-token.not-real.shardsshardsshardsshards1234"
SERVERS = (GUILD, GUILD + (1 << 22))  # shard (guild_id >> 22) % 2: 0 and 1

pytestmark = pytest.mark.both_engines


async def test_two_bot_processes_split_the_digests_by_shard(tmp_path: Path, loaded_settings: Settings) -> None:
    assert sorted(shard_of(g, 2) for g in SERVERS) == [0, 1]
    async with open_core(loaded_settings, clock=SystemClock()) as core:
        isolate(core)  # no feeds: the processes never fetch anything
        for guild in SERVERS:
            await core.digests.subscribe(guild, guild + 1, time_text="06:00", timezone="UTC", post_empty=True)
        # Make both digests due now (the processes use the real clock).
        past = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)).isoformat(timespec="seconds")
        async with core.db.transaction() as conn:
            await conn.execute("UPDATE digest_subscriptions SET next_run_at = ?", (past,))
    fake = new_fake(shards=2, guilds=SERVERS)
    await fake.start()
    procs = []
    try:
        for shard in (0, 1):
            env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_", "SHARD_"))}
            env.update(
                {
                    "PYTHONPATH": str(REPO_ROOT),
                    "DISCORD_TOKEN": TOKEN,
                    "DISCORD_API_BASE": fake.api_base,
                    "DISCORD_GATEWAY_URL": fake.gateway_url,
                    **store_env(loaded_settings),  # both processes on the one store, whichever engine
                    "SYNC_INTERVAL_MINUTES": "0",
                    "SHARD_COUNT": "2",
                    "SHARD_IDS": str(shard),
                    "LOG_LEVEL": "INFO",
                }
            )
            procs.append(
                await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "bot",
                    "run",
                    cwd=tmp_path,
                    env=env,
                    stderr=asyncio.subprocess.PIPE,
                )
            )
        await fake.wait_until(
            lambda: all(len(fake.messages(g + 1)) >= 1 for g in SERVERS), 60, "one digest in each server"
        )
        await asyncio.sleep(2)  # time for a wrong second post to show up
        for guild in SERVERS:
            posted = [m for m in fake.messages(guild + 1) if m.get("nonce")]
            assert len(posted) == 1, (guild, len(posted))
            assert "Sanctions digest" in str(posted[0])
        assert fake.nonce_dedup_count == 0  # nobody even tried to send the other process's digest
        identified = sorted(tuple(i.get("shard") or ()) for i in fake.identifies)
        assert identified == [(0, 2), (1, 2)]
    finally:
        logs = []
        for proc in procs:
            proc.terminate()
            _out, err = await asyncio.wait_for(proc.communicate(), 30)
            logs.append(err.decode())
        await fake.stop()
    for shard, log_text in enumerate(logs):
        assert "digests run started=1" in log_text, (shard, log_text[-1500:])
    fake.assert_no_violations()
