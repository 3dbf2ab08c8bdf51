"""The code base passes its own linters: ruff (lint and format) and mypy on bot/ and cogs/."""

from __future__ import annotations

import subprocess
import sys

from tests.shared_files import REPO_ROOT


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=600, check=False
    )


def test_ruff_lint_and_format() -> None:
    lint = _run("ruff", "check", "bot", "cogs", "tests", "bench", "dev.py")
    assert lint.returncode == 0, lint.stdout + lint.stderr
    fmt = _run("ruff", "format", "--check", "bot", "cogs", "tests", "bench", "dev.py")
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def test_mypy() -> None:
    result = _run("mypy")
    assert result.returncode == 0, result.stdout + result.stderr
