"""Several hosts on one machine: network namespaces joined by veth pairs to a bridge (needs root and iproute2).

Each host has its own address (10.231.N.11, .12, … on the bridge's 10.231.N.0/24) and its own loopback. The
services the test runs (PostgreSQL, the local Discord, a list server) listen on this machine's 127.0.0.1; a
forwarder on the bridge address carries the hosts' connections to them, and a forwarder inside each host
makes the same 127.0.0.1:PORT addresses work there, so every byte between a bot and a service crosses the
host's veth link. `python -m tests.e2e.hosts LISTEN_HOST:PORT=TARGET_HOST:PORT …` is that forwarder.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def unavailable() -> str | None:
    """Why namespaces cannot be made here (not root, no iproute2), or None."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    if shutil.which("ip") is None:
        return "network namespaces need iproute2 (the `ip` command)"
    return None


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=30)


# --- the forwarder (run as a process, on this machine or inside a host) -------------------------------------


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()


async def _forward(pairs: Sequence[tuple[str, int, str, int]]) -> None:
    servers = []
    for listen_host, listen_port, target_host, target_port in pairs:

        async def handle(
            reader: asyncio.StreamReader, writer: asyncio.StreamWriter, th: str = target_host, tp: int = target_port
        ) -> None:
            try:
                t_reader, t_writer = await asyncio.open_connection(th, tp)
            except OSError:
                writer.close()
                return
            await asyncio.gather(_pipe(reader, t_writer), _pipe(t_reader, writer))

        servers.append(await asyncio.start_server(handle, listen_host, listen_port, reuse_address=True))
    print("ready", flush=True)
    await asyncio.gather(*(s.serve_forever() for s in servers))


def _parse(spec: str) -> tuple[str, int, str, int]:
    listen, target = spec.split("=")
    lh, lp = listen.rsplit(":", 1)
    th, tp = target.rsplit(":", 1)
    return lh, int(lp), th, int(tp)


# --- the hosts ---------------------------------------------------------------------------------------------


@dataclass
class Host:
    """One namespace: its name and address."""

    name: str
    address: str

    def command(self, *argv: str) -> list[str]:
        """argv run inside this host."""
        return ["ip", "netns", "exec", self.name, *argv]


@dataclass
class Hosts:
    """A bridge with its address on this machine, and the hosts on it."""

    bridge: str
    gateway: str
    hosts: list[Host]
    processes: list[asyncio.subprocess.Process] = field(default_factory=list)

    async def _start_forwarder(self, argv: list[str]) -> None:
        proc = await asyncio.create_subprocess_exec(
            *argv, stdout=asyncio.subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)}
        )
        self.processes.append(proc)
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 20)
        assert line.strip() == b"ready", line

    async def expose(self, ports: Sequence[int]) -> None:
        """Make this machine's 127.0.0.1:PORT reachable from every host as its own 127.0.0.1:PORT."""
        python = [sys.executable, "-m", "tests.e2e.hosts"]
        await self._start_forwarder([*python, *(f"{self.gateway}:{p}=127.0.0.1:{p}" for p in ports)])
        for host in self.hosts:
            await self._start_forwarder(host.command(*python, *(f"127.0.0.1:{p}={self.gateway}:{p}" for p in ports)))

    async def close(self) -> None:
        """Stop the forwarders."""
        for proc in self.processes:
            if proc.returncode is None:
                proc.kill()
            await proc.wait()


@contextlib.asynccontextmanager
async def make_hosts(count: int = 2) -> AsyncIterator[Hosts]:
    """`count` hosts on a new bridge; everything is removed afterwards."""
    tag = f"{os.getpid() % 100000}"
    subnet = 10 + os.getpid() % 200
    bridge, gateway = f"sbbr{tag}", f"10.231.{subnet}.1"
    hosts = [Host(f"sbh{tag}x{n}", f"10.231.{subnet}.{11 + n}") for n in range(count)]
    made: list[str] = []
    try:
        _ip("link", "add", bridge, "type", "bridge")
        _ip("addr", "add", f"{gateway}/24", "dev", bridge)
        _ip("link", "set", bridge, "up")
        for n, host in enumerate(hosts):
            _ip("netns", "add", host.name)
            made.append(host.name)
            outside = f"sbv{tag}x{n}"
            _ip("link", "add", outside, "type", "veth", "peer", "name", "eth0", "netns", host.name)
            _ip("link", "set", outside, "master", bridge, "up")
            _ip("-n", host.name, "addr", "add", f"{host.address}/24", "dev", "eth0")
            _ip("-n", host.name, "link", "set", "eth0", "up")
            _ip("-n", host.name, "link", "set", "lo", "up")
            _ip("-n", host.name, "route", "add", "default", "via", gateway)
        group = Hosts(bridge, gateway, hosts)
        try:
            yield group
        finally:
            await group.close()
    finally:
        for name in made:
            subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=30, check=False)
        subprocess.run(["ip", "link", "del", bridge], capture_output=True, timeout=30, check=False)


if __name__ == "__main__":
    asyncio.run(_forward([_parse(a) for a in sys.argv[1:]]))
