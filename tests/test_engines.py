"""The engine choice in tests/conftest.py: both engines by default, SQLite only with a reason."""

from __future__ import annotations

import pytest

from tests.conftest import sqlite_only_reason


def test_a_test_of_the_store_runs_on_each_engine(request: pytest.FixtureRequest, engine: str) -> None:
    assert engine in ("sqlite", "postgresql")
    assert request.node.name.endswith(f"[{engine}]")


@pytest.mark.sqlite_only("checks the marker itself")
def test_sqlite_only_keeps_a_test_on_sqlite(request: pytest.FixtureRequest, engine: str) -> None:
    assert engine == "sqlite" and "[" not in request.node.name


@pytest.mark.parametrize("engine", ["postgresql"])
def test_a_test_may_name_its_engines(request: pytest.FixtureRequest, engine: str) -> None:
    assert request.node.name.endswith("[postgresql]")


def test_sqlite_only_needs_a_reason() -> None:
    assert sqlite_only_reason(pytest.mark.sqlite_only("a SQLite PRAGMA").mark) == "a SQLite PRAGMA"
    assert sqlite_only_reason(pytest.mark.sqlite_only(reason="its WAL file").mark) == "its WAL file"
    for bare in (pytest.mark.sqlite_only, pytest.mark.sqlite_only(""), pytest.mark.sqlite_only("  ")):
        with pytest.raises(pytest.UsageError, match="sqlite_only needs a reason"):
            sqlite_only_reason(bare.mark)
