"""/committee through `sanctionsbot ask` (the same tree, options and answers as Discord)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.cli_ask import ask
from bot.core import Core
from tests.answers.payloads import assert_valid, text_of

P5 = ["China", "France", "Russian Federation", "United Kingdom", "United States"]
ELECTED_2018 = [
    "Bolivia",
    "Côte d'Ivoire",
    "Equatorial Guinea",
    "Ethiopia",
    "Kazakhstan",
    "Kuwait",
    "Netherlands",
    "Peru",
    "Poland",
    "Sweden",
]
ELECTED_2026 = [
    "Bahrain",
    "Colombia",
    "Democratic Republic of the Congo",
    "Denmark",
    "Greece",
    "Latvia",
    "Liberia",
    "Pakistan",
    "Panama",
    "Somalia",
]


def field(body: dict, name_start: str) -> str:
    for embed in body["data"]["embeds"]:
        for f in embed.get("fields", []):
            if f["name"].startswith(name_start):
                return f["value"]
    raise AssertionError(f"no field {name_start!r}")


async def test_members_2018_lists_the_fifteen_and_the_chair(core: Core) -> None:
    outcome = await ask(core, ["committee", "members", "year:2018"])
    assert outcome.exit_code == 0
    (body, *_rest) = assert_valid(outcome.reply)
    assert field(body, "Permanent members (5)").split("\n") == P5
    elected = field(body, "Elected members (10)").split("\n")
    assert [line.split(" — ")[0] for line in elected] == ELECTED_2018
    assert "Netherlands — term 2018 only, split seat" in elected
    assert "Bolivia — term 2017–2018" in elected
    assert field(body, "Chair").startswith("Karel J.G. van Oosterom (Netherlands)")
    assert field(body, "Vice-chairs").startswith("Not known for 2018")
    assert "Italy held the seat in 2017" in field(body, "Notes")
    assert "permanentrepresentations.nl" in text_of(outcome.reply)  # the chair's source is shown


async def test_members_2026_and_the_default_year(core: Core) -> None:
    explicit = await ask(core, ["committee", "members", "year:2026"])
    default = await ask(core, ["committee", "members"])  # the clock says 2026-11-26
    assert text_of(explicit.reply) == text_of(default.reply)
    (body, *_rest) = assert_valid(explicit.reply)
    assert [line.split(" — ")[0] for line in field(body, "Elected members (10)").split("\n")] == ELECTED_2026
    chair = field(body, "Chair")
    assert chair.startswith("**Not confirmed:** Aglaia Balta (Greece) is believed to chair.")
    assert "no source naming the 2026 chair was seen" in chair


async def test_vice_chairs_where_known(core: Core) -> None:
    (body, *_rest) = assert_valid((await ask(core, ["committee", "members", "year:2023"])).reply)
    assert field(body, "Vice-chairs") == "Albania, Japan"
    assert field(body, "Chair").startswith("Pascale Christine Baeriswyl (Switzerland)")


@pytest.mark.parametrize("year", ["1990", "3000", "2005", "-1", "0", "99999999999"])
async def test_years_outside_the_data(core: Core, year: str) -> None:
    outcome = await ask(core, ["committee", "members", f"year:{year}"])
    assert outcome.exit_code == 2 and outcome.reply.ephemeral
    assert outcome.error is not None and "2006–2026" in outcome.error
    if int(year) < 2006:  # before the Committee: say when it was established (issue 15)
        assert "the 1718 Committee was established on 14 October 2006" in outcome.error
    assert_valid(outcome.reply)


@pytest.mark.parametrize("year", ["twenty", "2018.5", "", "20 18"])
async def test_non_numbers_are_refused_by_the_option_type(core: Core, year: str) -> None:
    outcome = await ask(core, ["committee", "members", f"year:{year}"])
    assert outcome.exit_code == 2
    assert outcome.error is not None and "takes a whole number" in outcome.error


def test_the_terminal_exits_2_for_twenty_and_for_1990(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "cli.sqlite3"))
    env = ["--env-file", str(tmp_path / "no.env")]
    assert main([*env, "ask", "committee", "members", "year:twenty"]) == 2
    assert "`year`: takes a whole number, got 'twenty'" in capsys.readouterr().err
    assert main([*env, "ask", "committee", "members", "year:1990"]) == 2
    assert "1990 is before the Committee existed: the 1718 Committee was established on 14 October 2006" in (
        capsys.readouterr().err
    )
    assert main([*env, "ask", "committee", "members", "year:2018"]) == 0
    assert "Karel J.G. van Oosterom" in capsys.readouterr().out


async def test_info_shows_the_current_counts_as_sanctions_count_does(loaded_core: Core) -> None:
    info = await ask(loaded_core, ["committee", "info"])
    count = await ask(loaded_core, ["sanctions", "count", "regime:DPRK"])
    bodies = assert_valid(info.reply)
    on_list = field(bodies[0], "On the list now")
    assert on_list == "**80 individuals** and **75 entities** (UN list version of 2024-09-26)"
    count_text = text_of(count.reply)
    assert "**80 individuals** and **75 entities**" in count_text
    text = text_of(info.reply)
    for needle in (
        "Security Council Committee established pursuant to resolution 1718 (2006)",
        "resolution 1718 (2006), adopted unanimously at the 5551st meeting, on 2006-10-14",
        "Mandate ended on 2024-04-30",
        "13 in favour, 1 against",
        "1 abstention (China)",
        "Arms embargo",
        "Export bans",
        "KPi, KPe",
        "UN list version of 2024-09-26",
    ):
        assert needle in text, needle


async def test_info_agrees_with_sanctions_count_for_every_listed_regime(loaded_core: Core) -> None:
    for regime in loaded_core.lists.regimes():
        counts = loaded_core.lists.counts(regime)
        (body, *_rest) = assert_valid((await ask(loaded_core, ["committee", "info", f"regime:{regime}"])).reply)
        numbers = [
            int(n.replace(",", ""))
            for n in re.findall(r"\*\*([\d,]+) (?:individual|entit)", field(body, "On the list now"))
        ]
        assert numbers == [counts.individuals, counts.entities], regime


async def test_info_before_any_list(core: Core) -> None:
    (body, *_rest) = assert_valid((await ask(core, ["committee", "info"])).reply)
    assert field(body, "On the list now") == "The UN list has not been loaded yet."


async def test_info_for_a_regime_not_on_the_list(loaded_core: Core) -> None:
    (body, *_rest) = assert_valid((await ask(loaded_core, ["committee", "info", "regime:Lebanon"])).reply)
    assert field(body, "On the list now") == "None in the latest imported list (UN list version of 2024-09-26)."
    assert "no `UN_LIST_TYPE`" in field(body, "Consolidated List")


@pytest.mark.parametrize("regime", ["Narnia", "<@&123> **x**", "@everyone", "x" * 50])
async def test_unknown_regimes_are_refused_safely(core: Core, regime: str) -> None:
    outcome = await ask(core, ["committee", "info", f"regime:{regime}"])
    assert outcome.exit_code == 2 and outcome.error is not None
    assert "`" in outcome.error  # echoed inside a code span, never as markdown or a live mention
    assert "@everyone" not in outcome.error.replace("`@everyone`", "")
    assert_valid(outcome.reply)


async def test_over_long_regime_is_refused_by_the_option(core: Core) -> None:
    outcome = await ask(core, ["committee", "info", "regime:" + "x" * 51])
    assert outcome.exit_code == 2 and outcome.error is not None and "at most 50 characters" in outcome.error


async def test_resolutions_in_order_with_dates_over_pages(core: Core) -> None:
    outcome = await ask(core, ["committee", "resolutions"])
    assert_valid(outcome.reply)
    text = text_of(outcome.reply)
    numbers = [int(n) for n in re.findall(r"Resolution (\d{4}) \(\d{4}\) — ", text)]
    assert numbers == sorted(numbers) and len(numbers) == 20
    assert "Resolution 1718 (2006) — 2006-10-14" in text
    assert "Resolution 2397 (2017) — 2017-12-22" in text
    assert "Resolution 2680 (2023) — 2023 (adoption date (March 2023) not seen in a source)" in text
    assert "Full export bans on coal, iron, iron ore, lead, lead ore and seafood" in text
    assert len(outcome.reply.pages) > 1  # turned with the pager buttons


async def test_resolutions_of_other_regimes_say_what_is_recorded(core: Core) -> None:
    outcome = await ask(core, ["committee", "resolutions", "regime:1988"])
    assert_valid(outcome.reply)
    text = text_of(outcome.reply)
    assert "resolution 1988 (2011) (2011-06-17)" in text and "DPRK regime only" in text


async def test_regime_autocomplete(core: Core) -> None:
    from bot.answers.committee import complete_regime
    from bot.answers.context import AnswerContext

    ctx = AnswerContext(core=core)
    assert (await complete_regime(ctx, "tali"))[0][1] == "Taliban"
    assert all(len(name) <= 100 for name, _v in await complete_regime(ctx, ""))
    assert len(await complete_regime(ctx, "")) == 16
