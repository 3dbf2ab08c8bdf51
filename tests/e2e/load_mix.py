"""A realistic mix of read-only commands and autocompletes, for the load test and the load benchmark."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from tests.e2e.conftest import ALICE, BOB, MOD


@dataclass(frozen=True)
class Call:
    """One interaction to dispatch: a command (or an autocomplete on one of its options)."""

    path: str
    options: dict[str, Any]
    focused: str | None = None  # set for autocomplete


READS = [
    Call("sanctions count", {"regime": "DPRK"}),
    Call("sanctions count", {}),
    Call("sanctions count", {"regime": "DPRK", "as_of": "2018-05-02"}),
    Call("sanctions search", {"name": "Ri Won Ho"}),
    Call("sanctions search", {"name": "Kim Jong-un"}),
    Call("sanctions search", {"name": "Mohamed al-Zawahiri"}),
    Call("sanctions entry", {"reference": "KPi.033"}),
    Call("sanctions entry", {"reference": "QDi.168"}),
    Call("sanctions changes", {"regime": "DPRK"}),
    Call("sanctions regimes", {}),
    Call("sanctions timeline", {"regime": "DPRK"}),
    Call("committee members", {"year": 2018}),
    Call("committee info", {}),
    Call("committee resolutions", {}),
    Call("statement denial", {}),
    Call("statement list", {}),
    Call("statement show", {"id": "dprk-mission-denial"}),
    Call("statement quotes", {"search": "hacking"}),
    Call("about", {}),
    Call("help", {}),
]

AUTOCOMPLETES = [
    Call("sanctions search", {"name": "kim"}, focused="name"),
    Call("sanctions entry", {"reference": "KPi.0"}, focused="reference"),
    Call("sanctions count", {"regime": "d"}, focused="regime"),
]

USERS = [ALICE, BOB, MOD]


def mix(n: int, *, autocomplete_share: float = 0.0, seed: int = 7) -> list[Call]:
    """n calls drawn from the read commands (and a share of autocompletes), every command at least once."""
    rng = random.Random(seed)
    calls = list(READS)
    while len(calls) < n:
        pool = AUTOCOMPLETES if rng.random() < autocomplete_share else READS
        calls.append(rng.choice(pool))
    rng.shuffle(calls)
    return calls[:n]


async def dispatch(fake: Any, call: Call, user_id: int, timeout: float = 60) -> Any:
    """Send one call through the fake Discord; return its InteractionResult."""
    if call.focused:
        return await fake.autocomplete_result(
            call.path, call.options, focused=call.focused, user_id=user_id, timeout=timeout
        )
    return await fake.invoke(call.path, call.options, user_id=user_id, timeout=timeout)


def prepare(fake: Any, call: Call, user_id: int) -> Any:
    """The call built and encoded for the fake Discord but not sent (a PreparedInteraction for a burst)."""
    if call.focused:
        return fake.prepare_autocomplete(call.path, call.options, focused=call.focused, user_id=user_id)
    return fake.prepare_invoke(call.path, call.options, user_id=user_id)
