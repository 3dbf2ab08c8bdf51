"""Every slash command and option, driven with hostile values through the local Discord (hypothesis).

For each example: an answer within Discord's 3 seconds, a body that validates against Discord's OpenAPI
description (the fake rejects and records anything else), nothing that could mention anyone, no crash logged,
and — for commands that only read — a store left exactly as it was.
HOSTILE_EXAMPLES (default 200) sets the examples per command; run a larger batch on demand, e.g.
`HOSTILE_EXAMPLES=2000 python3 dev.py test tests/e2e/test_hostile_inputs.py -s`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from discord import app_commands
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.settings import Settings
from tests.conftest import OWNER_ID
from tests.e2e.conftest import ALICE, CHANNEL, GUILD, MOD, OTHER_CHANNEL
from tests.e2e.hostile import Leaf, ThreadedBot, leaves, unsafe_mentions, values_for

EXAMPLES = int(os.environ.get("HOSTILE_EXAMPLES", "200"))
DEADLINE_SECONDS = 3.0
COUNTS: dict[str, int] = {}


@pytest.fixture(scope="module")
def rig(module_loaded_settings: Settings) -> Iterator[ThreadedBot]:
    """The bot on its own copy of the five shared versions: on a SQLite file, then on PostgreSQL."""
    bot = ThreadedBot(module_loaded_settings)
    yield bot
    bot.close()
    if os.environ.get("HOSTILE_REPORT"):
        Path(os.environ["HOSTILE_REPORT"]).write_text(
            "\n".join(f"{path}\t{n}" for path, n in sorted(COUNTS.items())) + "\n"
        )


def writes(rig: ThreadedBot, path: str) -> bool:
    """Whether a command declares that it changes the store (extras['writes'])."""
    node: Any = None
    items = list(rig.run.bot.tree.get_commands())
    for word in path.split():
        node = next(c for c in items if c.name == word)
        items = list(node.commands) if isinstance(node, app_commands.Group) else []
    return bool(node.extras.get("writes"))


def examples(leaf: Leaf) -> st.SearchStrategy[dict[str, Any]]:
    """Option dicts: any subset of the declared options (required ones usually present), hostile values."""
    fields = {o["name"]: values_for(o["type"]) for o in leaf.options}
    required = [o["name"] for o in leaf.options if o.get("required")]

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        chosen = {}
        for name, strategy in fields.items():
            include = (name in required and draw(st.integers(0, 19)) > 0) or draw(st.booleans())
            if include:
                chosen[name] = draw(strategy)
        return chosen

    return build()


CONTEXTS = st.fixed_dictionaries(
    {
        "user_id": st.sampled_from([ALICE, MOD, OWNER_ID, 1_999_999_999_999_999_999]),
        "guild_id": st.sampled_from([GUILD, GUILD, GUILD, None]),
        "channel_id": st.sampled_from([CHANNEL, OTHER_CHANNEL]),
        "permissions": st.sampled_from([None, 0, 1 << 5, (1 << 53) - 1]),
        "locale": st.sampled_from(["en-US", "ko", "ar", "xx-YY"]),
    }
)


def check_one(rig: ThreadedBot, leaf: Leaf, options: dict[str, Any], context: dict[str, Any]) -> None:
    before_version = rig.write_mark()
    before_violations = len(rig.fake.violations)
    before_errors = len(rig.errors.records)
    before_bodies = len(rig.fake.message_bodies)
    if context["guild_id"] is None:
        context = {**context, "channel_id": None}
    res = rig.call(rig.fake.invoke(leaf.path, options, raw=True, timeout=DEADLINE_SECONDS + 2, **context))
    assert res.latency < DEADLINE_SECONDS, f"/{leaf.path} answered after {res.latency:.2f} s"
    assert res.status in (200, 204), (leaf.path, options, res.status, res.problems)
    assert len(rig.fake.violations) == before_violations, rig.fake.violations[before_violations:]
    if res.type == 5:  # deferred: the answer comes as a follow-up
        rig.call(res.wait_followups(1, timeout=DEADLINE_SECONDS))
    bodies = [body for _method, _path, body in rig.fake.message_bodies[before_bodies:]]
    assert bodies, f"/{leaf.path} sent no message body"
    for body in bodies:
        assert body.get("allowed_mentions") == {"parse": []}, (leaf.path, body.get("allowed_mentions"))
        assert unsafe_mentions(body) == [], (leaf.path, options, unsafe_mentions(body))
    new_errors = [r.getMessage() for r in rig.errors.records[before_errors:]]
    assert not new_errors, (leaf.path, options, new_errors)
    if not writes(rig, leaf.path):
        assert rig.write_mark() == before_version, f"/{leaf.path} changed the store"
    COUNTS[leaf.path] = COUNTS.get(leaf.path, 0) + 1


def run_examples(rig: ThreadedBot, leaf: Leaf) -> None:
    """Drive one command with EXAMPLES generated option sets and contexts."""

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(options=examples(leaf), context=CONTEXTS)
    def run(options: dict[str, Any], context: dict[str, Any]) -> None:
        check_one(rig, leaf, options, context)

    run()


def check_autocomplete(
    rig: ThreadedBot, leaf: Leaf, focused: str, options: dict[str, Any], context: dict[str, Any]
) -> None:
    """One hostile autocomplete: choices within 3 s, valid, at most 25, nothing logged, nothing written."""
    before_version = rig.write_mark()
    before_violations = len(rig.fake.violations)
    before_errors = len(rig.errors.records)
    if context["guild_id"] is None:
        context = {**context, "channel_id": None}
    res = rig.call(
        rig.fake.autocomplete_result(
            leaf.path, options, focused=focused, raw=True, timeout=DEADLINE_SECONDS + 2, **context
        )
    )
    assert res.latency < DEADLINE_SECONDS, f"/{leaf.path} {focused}: autocomplete after {res.latency:.2f} s"
    assert res.status in (200, 204) and res.type == 8, (leaf.path, focused, options, res.status, res.problems)
    assert len(rig.fake.violations) == before_violations, rig.fake.violations[before_violations:]
    assert len(res.data.get("choices") or []) <= 25
    new_errors = [r.getMessage() for r in rig.errors.records[before_errors:]]
    assert not new_errors, (leaf.path, focused, options, new_errors)
    assert rig.write_mark() == before_version, f"autocomplete of /{leaf.path} {focused} changed the store"
    key = f"{leaf.path} [{focused} autocomplete]"
    COUNTS[key] = COUNTS.get(key, 0) + 1


def run_autocomplete_examples(rig: ThreadedBot, leaf: Leaf, focused: str) -> None:
    """Drive one autocompleted option with EXAMPLES hostile partial values (other options hostile too)."""

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(options=examples(leaf), typed=values_for(3), context=CONTEXTS)
    def run(options: dict[str, Any], typed: Any, context: dict[str, Any]) -> None:
        check_autocomplete(rig, leaf, focused, {**options, focused: typed}, context)

    run()


def test_every_autocomplete_survives_hostile_input(rig: ThreadedBot) -> None:
    targets = [(leaf, o["name"]) for leaf in leaves(rig.fake.commands()) for o in leaf.options if o.get("autocomplete")]
    assert len(targets) >= 8
    for leaf, focused in targets:
        run_autocomplete_examples(rig, leaf, focused)
    counted = {k: n for k, n in COUNTS.items() if k.endswith("autocomplete]")}
    assert len(counted) == len(targets)
    short = {k: n for k, n in counted.items() if n < min(EXAMPLES, 100)}
    assert not short, f"too few distinct examples ran for {short}"


def test_every_command_survives_hostile_input(rig: ThreadedBot) -> None:
    all_leaves = leaves(rig.fake.commands())
    assert len(all_leaves) >= 3
    for leaf in all_leaves:
        run_examples(rig, leaf)
    short = {path: n for path, n in COUNTS.items() if n < min(EXAMPLES, 100)}
    assert not short, f"too few distinct examples ran for {short}"
