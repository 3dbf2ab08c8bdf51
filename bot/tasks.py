"""Background work: one helper to start tasks (pydis style), one guard for every loop, and in-flight counting.

`discord.ext.tasks` stops a loop for good on an unhandled exception, so every loop body is wrapped in `guarded`:
a failure is logged with a reference, kept in `LoopHealth` (shown in /about), and the loop goes on, skipping its
passes until a jittered backoff delay has passed. `tests/cogs/test_structure.py` checks every loop is guarded.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import secrets
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar, cast

from bot import backoff

log = logging.getLogger(__name__)

T = TypeVar("T")
_running: set[asyncio.Task[Any]] = set()
GUARD_ATTRIBUTE = "__loop_guard__"


def create_task(coro: Coroutine[Any, Any, T], *, name: str) -> asyncio.Task[T]:
    """Schedule a coroutine, keep it alive until done, and log (never swallow silently) its failure."""
    task = asyncio.get_running_loop().create_task(coro, name=name)
    _running.add(task)
    task.add_done_callback(_finished)
    return task


def _finished(task: asyncio.Task[Any]) -> None:
    _running.discard(task)
    if task.cancelled():
        return
    exc = task.exception()
    if exc is not None:
        log.error("background task failed task=%s", task.get_name(), exc_info=exc)


def running() -> list[asyncio.Task[Any]]:
    """Tasks started here that have not finished."""
    return [t for t in _running if not t.done()]


class InFlight:
    """Counts work in progress (answers being sent, digests being delivered) so a shutdown can wait for it."""

    def __init__(self) -> None:
        self._count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def count(self) -> int:
        """Pieces of work in progress."""
        return self._count

    @contextlib.asynccontextmanager
    async def track(self) -> AsyncIterator[None]:
        """Count the body as work in progress."""
        self._count += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._count -= 1
            if self._count == 0:
                self._idle.set()

    async def wait_idle(self, seconds: float) -> bool:
        """Wait until nothing is in progress (at most `seconds`); True if it got there."""
        try:
            await asyncio.wait_for(self._idle.wait(), seconds)
        except TimeoutError:
            return False
        return True


def error_reference() -> str:
    """A short code a user can quote and we can grep for in the logs."""
    return secrets.token_hex(3).upper()


@dataclass
class LoopState:
    """How one background loop is doing: failures in a row, the last error and its reference, when it retries."""

    name: str
    failures: int = 0
    total_failures: int = 0
    passes: int = 0
    last_error: str | None = None
    last_reference: str | None = None
    retry_at: float | None = None  # on LoopHealth's monotonic clock

    @property
    def failing(self) -> bool:
        """True while the last pass failed."""
        return self.failures > 0


class LoopHealth:
    """Every guarded loop's state, for the guard's backoff and for /about. One per Core."""

    def __init__(
        self,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        rng: backoff.Uniform | None = None,
    ) -> None:
        self.monotonic = monotonic  # injectable: tests move it to end a backoff
        self.rng = rng
        self._states: dict[str, LoopState] = {}

    def state(self, name: str) -> LoopState:
        """The state of one loop (created on first use)."""
        return self._states.setdefault(name, LoopState(name))

    def states(self) -> list[LoopState]:
        """Every loop seen so far, by name."""
        return sorted(self._states.values(), key=lambda s: s.name)

    def due(self, name: str) -> bool:
        """False while the loop is backing off after a failure."""
        state = self.state(name)
        return state.retry_at is None or self.monotonic() >= state.retry_at

    def succeeded(self, name: str) -> None:
        """Record a good pass (ends any backoff)."""
        state = self.state(name)
        if state.failures:
            log.info("background loop recovered loop=%s after_failures=%d", name, state.failures)
        state.passes += 1
        state.failures = 0
        state.retry_at = None

    def failed(self, name: str, exc: BaseException, *, base: float, cap: float, logged: bool = False) -> LoopState:
        """Record a failed pass: a reference, the traceback in the log (unless the caller `logged` it, with the
        state's reference), and the jittered time of the next try."""
        state = self.state(name)
        state.passes += 1
        state.failures += 1
        state.total_failures += 1
        state.last_reference = error_reference()
        state.last_error = f"{type(exc).__name__}: {_one_line(exc)}"
        wait = backoff.delay(state.failures, base, cap, self.rng)
        state.retry_at = self.monotonic() + wait
        if logged:
            return state
        log.error(
            "background loop failed loop=%s reference=%s failures=%d retry_in_s=%.0f",
            name,
            state.last_reference,
            state.failures,
            wait,
            exc_info=exc,
        )
        return state

    async def about(self) -> list[tuple[str, str]]:
        """An /about field naming each loop that is failing now (with its reference), or nothing when all is well."""
        failing = [s for s in self.states() if s.failing]
        if not failing:
            return []
        lines = [
            f"{s.name}: failing ({s.failures} in a row, reference {s.last_reference}); retrying with backoff"
            for s in failing
        ]
        return [("Background jobs", "\n".join(lines))]


def _one_line(exc: BaseException, limit: int = 160) -> str:
    text = " ".join(str(exc).split()) or "no message"
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _HasLoopHealth(Protocol):
    @property
    def loop_health(self) -> LoopHealth: ...


LoopBody = TypeVar("LoopBody", bound=Callable[..., Coroutine[Any, Any, None]])


def guarded(name: str, *, base: float, cap: float = 900.0) -> Callable[[LoopBody], LoopBody]:
    """Wrap a loop body so no exception ever ends the loop (see the module docstring).

    The owner (a cog) must have `loop_health`. After n failures in a row the next pass runs no sooner than a
    full-jitter delay in [0, min(cap, base·2^(n-1))] seconds; passes before that are skipped.
    """

    def wrap(fn: LoopBody) -> LoopBody:
        @functools.wraps(fn)
        async def body(owner: _HasLoopHealth, *args: Any, **kwargs: Any) -> None:
            health = owner.loop_health
            if not health.due(name):
                return
            try:
                await fn(owner, *args, **kwargs)
            except Exception as exc:  # anything: an unhandled exception would end the loop for good
                health.failed(name, exc, base=base, cap=cap)
            else:
                health.succeeded(name)

        setattr(body, GUARD_ATTRIBUTE, name)
        return cast("LoopBody", body)

    return wrap
