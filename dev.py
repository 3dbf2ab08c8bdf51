#!/usr/bin/env python3
"""Set up and run, with nothing but Python 3.11+ and pip: `python3 dev.py run` or `python3 dev.py test`.

Each command creates .venv if needed, installs the project (with the pinned versions in constraints.txt)
when pyproject.toml or constraints.txt changed, then runs the bot or the test suite inside it. Without the
shared test data beside the repository, `test` first downloads it (see README, 'Shared data').
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".installed"


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for name in ("pyproject.toml", "constraints.txt"):
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def ensure_environment() -> None:
    """Create .venv and install the project and its development tools, once per change of the pins."""
    if sys.version_info < (3, 11):
        sys.exit(f"sanctionsbot needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if not PYTHON.exists():
        print(f"creating {VENV} …", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    if STAMP.exists() and STAMP.read_text() == _fingerprint():
        return
    print("installing sanctionsbot and its dependencies into .venv …", flush=True)
    pip = [str(PYTHON), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "-c", str(ROOT / "constraints.txt"), "-e", f"{ROOT}[dev]"], check=True)
    STAMP.write_text(_fingerprint())


def main(argv: list[str]) -> int:
    """`run` starts the bot (extra words go to `sanctionsbot`); `test` runs pytest (extra words go to pytest)."""
    if not argv or argv[0] not in ("run", "test", "setup", "bot"):
        print(__doc__.strip())
        print("\nusage: python3 dev.py run | test [pytest args] | bot <sanctionsbot args> | setup")
        return 2
    ensure_environment()
    command, rest = argv[0], argv[1:]
    os.chdir(ROOT)
    if command == "setup":
        return 0
    if command == "run":
        return subprocess.call([str(PYTHON), "-m", "bot", "run", *rest])
    if command == "bot":
        return subprocess.call([str(PYTHON), "-m", "bot", *rest])
    # The shared test data: $SANCTIONSBOT_SHARED, ../shared, or else fetched from the public sources listed in
    # tests/shared_data.toml into the user's cache folder (SHA-256 checked); one line and exit 1 if that fails.
    found = subprocess.run([str(PYTHON), "-m", "tests.shared_files"], stdout=subprocess.PIPE, text=True)
    if found.returncode != 0:
        return found.returncode
    env = {**os.environ, "SANCTIONSBOT_SHARED": found.stdout.strip()}
    return subprocess.call([str(PYTHON), "-m", "pytest", *rest], env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
