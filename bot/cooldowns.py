"""Command rate limits: per user on every command, per server on the expensive ones (token buckets).

A stranger controls how often they type; this bounds what it costs us. Limits are decided before any work, and
the refused caller is told when to try again. State is in memory (per process), bounded: idle buckets are
forgotten.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

# Per server, the commands that fetch or post: (burst, seconds per further use).
SERVER_RATES: dict[str, tuple[int, float]] = {
    "digest preview": (2, 30.0),
    "digest send-now": (1, 60.0),
    "admin sync": (1, 60.0),
}
AUTOCOMPLETE_RATE = (10, 0.5)  # per user: a burst of 10 suggestions, then one every half second
MAX_BUCKETS = 50_000  # beyond this, idle (full) buckets are dropped first


@dataclass(frozen=True)
class Rate:
    """A token bucket's shape: `burst` uses at once, then one more every `seconds` seconds."""

    burst: int
    seconds: float


class _Bucket:
    __slots__ = ("tokens", "updated")

    def __init__(self, tokens: float, updated: float) -> None:
        self.tokens = tokens
        self.updated = updated


class Limiter:
    """Token buckets for one kind of limit, keyed by user or server."""

    def __init__(self, rate: Rate, monotonic: Callable[[], float]) -> None:
        self.rate = rate
        self._monotonic = monotonic
        self._buckets: dict[object, _Bucket] = {}

    def _bucket(self, key: object, now: float) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= MAX_BUCKETS:
                self._forget_idle(now)
            bucket = self._buckets[key] = _Bucket(float(self.rate.burst), now)
        else:
            refill = (now - bucket.updated) / self.rate.seconds
            bucket.tokens = min(float(self.rate.burst), bucket.tokens + refill)
            bucket.updated = now
        return bucket

    def wait(self, key: object) -> float:
        """Seconds until `key` may go (0 if now), without using anything."""
        bucket = self._bucket(key, self._monotonic())
        return 0.0 if bucket.tokens >= 1.0 else (1.0 - bucket.tokens) * self.rate.seconds

    def take(self, key: object) -> None:
        """Use one go (after wait() said 0)."""
        self._bucket(key, self._monotonic()).tokens -= 1.0

    def _forget_idle(self, now: float) -> None:
        full = self.rate.burst * self.rate.seconds
        idle = [k for k, b in self._buckets.items() if now - b.updated >= full]
        for key in idle or list(self._buckets)[: len(self._buckets) // 2]:
            del self._buckets[key]

    def __len__(self) -> int:
        return len(self._buckets)


@dataclass(frozen=True)
class Refusal:
    """Why a command may not run now, and in how many whole seconds it may."""

    scope: str  # "user" or "server"
    retry_after: int
    command: str

    @property
    def message(self) -> str:
        """The ephemeral answer."""
        if self.scope == "server":
            return f"`/{self.command}` was used in this server a moment ago; try again in {self.retry_after} s."
        return f"You are sending commands too quickly; try again in {self.retry_after} s."


class Cooldowns:
    """Every command limit of one process. `per_minute` = 0 turns all limits off (tests, private deployments)."""

    def __init__(self, per_minute: int, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.enabled = per_minute > 0
        self.monotonic = monotonic
        # A burst of a quarter of the minute's allowance (at least 1), refilled evenly over the minute.
        user_rate = Rate(max(1, per_minute // 4), 60.0 / per_minute) if self.enabled else Rate(1, 1.0)
        self.users = Limiter(user_rate, self._now)
        self.autocomplete = Limiter(Rate(*AUTOCOMPLETE_RATE), self._now)
        self.servers = {name: Limiter(Rate(*rate), self._now) for name, rate in SERVER_RATES.items()}

    def _now(self) -> float:
        return self.monotonic()

    def check_command(self, command: str, user_id: int, guild_id: int | None) -> Refusal | None:
        """None if the command may run now (and count it); else a Refusal with the wait."""
        if not self.enabled:
            return None
        server = self.servers.get(command)
        server_key = guild_id if guild_id is not None else ("dm", user_id)
        user_wait = self.users.wait(user_id)
        if user_wait > 0:
            return Refusal("user", max(1, math.ceil(user_wait)), command)
        if server is not None:
            server_wait = server.wait(server_key)
            if server_wait > 0:
                return Refusal("server", max(1, math.ceil(server_wait)), command)
            server.take(server_key)
        self.users.take(user_id)
        return None

    def check_autocomplete(self, user_id: int) -> bool:
        """True if a suggestion request may be answered now (and count it)."""
        if not self.enabled:
            return True
        if self.autocomplete.wait(user_id) > 0:
            return False
        self.autocomplete.take(user_id)
        return True
