"""Backups, checked restores, health, a read-only store at start-up, and SIGKILL in the middle of an import."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.core import open_core
from bot.errors import StoreUnavailable
from bot.services.health import check_health
from bot.settings import Secret, Settings
from bot.store import lists as lists_store
from bot.store import lists as store
from bot.store.backup import backup, check_file, restore
from bot.store.db import Database
from tests.conftest import store_env
from tests.shared_files import REPO_ROOT, un_list

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)


@pytest.mark.sqlite_only("backup and restore copy a SQLite file (PostgreSQL has pg_dump)")
async def test_backup_while_open_then_restore(tmp_path: Path, loaded_settings: Settings) -> None:
    async with open_core(loaded_settings) as core:
        checked = backup(loaded_settings.database_path, tmp_path / "backup.sqlite3")
        assert checked.versions == 5 and checked.integrity == "ok"
        with pytest.raises(StoreUnavailable, match="already exists"):
            backup(loaded_settings.database_path, tmp_path / "backup.sqlite3")
    fresh = tmp_path / "fresh.sqlite3"
    async with open_core(Settings(database_path=fresh)):
        pass
    restore(tmp_path / "backup.sqlite3", fresh)
    async with open_core(Settings(database_path=fresh)) as core:
        assert len(await store.list_versions(core.db)) == 5
        assert await core.db.integrity_check() == "ok"


@pytest.mark.sqlite_only("restore checks a SQLite file before it replaces the store file")
@pytest.mark.parametrize("content", [b"", b"hello world" * 100, b"SQLite format 3\x00" + b"\x00" * 200])
def test_restore_refuses_what_is_not_a_sound_database(
    tmp_path: Path, loaded_settings: Settings, content: bytes
) -> None:
    bad = tmp_path / "bad.sqlite3"
    bad.write_bytes(content)
    before = loaded_settings.database_path.read_bytes()
    with pytest.raises(StoreUnavailable):
        restore(bad, loaded_settings.database_path)
    assert loaded_settings.database_path.read_bytes() == before


@pytest.mark.sqlite_only("restore reads SQLite files")
def test_restore_refuses_another_sqlite_database(tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite3"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE notes (x)")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    with pytest.raises(StoreUnavailable, match="not a sanctionsbot database"):
        check_file(other)


async def test_health(tmp_path: Path, loaded_settings: Settings, pg_store: str | None) -> None:
    assert not (await check_health(tmp_path / "none.sqlite3", NOW, 48)).ok
    location = loaded_settings.store_location()
    # Versions up to 2024-09-26, imported at NOW (2026-11-26): imported recently, but a 2024 list is stale.
    old = await check_health(location, NOW, 48)
    assert not old.ok and old.summary.startswith("stale") and "2024-09-26" in old.summary
    async with open_core(loaded_settings) as core:  # a sync at NOW found the same list: known current
        await lists_store.record_sync(core.db, attempt_at=NOW.isoformat(timespec="seconds"), ok=True)
    verdict = await check_health(location, NOW, 48)
    assert verdict.ok and "2024-09-26" in verdict.summary
    stale = await check_health(location, NOW + dt.timedelta(days=3), 48)
    assert not stale.ok and stale.summary.startswith("stale")
    async with open_core(loaded_settings) as core:
        await lists_store.record_sync(core.db, attempt_at=NOW.isoformat(timespec="seconds"), ok=False, error="HTTP 503")
    failing = await check_health(location, NOW, 48)
    assert not failing.ok and failing.summary.startswith("sync failing") and "HTTP 503" in failing.summary
    empty = Settings(database_path=tmp_path / "empty.sqlite3", database_url=Secret(pg_store) if pg_store else None)
    async with open_core(empty):
        pass
    assert (await check_health(empty.store_location(), NOW, 48)).summary == "no list imported yet"


def _make_unwritable(path: Path) -> bool:
    """Make a file impossible to write, even for root (chattr +i where the file system allows it)."""
    os.chmod(path, 0o444)
    if os.geteuid() != 0:
        return True
    return (
        shutil.which("chattr") is not None
        and subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False).returncode == 0
    )


@pytest.mark.sqlite_only("a read-only store file (file permissions)")
async def test_read_only_store_is_refused_at_start_up(tmp_path: Path, loaded_settings: Settings) -> None:
    path = loaded_settings.database_path
    if not _make_unwritable(path):
        pytest.skip("cannot make a file read-only for this user here")
    try:
        with pytest.raises(StoreUnavailable) as info:
            async with open_core(loaded_settings):
                pass
        assert "readonly" in info.value.message or "read-only" in info.value.message
        result = subprocess.run(
            [sys.executable, "-m", "bot", "sync"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "DATABASE_PATH": str(path), "PYTHONPATH": str(REPO_ROOT)},
            check=False,
        )
        assert result.returncode == 1 and "Traceback" not in result.stderr
        assert result.stderr.startswith("sanctionsbot: cannot") and result.stderr.count("\n") == 1
    finally:
        subprocess.run(["chattr", "-i", str(path)], capture_output=True, check=False)
        os.chmod(path, 0o644)


@pytest.mark.sqlite_only("the full store is made with PRAGMA max_page_count")
async def test_write_failure_at_run_time_is_reported_not_fatal(loaded_settings: Settings) -> None:
    async with open_core(loaded_settings) as core:
        async with core.db.transaction() as conn:
            await conn.execute("PRAGMA max_page_count = 1")  # nothing more fits: "database or disk is full"
        big = "x" * 200_000
        with pytest.raises(StoreUnavailable, match="cannot write"):
            async with core.db.transaction() as conn:
                await conn.execute("INSERT INTO meta (key, value) VALUES ('big', ?)", (big,))
        assert core.db.last_write_error and "full" in core.db.last_write_error
        # Reads still answer, and /about says what is wrong.
        assert (await store.latest_version(core.db)) is not None
        assert core.lists.counts("DPRK").individuals == 80
        from bot.answers.about import about
        from bot.answers.context import AnswerContext

        shown = str((await about(AnswerContext(core=core))).first.embeds[0].to_dict())
        assert "Writes are failing" in shown and "full" in shown


def test_sigkill_inside_the_import_transaction_leaves_the_previous_version(
    tmp_path: Path, loaded_settings: Settings
) -> None:
    # A list the store does not hold yet (same content as 2024-09-26, other generation date).
    newer = tmp_path / "newer.xml"
    newer.write_bytes(un_list("2024-09-26").read_bytes().replace(b"2024-09-26T00:00:07.514Z", b"2024-10-01T00:00:00Z"))
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.fixtures.import_child", str(loaded_settings.store_location()), str(newer)],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        lines = []
        for line in child.stdout:
            lines.append(line.strip())
            if line.strip() == "IN_TRANSACTION":
                child.send_signal(signal.SIGKILL)
                break
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    assert lines[-1] == "IN_TRANSACTION" and child.returncode == -signal.SIGKILL

    async def left_behind() -> tuple[str, tuple[object, ...], int]:
        async with await Database.open(loaded_settings.store_location()) as db:
            versions = await db.fetchone("SELECT COUNT(*), MAX(generated_at) FROM list_versions")
            orphans = await db.fetchone(
                "SELECT COUNT(*) FROM version_entries WHERE version_id NOT IN (SELECT id FROM list_versions)"
            )
            assert versions is not None and orphans is not None
            return await db.integrity_check(), tuple(versions), int(orphans[0])

    assert asyncio.run(left_behind()) == ("ok", (5, "2024-09-26T00:00:07.514Z"), 0)
    # And the next import goes through.
    done = subprocess.run(
        [sys.executable, "-m", "bot", "import", str(newer)],
        cwd=tmp_path,
        env={**os.environ, **store_env(loaded_settings), "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Imported version 6" in done.stdout


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MB file system of its own (tmpfs; needs root, skipped elsewhere)."""
    mount_point = tmp_path / "tiny"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount_point)], capture_output=True, check=False
    )
    if mounted.returncode != 0:
        pytest.skip("cannot mount a small file system here")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], capture_output=True, check=False)


def _fill(folder: Path) -> None:
    """Fill a file system to the last byte."""
    fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        for chunk in (65536, 4096, 512, 1):
            try:
                while True:
                    os.write(fd, b"\0" * chunk)
            except OSError:
                continue
    finally:
        os.close(fd)


@pytest.mark.sqlite_only("a SQLite file on a full file system")
async def test_full_disk_at_start_up_is_a_clean_exit(tiny_disk: Path) -> None:
    settings = Settings(database_path=tiny_disk / "store.sqlite3")
    async with open_core(settings):
        pass
    _fill(tiny_disk)
    result = subprocess.run(
        [sys.executable, "-m", "bot", "sync"],
        cwd=tiny_disk.parent,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "DATABASE_PATH": str(settings.database_path), "PYTHONPATH": str(REPO_ROOT)},
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1
    assert "full" in result.stderr or "disk" in result.stderr


@pytest.mark.sqlite_only("a SQLite file on a full file system")
async def test_full_disk_while_running_keeps_reads_and_refuses_the_import(tiny_disk: Path) -> None:
    settings = Settings(database_path=tiny_disk / "store.sqlite3")
    async with open_core(settings) as core:
        await core.importer.import_bytes(un_list("2017-07-03").read_bytes(), "base.xml")
        await core.after_import()
        _fill(tiny_disk)
        with pytest.raises(StoreUnavailable, match="full"):
            await core.importer.import_bytes(un_list("2020-03-20").read_bytes(), "next.xml")
        assert [v.generated_date for v in await store.list_versions(core.db)] == ["2017-07-03"]
        assert core.lists.counts("DPRK").individuals == 53
        assert await core.db.integrity_check() == "ok"
