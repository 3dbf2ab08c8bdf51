"""Two hosts (network namespaces, each with its own address) sharing one PostgreSQL: what crosses the network.

The processes run `python -m bot` inside their host; PostgreSQL and the list server run on this machine and
are reached over each host's veth link (tests/e2e/hosts.py).
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from bot.core import open_core
from bot.settings import Secret, Settings
from bot.store import lists as store
from tests.e2e.hosts import Hosts, make_hosts, unavailable
from tests.shared_files import REPO_ROOT, un_list

pytestmark = pytest.mark.slow


@pytest.fixture
async def hosts() -> AsyncIterator[Hosts]:
    reason = unavailable()
    if reason is not None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason} (CI=true: the two-host tests must run)")
        pytest.skip(reason)
    async with make_hosts(2) as made:
        yield made


class TogetherListServer:
    """Serves the list to the first two requests at the same moment (both fetched, then both import at once)."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.requests: list[str] = []
        self.both = asyncio.Event()

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append(request.remote or "")
        if len(self.requests) >= 2:
            self.both.set()
        await asyncio.wait_for(self.both.wait(), 30)
        return web.Response(body=self.body, content_type="application/xml")


@pytest.mark.parametrize("engine", ["postgresql"])
async def test_two_hosts_syncing_at_once_import_the_list_once(
    engine: str, pg_database: str, hosts: Hosts, tmp_path: Path
) -> None:
    database = pg_database
    async with open_core(Settings(database_url=Secret(database))):
        pass  # migrated once, here
    server = TogetherListServer(un_list("2024-09-26").read_bytes())
    app = web.Application()
    app.router.add_get("/consolidated.xml", server.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    list_port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    pg_port = int(database.split("@", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])
    await hosts.expose([pg_port, list_port])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_", "UN_LIST"))}
    env.update(
        {
            "PYTHONPATH": str(REPO_ROOT),
            "DATABASE_URL": database,  # 127.0.0.1 inside each host: forwarded over its veth link
            "UN_LIST_URL": f"http://127.0.0.1:{list_port}/consolidated.xml",
        }
    )
    try:
        procs = [
            await asyncio.create_subprocess_exec(
                *host.command(sys.executable, "-m", "bot", "sync"),
                cwd=tmp_path,
                env=env,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            for host in hosts.hosts
        ]
        outputs = [await asyncio.wait_for(p.communicate(), 120) for p in procs]
    finally:
        await runner.cleanup()
    for proc, (_out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err.decode()[-2000:]
    texts = sorted(out.decode() for out, _err in outputs)
    # Both fetched it at the same moment (over their veth links: 127.0.0.1 in a host is only its own) ...
    assert len(server.requests) == 2
    # ... and one import stored it while the other, waiting on the advisory lock, found it already there.
    async with open_core(Settings(database_url=Secret(database))) as core:
        versions = await store.list_versions(core.db)
    assert len(versions) == 1, texts
    assert [t.split(":")[0].split(" version")[0] for t in texts] == ["Already imported", "Imported"], texts


TOKEN = "fake-hosts-token.not-real.hostshostshostshosts1234"
FIRST = 1_150_000_000_000_000_000
SERVERS = tuple(FIRST + n * (1 << 22) for n in range(6))  # shards (guild_id >> 22) % 2: three each


def _added_reference() -> str:
    """A reference the 2024-09-21 list adds to the 2020-03-20 one (what a watch alerts on)."""
    from bot.sources.un_xml import parse_consolidated_list

    old = {e.reference for e in parse_consolidated_list(un_list("2020-03-20").read_bytes()).entries}
    new = parse_consolidated_list(un_list("2024-09-21").read_bytes()).entries
    return sorted(e.reference for e in new if e.reference not in old)[0]


@pytest.mark.parametrize("engine", ["postgresql"])
async def test_two_hosts_run_the_shards_of_one_postgresql_store(
    engine: str, pg_database: str, hosts: Hosts, tmp_path: Path
) -> None:
    """`sanctionsbot run` on two hosts, SHARD_COUNT=2: every digest and alert posted once, by its shard's
    process; the list imported elsewhere reaches both at once; each feed fetched once; a process killed
    mid-delivery (a digest's POST created on Discord, its answer not yet back) and restarted loses nothing and
    repeats nothing: the message in doubt is sent again with its nonce and Discord returns the first."""
    import datetime as dt
    import signal

    from bot.clock import SystemClock
    from bot.sharding import shard_of
    from tests.e2e.conftest import new_fake
    from tests.fixtures.digest import isolate
    from tests.fixtures.feed_server import run_feed_server

    assert sorted(shard_of(g, 2) for g in SERVERS) == [0, 0, 0, 1, 1, 1]
    settings = Settings(database_url=Secret(pg_database), feeds_allow_private=True)
    reference = _added_reference()
    async with run_feed_server() as feeds:
        async with open_core(settings, clock=SystemClock()) as core:
            isolate(core, feeds)  # every server follows the same three local feeds
            await core.importer.import_bytes(un_list("2020-03-20").read_bytes(), "un-2020-03-20.xml")
            await core.after_import()
            for guild in SERVERS:
                await core.feeds.ensure_guild(guild)
                await core.digests.subscribe(guild, guild + 1, time_text="06:00", timezone="UTC", post_empty=True)
                await core.watches.add(guild, reference, user_id=1)
                await core.watches.set_channel(guild, guild + 2)
            past = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)).isoformat(timespec="seconds")
            async with core.db.transaction() as conn:
                await conn.execute("UPDATE digest_subscriptions SET next_run_at = ?", (past,))
        fake = new_fake(shards=2, guilds=SERVERS)
        await fake.start()
        pg_port = int(pg_database.split("@", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])
        feed_port = int(feeds.base.rsplit(":", 1)[1])
        await hosts.expose([fake.port, pg_port, feed_port])
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_", "SHARD_"))}
        env.update(
            {
                "PYTHONPATH": str(REPO_ROOT),
                "DISCORD_TOKEN": TOKEN,
                "DISCORD_API_BASE": fake.api_base,
                "DISCORD_GATEWAY_URL": fake.gateway_url,
                "DATABASE_URL": pg_database,
                "SYNC_INTERVAL_MINUTES": "0",
                "FEED_POLL_MINUTES": "60",
                "FEEDS_ALLOW_PRIVATE": "true",
                "SHARD_COUNT": "2",
                "LOG_LEVEL": "INFO",
            }
        )
        logs: list[str] = []

        async def start(shard: int) -> asyncio.subprocess.Process:
            return await asyncio.create_subprocess_exec(
                *hosts.hosts[shard].command(sys.executable, "-m", "bot", "run"),
                cwd=tmp_path,
                env={**env, "SHARD_IDS": str(shard)},
                stderr=asyncio.subprocess.PIPE,
            )

        digest_channels = [g + 1 for g in SERVERS]
        shard0 = [g + 1 for g in SERVERS if shard_of(g, 2) == 0]
        # One digest of shard 0 is created on Discord but its answer held: its sender is mid-message.
        held = fake.hold_posts(shard0[0])
        procs = {0: await start(0), 1: await start(1)}
        try:
            # Kill shard 0's process while that POST is in flight (its other digests may be anywhere) ...
            await asyncio.wait_for(held.arrived.wait(), 90)
            procs[0].send_signal(signal.SIGKILL)
            _out, err = await procs[0].communicate()
            logs.append(err.decode())
            held.release()
            assert len([m for m in fake.messages(shard0[0]) if m.get("nonce")]) == 1  # out, but never answered
            deduplicated = fake.nonce_dedup_count
            procs[0] = await start(0)  # ... and start it again on the same host
            await fake.wait_until(
                lambda: all(fake.messages(c) for c in digest_channels), 120, "one digest in every server"
            )
            # A new list version, imported by a third party (this machine): both hosts hear of it and alert.
            async with open_core(settings, clock=SystemClock()) as core:
                await core.importer.import_bytes(un_list("2024-09-21").read_bytes(), "un-2024-09-21.xml")
            alert_channels = [g + 2 for g in SERVERS]
            await fake.wait_until(
                lambda: all(fake.messages(c) for c in alert_channels), 60, "one alert in every server"
            )
            await asyncio.sleep(3)  # time for a wrong second post to show up
            # The restarted process sent the message in doubt again, with its nonce: Discord gave back the first.
            assert fake.nonce_dedup_count > deduplicated
            for channel in digest_channels + alert_channels:
                posted = [m for m in fake.messages(channel) if m.get("nonce")]
                assert len(posted) == 1, (channel, len(posted))
            assert all(reference in str(fake.messages(c)) for c in alert_channels)
            # Each of the three feeds fetched once in this interval, though six servers on two hosts follow it.
            assert sorted(feeds.hits.values()) == [1, 1, 1], feeds.hits
        finally:
            held.release()
            for proc in procs.values():
                if proc.returncode is None:
                    proc.terminate()
                    _out, err = await asyncio.wait_for(proc.communicate(), 30)
                    logs.append(err.decode())
            await fake.stop()
    for text in logs[1:]:
        assert "listening for new list versions" in text, text[-2000:]
    fake.assert_no_violations()
