"""Layers point down only: cogs → answers → render → services → store | sources → models (README "Layout").

The contracts live in pyproject.toml ([tool.importlinter]) and are checked here by import-linter over the real
import graph, indirect imports included. Every module of bot/ and cogs/ must sit in a layer, and no contract may
list exceptions (ignore_imports).
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


def test_every_module_is_in_a_layer() -> None:
    """A new module outside every layer would escape the contract: it must be placed."""
    (layers,) = [c["layers"] for c in _config()["contracts"] if c["type"] == "layers"]
    placed = [name.strip() for layer in layers for name in layer.replace("|", ":").split(":")]
    graph = grimp.build_graph("bot", "cogs", cache_dir=None)
    outside = sorted(
        m
        for m in graph.modules
        if m not in ("bot", "cogs") and not any(m == p or m.startswith(p + ".") for p in placed)
    )
    assert outside == []
