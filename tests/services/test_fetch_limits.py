"""Keyed concurrency limits (issue 11, item 4): one key's holders never take another key's slots."""

from __future__ import annotations

import asyncio

import pytest

from bot.services.fetch_limits import KeyedLimiter, host_key


async def test_a_full_key_makes_its_own_callers_wait_not_others() -> None:
    limiter = KeyedLimiter(2)
    release = asyncio.Event()
    entered: list[str] = []

    async def hold(key: str, name: str) -> None:
        async with limiter.slot(key):
            entered.append(name)
            await release.wait()

    holders = [asyncio.ensure_future(hold("a", f"a{n}")) for n in range(3)]
    await asyncio.sleep(0.01)
    assert entered == ["a0", "a1"] and limiter.full("a") and limiter.busy("a") == 3
    async with limiter.slot("b", wait=0.1):  # another key is free at once
        entered.append("b")
    with pytest.raises(TimeoutError):
        async with limiter.slot("a", wait=0.05):
            pass
    release.set()
    await asyncio.gather(*holders)
    assert entered[-1] == "a2"
    assert limiter.busy("a") == 0 and not limiter._slots  # nothing kept for idle keys


def test_host_key_counts_host_and_port() -> None:
    assert host_key("https://Press.UN.org/en/rss.xml") == host_key("https://press.un.org/other") == "press.un.org:"
    assert host_key("http://127.0.0.1:8080/a") != host_key("http://127.0.0.1:8081/a")
