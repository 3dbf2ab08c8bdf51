"""Layers point down only: cogs → answers → render → services → store | sources → models (README "Layout").

The contracts live in pyproject.toml ([tool.importlinter]) and are checked here by import-linter over the real
import graph, indirect imports included. A module no layer names is neutral (the bottom layer) and may import
only neutral modules; no contract may list exceptions (ignore_imports).
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]


def _config() -> dict:
    with (ROOT / "pyproject.toml").open("rb") as fh:
        return tomllib.load(fh)["tool"]["importlinter"]


def test_the_import_contracts_hold() -> None:
    """import-linter's verdict on the contracts (its report is the failure message)."""
    linter = Path(sys.executable).parent / "lint-imports"
    done = subprocess.run(
        [str(linter), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


def test_no_contract_lists_exceptions() -> None:
    for contract in _config()["contracts"]:
        assert not contract.get("ignore_imports"), contract["id"]
        assert not contract.get("ignore_imports_alerting"), contract["id"]


def test_every_module_is_in_a_layer_or_neutral() -> None:
    """A module the contract does not name is a neutral one (the bottom layer): it may import only other neutral
    modules, directly or through others. So a new helper module needs no listing, and cannot escape the layers."""
    (layers,) = [c["layers"] for c in _config()["contracts"] if c["type"] == "layers"]
    named = [[name.strip() for name in layer.replace("|", ":").split(":")] for layer in layers]
    above_bottom = [name for layer in named[:-1] for name in layer]

    def in_any(module: str, names: list[str]) -> bool:
        return any(module == n or module.startswith(n + ".") for n in names)

    graph = grimp.build_graph("bot", "cogs", cache_dir=None)
    placed = [name for layer in named for name in layer]
    unnamed = [m for m in graph.modules if m not in ("bot", "cogs") and not in_any(m, placed)]
    climbing = {
        m: sorted(u for u in graph.find_upstream_modules(m) if in_any(u, above_bottom))
        for m in unnamed
        if m.startswith("bot.")
    }
    assert {m: ups for m, ups in climbing.items() if ups} == {}
    assert not [m for m in unnamed if m.startswith("cogs")]  # cogs is a layer of its own: nothing there is unnamed
