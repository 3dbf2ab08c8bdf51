"""One backoff for every retry: exponential growth, capped, with full jitter.

Full jitter (a wait drawn uniformly between zero and the capped exponential) spreads out retries that failed
together — many digests hitting the same Discord outage, feeds on the same host — so they do not come back in
lockstep. Every retry in the bot takes its wait from `delay`.
"""

from __future__ import annotations

import random

_rng = random.SystemRandom()


def ceiling(attempt: int, *, base: float, cap: float) -> float:
    """The most a retry may wait: base · 2^(attempt − 1), at most cap (attempt 1 is the first retry)."""
    if attempt < 1:
        return 0.0
    return min(cap, base * 2.0 ** min(attempt - 1, 62))


def delay(attempt: int, *, base: float, cap: float, rng: random.Random | None = None) -> float:
    """A wait before retry number `attempt`: uniform in [0, ceiling] (full jitter)."""
    return (rng or _rng).uniform(0.0, ceiling(attempt, base=base, cap=cap))
