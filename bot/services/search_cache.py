"""A built search index kept on disk per list version, and large lists indexed in a separate process.

Building the index of a list 50 times the real one decodes every entry (a few hundred MB of Python objects) and
takes seconds of CPU; loading the built index back takes a tenth of that and a third of the memory. So an index is
built once per list version (and per version of the code that builds it: `code_stamp`), written next to the
store, and loaded on later start-ups. Large lists are built by a child process (`python -m
bot.services.search_cache`): the bot's own process never holds the decoded entries and its event loop never waits
on the build. The file is a pickle: it lives beside the store, and whoever can write there can change the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import io
import json
import logging
import os
import pickle
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.models import ListVersion
    from bot.services.search_index import SearchIndex

log = logging.getLogger(__name__)

FORMAT = 1
CACHE_DIR_VAR = "SANCTIONSBOT_CACHE_DIR"
PROCESS_ENTRIES = 2000  # lists larger than this are indexed in a child process (the real list has under 1,000)
_SOURCES = (
    "bot/models.py",
    "bot/normalize.py",
    "bot/name_parts.py",
    "bot/hangul.py",
    "bot/search_results.py",
    "bot/services/search_complete.py",
    "bot/services/search_exact.py",
    "bot/services/search_identifiers.py",
    "bot/services/search_index.py",
    "bot/services/search_score.py",
    "bot/services/search_structures.py",
)
_ROOT = Path(__file__).resolve().parent.parent.parent


@functools.cache
def code_stamp() -> str:
    """A hash of the code an index is built by: an index built by other code is never loaded."""
    digest = hashlib.sha256(str(FORMAT).encode())
    for name in _SOURCES:
        path = _ROOT / name
        digest.update(path.read_bytes() if path.exists() else name.encode())
    return digest.hexdigest()[:16]


def cache_dir_for(location: Path | str) -> Path:
    """Where the indexes of a store are kept: beside a SQLite file; for PostgreSQL, in SANCTIONSBOT_CACHE_DIR or
    else the user's cache folder (~/.cache/sanctionsbot), one folder per database."""
    if isinstance(location, Path):
        return location.parent
    base = Path(os.environ.get(CACHE_DIR_VAR) or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"))
    base = base if os.environ.get(CACHE_DIR_VAR) else base / "sanctionsbot"
    return base / hashlib.sha256(location.encode()).hexdigest()[:16]


def _prefix(location: Path | str) -> str:
    return f"{location.name}.search-" if isinstance(location, Path) else "search-"


def cache_path(location: Path | str, version: ListVersion, newest_revision: int) -> Path:
    """The file of one version's index (the newest revision id says whether references were added since)."""
    key = hashlib.sha256(f"{version.id}:{version.sha256}:{newest_revision}".encode()).hexdigest()[:16]
    return cache_dir_for(location) / f"{_prefix(location)}{key}-{code_stamp()}.pickle"


def save(index: SearchIndex, path: Path) -> bool:
    """Write an index (atomically) and remove the store's older ones; False if the folder cannot be written."""
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        buffer = io.BytesIO()
        pickle.dump(index, _Writer(buffer), protocol=pickle.HIGHEST_PROTOCOL)
        with temporary.open("wb") as out:
            out.write(buffer.getbuffer())
    except OSError as exc:
        log.warning("search index not cached path=%s cause=%s", path, exc)
        with contextlib.suppress(OSError):
            temporary.unlink()
        return False
    return adopt(temporary, path)


def adopt(written: Path, path: Path) -> bool:
    """Make a written index the cache file of its version and remove the store's older ones (False if it cannot)."""
    try:
        os.replace(written, path)
    except OSError as exc:
        log.warning("search index not cached path=%s cause=%s", path, exc)
        with contextlib.suppress(OSError):
            written.unlink()
        return False
    prefix = path.name[: path.name.rindex(".search-") + 8] if ".search-" in path.name else "search-"
    for other in path.parent.glob(f"{prefix}*.pickle"):
        if other != path:
            with contextlib.suppress(OSError):
                other.unlink()
    return True


def scratch_path(path: Path) -> Path:
    """Where a child process writes an index before it is adopted: beside the cache file if that folder can be
    written, else in the temporary folder."""
    name = f"{path.name}.{os.getpid()}.{id(path)}.tmp"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if os.access(path.parent, os.W_OK):
            return path.with_name(name)
    except OSError:
        pass
    import tempfile

    return Path(tempfile.gettempdir()) / name


class _Writer:
    """Memory written by Python calls, a frame at a time (see _Reader); the file is written afterwards, at once."""

    def __init__(self, buffer: io.BytesIO) -> None:
        self._buffer = buffer

    def write(self, data: bytes) -> int:
        return self._buffer.write(data)


class _Reader:
    """A file read whole first, then handed to the unpickler by Python calls, a frame at a time.

    The unpickler is one C call otherwise, and would hold the GIL (and the event loop) for as long as it takes to
    rebuild the whole index; each Python call lets the interpreter hand the GIL over when the event loop has asked
    for it. No file read happens while unpickling: a read lets go of the GIL and takes it straight back, and every
    such release restarts the event loop's wait for a switch (5 ms, sys.getswitchinterval) from zero, so a loader
    that reads a frame at a time from the file starves the event loop for the whole load (60-110 ms at 50x the
    list on a busy machine, issue 12)."""

    def __init__(self, path: Path) -> None:
        with path.open("rb") as file:
            self._bytes = file.read()  # one read: the GIL is let go once, for all of it
        self._data = memoryview(self._bytes)
        self._position = 0

    def read(self, size: int = -1) -> bytes:
        start = self._position
        end = len(self._data) if size < 0 else min(len(self._data), start + size)
        self._position = end
        return self._data[start:end].tobytes()

    def readinto(self, buffer: bytearray | memoryview) -> int:
        view = memoryview(buffer).cast("B")
        end = min(len(self._data), self._position + len(view))
        done = end - self._position
        view[:done] = self._data[self._position : end]
        self._position = end
        return done

    def readline(self) -> bytes:
        start = self._position
        found = self._bytes.find(b"\n", start)  # only text opcodes (never written here) read lines
        end = len(self._bytes) if found < 0 else found + 1
        self._position = end
        return self._data[start:end].tobytes()

    def close(self) -> None:
        self._data = memoryview(b"")
        self._bytes = b""


def load(path: Path) -> SearchIndex | None:
    """The index in a cache file, or None (missing, unreadable, or not an index)."""
    from bot.services.search_index import SearchIndex

    try:
        reader = _Reader(path)
    except OSError:
        return None
    try:
        index = pickle.load(reader)  # noqa: S301 - our own file, beside the store (see the module's docstring)
    except Exception as exc:  # a truncated or foreign file is rebuilt, never trusted
        log.warning("search index cache unreadable path=%s cause=%s", path, type(exc).__name__)
        return None
    finally:
        reader.close()
    return index if isinstance(index, SearchIndex) else None


async def build_in_process(location: Path | str, version_id: int, out: Path) -> None:
    """Build one version's index in a child process that writes it to `out` (RuntimeError if it fails); a SQLite
    location must be absolute (the child runs in the project's folder)."""
    request = json.dumps({"location": str(location), "sqlite": isinstance(location, Path), "version": version_id})
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.services.search_cache",
        str(out),
        stdin=asyncio.subprocess.PIPE,  # the location may be a URL with a password: never on the command line
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        cwd=_ROOT,
    )
    try:
        _out, err = await child.communicate(request.encode())
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            child.kill()
        await child.wait()
        raise
    if child.returncode != 0:
        lines = err.decode(errors="replace").strip().splitlines()
        raise RuntimeError(f"search index build failed: {lines[-1] if lines else child.returncode}")


async def _child(out: Path) -> None:
    from bot.services.search_index import SearchIndex
    from bot.store import lists as store
    from bot.store.db import Database

    with contextlib.suppress(OSError):
        os.nice(10)  # background work: the bot's event loop, and whatever else runs, come first
    request = json.loads(sys.stdin.read())
    location: Path | str = Path(request["location"]) if request["sqlite"] else request["location"]
    db = await Database.open(location, migrate=False)
    try:
        versions = [v for v in await store.list_versions(db) if v.id == request["version"]]
        if not versions:
            raise SystemExit(f"no list version {request['version']}")
        stored = await store.version_entries(db, versions[0].id)
        references = await store.all_references(db)
    finally:
        await db.close()
    index = SearchIndex(versions[0], [s.entry for s in stored.values()], references)
    with out.open("wb") as handle:
        pickle.dump(index, handle, protocol=pickle.HIGHEST_PROTOCOL)


if __name__ == "__main__":
    asyncio.run(_child(Path(sys.argv[1])))
