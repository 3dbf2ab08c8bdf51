"""Helpful answers (issue 15), through `sanctionsbot ask` and the terminal."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli_ask import ask
from bot.core import Core
from tests.answers.payloads import assert_valid, text_of
from tests.test_cli import run_cli


@pytest.fixture
def cli(loaded_cli: Path) -> Path:
    return loaded_cli


def test_changes_print_one_page_at_a_time_with_a_page_count(cli: Path) -> None:
    first = run_cli(cli, "ask", "sanctions", "changes")
    assert first.returncode == 0, first.stderr
    assert first.stdout.count("--- page ") == 1 and "--- page 1 of 89 ---" in first.stdout
    assert "(page 1 of 89; add --page N for another)" in first.stdout
    last = run_cli(cli, "ask", "sanctions", "changes", "--page", "89")
    assert last.returncode == 0 and "--- page 89 of 89 ---" in last.stdout and last.stdout.count("--- page ") == 1
    beyond = run_cli(cli, "ask", "sanctions", "changes", "--page", "90")
    assert beyond.returncode == 2 and beyond.stderr.strip() == "sanctionsbot: --page 90: this answer has 89 page(s)"


async def test_an_unknown_reference_says_which_numbers_the_list_holds(loaded_core: Core) -> None:
    outcome = await ask(loaded_core, ["sanctions", "entry", "reference:KPi.081"])
    assert outcome.exit_code == 2 and outcome.error is not None
    assert "The KPi numbers on the latest list" in outcome.error
    assert "run from KPi.001 to KPi.080 (80 entries)" in outcome.error
    assert "KPi.011" not in outcome.error and "KPi.018" not in outcome.error  # no look-alike numbers
    assert_valid(outcome.reply)
    # Computed from the list, not written down: entities have their own range.
    entity = await ask(loaded_core, ["sanctions", "entry", "reference:KPe.999"])
    assert entity.error is not None and "run from KPe.001 to KPe.075 (75 entries)" in entity.error


async def test_members_before_the_committee_existed(core: Core) -> None:
    outcome = await ask(core, ["committee", "members", "year:2005"])
    assert outcome.exit_code == 2 and outcome.error is not None
    assert "the 1718 Committee was established on 14 October 2006" in outcome.error
    assert "2006–2026" in outcome.error


async def test_digest_preview_in_the_terminal_says_how_to_name_a_server(core: Core) -> None:
    outcome = await ask(core, ["digest", "preview"])
    assert outcome.exit_code == 2 and outcome.error is not None
    assert "--guild" in outcome.error


async def test_resolutions_say_which_were_left_out_as_unconfirmed(core: Core) -> None:
    outcome = await ask(core, ["committee", "resolutions"])
    assert_valid(outcome.reply)
    text = text_of(outcome.reply)
    assert "Left out as unconfirmed:" in text
    for symbol in ("2050 (2012)", "2276 (2016)", "2345 (2017)"):
        assert symbol in text.split("Left out as unconfirmed:")[1].split("\n")[0]
        assert f"Resolution {symbol}" not in text  # never listed as fact
    assert "20 resolutions, in order of adoption." in text


async def test_each_entry_links_to_the_uns_list_and_names_its_resolution(loaded_core: Core) -> None:
    outcome = await ask(loaded_core, ["sanctions", "entry", "reference:GBi.001"])
    (body, *_rest) = assert_valid(outcome.reply)
    embed = body["data"]["embeds"][0]
    assert embed["url"] == "https://www.un.org/securitycouncil/content/un-sc-consolidated-list"
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Designated under"].startswith("Resolution 2048 (2012)")
    assert "pursuant to paragraph 4 of resolution 2048 (2012)" in fields["Designated under"]
    dprk = await ask(loaded_core, ["sanctions", "entry", "reference:KPi.033"])
    text = text_of(dprk.reply)
    assert "un-sc-consolidated-list" in text
    assert "Designated under" not in text  # its own text names no resolution: nothing is made up


async def test_the_timeline_gives_its_numbers_as_text(loaded_core: Core) -> None:
    outcome = await ask(loaded_core, ["sanctions", "timeline", "regime:DPRK"])
    (body, *_rest) = assert_valid(outcome.reply)
    per_year = next(f["value"] for f in body["data"]["embeds"][0]["fields"] if f["name"] == "Per year")
    lines = per_year.strip("`\n").split("\n")
    rows = {line.split()[0]: (int(line.split()[1]), int(line.split()[2])) for line in lines[1:]}
    assert rows["2009"] == (5, 8) and rows["2017"] == (40, 12)
    assert sum(i + e for i, e in rows.values()) == 155  # 80 individuals and 75 entities


@pytest.mark.parametrize("typed", ["KPi.033", "kpi 33", "KP i-033"])
async def test_a_reference_typed_into_name_search_finds_that_entry(loaded_core: Core, typed: str) -> None:
    outcome = await ask(loaded_core, ["sanctions", "search", f"name:{typed}"])
    assert outcome.exit_code == 0, outcome.error
    assert_valid(outcome.reply)
    text = text_of(outcome.reply)
    assert "KPi.033 — " in text and "No match" not in text
    assert "reference number" in text and "/sanctions entry" in text


async def test_an_unlisted_reference_typed_into_name_search_says_so(loaded_core: Core) -> None:
    outcome = await ask(loaded_core, ["sanctions", "search", "name:KPi.081"])
    assert outcome.exit_code == 2 and outcome.error is not None
    assert "run from KPi.001 to KPi.080" in outcome.error
