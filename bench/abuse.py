"""Benchmark: the attack corpus of issue 11 against the real bot, and what it costs the bot and its neighbours.

Run: .venv/bin/python bench/abuse.py [--quick] [--gc-freeze]

The bot and the local fake Discord share this process and event loop (as in bench/command_spam.py); the hostile
feed server runs in a child process, so serving 5 MB bodies costs this loop nothing. An attacker's server
(GUILD, with 200 moderator accounts, so per-user cooldowns do not hide the feed attacks) runs, in order:

1. /feeds add of an entity bomb in every layout and encoding, at ~300 KB and ~3 MB (bytes on the wire);
2. /feeds add of every poison body (each is refused with its reason, or read safely);
3. 5 churning feeds of ~5 MB (every poll: ~36,000 items with new ids), polled in 4 rounds;
4. 60 /feeds add of feeds that never answer at once, and 60 followed feeds that never answer, polled;
5. 300 /sanctions count from one user at once (the per-user cooldown is measured here, not built).

Throughout, a 10 ms ticker records the longest event-loop stall (wall time, and the loop thread's CPU time over
it, which leaves out the time other processes on a shared machine had the CPU; the target is judged on the
latter), /proc's VmHWM the peak resident memory (reset after start-up), and a victim server (GUILD2, ten other
moderators) runs /feeds add of a fresh good feed every second, timing each from the interaction to the answer.
The longest garbage collection is shown per phase (a full collection over the bot's large heap stalls the
loop; the bot freezes its start-up heap once ready, and --gc-freeze freezes again after the first commands).
The database's growth is its file sizes (WAL included) before and after. Every wait is bounded; a failed check
still prints the table.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import logging
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _common import table  # also puts the repository on sys.path
from aiohttp import web

from bot.app import SanctionsBot
from bot.clock import SystemClock
from bot.core import Core, open_core
from bot.settings import Settings
from bot.store import feeds as feed_store
from tests.discord_fake import FakeDiscord
from tests.discord_fake.harness import running_bot
from tests.e2e.conftest import MANAGE_GUILD
from tests.fixtures import abuse
from tests.fixtures import feeds as docs
from tests.fixtures.digest import isolate
from tests.shared_files import openapi_path, un_list

GUILD = 1_150_000_000_000_000_000  # the attacker's server
GUILD2 = 1_150_000_000_000_100_000  # the victim's server
ATTACKERS = [1_170_000_000_000_000_000 + n for n in range(200)]
SPAMMER = ATTACKERS[0]
VICTIMS = [1_180_000_000_000_000_000 + n for n in range(10)]  # the victim server's moderators (cooldowns apply)
TOKEN = "bench.token.for-local-fake"
TARGETS = {"peak_rss_mib": 250.0, "stall_ms": 100.0, "victim_add_s": 2.0}
ANSWER_WAIT = 40.0  # the longest any single command is waited for
TOTAL_WAIT = 600.0  # the whole attack


# --- The hostile feed server (a child process) -------------------------------------------------------------------


def serve(port_file: str) -> None:
    """Serve the corpus on 127.0.0.1 until killed: bombs, poison, churning and hanging feeds, good ones."""
    churn_round = [0]
    cache: dict[str, bytes] = {}

    def cached(key: str, make: Callable[[], bytes]) -> bytes:
        if key not in cache:
            if len(cache) > 4:  # one bomb at a time is enough; keep the server's memory small
                cache.clear()
            cache[key] = make()
        return cache[key]

    async def bomb(request: web.Request) -> web.Response:
        layout, encoding, size = (
            request.match_info["layout"],
            request.match_info["enc"],
            int(request.match_info["size"]),
        )
        width = 4 if "32" in encoding else 2 if "16" in encoding else 1

        def make() -> bytes:
            return abuse.encode(abuse.entity_bomb(layout, size // width), encoding)

        return web.Response(body=cached(request.path, make), content_type="application/xml")

    async def poison(request: web.Request) -> web.Response:
        return web.Response(body=abuse.POISON[request.match_info["name"]], content_type="application/xml")

    async def churn(request: web.Request) -> web.Response:
        churn_round[0] += 1
        n = churn_round[0] // 5  # the five churning feeds change together, once per poll round
        body = cached(f"churn-{n}", lambda: abuse.churning_feed_of_size(5_000_000, round_=n))
        return web.Response(body=body, content_type="application/xml")

    async def hang(request: web.Request) -> web.Response:
        await asyncio.sleep(3600)
        return web.Response(text="too late")

    async def good(request: web.Request) -> web.Response:
        slug = request.match_info["name"]
        return web.Response(
            body=docs.rss20(docs.stories(3, slug=slug), title=f"Good {slug}"), content_type="application/rss+xml"
        )

    app = web.Application()
    app.router.add_get("/bomb/{layout}/{enc}/{size}", bomb)
    app.router.add_get("/poison/{name}", poison)
    app.router.add_get("/churn/{n}", churn)
    app.router.add_get("/hang/{n}", hang)
    app.router.add_get("/good/{name}", good)

    async def run() -> None:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        Path(port_file).write_text(str(runner.addresses[0][1]))  # noqa: ASYNC240 - once, before serving
        await asyncio.sleep(TOTAL_WAIT + 120)

    asyncio.run(run())


# --- Measurements ------------------------------------------------------------------------------------------------


@dataclass
class Meter:
    """The longest loop stall and the victim's add latencies, while a phase runs."""

    stall: float = 0.0
    stall_cpu: float = 0.0
    victim: list[float] = field(default_factory=list)
    victim_failed: int = 0
    victim_errors: list[str] = field(default_factory=list)


class GcPauses:
    """The longest garbage collection (the loop stalls while it runs; its cost grows with the heap)."""

    def __init__(self) -> None:
        self.longest = 0.0
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        elif self._started:
            self.longest = max(self.longest, time.perf_counter() - self._started)

    def take(self) -> float:
        longest, self.longest = self.longest, 0.0
        return longest


GC = GcPauses()


def vm_hwm_mib() -> float:
    """This process's peak resident memory since the last reset (VmHWM), in MiB."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux: write 5 to clear_refs); False where that is not allowed."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


async def ticker(stop: asyncio.Event, meter: Meter) -> None:
    """Sleep 10 ms at a time; record the longest oversleep (an event-loop stall), in wall time and in the loop
    thread's own CPU time over that oversleep (work done without yielding; on a machine shared by many, the wall
    figure also counts the time the OS gave the CPU to other processes)."""
    while not stop.is_set():
        before, cpu_before = time.perf_counter(), time.thread_time()
        await asyncio.sleep(0.01)
        wall = time.perf_counter() - before - 0.01
        meter.stall = max(meter.stall, wall)
        meter.stall_cpu = max(meter.stall_cpu, min(wall, time.thread_time() - cpu_before))


async def answer(fake: FakeDiscord, path: str, options: dict[str, Any], *, user: int, guild: int) -> tuple[str, float]:
    """Run a command; (everything it answered as text, seconds from the interaction to the answer)."""
    started = time.perf_counter()
    res = await fake.invoke(path, options, user_id=user, guild_id=guild, channel_id=guild + 2, timeout=ANSWER_WAIT)
    if res.type == 5:
        followups = await res.wait_followups(1, timeout=ANSWER_WAIT)
        data: Any = followups[-1]
    else:
        data = res.data
    return json.dumps(data, ensure_ascii=False), time.perf_counter() - started


async def victim_loop(fake: FakeDiscord, port: int, stop: asyncio.Event, meter: Meter) -> None:
    """The victim's /feeds add of a fresh feed every second (removed again, to stay under its feed cap)."""
    n = 0
    users = iter(VICTIMS * 1000)
    while not stop.is_set():
        n += 1
        url = f"http://127.0.0.1:{port}/good/victim-{n}"
        try:
            text, took = await asyncio.wait_for(
                answer(fake, "feeds add", {"url": url}, user=next(users), guild=GUILD2), ANSWER_WAIT
            )
            if "Feed added" in text:
                meter.victim.append(took)
                await asyncio.wait_for(
                    answer(fake, "feeds remove", {"feed": url}, user=next(users), guild=GUILD2), ANSWER_WAIT
                )
            else:
                meter.victim_failed += 1
                meter.victim_errors.append(text[-200:])
        except (TimeoutError, AssertionError):
            meter.victim_failed += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)


def db_bytes(path: Path) -> int:
    """The store's size on disk: the file and its WAL."""
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())


# --- The attack phases ----------------------------------------------------------------------------------------------


class Attack:
    """The phases, each returning a row for the phase table."""

    def __init__(self, fake: FakeDiscord, core: Core, port: int, quick: bool) -> None:
        self.fake, self.core, self.port, self.quick = fake, core, port, quick
        self.users = iter(ATTACKERS * 10)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def add(self, path: str) -> str:
        text, _took = await asyncio.wait_for(
            answer(self.fake, "feeds add", {"url": self.url(path)}, user=next(self.users), guild=GUILD), ANSWER_WAIT
        )
        return text

    async def bombs(self) -> dict[str, Any]:
        sizes = (300_000,) if self.quick else (300_000, 3_000_000)
        refused = added = 0
        for size in sizes:
            for layout in abuse.LAYOUTS:
                for encoding, _bom, _codec in abuse.ENCODINGS:
                    text = await self.add(f"/bomb/{layout}/{encoding}/{size}")
                    refused += "it declares" in text
                    added += "Feed added" in text
        return {"sent": refused + added, "refused": refused, "added (expanded?)": added}

    async def poison(self) -> dict[str, Any]:
        texts = [await self.add(f"/poison/{name}") for name in abuse.POISON]
        crashed = sum("Something went wrong" in t for t in texts)
        refused = sum("not an RSS" in t for t in texts)
        added = sum("Feed added" in t for t in texts)
        return {"sent": len(texts), "refused": refused, "added (read safely)": added, "crashed": crashed}

    async def churn(self) -> dict[str, Any]:
        feeds = 2 if self.quick else 5
        for n in range(feeds):
            await self.add(f"/churn/{n}")
        rounds = 2 if self.quick else 4
        grown = []
        for _ in range(rounds):
            await asyncio.wait_for(self.core.feeds.poller.poll_due(), ANSWER_WAIT * 2)
            for row in await self.core.db.fetchall("SELECT id FROM feeds WHERE url LIKE '%/churn/%'"):
                grown.append(await feed_store.feed_item_count(self.core.db, int(row[0])))
            async with self.core.db.transaction() as conn:  # every feed due again: the next round
                await conn.execute(
                    "UPDATE feeds SET next_poll_at = '2000-01-01T00:00:00+00:00' WHERE url LIKE '%/churn/%'"
                )
        return {"sent": feeds, "rounds": rounds, "items per feed (max)": max(grown) if grown else 0}

    async def hanging(self) -> dict[str, Any]:
        adds = [asyncio.ensure_future(self.add(f"/hang/add-{n}")) for n in range(60)]
        now = self.core.clock.now()
        for n in range(60):
            url = self.url(f"/hang/poll-{n}")
            await feed_store.ensure_feed(self.core.db, url, now)
            await feed_store.add_guild_feed(self.core.db, GUILD, url, f"hanging {n}", now)
        await self.core.feeds.poller.poll_due(wait=False)  # as the loop does: the polls go on in the background
        done, pending = await asyncio.wait(adds, timeout=ANSWER_WAIT)
        texts = [t.result() for t in done if t.exception() is None]
        for task in pending:
            task.cancel()
        return {
            "sent": 120,
            "refused at once": sum("already checking" in t for t in texts),
            "timed out": sum("timed out" in t for t in texts),
            "unanswered": len(pending),
        }

    async def spam(self) -> dict[str, Any]:
        calls = 100 if self.quick else 300
        crashes = Crashes()
        logging.getLogger("bot").addHandler(crashes)
        try:
            results = await asyncio.gather(
                *(
                    asyncio.wait_for(
                        self.fake.invoke(
                            "sanctions count", {"regime": "DPRK"}, user_id=SPAMMER, guild_id=GUILD, timeout=60
                        ),
                        ANSWER_WAIT * 2,
                    )
                    for _ in range(calls)
                ),
                return_exceptions=True,
            )
        finally:
            logging.getLogger("bot").removeHandler(crashes)
        ok = [r for r in results if not isinstance(r, BaseException)]
        return {
            "sent": calls,
            "refused (cooldown)": sum("try again in" in str(r.data) for r in ok),
            "late >3 s": sum(1 for r in ok if (r.latency or 0) > 3.0),
            "crashed": crashes.count,
            "lost": calls - len(ok),
        }


class Crashes(logging.Handler):
    """Counts "command crashed" records."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if "crashed" in record.getMessage():
            self.count += 1


def new_fake() -> FakeDiscord:
    fake = FakeDiscord(openapi_path=openapi_path())
    fake.interaction_deadline = None  # lateness is measured here, not refused
    role = {"id": GUILD + 10, "name": "Mod", "permissions": MANAGE_GUILD}
    fake.add_guild(
        GUILD,
        name="Attacker",
        channels=[{"id": GUILD + 1, "name": "a"}, {"id": GUILD + 2, "name": "b"}],
        roles=[role],
        members=[{"id": u, "username": f"attacker{i}", "roles": [GUILD + 10]} for i, u in enumerate(ATTACKERS)],
    )
    fake.add_guild(
        GUILD2,
        name="Victim",
        channels=[{"id": GUILD2 + 1, "name": "a"}, {"id": GUILD2 + 2, "name": "b"}],
        roles=[{"id": GUILD2 + 10, "name": "Mod", "permissions": MANAGE_GUILD}],
        members=[{"id": u, "username": f"victim{i}", "roles": [GUILD2 + 10]} for i, u in enumerate(VICTIMS)],
    )
    return fake


async def run(quick: bool, gc_freeze: bool) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    phases: list[dict[str, Any]] = []
    checks: list[dict[str, Any]] = []
    tmp = Path(tempfile.mkdtemp(prefix="abuse-bench-"))
    port_file = tmp / "port"
    server = await asyncio.create_subprocess_exec(sys.executable, __file__, "--serve", str(port_file))
    try:
        for _ in range(200):
            if port_file.exists() and port_file.read_text():
                break
            await asyncio.sleep(0.05)
        port = int(port_file.read_text())
        db = tmp / "abuse.sqlite3"
        settings = Settings(database_path=db, sync_interval_minutes=0, feeds_allow_private=True)
        async with open_core(settings, clock=SystemClock()) as core:
            await core.importer.import_bytes(un_list("2024-09-26").read_bytes(), "2024-09-26")
            isolate(core)
            fake = new_fake()
            await fake.start()
            try:
                bot = SanctionsBot(core, run_background=False, guild_ready_timeout=0.05)
                async with running_bot(fake, bot, token=TOKEN):
                    await answer(fake, "feeds list", {}, user=ATTACKERS[0], guild=GUILD)
                    await answer(fake, "feeds list", {}, user=VICTIMS[0], guild=GUILD2)
                    db_before = db_bytes(db)
                    if gc_freeze:  # freeze again after the first commands (the bot froze once ready)
                        gc.freeze()
                    peak_reset = reset_peak()
                    rss_start = vm_hwm_mib()
                    attack = Attack(fake, core, port, quick)
                    total = Meter()
                    feeds_meter, spam_meter = Meter(), Meter()
                    steps: list[tuple[str, Callable[[], Awaitable[dict[str, Any]]]]] = [
                        ("entity bombs", attack.bombs),
                        ("poison bodies", attack.poison),
                        ("churning 5 MB feeds", attack.churn),
                        ("60 hanging adds + 60 hanging feeds", attack.hanging),
                        ("command spam, one user", attack.spam),
                    ]
                    deadline = time.monotonic() + TOTAL_WAIT
                    for name, step in steps:
                        meter = Meter()
                        stop = asyncio.Event()
                        tick = asyncio.create_task(ticker(stop, meter))
                        victim = asyncio.create_task(victim_loop(fake, port, stop, meter))
                        started = time.perf_counter()
                        GC.take()
                        try:
                            row = await asyncio.wait_for(step(), max(1.0, deadline - time.monotonic()))
                        except Exception as exc:
                            row = {"error": f"{type(exc).__name__}: {exc}"[:80]}
                        stop.set()
                        await asyncio.wait([tick, victim], timeout=ANSWER_WAIT + 5)
                        part = spam_meter if step == attack.spam else feeds_meter
                        part.stall = max(part.stall, meter.stall)
                        part.stall_cpu = max(part.stall_cpu, meter.stall_cpu)
                        total.victim += meter.victim
                        total.victim_failed += meter.victim_failed
                        phases.append(
                            {
                                "phase": name,
                                "s": time.perf_counter() - started,
                                "stall_wall_ms": meter.stall * 1000,
                                "stall_cpu_ms": meter.stall_cpu * 1000,
                                "longest_gc_ms": GC.take() * 1000,
                                "victim_adds": len(meter.victim),
                                "victim_max_s": max(meter.victim, default=float("nan")),
                                "victim_failed": meter.victim_failed,
                                "victim_error": (meter.victim_errors or [""])[0][-60:],
                                "peak_rss_MiB": vm_hwm_mib(),
                                **{k: v for k, v in row.items()},
                            }
                        )
                    db_after = db_bytes(db)
            finally:
                await fake.stop()
        peak = vm_hwm_mib()
        victim_max = max(total.victim, default=float("inf"))
        checks = [
            {
                "check": "peak RSS, bot + local Discord (MiB)",
                "measured": peak,
                "target": f"< {TARGETS['peak_rss_mib']:.0f}",
                "ok": peak < TARGETS["peak_rss_mib"],
                "note": f"{rss_start:.0f} MiB after start-up" + ("" if peak_reset else "; VmHWM not reset"),
            },
            *(
                {
                    "check": f"longest event-loop stall, {what}, loop thread CPU (ms)",
                    "measured": meter.stall_cpu * 1000,
                    "target": f"< {TARGETS['stall_ms']:.0f}",
                    "ok": meter.stall_cpu * 1000 < TARGETS["stall_ms"],
                    "note": f"wall {meter.stall * 1000:.0f} ms (OS scheduling included)",
                }
                for what, meter in (("feed attacks", feeds_meter), ("command spam", spam_meter))
            ),
            {
                "check": "victim's /feeds add, slowest (s)",
                "measured": victim_max,
                "target": f"< {TARGETS['victim_add_s']:.0f}",
                "ok": victim_max < TARGETS["victim_add_s"] and total.victim_failed == 0,
                "note": f"{len(total.victim)} adds, median "
                f"{statistics.median(total.victim) if total.victim else float('nan'):.2f} s, "
                f"{total.victim_failed} failed",
            },
            {
                "check": "database growth over the attack (MiB)",
                "measured": (db_after - db_before) / 2**20,
                "target": "bounded",
                "ok": (db_after - db_before) < 100 * 2**20,
                "note": f"{db_before / 2**20:.1f} → {db_after / 2**20:.1f} MiB (file + WAL)",
            },
        ]
    finally:
        with contextlib.suppress(ProcessLookupError):
            server.kill()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(server.wait(), 5)
        shutil.rmtree(tmp, ignore_errors=True)
    return phases, checks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller corpus (300 KB bombs, 2 churning feeds)")
    parser.add_argument(
        "--gc-freeze",
        action="store_true",
        help="call gc.freeze() again after the first commands (the bot itself freezes once ready: bot/app.py)",
    )
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return 0
    logging.basicConfig(level=logging.CRITICAL)
    gc.callbacks.append(GC)
    load = os.getloadavg()
    phases: list[dict[str, Any]] = []
    checks: list[dict[str, Any]] = []
    try:
        phases, checks = asyncio.run(run(args.quick, args.gc_freeze))
    finally:
        print(f"machine: {os.cpu_count()} cores, load average {load[0]:.1f} at the start")
        if args.gc_freeze:
            print("with gc.freeze() again after the first commands (the bot already freezes once ready)")
        for row in phases:
            print(table(f"Phase: {row['phase']}", [{k: v for k, v in row.items() if k != "phase"}]))
        print(table("Issue 11 targets", checks))
    failed = [c["check"] for c in checks if not c["ok"]]
    if failed or not checks:
        print("FAILED: " + ("; ".join(failed) if failed else "the attack did not finish"))
        return 1
    print("all targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
