"""The list sync over real HTTP against a local aiohttp server: conditional GET, failures, backoff."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import aiohttp
import pytest
from aiohttp import web

from bot.clock import ManualClock
from bot.core import Core
from bot.services.sync import ListSync
from bot.store import lists as store
from tests.fixtures.lists import HTML_PAGE
from tests.shared_files import un_list


@dataclass
class ListServer:
    """A stand-in for scsanctions.un.org: serves one body, or a fault, and records requests."""

    body: bytes = b""
    etag: str = '"v1"'
    mode: str = "ok"  # ok | status:<n> | html | truncated | hang
    requests: list[dict[str, str]] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(dict(request.headers))
        if self.mode.startswith("status:"):
            return web.Response(status=int(self.mode.split(":")[1]), text="nope")
        if self.mode == "html":
            return web.Response(body=HTML_PAGE, content_type="text/html")
        if self.mode == "hang":
            await self.release.wait()  # longer than the client's timeout; released at teardown
        if self.mode == "truncated":
            resp = web.StreamResponse(headers={"Content-Length": str(len(self.body))})
            await resp.prepare(request)
            await resp.write(self.body[: len(self.body) // 3])
            assert request.transport is not None
            request.transport.close()  # the connection drops mid-body
            return resp
        if request.headers.get("If-None-Match") == self.etag:
            return web.Response(status=304)
        return web.Response(body=self.body, headers={"ETag": self.etag}, content_type="application/xml")


@pytest.fixture
async def list_server() -> AsyncIterator[tuple[ListServer, str]]:
    server = ListServer(body=un_list("2020-03-20").read_bytes())
    app = web.Application()
    app.router.add_get("/consolidated.xml", server.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield server, f"http://127.0.0.1:{port}/consolidated.xml"
    server.release.set()
    await runner.cleanup()


def make_sync(core: Core, url: str, clock: ManualClock) -> ListSync:
    async def no_sleep(_seconds: float) -> None:
        return None

    return ListSync(
        core.db,
        core.importer,
        core.session,
        clock,
        url=url,
        interval_minutes=360,
        timeout=aiohttp.ClientTimeout(total=0.5),
        sleep=no_sleep,
        rng=Longest(),
    )


class Longest:
    """A random source that draws the top of its range: the backoff's longest wait, deterministically."""

    def uniform(self, a: float, b: float, /) -> float:
        return b


async def test_first_sync_imports_then_304_changes_nothing(core: Core, clock: ManualClock, list_server) -> None:
    server, url = list_server
    sync = make_sync(core, url, clock)
    first = await sync.run()
    assert first.outcome == "imported" and first.result is not None
    assert first.result.version.generated_date == "2020-03-20"
    assert "sanctionsbot/" in server.requests[0]["User-Agent"]
    clock.advance(hours=7)
    assert await sync.due()
    second = await sync.run()
    assert second.outcome == "not_modified"
    assert server.requests[-1].get("If-None-Match") == '"v1"'
    assert len(await store.list_versions(core.db)) == 1
    status = await store.sync_status(core.db)
    assert status.last_error is None and status.consecutive_failures == 0


async def test_changed_content_is_imported(core: Core, clock: ManualClock, list_server) -> None:
    server, url = list_server
    sync = make_sync(core, url, clock)
    await sync.run()
    server.body, server.etag = un_list("2024-09-21").read_bytes(), '"v2"'
    result = await sync.run()
    assert result.outcome == "imported" and result.result is not None
    assert result.result.version.generated_date == "2024-09-21"


@pytest.mark.parametrize("mode", ["status:403", "status:500", "html", "truncated", "hang"])
async def test_failures_keep_the_last_good_data_and_back_off(
    core: Core, clock: ManualClock, list_server, mode: str
) -> None:
    server, url = list_server
    sync = make_sync(core, url, clock)
    await sync.run()
    good = await store.list_versions(core.db)
    server.mode = mode
    server.etag = '"changed"'  # so the conditional GET cannot short-cut the fault
    failures = []
    for _ in range(3):
        clock.advance(days=1)
        failures.append(await sync.run())
    assert all(f.outcome == "failed" and f.error for f in failures)
    assert await store.list_versions(core.db) == good
    status = await store.sync_status(core.db)
    assert status.consecutive_failures == 3 and status.last_error == failures[-1].error
    assert status.last_success_at is not None and status.last_success_at < status.last_attempt_at  # type: ignore[operator]
    # Backoff doubles: the next attempt after 3 failures is 20 minutes later, not the 6-hour interval.
    assert status.next_attempt_at == (clock.now() + dt.timedelta(minutes=20)).isoformat(timespec="seconds")
    assert not await sync.due()


def test_backoff_schedule() -> None:
    sync = ListSync.__new__(ListSync)
    sync.interval_minutes = 360
    assert [sync.backoff_minutes(n) for n in (1, 2, 3, 4, 7, 20)] == [5, 10, 20, 40, 320, 360]


def test_retries_are_jittered_below_the_schedule() -> None:
    # Two processes failing together (shards sharing one database) must not retry together.
    sync = ListSync.__new__(ListSync)
    sync.interval_minutes, sync._rng = 360, random.Random(3)
    waits = [sync.retry_minutes(4) for _ in range(200)]
    assert all(1.0 <= w <= 40 for w in waits)
    assert len({round(w, 3) for w in waits}) > 190 and max(waits) - min(waits) > 30


async def test_sync_failure_shows_in_about(core: Core, clock: ManualClock, list_server) -> None:
    from bot.answers.about import about
    from bot.answers.context import AnswerContext

    server, url = list_server
    server.mode = "status:500"
    sync = make_sync(core, url, clock)
    await sync.run()
    reply = await about(AnswerContext(core=core))
    text = str(reply.first.embeds[0].to_dict())
    assert "Last error" in text and "HTTP 500" in text and "Not loaded yet" in text
