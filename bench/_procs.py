"""Processes the suite measures: CPU time of finished children, and a bot process running against the local Discord."""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from _common import REPO_ROOT

TOKEN = "fake-bench-token.not-real.benchmarkbenchmarkbenchmark12"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def child_env(**extra: str) -> dict[str, str]:
    """The environment for a measured child: no settings inherited, bytecode cached as in a deployment."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DISCORD_", "DATABASE_", "UN_LIST")) and k != "PYTHONDONTWRITEBYTECODE"
    }
    env["PYTHONPATH"] = str(REPO_ROOT)
    env.update(extra)
    return env


def cpu_of_run(args: Sequence[str], *, env: dict[str, str], cwd: Path, timeout: float = 120) -> float:
    """Run a child to its end; its whole-process CPU time (user + system) in seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(list(args), env=env, cwd=cwd, capture_output=True, timeout=timeout, check=False, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(args)} exited {proc.returncode}: {proc.stderr.strip()[-400:]}")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) a running process has used so far (/proc, clock-tick resolution)."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def proc_rss_mib(pid: int) -> float:
    """Resident memory of a running process in MiB."""
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


class BotProcess:
    """`sanctionsbot run` (or the constant-reply floor bot) as its own process, logged in to the local Discord."""

    def __init__(self, fake: Any, args: Sequence[str], *, cwd: Path, env: dict[str, str]) -> None:
        self.fake = fake
        self.args = list(args)
        self.cwd = cwd
        self.env = env
        self.proc: asyncio.subprocess.Process | None = None

    @property
    def pid(self) -> int:
        """The process id."""
        assert self.proc is not None
        return self.proc.pid

    async def start(self, *, ready_sessions: int, wait_s: float = 90) -> float:
        """Start it and wait (bounded) until its gateway session is READY; the seconds that took."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        self.proc = await asyncio.create_subprocess_exec(
            *self.args, cwd=self.cwd, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        await self.fake.wait_for_ready(timeout=wait_s, sessions=ready_sessions)
        return loop.time() - started

    async def stop(self) -> None:
        """SIGTERM, then SIGKILL if it has not ended within 25 s."""
        if self.proc is None or self.proc.returncode is not None:
            return
        self.proc.terminate()
        try:
            await asyncio.wait_for(self.proc.wait(), 25)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
            await self.proc.wait()


def bot_args() -> list[str]:
    """The bot under test."""
    return [sys.executable, "-m", "bot", "run"]


def floor_bot_args() -> list[str]:
    """The constant-reply floor bot."""
    return [sys.executable, str(REPO_ROOT / "bench" / "floor_bot.py")]


class CpuHog:
    """A CPU-hungry process beside the bot (a busy loop), for as long as the `with` lasts."""

    def __enter__(self) -> CpuHog:
        self.proc = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        return self

    def __exit__(self, *_exc: object) -> None:
        self.proc.kill()
        self.proc.wait()
