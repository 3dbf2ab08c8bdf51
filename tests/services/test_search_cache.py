"""The search index's cache file: written and read back whole, and read without touching the file mid-load; and a
process that ends with an index still held ends."""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from bot.models import ListVersion
from bot.services import search_cache
from bot.services.search_index import SearchIndex
from bot.sources.un_xml import parse_consolidated_list
from tests.shared_files import un_list

ROOT = Path(__file__).resolve().parent.parent.parent
VERSION = ListVersion(1, "2024-09-26T00:00:07.514Z", "", "test", "", 0, 0, 0, 0)


def _index() -> SearchIndex:
    return SearchIndex(VERSION, parse_consolidated_list(un_list("2024-09-26").read_bytes()).entries, ["IQe.003"])


def test_a_cache_file_is_read_whole_before_it_is_unpickled(tmp_path: Path) -> None:
    # Reading frame by frame from the file while unpickling lets go of the GIL at every read and takes it straight
    # back, which keeps restarting the event loop's wait for its turn: the loop starved for the whole load (issue 12).
    # So the reader takes the file in one read, and the unpickler then never touches the file: here the file is
    # emptied once the reader exists, and the index still comes back whole.
    built = _index()
    path = tmp_path / "index.pickle"
    assert search_cache.save(built, path)
    reader = search_cache._Reader(path)
    path.write_bytes(b"")
    try:
        loaded = pickle.load(reader)
    finally:
        reader.close()
    assert isinstance(loaded, SearchIndex) and loaded.name_text == built.name_text
    for query in ("Ri Won Ho", "KOMID", "리원호", "IMO 9113757"):
        assert loaded.search(query) == built.search(query), query
    assert loaded.name_choices("Ri Wo") == built.name_choices("Ri Wo")


def test_a_cache_file_cut_short_is_not_loaded(tmp_path: Path) -> None:
    path = tmp_path / "index.pickle"
    assert search_cache.save(_index(), path)
    data = path.read_bytes()
    for size in (0, 1, len(data) // 2, len(data) - 1):
        path.write_bytes(data[:size])
        assert search_cache.load(path) is None, size
    assert search_cache.load(tmp_path / "missing.pickle") is None


@pytest.mark.parametrize("releaser_running", [False, True], ids=["first-release-at-exit", "releaser-running"])
def test_a_process_ends_with_an_index_still_held(releaser_running: bool) -> None:
    # An index let go of hands its contents to a background thread (SearchIndex.__del__); one let go of while the
    # interpreter shuts down (held by a module, as `sanctionsbot ask` holds its core) must not wait for a thread that
    # can no longer run: the process hung at exit.
    script = (
        "from bot.models import ListVersion\n"
        "from bot.services.search_index import SearchIndex\n"
        "VERSION = ListVersion(1, '2024-09-26T00:00:07.514Z', '', 'test', '', 0, 0, 0, 0)\n"
        f"if {releaser_running}:\n"
        "    SearchIndex(VERSION, [])\n"
        "    from bot.memory import wait_released\n"
        "    assert wait_released(10)\n"
        "held = SearchIndex(VERSION, [])\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, timeout=60, capture_output=True, check=False)
    assert done.returncode == 0, done.stderr.decode()
