"""The bundled knowledge files, and ways to break them for tests of the loader's rules."""

from __future__ import annotations

import re
from pathlib import Path

from bot.sources.knowledge import FILES

DATA_DIR = Path(__file__).resolve().parent.parent / "bot" / "data"


def bundled() -> dict[str, bytes]:
    """Every knowledge file as shipped, by name."""
    return {name: (DATA_DIR / name).read_bytes() for name in FILES}


def edited(name: str, old: str, new: str, *, count: int = 1) -> dict[str, bytes]:
    """The bundled files with one exact edit in one file (the edit must apply exactly `count` times)."""
    files = bundled()
    text = files[name].decode()
    assert text.count(old) == count, f"{old!r} occurs {text.count(old)} times in {name}, expected {count}"
    files[name] = text.replace(old, new).encode()
    return files


def appended(name: str, extra: str) -> dict[str, bytes]:
    """The bundled files with TOML appended to one file."""
    files = bundled()
    files[name] = files[name] + b"\n" + extra.encode()
    return files


def write(directory: Path, files: dict[str, bytes]) -> Path:
    """Write a set of knowledge files into a folder (for the service, which reads a folder)."""
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("*.toml"):
        old.unlink()
    for name, data in files.items():
        (directory / name).write_bytes(data)
    return directory


def record_block(name: str, table: str, number: int) -> str:
    """The text of the number-th [[table]] record of a bundled file (to the next header or comment)."""
    text = bundled()[name].decode()
    starts = [m.start() for m in re.finditer(rf"^\[\[{re.escape(table)}\]\]$", text, re.M)]
    start = starts[number - 1]
    following = re.search(r"^(\[\[|#)", text[start + 1 :], re.M)
    end = start + 1 + following.start() if following else len(text)
    return text[start:end]
