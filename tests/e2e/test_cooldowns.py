"""Command limits and expired interactions (issue 11, item 10), through the real bot and the local Discord.

300 commands at once from one user used to give late answers (past Discord's 3 s) and "command crashed" errors.
Now each user has a budget (COMMANDS_PER_MINUTE, 20 by default: a burst of 5, then one every 3 s) and the
expensive commands one per server; over it the answer is an ephemeral "try again in N s", at once. An
interaction that can no longer be answered is dropped quietly, not logged as a crash.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.clock import ManualClock
from bot.core import open_core
from bot.settings import Settings
from tests.discord_fake.server import InteractionTimeout
from tests.e2e.conftest import ALICE, BOB, E2E, GUILD, MOD, OTHER_CHANNEL, new_fake, start_e2e
from tests.e2e.digests import EPHEMERAL

GUILD2 = GUILD + 1_000
DEADLINE = 3.0

pytestmark = pytest.mark.sqlite_only(
    "the subject is the command limiter, which lives in memory (no store is read or written to decide a limit), and"
    " its 300-interaction bursts are load-sensitive on a shared machine; the same commands' answers run on"
    " PostgreSQL in test_foundation, test_sanctions_commands and test_hostile_inputs"
)


@pytest.fixture
async def env(loaded_settings: Settings, clock: ManualClock) -> AsyncIterator[E2E]:
    settings = dataclasses.replace(loaded_settings, commands_per_minute=20)  # the shipped default
    fake = new_fake(guilds=(GUILD, GUILD2))
    await fake.start()
    try:
        async with open_core(settings, clock=clock) as core:
            async for e in start_e2e(core, run_background=False, fake=fake):
                yield e
    finally:
        await fake.stop()


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO)
    return caplog


def errors(logs: pytest.LogCaptureFixture) -> list[str]:
    return [f"{r.name}: {r.getMessage()}" for r in logs.records if r.levelno >= logging.ERROR]


def text(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False)


async def test_three_hundred_commands_from_one_user(env: E2E, logs: pytest.LogCaptureFixture) -> None:
    results = await asyncio.gather(
        *(env.fake.invoke("sanctions count", {"regime": "DPRK"}, user_id=ALICE, timeout=30) for _ in range(300))
    )
    late = [r for r in results if r.status not in (200, 204) or r.latency > DEADLINE]
    assert not late, f"{len(late)} answers past Discord's deadline, e.g. {late[0].problems}"
    refused = [r for r in results if "try again in" in text(r.data)]
    answered = [r for r in results if r not in refused]
    # The burst of 5 (a 6th if the run took 3 s or more); everything else is told when to come back.
    assert 5 <= len(answered) <= 6, len(answered)
    for r in answered:  # answered at once, or acknowledged at once and answered after (a busy moment)
        data = (await r.wait_followups(1, timeout=10))[0] if r.type == 5 else r.data
        assert data["embeds"][0]["fields"], data
    for r in refused:
        assert r.data["flags"] & EPHEMERAL
        assert "You are sending commands too quickly; try again in " in text(r.data)
    assert not errors(logs), errors(logs)[:3]
    # Another user is not held back by ALICE's flood.
    other = await env.fake.invoke("sanctions count", {"regime": "DPRK"}, user_id=BOB)
    data = (await other.wait_followups(1, timeout=10))[0] if other.type == 5 else other.data
    assert data["embeds"][0]["fields"]


async def test_expensive_commands_are_limited_per_server(env: E2E, logs: pytest.LogCaptureFixture) -> None:
    async def send_now(user: int, guild: int) -> str:
        res = await env.fake.invoke(
            "digest send-now", {"channel": guild + 1}, user_id=user, guild_id=guild, channel_id=guild + 2
        )
        if res.type == 5:
            await res.wait_followups(1, timeout=10)
            return text(res.followups[0])
        return text(res.data)

    first = await send_now(MOD, GUILD)
    assert "try again" not in first
    again = await send_now(MOD, GUILD)
    assert "`/digest send-now` was used in this server a moment ago; try again in " in again
    assert "try again" in await send_now(BOB, GUILD)  # any member of the same server
    assert "try again" not in await send_now(MOD, GUILD2)  # another server is not held back
    previews = [
        text((await env.fake.invoke("digest preview", {}, user_id=MOD, channel_id=OTHER_CHANNEL)).data)
        for _ in range(3)
    ]
    assert ["try again" in p for p in previews] == [False, False, True]
    assert not errors(logs), errors(logs)[:3]


async def test_expired_interactions_are_dropped_quietly(env: E2E, logs: pytest.LogCaptureFixture) -> None:
    # Delivered 5 s after Discord created it (a backlog): no answer can reach Discord any more.
    with pytest.raises(InteractionTimeout):
        await env.fake.invoke("about", {}, user_id=ALICE, delay=5.0, timeout=1.5)
    # An answer that only gets out after the 3 s (the event loop stalled): Discord says 10062, nothing crashed.
    command = env.bot.tree.get_command("about")
    assert command is not None
    original = command.extras["answer"]

    async def stalled(ctx: Any, **options: Any) -> Any:
        import time

        time.sleep(3.2)  # a blocked event loop: not even the 2 s deferral can get out
        return await original(ctx, **options)

    command.extras["answer"] = stalled
    try:
        late = await env.fake.invoke("about", {}, user_id=BOB, timeout=10)
    finally:
        command.extras["answer"] = original
    assert late.status == 404  # the fake, like Discord, refused the late callback
    expected = [v for v in env.fake.violations if "past Discord's 3.0s deadline" in str(v)]
    assert len(expected) == len(env.fake.violations) == 1
    env.fake.clear_violations()
    await asyncio.sleep(0.2)  # let the bot's error handler run
    assert not errors(logs), errors(logs)[:3]
    messages = [r.getMessage() for r in logs.records]
    assert any(m.startswith("interaction expired before it was handled") for m in messages)
    assert any(m.startswith("interaction expired before the answer command=about") for m in messages)
    assert not any("command crashed" in m for m in messages)
    # The bot still answers.
    assert (await env.fake.invoke("about", {}, user_id=ALICE)).status in (200, 204)


async def test_autocomplete_is_limited_per_user_with_empty_suggestions(
    env: E2E, logs: pytest.LogCaptureFixture
) -> None:
    async def suggest(user: int) -> list[Any]:
        res = await env.fake.autocomplete_result("sanctions search", {"name": "Ri Won"}, focused="name", user_id=user)
        assert res.type == 8 and res.status in (200, 204) and not res.problems, res
        return list(res.data.get("choices") or [])

    results = await asyncio.gather(*(suggest(ALICE) for _ in range(40)))
    served = [r for r in results if r]
    assert 10 <= len(served) <= 12, len(served)  # the burst of 10 (one more per half second of the run)
    assert await suggest(BOB)  # another user is not held back
    assert not errors(logs), errors(logs)[:3]


async def test_an_expired_page_turn_is_dropped_quietly(env: E2E, logs: pytest.LogCaptureFixture) -> None:
    res = await env.fake.invoke("sanctions search", {"name": "Kim Jong-un"}, user_id=ALICE)
    assert res.message is not None
    (next_id,) = [
        c["custom_id"]
        for row in res.message["components"]
        for c in row["components"]
        if c["custom_id"].endswith(":next")
    ]
    # Delivered 4 s after the click (a backlog): Discord no longer takes the page turn.
    late = await env.fake.click(res.message, next_id, user_id=ALICE, delay=4.0)
    assert late.status == 404
    assert [str(v) for v in env.fake.violations if "deadline" not in str(v)] == []
    env.fake.clear_violations()
    await asyncio.sleep(0.2)  # the view's error handler
    assert not errors(logs), errors(logs)[:3]
    assert any(r.getMessage().startswith("pager click expired") for r in logs.records)
    turned = await env.fake.click(res.message, next_id, user_id=ALICE)  # a prompt click still works
    assert turned.type == 7 and turned.status == 200
    assert "results 6–10 of 10" in turned.data["embeds"][0]["footer"]["text"]
