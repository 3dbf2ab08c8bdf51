"""Discord's REST API failing on a share of interaction responses: answers still arrive, exactly once."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from tests.e2e.conftest import ALICE, E2E, MOD

pytestmark = pytest.mark.both_engines

CALLBACK = r"/interactions/\d+/[^/]+/callback"


@pytest.mark.parametrize("status", [500, 502])
async def test_server_errors_on_callbacks_are_retried(e2e: E2E, status: int) -> None:
    fault = e2e.fake.inject_fault(method="POST", path_regex=CALLBACK, status=status, times=2)
    results = await asyncio.gather(
        *(e2e.fake.invoke("sanctions count", {"regime": "DPRK"}, user_id=ALICE, timeout=10) for _ in range(4))
    )
    assert fault.hits == 2
    assert all(r.callback and r.callback["type"] == 4 for r in results)
    # One accepted callback per interaction: the retries did not answer anything twice.
    accepted = Counter(r.path for r in e2e.fake.requests if r.path.endswith("/callback") and r.status in (200, 204))
    assert len(accepted) == 4 and set(accepted.values()) == {1}


async def test_rate_limits_on_callbacks_are_waited_out(e2e: E2E) -> None:
    fault = e2e.fake.inject_fault(method="POST", path_regex=CALLBACK, status=429, ratio=0.5, retry_after=0.05)
    results = await asyncio.gather(
        *(e2e.fake.invoke("sanctions count", {}, user_id=ALICE, timeout=10) for _ in range(20))
    )
    assert fault.hits > 0
    # In a burst of 20 the bot answers four at a time and acknowledges the rest first (type 5), then follows up:
    # either way every interaction gets its answer exactly once.
    for r in results:
        assert r.callback and r.callback["type"] in (4, 5)
        if r.callback["type"] == 5:
            follow = await r.wait_followups(1, timeout=10)
            assert len(follow) == 1 and "Individuals" in str(follow[0])
    accepted = Counter(r.path for r in e2e.fake.requests if r.path.endswith("/callback") and r.status in (200, 204))
    assert len(accepted) == 20 and set(accepted.values()) == {1}


async def test_follow_ups_survive_a_server_error(e2e: E2E) -> None:
    # /digest preview is deferred (it refreshes feeds first) and answers with a follow-up.
    fault = e2e.fake.inject_fault(method=None, path_regex=r"/webhooks/\d+/[^/]+", status=502, times=1)
    res = await e2e.fake.invoke("digest preview", {}, user_id=MOD, timeout=10)
    assert res.type == 5
    follow = await res.wait_followups(1, timeout=10)
    assert len(follow) == 1 and fault.hits == 1
    assert "Sanctions digest" in str(follow[0])
