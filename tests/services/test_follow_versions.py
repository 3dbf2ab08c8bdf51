"""PostgreSQL: a version imported by one process reaches the others at once (LISTEN/NOTIFY), not at the next poll;
and the follower keeps listening: a failed listen is logged and tried again after a pause, until cancelled."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from bot.clock import ManualClock
from bot.core import FOLLOW_LOOP, open_core
from bot.errors import ListenLost, StoreUnavailable
from bot.settings import Secret, Settings
from bot.store import postgres
from tests.shared_files import un_list


@pytest.mark.parametrize("engine", ["postgresql"])
async def test_a_version_imported_elsewhere_reaches_a_follower_at_once(
    engine: str, settings: Settings, clock: ManualClock
) -> None:
    async with open_core(settings, clock=clock) as follower, open_core(settings, clock=clock) as importer:
        listening = asyncio.Event()
        following = asyncio.create_task(follower.follow_versions(listening))
        try:
            await asyncio.wait_for(listening.wait(), 10)
            assert follower.lists.version is None
            result = await importer.importer.import_bytes(un_list("2020-03-20").read_bytes(), "other-host.xml")
            assert result.version is not None
            for _ in range(100):  # up to 5 s; the poll it replaces waits 30 s (5 min on PostgreSQL)
                if follower.lists.version is not None:
                    break
                await asyncio.sleep(0.05)
            assert follower.lists.version is not None and follower.lists.version.id == result.version.id
        finally:
            following.cancel()
            await asyncio.gather(following, return_exceptions=True)


FAILED = "listening for new list versions failed; the 5-minute poll covers it, retrying reference="


async def _until(condition: Callable[[], bool], what: str, seconds: float = 10) -> None:
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


async def test_following_retries_after_a_failure_and_stops_when_cancelled(
    engine: str, settings: Settings, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    """Nothing before `ready`; then each failed listen is logged and retried after the pause, not at once. SQLite
    cannot listen (every try fails); on PostgreSQL the versions table is away for the first tries, and once it is
    back the retry listens and follows. Cancelled (sleeping or listening), the loop ends and tries no more."""
    caplog.set_level(logging.INFO, logger="bot.core")
    pause = 0.2

    def failures() -> list[logging.LogRecord]:
        return [r for r in caplog.records if r.name == "bot.core" and r.getMessage().startswith(FAILED)]

    async with open_core(settings, clock=clock) as follower:
        if engine == "postgresql":
            await follower.db.write("ALTER TABLE list_versions RENAME TO list_versions_away")
        ready = asyncio.Event()
        following = asyncio.create_task(follower.keep_following_versions(ready=ready.wait, pause=pause))
        try:
            await asyncio.sleep(0.1)
            assert failures() == []  # not ready yet: no try
            ready.set()
            await _until(lambda: len(failures()) >= 2, "two failed tries")
            first, second = failures()[:2]
            assert second.created - first.created >= pause * 0.9  # a pause between tries, not a busy loop
            assert first.exc_info is not None and second.exc_info is not None
            if engine == "postgresql":
                await follower.db.write("ALTER TABLE list_versions_away RENAME TO list_versions")
                async with open_core(settings, clock=clock) as importer:
                    result = await importer.importer.import_bytes(un_list("2020-03-20").read_bytes(), "other.xml")
                assert result.version is not None
                await _until(lambda: follower.lists.version is not None, "the version to reach the follower")
                assert follower.lists.version is not None and follower.lists.version.id == result.version.id
                assert not following.done()
            else:
                assert isinstance(first.exc_info[1], NotImplementedError)  # SQLite has no announcements
        finally:
            following.cancel()
            await asyncio.gather(following, return_exceptions=True)
        assert following.cancelled()
        tried = len(failures())
        await asyncio.sleep(2 * pause)
        assert len(failures()) == tried  # no try after the cancellation


async def _stop(task: asyncio.Task[None]) -> int:
    """Cancel a task until it ends (a swallowed cancel must fail the test, not hang it); how many it took."""
    for cancels in range(1, 4):
        task.cancel()
        await asyncio.wait({task}, timeout=5)
        if task.done():
            return cancels
    raise AssertionError("the task ignores cancellation")


async def _terminate_listening_backend(url: str) -> int:
    """Kill the server process behind this database's listening connection (as a restart or an admin would);
    only this test's database is touched. How many were killed."""
    conn = await asyncpg.connect(url, timeout=10)
    try:
        rows = await conn.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid() AND query ILIKE 'LISTEN%'"
        )
    finally:
        await conn.close()
    return sum(1 for row in rows if row[0])


@pytest.mark.parametrize("engine", ["postgresql"])
async def test_a_dropped_listening_connection_is_noticed_and_the_follower_catches_up(
    engine: str, settings: Settings, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    """The server ends the listening connection: the follower does not wait forever on a dead connection but fails
    (a store error, logged, no database URL in it), listens again, and picks up the version imported while it was
    deaf; the next version is heard at once. No poll runs here: only listening can bring the versions in. A try
    that fails at once waits the pause; a connection that had served longer than the pause is replaced at once."""
    caplog.set_level(logging.INFO, logger="bot.core")
    pause = 2.0  # the window in which the follower is deaf: an import commits in it

    def failures() -> list[logging.LogRecord]:
        return [r for r in caplog.records if r.name == "bot.core" and r.getMessage().startswith(FAILED)]

    assert settings.database_url is not None
    url = settings.database_url.reveal()
    async with open_core(settings, clock=clock) as follower, open_core(settings, clock=clock) as importer:
        listening = asyncio.Event()
        following = asyncio.create_task(follower.keep_following_versions(listening=listening, pause=pause))
        try:
            await asyncio.wait_for(listening.wait(), 10)
            listening.clear()
            assert await _terminate_listening_backend(url) == 1
            await _until(lambda: len(failures()) == 1, "the lost connection to be noticed", seconds=5)
            error = failures()[0].exc_info
            assert error is not None and isinstance(error[1], ListenLost)
            assert isinstance(error[1], StoreUnavailable)
            assert url not in str(error[1]) and "postgresql://" not in str(error[1])
            # Deaf (before the retry): /about says so, with the reference the log has; an import now is announced to
            # nobody.
            assert not listening.is_set()
            reference = failures()[0].getMessage().rsplit("=", 1)[1]
            jobs = dict(await follower.loops.about()).get("Background jobs", "")
            assert FOLLOW_LOOP in jobs and reference in jobs, jobs
            deaf = await importer.importer.import_bytes(un_list("2020-03-20").read_bytes(), "while-deaf.xml")
            assert deaf.version is not None
            assert not listening.is_set()  # committed (and announced) before the follower listened again
            await _until(lambda: follower.lists.version is not None, "the missed version after listening again")
            assert follower.lists.version is not None and follower.lists.version.id == deaf.version.id
            assert listening.is_set() and not following.done()
            assert await follower.loops.about() == []  # listening again: no longer shown as failing
            heard = await importer.importer.import_bytes(un_list("2024-09-21").read_bytes(), "heard.xml")
            assert heard.version is not None
            await _until(
                lambda: follower.lists.version is not None and follower.lists.version.id == heard.version.id,
                "the next version to be heard",
                seconds=5,
            )
            assert len(failures()) == 1
            # Listening for longer than the pause, then dropped: listened again at once, not after the pause.
            listening.clear()
            await asyncio.sleep(pause * 1.1)
            assert await _terminate_listening_backend(url) == 1
            await _until(lambda: len(failures()) == 2, "the second lost connection to be noticed", seconds=5)
            await asyncio.wait_for(listening.wait(), pause * 0.75)
        finally:
            cancels = await _stop(following)
        assert following.cancelled()
        assert cancels == 1  # one cancel ends it, even after a lost connection (that cancel used to be swallowed)


class _CuttableProxy:
    """A TCP relay on 127.0.0.1 to the PostgreSQL server whose connections can be cut silently: from then on their
    bytes are read and dropped, both ways, and nothing is closed (a network that stops delivering, no FIN, no RST).
    New connections still go through."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.by_local_port: dict[int, list[asyncio.StreamWriter]] = {}  # by the port the server sees
        self.cut: set[int] = set()
        self.listening: set[int] = set()  # connections that sent a LISTEN
        self._tasks: set[asyncio.Task[None]] = set()
        self._server: asyncio.Server | None = None

    async def start(self) -> int:
        """Listen on a free port; which one."""
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        return int(self._server.sockets[0].getsockname()[1])

    async def _relay(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        server_r, server_w = await asyncio.open_connection(self.host, self.port)
        local_port = int(server_w.get_extra_info("sockname")[1])  # the server sees this as client_port
        self.by_local_port[local_port] = [client_w, server_w]

        async def pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            while data := await reader.read(65536):
                if writer is server_w and b"LISTEN " in data:  # the test server speaks without TLS
                    self.listening.add(local_port)
                if local_port not in self.cut:
                    writer.write(data)
                    await writer.drain()
            if local_port not in self.cut:
                writer.close()  # one end closed: so is the other (asyncpg's cancel requests wait for it)

        for reader, writer in ((client_r, server_w), (server_r, client_w)):
            task = asyncio.create_task(pump(reader, writer))
            self._tasks.add(task)

    async def close(self) -> None:
        """Stop relaying and close every connection (each end sees it closed)."""
        if self._server is not None:
            self._server.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for writers in self.by_local_port.values():
            for writer in writers:
                writer.close()


@pytest.mark.parametrize("engine", ["postgresql"])
async def test_a_silently_cut_listening_connection_is_noticed_by_its_check(
    engine: str,
    settings: Settings,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The network stops delivering on the listening connection without closing it: no callback fires, so the
    periodic check (shortened here from 30 s) must notice, give up on that connection, and listen on a new one."""
    caplog.set_level(logging.INFO, logger="bot.core")
    monkeypatch.setattr(postgres, "LISTEN_CHECK_SECONDS", 0.3)
    monkeypatch.setattr(postgres, "LISTEN_PROBE_TIMEOUT_S", 0.5)

    def failures() -> list[logging.LogRecord]:
        return [r for r in caplog.records if r.name == "bot.core" and r.getMessage().startswith(FAILED)]

    assert settings.database_url is not None
    url = settings.database_url.reveal()
    parts = urlsplit(url)
    proxy = _CuttableProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    port = await proxy.start()
    relayed = dataclasses.replace(
        settings, database_url=Secret(urlunsplit(parts._replace(netloc=f"{parts.username}@127.0.0.1:{port}")))
    )
    try:
        async with open_core(relayed, clock=clock) as follower, open_core(settings, clock=clock) as importer:
            listening = asyncio.Event()
            following = asyncio.create_task(follower.keep_following_versions(listening=listening, pause=0.5))
            try:
                await asyncio.wait_for(listening.wait(), 10)
                listening.clear()
                await asyncio.sleep(1)  # a few checks pass on a healthy connection
                assert failures() == []
                assert len(proxy.listening) == 1
                proxy.cut |= proxy.listening
                await _until(lambda: len(failures()) == 1, "the silent connection to be noticed", seconds=5)
                error = failures()[0].exc_info
                assert error is not None and isinstance(error[1], ListenLost)
                assert url not in str(error[1])
                await asyncio.wait_for(listening.wait(), 10)
                result = await importer.importer.import_bytes(un_list("2020-03-20").read_bytes(), "after-cut.xml")
                assert result.version is not None
                await _until(lambda: follower.lists.version is not None, "the version to reach the follower")
                assert follower.lists.version is not None and follower.lists.version.id == result.version.id
            finally:
                cancels = await _stop(following)
                await proxy.close()  # before the pools close: a cut connection would not answer their goodbye
            assert cancels == 1
    finally:
        await proxy.close()
