"""Start-up stays light: which modules each terminal command loads (a structural test, not a timed one).

Each command runs as a real process (`python -m bot …`) and reports, when it exits, which of the heavy modules
ended up in `sys.modules`. Speed itself is measured by `python -m bench`, never here.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.app import SanctionsBot
from bot.cli_ask import EXTENSION_OF, extensions_for
from bot.clock import Clock
from bot.core import Core, open_core
from bot.settings import Settings
from tests.shared_files import REPO_ROOT, un_list

HEAVY = ("discord", "matplotlib", "numpy", "aiohttp", "rapidfuzz", "feedparser", "bot.services.search")

# Runs the CLI in-process, then prints the heavy modules it loaded (at exit, so after everything ran).
PROBE = """
import atexit, runpy, sys
heavy = {heavy!r}
atexit.register(lambda: sys.stderr.write("LOADED=" + ",".join(m for m in heavy if m in sys.modules) + "\\n"))
sys.argv = ["sanctionsbot", *sys.argv[1:]]
runpy.run_module("bot", run_name="__main__", alter_sys=True)
"""


def loaded_by(tmp_path: Path, *args: str) -> tuple[set[str], subprocess.CompletedProcess[str]]:
    """Run one CLI command in its own process; the heavy modules it loaded, and the process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_", "UN_LIST"))}
    env.update({"DATABASE_PATH": str(tmp_path / "cli.sqlite3"), "PYTHONPATH": str(REPO_ROOT)})
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY), *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    line = next((ln for ln in proc.stderr.splitlines() if ln.startswith("LOADED=")), None)
    assert line is not None, proc.stderr
    return {m for m in line.removeprefix("LOADED=").split(",") if m}, proc


@pytest.mark.parametrize(
    "args",
    [
        ("versions",),
        ("health",),
        ("backup", "copy.sqlite3"),
    ],
)
def test_maintenance_commands_load_neither_discord_nor_matplotlib(
    loaded_cli: Path, engine: str, args: tuple[str, ...]
) -> None:
    loaded, proc = loaded_by(loaded_cli, *args)
    # health may find the list old (exit 1 is an answer too); backup copies a SQLite file, so PostgreSQL refuses it
    refused = args[0] == "backup" and engine == "postgresql"
    assert proc.returncode in ((2,) if refused else (0, 1)), proc.stderr
    assert loaded == set(), f"{args[0]} loaded {sorted(loaded)}"


def test_import_loads_neither_discord_nor_matplotlib_nor_search(tmp_path: Path) -> None:
    loaded, proc = loaded_by(tmp_path, "import", str(un_list("2024-09-26")))
    assert proc.returncode == 0, proc.stderr
    assert loaded == set(), f"import loaded {sorted(loaded)}"


def test_count_needs_discord_only(loaded_cli: Path) -> None:
    """`ask` reads the command tree (discord.py), but a count needs no chart, search index or feed parser."""
    loaded, proc = loaded_by(loaded_cli, "ask", "sanctions", "count", "regime:DPRK")
    assert proc.returncode == 0, proc.stderr
    assert "80 individuals" in proc.stdout
    assert loaded <= {"discord", "aiohttp"}, f"count loaded {sorted(loaded)}"


def test_search_builds_its_index_when_asked(loaded_cli: Path) -> None:
    loaded, proc = loaded_by(loaded_cli, "ask", "sanctions", "search", "name:Ri Won Ho")
    assert proc.returncode == 0, proc.stderr
    assert "KPi." in proc.stdout
    assert "bot.services.search" in loaded and "matplotlib" not in loaded


def test_timeline_draws_with_matplotlib(loaded_cli: Path) -> None:
    loaded, proc = loaded_by(loaded_cli, "ask", "sanctions", "timeline", "regime:DPRK")
    assert proc.returncode == 0, proc.stderr
    assert "matplotlib" in loaded and ".png" in proc.stdout


async def test_ask_loads_the_extension_of_each_top_level_command(core: Core) -> None:
    """The table `ask` uses to load one extension names, for every top-level command, the one that holds it."""
    bot = SanctionsBot(core, run_background=False)
    await bot.load_cogs()
    seen = {command.name: command.module for command in bot.tree.get_commands()}
    await bot.close()
    owned = {name: ext for name, ext in seen.items() if name != "help"}
    assert {n: EXTENSION_OF.get(n) for n in owned} == owned
    assert extensions_for(["help"]) is None  # /help lists every command: all extensions load
    assert extensions_for(["sanctions", "count", "regime:DPRK"]) == ("cogs.sanctions",)


async def test_search_index_is_built_once_per_version_where_used(loaded_settings: Settings, clock: Clock) -> None:
    async with open_core(loaded_settings, clock=clock, eager=False, writable=False) as core:
        assert core._search is None  # nothing built for a command that does not search
        first = (await core.ready_search()).index
        again = (await core.ready_search()).index
        assert first is not None and first is again


async def test_an_index_rebuild_restores_the_collector_and_frees_the_old_index(loaded_core: Core) -> None:
    """The collector is paused while an index is built (a full pass over it would stall the loop), then back on;
    the replaced index is taken apart (it is not left for the collector), unless someone still holds it."""
    import gc

    version = loaded_core.lists.require_version()
    old = loaded_core.search.index
    assert old is not None
    held_names = len(old.name_text)
    await loaded_core.search.rebuild(version)
    assert gc.isenabled()
    assert loaded_core.search.index is not old
    assert len(old.name_text) == held_names  # still held here: left whole
    new = loaded_core.search.index
    assert new is not None and new.search("Ri Won Ho")[0].reference.startswith("KP")
