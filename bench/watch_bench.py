"""Watchlist alerts at scale; prints tables. Run: `.venv/bin/python -m bench.watch_bench [--quick]`.

10,000 watches across 500 servers (20 each: 6 reference numbers and 14 names) are checked against the change set
of the 2020-03-20 → 2024-09-21 import, the way the bot does it after an import: the change set is loaded and
indexed, every server's watches are matched (names through the same search as /sanctions search, threshold
90), each server's alert is composed and recorded with its hits in the store, and then sent through a fake
Discord with enforce_nonce semantics (no network, 0 ms per request).

Two mixes of names: "distinct" (almost every watched name different, the worst case for the per-version name
cache) and "shared" (servers watch names from a pool of 300 well-known ones, as newsrooms would).
Names are listed names and aliases as servers would type them (some lower-case, some in another word order,
one in five with a typo) and names that are not listed at all.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import tempfile
import time
from pathlib import Path

from bench._common import rss_mib, table
from bot.clock import ManualClock
from bot.core import Core, open_core
from bot.services.watch import parse_target
from bot.settings import Settings
from bot.store import lists as list_store
from bot.store import watches as store
from tests.conftest import NOW
from tests.fixtures.digest import FakeDeliverer, FakeDiscord
from tests.shared_files import un_list

BEFORE = ("2017-06-20", "2017-07-03", "2020-03-20")
AFTER = "2024-09-21"
REFS_PER_SERVER = 6
NAMES_PER_SERVER = 14
FIRST_GUILD = 1_150_000_000_000_000_000


def _typo(name: str, rnd: random.Random) -> str:
    """Swap two neighbouring letters inside one word of four letters or more (what people mistype)."""
    words = name.split()
    long_words = [i for i, w in enumerate(words) if len(w) >= 4]
    if not long_words:
        return name
    i = rnd.choice(long_words)
    w = words[i]
    j = rnd.randrange(1, len(w) - 2)
    words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    return " ".join(words)


def _typed(name: str, rnd: random.Random) -> str:
    """A listed name as a moderator might type it."""
    roll = rnd.random()
    if roll < 0.2:
        name = _typo(name, rnd)
    elif roll < 0.3 and len(name.split()) >= 2:
        words = name.split()
        name = " ".join(words[-1:] + words[:-1])
    return name.title() if rnd.random() < 0.5 else name


async def _prepare_template(path: Path) -> None:
    async with open_core(Settings(database_path=path), clock=ManualClock(NOW)) as core:
        for date in BEFORE:
            await core.importer.import_bytes(un_list(date).read_bytes(), f"un-{date}.xml")


def _name_pools(core: Core, rnd: random.Random) -> tuple[list[str], list[str]]:
    """Listed names and aliases (as of 2020-03-20), and made-up names built from listed words."""
    index = core.search.require_index()
    listed = sorted({" ".join(t.split()) for t in index.name_text if 6 <= len(t) <= 60})
    words = sorted({w for t in listed for w in t.split() if w.isalpha() and len(w) >= 3})
    invented = [" ".join(rnd.sample(words, 3)) for _ in range(5000)]
    return listed, invented


async def _seed(core: Core, servers: int, mix: str, rnd: random.Random) -> int:
    """Add the watches through the store (parse_target as /watch add does; matches-today skipped)."""
    index = core.search.require_index()
    listed, invented = _name_pools(core, rnd)
    references = await list_store.all_references(core.db)
    popular = rnd.sample(listed, 240) + rnd.sample(invented, 60)
    latest = await list_store.latest_version(core.db)
    assert latest is not None
    count = 0
    for s in range(servers):
        guild = FIRST_GUILD + (s << 22)
        targets = rnd.sample(references, REFS_PER_SERVER)
        for _ in range(NAMES_PER_SERVER):
            if mix == "shared":
                targets.append(rnd.choice(popular))
            else:
                targets.append(_typed(rnd.choice(listed), rnd) if rnd.random() < 0.65 else rnd.choice(invented))
        for target in targets:
            kind, stored, key = parse_target(target, index)
            outcome = await store.add_watch(
                core.db,
                guild_id=guild,
                kind=kind,
                target=stored,
                target_key=key,
                note="",
                latest_version_id=latest.id,
                created_by=None,
                now=core.clock.now(),
                limit=10_000,
            )
            count += outcome.outcome == "added"
        await store.set_channel(core.db, guild, guild + 1, latest_version_id=latest.id, now=core.clock.now())
    return count


async def _scenario(template: Path, work: Path, servers: int, mix: str) -> dict[str, object]:
    db = work / f"{mix}-{servers}.sqlite3"
    shutil.copyfile(template, db)
    rnd = random.Random(20240921)
    async with open_core(Settings(database_path=db), clock=ManualClock(NOW)) as core:
        watches = await _seed(core, servers, mix, rnd)
        names: set[str] = set()
        for s in range(servers):
            names.update(
                w.target for w in await store.guild_watches(core.db, FIRST_GUILD + (s << 22)) if w.kind == "name"
            )
        await core.importer.import_bytes(un_list(AFTER).read_bytes(), f"un-{AFTER}.xml")
        version = await list_store.latest_version(core.db)
        assert version is not None
        discord = FakeDiscord()
        core.watches.deliverer = FakeDeliverer(discord)  # type: ignore[assignment]

        started = time.perf_counter()
        change_set = await core.watches.change_set(version)
        built = time.perf_counter() - started
        started = time.perf_counter()
        report = await core.watches.check_versions()
        checked = time.perf_counter() - started
        started = time.perf_counter()
        sent = await core.watches.send_pending()
        sending = time.perf_counter() - started
        total = built + checked
        return {
            "mix": mix,
            "servers": servers,
            "watches": watches,
            "distinct names": len(names),
            "changed entries": len(change_set),
            "index ms": built * 1000,
            "check s": checked,
            "build+check s": total,
            "alerts": report.alerts,
            "hits": report.hits,
            "alerts/s": report.alerts / total,
            "hits/s": report.hits / total,
            "send s": sending,
            "messages": sent.messages,
            "msgs/s": sent.messages / sending if sending else 0.0,
            "duplicates": sent.messages - len(discord.messages),
        }


async def main(quick: bool) -> None:
    """Run the scenarios and print the tables."""
    servers = 50 if quick else 500
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        template = work / "template.sqlite3"
        await _prepare_template(template)
        counts_db = work / "counts.sqlite3"
        shutil.copyfile(template, counts_db)
        async with open_core(Settings(database_path=counts_db), clock=ManualClock(NOW)) as core:
            await core.importer.import_bytes(un_list(AFTER).read_bytes(), f"un-{AFTER}.xml")
            version = await list_store.latest_version(core.db)
            assert version is not None
            kinds = {k: 0 for k in ("added", "removed", "amended")}
            renamed = 0
            for change, _old, _new in await list_store.changes_with_revisions(core.db, version.id):
                kinds[change.change] += 1
                renamed += change.change == "amended" and bool(
                    {"first_name", "second_name", "third_name", "fourth_name", "aliases", "name_original_script"}
                    & set(change.fields)
                )
        print(
            table(
                f"Change set of {BEFORE[-1]} → {AFTER}",
                [{**kinds, "total": sum(kinds.values()), "amended names": renamed}],
            )
        )
        rows = [await _scenario(template, work, servers, mix) for mix in ("distinct", "shared")]
        print(table(f"{servers * (REFS_PER_SERVER + NAMES_PER_SERVER):,} watches across {servers} servers", rows))
        print(f"RSS {rss_mib():.0f} MiB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="50 servers instead of 500")
    asyncio.run(main(parser.parse_args().quick))
