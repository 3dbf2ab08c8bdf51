"""The one retry-delay rule: exponential backoff with full jitter (AWS's "Exponential Backoff and Jitter").

Every retry in the bot (background loops, list sync, feed polling, deliveries) takes its delay from here, so
processes that fail together do not retry together. Full jitter: a uniform draw in [0, min(cap, base·2^(n-1))].
"""

from __future__ import annotations

import random
from typing import Protocol

_SYSTEM = random.SystemRandom()


class Uniform(Protocol):
    """What the helper needs of a random source (random.Random and SystemRandom both fit)."""

    def uniform(self, a: float, b: float, /) -> float:
        """A float between a and b."""
        ...


def ceiling(attempt: int, base: float, cap: float) -> float:
    """The largest delay after `attempt` failures in a row (1 = the first): base·2^(attempt-1), at most cap."""
    if attempt <= 0:
        return 0.0
    # 2**64 is far past any cap: stop doubling there so huge attempt counts never overflow.
    return float(min(cap, base * 2 ** min(attempt - 1, 64)))


def delay(attempt: int, base: float, cap: float, rng: Uniform | None = None) -> float:
    """Seconds (or whatever unit base and cap are in) to wait after `attempt` failures: uniform in [0, ceiling]."""
    top = ceiling(attempt, base, cap)
    return (rng or _SYSTEM).uniform(0.0, top) if top > 0 else 0.0
