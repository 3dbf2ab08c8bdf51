"""Many interactions at once through the local Discord: every one answered, none lost, all valid."""

from __future__ import annotations

import asyncio

import pytest

from tests.e2e.conftest import E2E
from tests.e2e.load_mix import USERS, dispatch, mix

pytestmark = pytest.mark.sqlite_only(
    "the subject is the interaction pipeline under a 300-interaction burst (answer slots, deferral, no answer lost),"
    " which is load-sensitive on a shared machine; each command in the mix runs on PostgreSQL in its own module,"
    " and many processes on one PostgreSQL store are measured by bench/shared_store.py"
)


async def test_three_hundred_mixed_interactions_at_once(e2e: E2E) -> None:
    calls = mix(300, autocomplete_share=0.2)
    results = await asyncio.gather(*(dispatch(e2e.fake, call, USERS[i % len(USERS)]) for i, call in enumerate(calls)))
    assert len(results) == len(calls)
    for call, res in zip(calls, results, strict=True):
        assert res.status in (200, 204), (call, res.status, res.problems)
        # Autocomplete answers with choices (8); commands with a message (4) or a deferral (5) then a follow-up.
        assert res.type in ((8,) if call.focused else (4, 5)), (call, res)
    deferred = [r for r in results if r.type == 5]
    for res in deferred:
        assert await res.wait_followups(1, timeout=30)
    ids = [r.id for r in results]
    assert len(set(ids)) == len(ids)  # none answered for another
