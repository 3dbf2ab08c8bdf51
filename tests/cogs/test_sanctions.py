"""/sanctions through the real command tree (`sanctionsbot ask`): options, answers, bad input, payloads."""

from __future__ import annotations

import json

import pytest
from discord import app_commands

from bot.answers import sanctions as answers
from bot.answers.context import AnswerContext
from bot.app import SanctionsBot
from bot.cli_ask import as_json, ask, readable
from bot.core import Core
from bot.store import lists as store


async def run(core: Core, *words: str):  # type: ignore[no-untyped-def]
    return await ask(core, list(words), guild_id=1, user_id=2)


async def test_commands_are_declared_with_limits_choices_and_autocomplete(loaded_core: Core) -> None:
    bot = SanctionsBot(loaded_core, run_background=False)
    try:
        await bot.load_cogs()
        group = next(c for c in bot.tree.get_commands() if c.name == "sanctions")
        assert isinstance(group, app_commands.Group)
        commands = {c.name: c for c in group.commands}
        assert {"count", "search", "entry", "changes", "regimes", "timeline"} <= set(commands)
        search = {p.name: p for p in commands["search"].parameters}
        assert search["name"].max_value == 100 and search["name"].required and search["name"].autocomplete
        assert [c.value for c in search["kind"].choices] == ["individual", "entity"]
        assert search["regime"].autocomplete
        entry = {p.name: p for p in commands["entry"].parameters}
        assert entry["reference"].autocomplete
        assert {p.name for p in commands["count"].parameters} == {"regime", "as_of"}
        assert {p.name for p in commands["changes"].parameters} == {"regime", "since"}
        for command in commands.values():
            assert command.description and len(command.description) <= 100
            assert all(p.description for p in command.parameters)
    finally:
        await bot.close()


async def test_search_through_ask(loaded_core: Core) -> None:
    outcome = await run(loaded_core, "sanctions", "search", "name:Ri", "Won", "Ho")
    assert outcome.exit_code == 0
    text = readable(outcome.reply)
    assert "KPi.033 — RI WON HO" in text and "**100**/100 · exact" in text
    assert "(UN list version of 2024-09-26" in text


async def test_is_kim_jong_un_or_ri_won_ho_on_the_list(loaded_core: Core) -> None:
    kim = readable((await run(loaded_core, "sanctions", "search", "name:Kim Jong-un")).reply)
    assert "No entry on the list matches Kim Jong-un closely" in kim
    ri = readable((await run(loaded_core, "sanctions", "search", "name:Ri Won Ho")).reply)
    assert "1 close match" in ri and "KPi.033" in ri


async def test_search_filters(loaded_core: Core) -> None:
    outcome = await run(loaded_core, "sanctions", "search", "name:Korea", "kind:entity", "regime:north korea")
    assert outcome.exit_code == 0
    assert "individual" not in readable(outcome.reply).replace("individuals", "")
    bad = await run(loaded_core, "sanctions", "search", "name:Korea", "regime:Narnia")
    assert bad.exit_code == 2 and "no regime called `Narnia`" in (bad.error or "")
    vessel = await run(loaded_core, "sanctions", "search", "name:Korea", "kind:vessel")
    assert vessel.exit_code == 2 and "must be one of: individual, entity" in (vessel.error or "")


async def test_a_regime_only_older_versions_hold_is_named_not_mistaken(loaded_core: Core) -> None:
    # Iran left the list in 2024: search and timeline say so instead of offering Iraq.
    for words in (("search", "name:Ri Won Ho", "regime:iran"), ("timeline", "regime:Iran")):
        outcome = await run(loaded_core, "sanctions", *words)
        assert outcome.exit_code == 2, words
        assert "Iran has no entries on the latest list (version of 2024-09-26)" in (outcome.error or "")
        assert "Iraq" not in (outcome.error or "")


@pytest.mark.parametrize("name", ["   ", "x", "\u200b\u200b", "!!"])
async def test_bad_queries(loaded_core: Core, name: str) -> None:
    outcome = await run(loaded_core, "sanctions", "search", f"name:{name}")
    assert outcome.exit_code == 2
    assert outcome.reply.ephemeral
    assert "`name`" in (outcome.error or "")


async def test_empty_and_over_long_queries_are_refused_by_the_option(loaded_core: Core) -> None:
    empty = await run(loaded_core, "sanctions", "search", "name:")
    assert empty.exit_code == 2 and "at least 1" in (empty.error or "")
    long = await run(loaded_core, "sanctions", "search", "name:" + "x" * 101)
    assert long.exit_code == 2 and "at most 100" in (long.error or "")
    # The answer itself refuses them too (what a Discord client could not send still gets a clear message).
    ctx = AnswerContext(core=loaded_core)
    with pytest.raises(Exception, match="at most 100"):
        await answers.search(ctx, name="y" * 101)


@pytest.mark.parametrize(
    "name",
    [
        "@everyone",
        "<@&123> hello",
        "**bold** _x_ `y`",
        "\u202eRi Won Ho\u200f",
        "'; DROP TABLE entry_revisions; --",
        "Robert'); DELETE FROM list_versions;--",
    ],
)
async def test_hostile_queries_are_inert(loaded_core: Core, name: str) -> None:
    outcome = await run(loaded_core, "sanctions", "search", f"name:{name}")
    assert outcome.exit_code == 0
    payload = json.loads(as_json(outcome.reply))
    assert payload["data"]["allowed_mentions"] == {"parse": []}
    body = json.dumps(payload, ensure_ascii=False)
    assert "@everyone" not in body and "<@&123>" not in body and "\u202e" not in body
    # Nothing was dropped from the store.
    assert len(await store.list_versions(loaded_core.db)) == 5
    if "Ri Won Ho" in name:
        assert "KPi.033" in readable(outcome.reply)


async def test_entry_through_ask(loaded_core: Core) -> None:
    outcome = await run(loaded_core, "sanctions", "entry", "reference:kpi.033")
    assert outcome.exit_code == 0
    text = readable(outcome.reply)
    assert "KPi.033 — RI WON HO" in text and "1718 Committee" in text
    assert "Passport 381310014" in text and "History in the imported versions" in text
    removed = readable((await run(loaded_core, "sanctions", "entry", "reference:IQe.003")).reply)
    assert "No longer on the list" in removed


@pytest.mark.parametrize(
    ("reference", "words"),
    [
        ("KP", "only the start of a reference number"),
        ("kpi33", "Did you mean `KPi.033`"),
        ("KPi.0333", "three digits after the dot, not 4"),
        ("KPi.999", "The KPi numbers on the latest list (version of 2024-09-26) run from KPi.001 to KPi.080"),
        ("Ri Won Ho", "looks like a name"),
        ("<@&123>", "not a reference number"),
    ],
)
async def test_malformed_and_unknown_references(loaded_core: Core, reference: str, words: str) -> None:
    outcome = await run(loaded_core, "sanctions", "entry", f"reference:{reference}")
    assert outcome.exit_code == 2 and outcome.reply.ephemeral
    assert words in (outcome.error or "")
    payload = json.loads(as_json(outcome.reply))
    assert payload["data"]["allowed_mentions"] == {"parse": []}
    # User text is echoed only inside a code span (errors.quote), where Discord shows it literally.
    assert "<@&123>" not in json.dumps(payload).replace("`<@&123>`", "")


async def test_count_as_of_through_ask(loaded_core: Core) -> None:
    outcome = await run(loaded_core, "sanctions", "count", "regime:DPRK", "as_of:2018-05-02")
    assert outcome.exit_code == 0
    text = readable(outcome.reply)
    assert "**80 individuals** and **75 entities**" in text
    assert "53 individuals and 46 entities" in text
    assert "(UN list versions of 2017-07-03 and 2020-03-20 · counted for 2018-05-02)" in text
    latest = readable((await run(loaded_core, "sanctions", "count", "regime:DPRK")).reply)
    assert "80 individuals" in latest  # without as_of: the latest list, as before
    iran = await run(loaded_core, "sanctions", "count", "regime:iran")
    assert iran.exit_code == 0 and "has no Iran entries" in readable(iran.reply)  # 0, with the reason (issue 15)
    assert (await run(loaded_core, "sanctions", "count", "regime:iran", "as_of:2018-01-01")).exit_code == 0
    narnia = await run(loaded_core, "sanctions", "count", "regime:Narnia")
    assert narnia.exit_code == 2 and "no regime called `Narnia`" in (narnia.error or "")


@pytest.mark.parametrize(
    ("words", "message"),
    [
        (("as_of:2018-02-30",), "February 2018 has 28 days"),
        (("as_of:18/05/2018",), "2018-05-18"),
        (("regime:DPRK", "as_of:2006-10-13"), "before the DPRK sanctions regime began (2006-10-14"),
        (("as_of:2026-11-27",), "in the future"),
    ],
)
async def test_bad_dates(loaded_core: Core, words: tuple[str, ...], message: str) -> None:
    outcome = await run(loaded_core, "sanctions", "count", *words)
    assert outcome.exit_code == 2 and outcome.reply.ephemeral
    assert message in (outcome.error or "")


async def test_changes_regimes_and_timeline_through_ask(loaded_core: Core) -> None:
    changes = await run(loaded_core, "sanctions", "changes", "regime:DPRK")
    assert changes.exit_code == 0
    text = readable(changes.reply)
    assert "**2024-09-26** (against 2024-09-21): no changes" in text
    since = await run(loaded_core, "sanctions", "changes", "since:2030-01-01")
    assert since.exit_code == 2
    regimes = readable((await run(loaded_core, "sanctions", "regimes")).reply)
    assert "DPRK — 1718 Committee" in regimes and "KPi.…, KPe.…" in regimes
    timeline = await run(loaded_core, "sanctions", "timeline", "regime:dprk")
    assert timeline.exit_code == 0
    assert timeline.reply.files[0].data.startswith(b"\x89PNG")
    assert "[attachment designations-per-year-dprk.png" in readable(timeline.reply)


async def test_commands_before_any_list_is_loaded(core: Core) -> None:
    for words in (
        ("search", "name:Ri Won Ho"),
        ("entry", "reference:KPi.033"),
        ("count", "as_of:2018-05-02"),
        ("changes",),
        ("regimes",),
        ("timeline",),
    ):
        outcome = await run(core, "sanctions", *words)
        assert outcome.exit_code == 2, words
        assert "has not been loaded yet" in (outcome.error or "")


async def test_autocomplete_answers(loaded_core: Core) -> None:
    ctx = AnswerContext(core=loaded_core)
    names = await answers.complete_name(ctx, "Ri Won")
    assert ("RI WON HO — KPi.033", "RI WON HO") in names
    refs = await answers.complete_reference(ctx, "KPi.03")
    assert len(refs) == 10 and refs[3] == ("KPi.033 — RI WON HO", "KPi.033")
    for text in ("", "a", "@everyone", "\u202e", "x" * 300):
        for choices in (await answers.complete_name(ctx, text), await answers.complete_reference(ctx, text)):
            assert len(choices) <= 25
            assert all(1 <= len(n) <= 100 and 1 <= len(v) <= 100 for n, v in choices)


async def test_the_question_with_two_names(loaded_core: Core) -> None:
    outcome = await run(loaded_core, "sanctions", "search", 'name:Is "Kim Jong-un" or "Ri Won Ho" on the list?')
    assert outcome.exit_code == 0
    summary = readable(outcome.reply).split("--- page 2")[0]
    assert "**Kim Jong-un**: no close match" in summary
    assert "**Ri Won Ho**: on the list — KPi.033 RI WON HO (**100**/100, exact)" in summary
    assert len(outcome.reply.pages) == 3
