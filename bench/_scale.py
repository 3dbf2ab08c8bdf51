"""The list at many times its size: a synthetic store, a synthetic XML file, and event-loop stalls while indexing."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import string
import time
from collections.abc import Awaitable
from pathlib import Path

from bot.models import Entry
from tests.shared_files import un_list

BASE = "2024-09-26"
_LETTERS = string.ascii_uppercase
_BLOCK = re.compile(rb"<(INDIVIDUAL|ENTITY)>.*?</\1>", re.S)
_REF = re.compile(rb"<REFERENCE_NUMBER>[^<]*</REFERENCE_NUMBER>")
_FIRST = re.compile(rb"<FIRST_NAME>([^<]*)</FIRST_NAME>")


def _reference(n: int, kind: str) -> str:
    """The n-th synthetic reference number of a kind: AAi.000, AAi.001, … ZZi.999 (676,000 of them)."""
    prefix = _LETTERS[(n // 1000) // 26 % 26] + _LETTERS[(n // 1000) % 26]
    return f"{prefix}{'i' if kind == 'individual' else 'e'}.{n % 1000:03d}"


def _suffix(copy: int) -> str:
    return "" if copy == 0 else " " + "".join(_LETTERS[int(d)] for d in str(copy))


def scaled_entries(factor: int) -> list[Entry]:
    """The 2024 list's entries `factor` times, each copy with its own references and a name word added."""
    from bot.sources.un_xml import parse_consolidated_list

    base = parse_consolidated_list(un_list(BASE).read_bytes()).entries
    out: list[Entry] = []
    counters = {"individual": 0, "entity": 0}
    for copy in range(factor):
        for entry in base:
            n = counters[entry.kind]
            counters[entry.kind] += 1
            out.append(
                dataclasses.replace(
                    entry, reference=_reference(n, entry.kind), first_name=entry.first_name + _suffix(copy)
                )
            )
    return out


async def build_scaled_store(path: Path, factor: int) -> int:
    """A store holding one synthetic version `factor` times the 2024 list; its entry count."""
    from bot.core import open_core
    from bot.models import ListDiff
    from bot.settings import Settings
    from bot.store.list_import import import_transaction

    entries = scaled_entries(factor)
    hashes = [e.content_hash() for e in entries]
    async with (
        open_core(Settings(database_path=path), eager=False) as core,
        import_transaction(core.db) as tx,
    ):
        await tx.save_version(
            generated_at="2030-01-01T00:00:00Z",
            sha256=f"synthetic-{factor}x",
            source=f"synthetic {factor}x",
            imported_at="2030-01-01T00:00:00+00:00",
            entries=entries,
            hashes=hashes,
            diff=ListDiff(),
            previous={},
        )
    return len(entries)


def import_factor() -> int:
    """The largest whole multiple of the 2024 list under the importer's 50 MB cap."""
    from bot.sources.un_xml import MAX_LIST_BYTES

    return max(1, (MAX_LIST_BYTES - 4096) // un_list(BASE).stat().st_size)


def scaled_xml(folder: Path, factor: int) -> Path:
    """The 2024 list's XML with every entry `factor` times (own references, a name word added)."""
    data = un_list(BASE).read_bytes()
    blocks = list(_BLOCK.finditer(data))
    individuals = [m.group(0) for m in blocks if m.group(1) == b"INDIVIDUAL"]
    entities = [m.group(0) for m in blocks if m.group(1) == b"ENTITY"]
    parts: dict[str, list[bytes]] = {"individual": [], "entity": []}
    for kind, source in (("individual", individuals), ("entity", entities)):
        n = 0
        for copy in range(factor):
            suffix = _suffix(copy).encode()
            for block in source:
                ref = _reference(n, kind).encode()
                n += 1
                block = _REF.sub(b"<REFERENCE_NUMBER>" + ref + b"</REFERENCE_NUMBER>", block, count=1)
                block = _FIRST.sub(lambda m, s=suffix: b"<FIRST_NAME>" + m.group(1) + s + b"</FIRST_NAME>", block, 1)
                parts[kind].append(block)
    head = data[: data.index(b"<INDIVIDUALS>")]
    out = (
        head
        + b"<INDIVIDUALS>"
        + b"".join(parts["individual"])
        + b"</INDIVIDUALS><ENTITIES>"
        + b"".join(parts["entity"])
        + b"</ENTITIES></CONSOLIDATED_LIST>"
    )
    path = folder / f"un-{factor}x.xml"
    path.write_bytes(out)
    return path


async def loop_stall_during_rebuild(db: Path) -> tuple[float, float]:
    """The longest gap (s) seen by a 5 ms ticker on the event loop while the search index of `db` is rebuilt, and
    the longest gap the same ticker sees for as long while a busy process runs beside it (the floor of any build
    made outside the bot's process, on this machine at this load)."""
    from _procs import CpuHog

    from bot.core import open_core
    from bot.settings import Settings

    async with open_core(Settings(database_path=db), eager=False, writable=False) as core:
        version = core.lists.require_version()
        await core.ready_search()  # an index in use, as in the bot: the rebuild replaces (and frees) it
        started = time.perf_counter()
        during = await _ticking(core.search.rebuild(version))
        with CpuHog():
            floor = await _ticking(asyncio.sleep(time.perf_counter() - started))
    return during, floor


async def _ticking(work: Awaitable[object]) -> float:
    gaps: list[float] = []
    running = True

    async def ticker() -> None:
        last = time.perf_counter()
        while running:
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            gaps.append(now - last - 0.005)
            last = now

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0.05)
    await work
    await asyncio.sleep(0.05)
    running = False
    await task
    return max(gaps) if gaps else float("nan")
