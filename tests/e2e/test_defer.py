"""Answers that are not ready within 2 s are deferred, then delivered; a late error stays private."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.errors import UnknownRegime
from tests.e2e.conftest import ALICE, E2E
from tests.e2e.test_shutdown import _command

pytestmark = pytest.mark.both_engines

EPHEMERAL = 1 << 6


@pytest.fixture
def slow_count(e2e: E2E, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Make /sanctions count take 0.6 s (or fail after that long) and defer after 0.3 s."""
    import bot.app

    monkeypatch.setattr(bot.app, "DEFER_AFTER_SECONDS", 0.3)  # the same rule, on a shorter fuse for the test
    command = _command(e2e.bot, "sanctions count")
    original = command.extras["answer"]
    mode: dict[str, Any] = {"fail": False}

    async def slow(ctx: Any, **options: Any) -> Any:
        await asyncio.sleep(0.6)
        if mode["fail"]:
            raise UnknownRegime("Narnia", known=["DPRK"])
        return await original(ctx, **options)

    monkeypatch.setitem(command.extras, "answer", slow)
    return mode


async def test_a_slow_answer_is_deferred_then_delivered(e2e: E2E, slow_count: dict[str, Any]) -> None:
    res = await e2e.fake.invoke("sanctions count", {"regime": "DPRK"}, user_id=ALICE)
    assert res.type == 5 and not (res.callback.get("data") or {}).get("flags", 0) & EPHEMERAL
    follow = await res.wait_followups(1, timeout=5)
    fields = {f["name"]: f["value"] for f in follow[-1]["embeds"][0]["fields"]}
    assert fields["Individuals"] == "80"


async def test_a_slow_error_is_private(e2e: E2E, slow_count: dict[str, Any]) -> None:
    slow_count["fail"] = True
    res = await e2e.fake.invoke("sanctions count", {"regime": "Narnia"}, user_id=ALICE)
    assert res.type == 5
    follow = await res.wait_followups(1, timeout=5)
    assert follow[-1]["flags"] & EPHEMERAL
    assert "no regime called" in str(follow[-1])
    assert any(m == "DELETE" for m, p, _s in e2e.fake.requests if "@original" in p)


async def test_in_a_burst_later_interactions_are_acknowledged_first(e2e: E2E, monkeypatch: pytest.MonkeyPatch) -> None:
    """With every answer slot taken, a new command is deferred at once (not after its answer or a 1 s fuse),
    then answered when a slot frees: acknowledgements never queue behind answer work."""
    import bot.app

    monkeypatch.setattr(bot.app, "DEFER_AFTER_SECONDS", 1.0)
    monkeypatch.setattr(e2e.bot, "_answering", asyncio.Semaphore(1))
    command = _command(e2e.bot, "sanctions count")
    original = command.extras["answer"]

    async def slow(ctx: Any, **options: Any) -> Any:
        await asyncio.sleep(0.8)  # under the 1 s fuse: the first is answered directly
        return await original(ctx, **options)

    monkeypatch.setitem(command.extras, "answer", slow)
    first, second = await asyncio.gather(
        e2e.fake.invoke("sanctions count", {"regime": "DPRK"}, user_id=ALICE),
        e2e.fake.invoke("sanctions count", {"regime": "DPRK"}, user_id=ALICE, timeout=10),
    )
    assert first.type == 4  # had the slot: answered directly
    assert second.type == 5 and second.latency is not None and second.latency < 0.5
    follow = await second.wait_followups(1, timeout=5)
    fields = {f["name"]: f["value"] for f in follow[-1]["embeds"][0]["fields"]}
    assert fields["Individuals"] == "80"
