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
