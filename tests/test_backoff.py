"""The one backoff helper: full jitter below an exponential ceiling with a cap."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from bot import backoff


def test_ceiling_doubles_then_caps() -> None:
    assert [backoff.ceiling(n, 5, 60) for n in range(7)] == [0, 5, 10, 20, 40, 60, 60]


@given(st.integers(min_value=-3, max_value=10_000), st.floats(0.01, 1e4), st.floats(0.01, 1e6), st.integers())
def test_delay_stays_within_zero_and_the_ceiling(attempt: int, base: float, cap: float, seed: int) -> None:
    value = backoff.delay(attempt, base, cap, random.Random(seed))
    assert 0.0 <= value <= backoff.ceiling(attempt, base, cap) <= cap


def test_delays_are_spread_not_synchronised() -> None:
    # Two processes failing together must not retry together: draws at the same attempt differ and cover the range.
    rng = random.Random(7)
    draws = [backoff.delay(4, 1.0, 60.0, rng) for _ in range(500)]
    assert len({round(d, 6) for d in draws}) > 490
    assert min(draws) < 1.0 and max(draws) > 7.0  # ceiling is 8: the draws span it
