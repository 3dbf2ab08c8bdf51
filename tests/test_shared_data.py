"""A clone without ../shared: the test data fetched from its public sources (here a local mirror), hash-checked."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.shared_files import (
    MANIFEST,
    REPO_ROOT,
    SharedFetchFailed,
    SharedSource,
    fetch_shared,
    manifest,
    shared_dir,
)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Mirror:
    """A raw-file server on 127.0.0.1 laid out as OWNER/REPO/COMMIT/PATH, counting the requests it answers."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.paths: list[str] = []
        mirror = self

        class Handler(SimpleHTTPRequestHandler):
            def do_GET(self) -> None:
                mirror.paths.append(self.path)
                super().do_GET()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(root)))
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def file(self, source: SharedSource) -> Path:
        return self.root / source.repository / source.commit / source.source_path


@pytest.fixture
def mirror(tmp_path: Path) -> Iterator[Mirror]:
    """Every listed file, copied from the shared folder into a mirror's layout."""
    server = Mirror(tmp_path / "mirror")
    for source in manifest():
        target = server.file(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shared_dir() / source.path, target)
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


def test_the_manifest_lists_what_sources_md_lists() -> None:
    sources_md = shared_dir() / "data" / "SOURCES.md"
    if not sources_md.is_file():
        pytest.skip("this shared folder has no data/SOURCES.md (a fetched copy): nothing to compare with")
    row = r"^\| `([^`]+)` \| (\S+) \| ([0-9a-f]{40}) \| (\S+) \| ([0-9a-f]{64}) \|$"
    rows = re.findall(row, sources_md.read_text(), re.M)
    expected = {SharedSource(f"data/{path}", repo, commit, there, digest) for path, repo, commit, there, digest in rows}
    assert len(rows) == 6
    assert set(manifest()) == expected


def test_every_listed_hash_is_the_shared_files_hash() -> None:
    for source in manifest():
        assert sha256(shared_dir() / source.path) == source.sha256, source.path


def test_files_are_fetched_from_the_mirror_checked_and_kept(mirror: Mirror, tmp_path: Path) -> None:
    target = tmp_path / "cache"
    assert fetch_shared(mirror.url, target) == target
    for source in manifest():
        assert sha256(target / source.path) == source.sha256
    assert sorted(mirror.paths) == sorted(f"/{s.repository}/{s.commit}/{s.source_path}" for s in manifest())
    # Already there with the right hash: nothing is downloaded again.
    fetch_shared(mirror.url, target)
    assert len(mirror.paths) == len(manifest())


def test_a_corrupt_mirror_file_stops_with_one_line_naming_it(mirror: Mirror, tmp_path: Path) -> None:
    bad = manifest()[2]
    data = bytearray(mirror.file(bad).read_bytes())
    data[1000] ^= 1  # one bit
    mirror.file(bad).write_bytes(bytes(data))
    target = tmp_path / "cache"
    with pytest.raises(SharedFetchFailed) as caught:
        fetch_shared(mirror.url, target)
    message = str(caught.value)
    assert "\n" not in message
    assert bad.path in message and "SHA-256" in message and "SANCTIONSBOT_DATA_URL" in message
    assert not (target / bad.path).exists()  # the bad bytes are not kept


def test_an_unreachable_source_stops_with_one_line_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(SharedFetchFailed) as caught:
        fetch_shared("http://127.0.0.1:9", tmp_path / "cache")
    message = str(caught.value)
    assert "\n" not in message
    assert manifest()[0].path in message and "cannot download" in message and "SANCTIONSBOT_SHARED" in message


def _clone_of_the_fetcher(tmp_path: Path) -> Path:
    """The fetcher and its manifest in a folder with no ../shared beside it, as in a fresh clone."""
    clone = tmp_path / "somewhere" / "clone"
    (clone / "tests").mkdir(parents=True)
    for name in ("__init__.py", "shared_files.py", MANIFEST.name):
        shutil.copyfile(REPO_ROOT / "tests" / name, clone / "tests" / name)
    return clone


def _run_fetcher(clone: Path, cache: Path, url: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SANCTIONSBOT_SHARED"}
    env.update(XDG_CACHE_HOME=str(cache), SANCTIONSBOT_DATA_URL=url)
    return subprocess.run(
        [sys.executable, "-m", "tests.shared_files"], cwd=clone, env=env, capture_output=True, text=True, timeout=120
    )


def test_the_command_dev_py_runs_fetches_into_the_user_cache(mirror: Mirror, tmp_path: Path) -> None:
    clone = _clone_of_the_fetcher(tmp_path)
    done = _run_fetcher(clone, tmp_path / "xdg", mirror.url)
    assert done.returncode == 0, done.stderr
    folder = Path(done.stdout.strip())
    assert folder == tmp_path / "xdg" / "sanctionsbot" / "shared"
    assert all(sha256(folder / s.path) == s.sha256 for s in manifest())


def test_the_command_dev_py_runs_stops_on_a_corrupt_file_with_one_line(mirror: Mirror, tmp_path: Path) -> None:
    bad = manifest()[-1]
    mirror.file(bad).write_bytes(mirror.file(bad).read_bytes()[:-10])
    done = _run_fetcher(_clone_of_the_fetcher(tmp_path), tmp_path / "xdg", mirror.url)
    assert done.returncode == 1
    assert done.stdout == ""
    lines = [line for line in done.stderr.splitlines() if not line.startswith("fetching the test data")]
    assert len(lines) == 1, done.stderr
    assert bad.path in lines[0] and "SHA-256" in lines[0]
