"""Token buckets for command limits, on a clock the test moves."""

from __future__ import annotations

from bot.cooldowns import MAX_BUCKETS, Cooldowns, Limiter, Rate


def test_user_burst_then_one_every_three_seconds() -> None:
    now = [0.0]
    limits = Cooldowns(20, monotonic=lambda: now[0])  # 20 a minute: a burst of 5, then one every 3 s
    assert [limits.check_command("about", 1, 9) for _ in range(5)] == [None] * 5
    refusal = limits.check_command("about", 1, 9)
    assert refusal is not None and refusal.scope == "user" and refusal.retry_after == 3
    assert "try again in 3 s" in refusal.message
    assert limits.check_command("about", 2, 9) is None  # another user is not held back
    now[0] += 3.0
    assert limits.check_command("about", 1, 9) is None
    assert limits.check_command("about", 1, 9) is not None


def test_expensive_commands_are_limited_per_server_and_a_refusal_costs_the_user_nothing() -> None:
    now = [0.0]
    limits = Cooldowns(20, monotonic=lambda: now[0])
    assert limits.check_command("digest send-now", 1, 100) is None
    refusal = limits.check_command("digest send-now", 2, 100)  # another member, same server
    assert refusal is not None and refusal.scope == "server" and refusal.retry_after == 60
    assert "/digest send-now" in refusal.message
    assert limits.check_command("digest send-now", 2, 200) is None  # another server
    for _ in range(4):  # user 2's refusal above did not use one of their five
        assert limits.check_command("about", 2, 100) is None


def test_zero_turns_limits_off() -> None:
    limits = Cooldowns(0)
    assert all(limits.check_command("digest send-now", 1, 1) is None for _ in range(1000))
    assert all(limits.check_autocomplete(1) for _ in range(1000))


def test_buckets_stay_bounded_under_many_users() -> None:
    now = [0.0]
    limiter = Limiter(Rate(5, 3.0), lambda: now[0])
    for user in range(MAX_BUCKETS * 2):
        limiter.take(user)
        now[0] += 0.001
    assert len(limiter) <= MAX_BUCKETS
