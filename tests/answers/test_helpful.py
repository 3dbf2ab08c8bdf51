"""Helpful answers (issue 15), through `sanctionsbot ask` and the terminal."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_cli import run_cli


@pytest.fixture
def cli(tmp_path: Path, loaded_template: Path) -> Path:
    (tmp_path / "cli.sqlite3").write_bytes(loaded_template.read_bytes())
    return tmp_path


def test_changes_print_one_page_at_a_time_with_a_page_count(cli: Path) -> None:
    first = run_cli(cli, "ask", "sanctions", "changes")
    assert first.returncode == 0, first.stderr
    assert first.stdout.count("--- page ") == 1 and "--- page 1 of 89 ---" in first.stdout
    assert "(page 1 of 89; add --page N for another)" in first.stdout
    last = run_cli(cli, "ask", "sanctions", "changes", "--page", "89")
    assert last.returncode == 0 and "--- page 89 of 89 ---" in last.stdout and last.stdout.count("--- page ") == 1
    beyond = run_cli(cli, "ask", "sanctions", "changes", "--page", "90")
    assert beyond.returncode == 2 and beyond.stderr.strip() == "sanctionsbot: --page 90: this answer has 89 page(s)"
