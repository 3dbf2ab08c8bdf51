"""Every speed and memory target of issue 12, side by side with its floor, in one run: `python -m bench [--quick]`.

Each row is the project's number, the floor measured in the same run (interleaved, medians), their ratio and the
target. CPU time is used wherever the target allows (the machine is shared, wall time is noise): whole-process CPU
of finished children (getrusage), or a running bot's CPU from /proc. A failed row still prints; the exit code
says whether every target held.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import datetime as dt
import gc
import itertools
import logging
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _common import REPO_ROOT, percentile
from _procs import (
    CLOCK_TICKS,
    BotProcess,
    CpuHog,
    bot_args,
    child_env,
    cpu_of_run,
    floor_bot_args,
    proc_cpu,
    proc_rss_mib,
)

from tests.e2e.conftest import new_fake
from tests.e2e.load_mix import AUTOCOMPLETES, READS, USERS, Call, dispatch, mix, prepare
from tests.shared_files import UN_LIST_DATES, un_list

PY = sys.executable


@dataclass
class Row:
    """One line of the table."""

    measure: str
    project: float
    floor: float | None
    unit: str
    target: str
    holds: bool

    @property
    def ratio(self) -> float | None:
        """project / floor, when there is a floor."""
        return self.project / self.floor if self.floor else None


def ratio_row(measure: str, project: float, floor: float, unit: str, limit: float) -> Row:
    """A row whose target is a ratio to its floor."""
    return Row(measure, project, floor, unit, f"ratio <= {limit:g}", project <= limit * floor)


def info_row(measure: str, value: float, unit: str, *, floor: float | None = None) -> Row:
    """A row shown for information, with no target of its own."""
    return Row(measure, value, floor, unit, "(information)", True)


def limit_row(measure: str, value: float, unit: str, limit: float, *, floor: float | None = None) -> Row:
    """A row whose target is an absolute bound."""
    return Row(measure, value, floor, unit, f"<= {limit:g} {unit}", value <= limit)


def print_table(rows: Sequence[Row], title: str) -> None:
    """The table: measure, project, floor, ratio, target, whether it holds."""
    header = ("measure", "project", "floor", "ratio", "target", "holds")
    cells = [
        (
            r.measure,
            f"{r.project:.3g} {r.unit}",
            f"{r.floor:.3g} {r.unit}" if r.floor is not None else "-",
            f"{r.ratio:.2f}" if r.ratio is not None else "-",
            r.target,
            "yes" if r.holds else "NO",
        )
        for r in rows
    ]
    widths = [max(len(h), *(len(c[i]) for c in cells)) if cells else len(h) for i, h in enumerate(header)]
    print(title)
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for c in cells:
        print("  ".join(v.ljust(w) for v, w in zip(c, widths, strict=True)))
    sys.stdout.flush()


def median_interleaved(runs: int, *measures: Callable[[], float]) -> list[float]:
    """Each measure run `runs` times, taking turns (A B A B …), then the median of each."""
    samples: list[list[float]] = [[] for _ in measures]
    for _ in range(runs):
        for i, measure in enumerate(measures):
            samples[i].append(measure())
    return [statistics.median(s) for s in samples]


# --- stores --------------------------------------------------------------------------------------------------


async def build_store(path: Path) -> None:
    """The five shared versions, imported in order."""
    from bot.core import open_core
    from bot.settings import Settings

    async with open_core(Settings(database_path=path), eager=False) as core:
        for date in UN_LIST_DATES:
            await core.importer.import_bytes(un_list(date).read_bytes(), date)


# --- start-up and import: whole processes ----------------------------------------------------------------------


def startup_rows(tmp: Path, store: Path, runs: int) -> list[Row]:
    """Whole-process CPU of terminal commands against their floors."""
    work = tmp / "cli"
    work.mkdir(exist_ok=True)
    db = work / "cli.sqlite3"
    shutil.copyfile(store, db)
    env = child_env(DATABASE_PATH=str(db))
    floor_discord = [PY, "-c", "import discord"]
    count_cmd = [PY, "-m", "bot", "ask", "sanctions", "count", "regime:DPRK"]
    cpu_of_run(count_cmd, env=env, cwd=work)  # bytecode cached before anything is measured
    ask, floor = median_interleaved(
        runs,
        lambda: cpu_of_run(count_cmd, env=env, cwd=work),
        lambda: cpu_of_run(floor_discord, env=env, cwd=work),
    )
    rows = [ratio_row("ask sanctions count regime:DPRK, whole process", ask, floor, "s CPU", 1.3)]
    xml = un_list("2024-09-26")
    counter = itertools.count()

    def project_import() -> float:
        target = work / f"imp-{next(counter)}.sqlite3"
        return cpu_of_run([PY, "-m", "bot", "import", str(xml)], env=child_env(DATABASE_PATH=str(target)), cwd=work)

    def floor_import() -> float:
        target = work / f"floor-{next(counter)}.sqlite3"
        return cpu_of_run([PY, str(REPO_ROOT / "bench" / "floor_import.py"), str(xml), str(target)], env=env, cwd=work)

    project_import()
    imp, floor_imp = median_interleaved(runs, project_import, floor_import)
    rows.append(ratio_row("import of the 2024 list (empty store), whole process", imp, floor_imp, "s CPU", 2.0))
    return rows


# --- interactions through the local Discord --------------------------------------------------------------------


async def start_bot(fake: Any, args: list[str], env: dict[str, str], cwd: Path) -> tuple[BotProcess, float]:
    """A bot process logged in and past discord.py's guild wait; and its start-up seconds to READY."""
    bot = BotProcess(fake, args, cwd=cwd, env=env)
    seconds = await bot.start(ready_sessions=fake._ready_sessions + 1)
    await asyncio.sleep(2.5)  # discord.py's guild_ready_timeout before on_ready
    return bot, seconds


def label(call: Call) -> str:
    """How a call is named in the table."""
    opts = " ".join(f"{k}:{v}" for k, v in call.options.items())
    kind = f"autocomplete {call.focused}" if call.focused else "command"
    return f"/{call.path} {opts} ({kind})".replace("  ", " ")


def bot_cpu(pid: int) -> float:
    """CPU seconds a running bot has used so far, to the nanosecond: the scheduler's run time of each of its
    threads (/proc/PID/task/*/schedstat); /proc's 10 ms ticks (proc_cpu) where that is not available."""
    total = 0
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return proc_cpu(pid)
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/schedstat") as fh:
                total += int(fh.read().split()[0])
        except (OSError, ValueError, IndexError):
            continue  # a thread that ended meanwhile (the bot's worker threads live as long as it does)
    return total / 1e9 if total else proc_cpu(pid)


async def cpu_of_calls(fake: Any, bot: BotProcess, call: Call, repeat: int) -> float:
    """The bot's CPU per interaction (ms) over `repeat` sequential calls, each awaited to its answer."""
    before = bot_cpu(bot.pid)
    for i in range(repeat):
        result = await dispatch(fake, call, USERS[i % len(USERS)], timeout=30)
        if result.type == 5:
            await result.wait_followups(1, timeout=30)
    return (bot_cpu(bot.pid) - before) / repeat * 1000


async def per_call_cpu(
    bots: Sequence[tuple[Any, BotProcess]], calls: Sequence[Call], repeat: int, rounds: int, *, checked: bool = False
) -> list[dict[str, float]]:
    """For each bot (each on its own local Discord), the median CPU per interaction (ms) of each call: the bots
    take turns, `rounds` times `repeat` calls each, so both see the same moments of a shared machine.

    The first two calls of each (the warm-up) go through the local Discord's schema checks and must pass them;
    the timed calls do not. Checking a body of several embeds and buttons against Discord's OpenAPI description
    takes the local Discord long enough that the bot, waiting for its answer, sleeps and wakes again on a cold
    CPU: with the checks on, the answers with buttons measured 1.2-1.7x the constant reply, with them off the same
    as it. That is the harness's cost, not the bot's (the tests check every body). `checked` times them with the
    checks on, for the information rows that show this."""
    out: list[dict[str, float]] = [{} for _ in bots]
    for call in calls:
        for fake, _bot in bots:
            for user in USERS[:2]:  # warm-up: the first answer is worked out, the second sent as the timed ones are
                warm = await dispatch(fake, call, user, timeout=30)
                if warm.problems or warm.status not in (200, 204):
                    raise RuntimeError(f"{label(call)}: the local Discord refused it: {warm.status} {warm.problems}")
        samples: list[list[float]] = [[] for _ in bots]
        checks = [fake.contract for fake, _bot in bots]
        for fake, _bot in bots:
            fake.contract = fake.contract if checked else None
        try:
            for _ in range(rounds):
                for i, (fake, bot) in enumerate(bots):
                    samples[i].append(await cpu_of_calls(fake, bot, call, repeat))
        finally:
            for (fake, _bot), contract in zip(bots, checks, strict=True):
                fake.contract = contract
        for i, values in enumerate(samples):
            out[i][label(call)] = statistics.median(values)
    return out


@dataclass
class Burst:
    """One burst of interactions at once."""

    latencies: list[float]
    lost: int
    late: int
    harness_cpu: float  # CPU seconds of this process (the local Discord) from the first send to the last answer
    bot_cpu: float  # the bot's CPU seconds over the same span

    @property
    def p99_s(self) -> float:
        """99th percentile acknowledgement latency (lost ones count as infinitely late)."""
        values = self.latencies + [float("inf")] * self.lost
        return percentile(values, 99)


async def burst(fake: Any, pid: int, calls: int, share: float, seed: int, *, deadline: float = 60) -> Burst:
    """`calls` interactions dispatched at once; every wait bounded (`deadline` s for the whole burst).

    The local Discord shares the machine with the bot, so what it spends is kept off the clock: every payload is
    built and encoded before the first is sent, then they are sent back to back, each one's latency counted from
    its own send to the arrival of its callback. Its cyclic garbage collector is off meanwhile: a full collection
    of everything it has recorded stalls it for 0.1-0.4 s, during which callbacks wait unread (Discord's servers
    do not stop on our bot's machine). The bot's process is untouched."""
    batch = mix(calls, autocomplete_share=share, seed=seed)
    prepared = [prepare(fake, c, USERS[i % len(USERS)]) for i, c in enumerate(batch)]
    gc.collect()
    gc.disable()
    harness, bot = own_cpu(), bot_cpu(pid)
    try:
        try:
            results = await asyncio.wait_for(fake.dispatch_interactions(prepared), deadline)
        except TimeoutError:  # the bot stopped reading its gateway: the whole burst counts as lost
            results = []
        await fake.wait_answered(results, deadline)
        acked = [r for r in results if r.status in (200, 204) and r.latency is not None]
        followups = [r.wait_followups(1, timeout=deadline) for r in acked if r.type == 5]
        if followups:
            await asyncio.wait([asyncio.ensure_future(f) for f in followups], timeout=deadline + 5)
        harness, bot = own_cpu() - harness, bot_cpu(pid) - bot
    finally:
        gc.enable()
    latencies = [r.latency for r in acked]
    late = sum(1 for v in latencies if v > 3.0) + (calls - len(acked))
    return Burst(latencies, calls - len(acked), late, harness, bot)


def own_cpu() -> float:
    """CPU seconds (user + system) this process has used so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def interaction_rows(tmp: Path, store: Path, quick: bool) -> list[Row]:
    """Per-interaction CPU (the bot and the floor side by side, taking turns), bursts (with a CPU hog beside),
    and memory over many interactions."""
    repeat, rounds = (40, 3) if quick else (50, 5)  # 120 or 250 calls per row and bot, in turns
    burst_runs = 2 if quick else 10
    burst_size = 1000
    memory_total = 3000 if quick else 10_000
    work = tmp / "bots"
    work.mkdir(exist_ok=True)
    db = work / "bot.sqlite3"
    shutil.copyfile(store, db)
    fake = new_fake()
    floor_fake = new_fake()  # the floor bot's own local Discord: both bots run at once and take turns
    await fake.start()
    await floor_fake.start()

    rows: list[Row] = []
    try:
        bot, _ = await start_bot(fake, bot_args(), bot_env(fake, db), work)
        floor_bot: BotProcess | None = None
        try:
            await fake.wait_for_commands(timeout=60)
            floor_fake._commands = copy.deepcopy(fake._commands)  # the commands the bot registered, on both
            floor_bot, _ = await start_bot(floor_fake, floor_bot_args(), bot_env(floor_fake, db), work)
            calls = [*READS, *AUTOCOMPLETES]
            project, floor = await per_call_cpu([(fake, bot), (floor_fake, floor_bot)], calls, repeat, rounds)
            for name, ms in project.items():
                rows.append(ratio_row(f"CPU per interaction: {name}", ms, floor[name], "ms", 1.5))
            # The same for two long answers with the local Discord's schema checks on (see per_call_cpu): what the
            # harness adds, shown rather than hidden.
            long = [c for c in READS if label(c).startswith(("/statement denial", "/sanctions search name:Kim"))]
            project, floor = await per_call_cpu(
                [(fake, bot), (floor_fake, floor_bot)], long, repeat, rounds, checked=True
            )
            for name, ms in project.items():
                rows.append(info_row(f"... {name}, local Discord's schema checks on", ms, "ms", floor=floor[name]))
            fake.contract = floor_fake.contract = None  # bursts time the bots, not the schema checks (tests do)
            floor_bursts, bursts = [], []
            for run in range(burst_runs):  # taking turns here too
                with CpuHog():
                    floor_bursts.append(await burst(floor_fake, floor_bot.pid, burst_size, 0.2, seed=run))
                with CpuHog():
                    bursts.append(await burst(fake, bot.pid, burst_size, 0.2, seed=run))
            await floor_bot.stop()
            rss = await memory_run(fake, bot, memory_total)
        finally:
            await bot.stop()
            if floor_bot is not None:
                await floor_bot.stop()
        late = sum(b.late for b in bursts)
        floor_late = sum(b.late for b in floor_bursts)
        worst_p99 = max(b.p99_s for b in bursts)
        floor_p99 = max(b.p99_s for b in floor_bursts)
        what = f"{burst_runs} bursts of {burst_size} at once, CPU hog beside (floor: constant-reply bot)"
        rows.append(limit_row(f"{what}: acks later than 3 s (or lost)", late, "acks", 0, floor=floor_late))
        rows.append(limit_row(f"{what}: worst run's ack p99", worst_p99, "s", 1.0, floor=floor_p99))
        median_p99 = statistics.median(b.p99_s for b in bursts)
        rows.append(
            info_row(
                f"{what}: median run's ack p99",
                median_p99,
                "s",
                floor=statistics.median(b.p99_s for b in floor_bursts),
            )
        )
        # Where a burst's CPU goes: the bot (beside the floor's), and the local Discord in this process, which
        # shares the two cores with them and the hog (a Discord that costs more than the bot skews every number).
        for name, attr in (("bot", "bot_cpu"), ("local Discord (bench process)", "harness_cpu")):
            rows.append(
                info_row(
                    f"{what}: {name} CPU per burst, median",
                    statistics.median(getattr(b, attr) for b in bursts),
                    "s",
                    floor=statistics.median(getattr(b, attr) for b in floor_bursts),
                )
            )
        rows.append(
            Row(
                f"RSS growth from interaction 1,000 to {memory_total:,}",
                rss[1] - rss[0],
                None,
                "MiB",
                "within +-5 MiB",
                abs(rss[1] - rss[0]) <= 5,
            )
        )
    finally:
        await fake.stop()
        await floor_fake.stop()
    return rows


def bot_env(discord: Any, db: Path) -> dict[str, str]:
    """The environment of a bot process (ours or the floor) logged in to one local Discord, on the store `db`."""
    return child_env(
        DISCORD_TOKEN=fake_token(),
        DISCORD_API_BASE=discord.api_base,
        DISCORD_GATEWAY_URL=discord.gateway_url,
        DATABASE_PATH=str(db),
        SYNC_INTERVAL_MINUTES="0",
        COMMANDS_PER_MINUTE="0",  # three users send thousands: the per-user limit would answer most
        LOG_LEVEL="ERROR",
    )


def fake_token() -> str:
    """The token the local Discord accepts from the bench's bots."""
    from _procs import TOKEN

    return TOKEN


async def memory_run(fake: Any, bot: BotProcess, total: int) -> tuple[float, float]:
    """RSS after the first 1,000 interactions and after `total`, sent 50 at a time."""
    batch = 50
    rss_at_1000 = float("nan")
    for start in range(0, total, batch):
        calls = mix(batch, autocomplete_share=0.2, seed=start)
        tasks = [asyncio.ensure_future(dispatch(fake, c, USERS[0], timeout=30)) for c in calls]
        await asyncio.wait(tasks, timeout=60)
        for t in tasks:
            if not t.done():
                t.cancel()
        if start + batch == 1000:
            rss_at_1000 = proc_rss_mib(bot.pid)
    await asyncio.sleep(1)
    return rss_at_1000, proc_rss_mib(bot.pid)


def proc_children_cpu(pid: int) -> float:
    """CPU seconds used by a running process's children that have ended (/proc, clock-tick resolution)."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[13]) + int(fields[14])) / CLOCK_TICKS


async def index_on_disk(folder: Path, wait_s: float) -> float:
    """Seconds until a search index file appears in `folder` (the bot writes it once it has loaded it); bounded."""
    started = time.perf_counter()
    while not await asyncio.to_thread(lambda: list(folder.glob("*.search-*.pickle"))):
        if time.perf_counter() - started > wait_s:
            raise TimeoutError(f"no search index on disk after {wait_s:.0f} s")
        await asyncio.sleep(0.1)
    return time.perf_counter() - started


# --- the list at 50 times its size ---------------------------------------------------------------------------


async def scale_rows(tmp: Path, factor: int, runs: int) -> list[Row]:
    """Start-up, memory and event-loop stalls with a list `factor` times larger; import at the largest allowed size."""
    from _scale import build_scaled_store, import_factor, loop_stall_during_rebuild, scaled_xml

    work = tmp / "scale"
    work.mkdir(exist_ok=True)
    db = work / f"x{factor}.sqlite3"
    entries = await build_scaled_store(db, factor)
    rows: list[Row] = []
    fake = new_fake()
    await fake.start()
    env = bot_env(fake, db)
    try:
        # First start: no index of this version on disk (an import made while the bot was down). The bot connects
        # at once and builds the index in a child process; answers that search wait for it.
        bot = BotProcess(fake, bot_args(), cwd=work, env=env)
        cold = await bot.start(ready_sessions=1, wait_s=120)
        cold_cpu = proc_cpu(bot.pid)
        index_s = cold + await index_on_disk(work, 300)
        build_cpu = proc_cpu(bot.pid) + proc_children_cpu(bot.pid)
        await asyncio.sleep(3)
        rss_cold = proc_rss_mib(bot.pid)
        await bot.stop()
        # Second start: the index of this version is on disk and loaded before the bot connects.
        bot = BotProcess(fake, bot_args(), cwd=work, env=env)
        warm = await bot.start(ready_sessions=2, wait_s=120)
        warm_cpu = proc_cpu(bot.pid)
        await asyncio.sleep(3)
        rss = proc_rss_mib(bot.pid)
        await bot.stop()
    finally:
        await fake.stop()
    what = f"{factor}x list ({entries:,} entries)"
    rows.append(
        limit_row(f"{what}: start-up to READY, no index on disk yet (wall; CPU {cold_cpu:.1f} s)", cold, "s", 5.0)
    )
    rows.append(
        info_row(
            f"{what}: ... until that index is built in a child process and loaded (CPU {build_cpu:.1f} s in all)",
            index_s,
            "s",
        )
    )
    rows.append(limit_row(f"{what}: start-up to READY, index on disk (wall; CPU {warm_cpu:.1f} s)", warm, "s", 5.0))
    rows.append(limit_row(f"{what}: bot RSS once the index built in the background is in use", rss_cold, "MiB", 300.0))
    rows.append(limit_row(f"{what}: bot RSS after start-up, index on disk", rss, "MiB", 300.0))
    stall, floor = await loop_stall_during_rebuild(db)
    rows.append(
        limit_row(
            f"{what}: longest event-loop stall during an index rebuild (floor: beside a busy process)",
            stall * 1000,
            "ms",
            50.0,
            floor=floor * 1000,
        )
    )
    size = import_factor()
    xml = scaled_xml(work, size)
    counter = itertools.count()

    def project_import() -> float:
        target = work / f"imp-{next(counter)}.sqlite3"
        return cpu_of_run([PY, "-m", "bot", "import", str(xml)], env=child_env(DATABASE_PATH=str(target)), cwd=work)

    def floor_import() -> float:
        target = work / f"floor-{next(counter)}.sqlite3"
        args = [PY, str(REPO_ROOT / "bench" / "floor_import.py"), str(xml), str(target)]
        return cpu_of_run(args, env=child_env(), cwd=work)

    imp, floor = median_interleaved(runs, project_import, floor_import)
    rows.append(
        ratio_row(
            f"import of a {size}x list ({xml.stat().st_size / 2**20:.0f} MiB; the 50 MB cap refuses 50x)",
            imp,
            floor,
            "s CPU",
            2.0,
        )
    )
    return rows


# --- the run -------------------------------------------------------------------------------------------------


async def run(quick: bool, only: set[str]) -> int:
    """Every section, then the table; 0 if every target held."""
    logging.basicConfig(level=logging.ERROR)
    tmp = Path(tempfile.mkdtemp(prefix="sanctionsbot-bench-"))
    rows: list[Row] = []
    failures: list[str] = []
    try:
        store = tmp / "five.sqlite3"
        await build_store(store)
        sections: list[tuple[str, Callable[[], Any]]] = [
            ("startup", lambda: asyncio.to_thread(startup_rows, tmp, store, 3 if quick else 7)),
            ("interactions", lambda: interaction_rows(tmp, store, quick)),
            ("scale", lambda: scale_rows(tmp, 10 if quick else 50, 2 if quick else 3)),
        ]
        for name, section in sections:
            if only and name not in only:
                continue
            try:
                rows.extend(await section())
            except Exception as exc:  # a failed section is reported; the others still run and print
                failures.append(f"{name}: {type(exc).__name__}: {exc}"[:500])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    today = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    load = os.getloadavg()
    print_table(
        rows,
        f"sanctionsbot vs floors — {today}, {os.cpu_count()} CPUs, load average {load[0]:.1f} "
        f"({'quick' if quick else 'full'} run)",
    )
    for failure in failures:
        print(f"section failed: {failure}")
    return 0 if rows and all(r.holds for r in rows) and not failures else 1


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the options and run."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions and a 10x list instead of 50x")
    parser.add_argument(
        "--only", action="append", default=[], choices=["startup", "interactions", "scale"], help="one section"
    )
    args = parser.parse_args(argv)
    return asyncio.run(run(args.quick, set(args.only)))
