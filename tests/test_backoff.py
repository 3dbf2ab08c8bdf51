"""The one backoff: capped exponential ceilings, and waits drawn with full jitter below them."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from bot import backoff


def test_ceilings_double_then_stop_at_the_cap() -> None:
    assert [backoff.ceiling(n, base=1.0, cap=60.0) for n in range(0, 9)] == [0, 1, 2, 4, 8, 16, 32, 60, 60]
    assert backoff.ceiling(10_000, base=15.0, cap=720.0) == 720.0


@given(st.integers(min_value=1, max_value=200), st.floats(0.01, 100.0), st.floats(0.01, 10_000.0))
def test_a_wait_is_never_negative_nor_above_its_ceiling(attempt: int, base: float, cap: float) -> None:
    wait = backoff.delay(attempt, base=base, cap=cap)
    assert 0.0 <= wait <= backoff.ceiling(attempt, base=base, cap=cap)


def test_waits_are_spread_over_the_whole_range_not_in_lockstep() -> None:
    rng = random.Random(7)
    waits = [backoff.delay(5, base=1.0, cap=60.0, rng=rng) for _ in range(2000)]
    assert min(waits) < 1.0 and max(waits) > 15.0  # full jitter: anywhere from 0 to 16
    assert len({round(w, 6) for w in waits}) > 1900  # many retries failing together do not come back together
