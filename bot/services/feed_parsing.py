"""Feed parsing in a child process with hard limits: a hostile body costs the bot bounded memory and time.

Why a process and not a thread: a thread shares the bot's memory and cannot be stopped, so a document that
makes the parser allocate gigabytes or loop for a minute would take the bot with it. Each parse runs in a child
forked from a small, long-lived fork server (multiprocessing "forkserver", with feedparser preloaded, so a fork
costs milliseconds, not an interpreter start): the child sets RLIMIT_AS and RLIMIT_CPU on itself before reading
the body, the bot waits for its answer off the event loop for at most PARSE_TIMEOUT seconds and then kills it.
The bot's own memory only ever holds the body (≤ 5 MB) and the at most MAX_ITEMS_PER_POLL items that come back.
The parser also refuses every DTD and entity declaration first (bot/sources/feeds.py), so the limits are the
second wall, not the first.
"""

from __future__ import annotations

import asyncio
import io
import logging
import multiprocessing
import os
import resource
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from multiprocessing import forkserver, popen_forkserver, reduction, spawn, util
from multiprocessing.connection import Connection
from multiprocessing.context import set_spawning_popen
from typing import Any

from bot.errors import NotAFeed
from bot.sources.feeds import ParsedFeed, parse_feed

log = logging.getLogger(__name__)

PARSE_MEMORY_BYTES = 512 * 2**20  # the child's whole address space (the interpreter and feedparser take ~60 MB)
PARSE_CPU_SECONDS = 10
PARSE_TIMEOUT = 15.0  # wall clock, from the fork to the answer
PARSE_CONCURRENCY = 2  # children at once (each may use PARSE_MEMORY_BYTES)

_context = multiprocessing.get_context("forkserver")
_start_lock = threading.Lock()
_started = False
_waiters = ThreadPoolExecutor(max_workers=PARSE_CONCURRENCY, thread_name_prefix="feed-parse")
_gate: asyncio.Semaphore | None = None
_gate_loop: asyncio.AbstractEventLoop | None = None


Parser = Callable[..., ParsedFeed]


def _child(
    conn: Connection,
    limits: tuple[int, int],
    parser: Parser,
    data: bytes,
    base_url: str,
    content_type: str,
    max_items: int,
) -> None:
    """Runs in the child: limit itself, parse, send back ("ok", feed) or ("refused", reason, links)."""
    memory, cpu = limits
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    try:
        message: tuple[Any, ...] = ("ok", parser(data, base_url, content_type, max_items=max_items))
    except NotAFeed as exc:
        message = ("refused", exc.what, exc.suggestions)
    except MemoryError:
        message = ("refused", f"it needs more than {memory // 2**20} MB to read", [])
    except BaseException as exc:
        message = ("refused", f"the feed parser failed on it ({type(exc).__name__})", [])
    try:
        conn.send(message)
    finally:
        conn.close()


class _Popen(popen_forkserver.Popen):
    """Forkserver's Popen without the main module in the preparation data.

    The standard one makes every child import the parent's __main__ again (a benchmark script, pytest, …), which
    costs an import per parse and runs module code that was never meant to run there. Same steps otherwise.
    """

    def _launch(self, process_obj: Any) -> None:
        prep_data = {
            k: v for k, v in spawn.get_preparation_data(process_obj._name).items() if not k.startswith("init_main")
        }
        buf = io.BytesIO()
        set_spawning_popen(self)
        try:
            reduction.dump(prep_data, buf)
            reduction.dump(process_obj, buf)
        finally:
            set_spawning_popen(None)
        self.sentinel, w = forkserver.connect_to_new_process(self._fds)  # type: ignore[attr-defined]
        _parent_w = os.dup(w)
        self.finalizer = util.Finalize(self, util.close_fds, (_parent_w, self.sentinel))  # type: ignore[attr-defined]
        with open(w, "wb", closefd=True) as f:
            f.write(buf.getbuffer())
        self.pid = forkserver.read_signed(self.sentinel)


class _Process(_context.Process):  # type: ignore[name-defined,misc]
    @staticmethod
    def _Popen(process_obj: Any) -> _Popen:
        return _Popen(process_obj)


def _ensure_server() -> None:
    global _started
    with _start_lock:
        if not _started:
            _context.set_forkserver_preload(["bot.services.feed_parsing"])
            _started = True


def _parse_in_child(parser: Parser, data: bytes, base_url: str, content_type: str, max_items: int) -> tuple[Any, ...]:
    """Fork a child, wait for its answer within PARSE_TIMEOUT, kill it whatever happened (runs in a thread)."""
    _ensure_server()
    receiver, sender = _context.Pipe(duplex=False)
    child = _Process(
        target=_child,
        args=(sender, (PARSE_MEMORY_BYTES, PARSE_CPU_SECONDS), parser, data, base_url, content_type, max_items),
        name="feed-parse",
        daemon=True,
    )
    try:
        child.start()
        sender.close()
        if not receiver.poll(PARSE_TIMEOUT):
            return ("refused", f"reading it took over {PARSE_TIMEOUT:.0f} s", [])
        try:
            answer: tuple[Any, ...] = receiver.recv()
        except (EOFError, OSError):  # the child died: over its memory or CPU limit
            child.join(1)
            return ("refused", _death(child.exitcode), [])
        return answer
    finally:
        if child.is_alive():
            child.kill()
        child.join(2)
        receiver.close()
        child.close()


def _death(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        return "reading it went over the parser's memory or time limit"
    return "the feed parser stopped without an answer"


def _semaphore() -> asyncio.Semaphore:
    global _gate, _gate_loop
    loop = asyncio.get_running_loop()
    if _gate is None or _gate_loop is not loop:  # one per event loop (tests run several)
        _gate, _gate_loop = asyncio.Semaphore(PARSE_CONCURRENCY), loop
    return _gate


async def parse_isolated(
    data: bytes, base_url: str = "", content_type: str = "", *, max_items: int, parser: Parser = parse_feed
) -> ParsedFeed:
    """parse_feed in a limited child process, off the event loop; NotAFeed for any refusal or failure.

    `parser` (a module-level function, sent to the child by name) is for tests of the limits themselves."""
    async with _semaphore():
        answer = await asyncio.get_running_loop().run_in_executor(
            _waiters, _parse_in_child, parser, data, base_url, content_type, max_items
        )
    if answer[0] == "ok":
        parsed: ParsedFeed = answer[1]
        return parsed
    log.info("feed parse refused reason=%s bytes=%d", answer[1], len(data))
    raise NotAFeed(answer[1], answer[2])
