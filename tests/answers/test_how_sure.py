"""How sure: no contradictions, "exact" only when the versions prove it, history apart from listing dates
(issue 15), through `sanctionsbot ask`."""

from __future__ import annotations

from pathlib import Path

from bot.cli_ask import ask
from bot.core import Core
from tests.answers.payloads import assert_valid, text_of
from tests.test_cli import run_cli


def _field(text_fields: list[dict], name: str) -> str:
    return next(f["value"] for f in text_fields if f["name"] == name)


def _fields(reply_bodies: list[dict]) -> list[dict]:
    return [f for body in reply_bodies for e in body["data"]["embeds"] for f in e.get("fields", [])]


async def test_committee_info_iran_does_not_contradict_itself(loaded_core: Core) -> None:
    outcome = await ask(loaded_core, ["committee", "info", "regime:Iran"])
    assert outcome.exit_code == 0
    fields = _fields(assert_valid(outcome.reply))
    established = _field(fields, "Established")
    assert established.count("2006-12-23") == 1, established
    names = [f["name"] for f in fields]
    assert "On the list now" not in names  # the status speaks of 2025 re-listings: "now" would contradict it
    counts = _field(fields, "On the latest imported list")
    assert "2024-09-26" in counts and "predates" in counts and "2025-09-27" in counts


async def test_committee_info_dprk_still_says_now(loaded_core: Core) -> None:
    fields = _fields(assert_valid((await ask(loaded_core, ["committee", "info"])).reply))
    assert "**80 individuals** and **75 entities**" in _field(fields, "On the list now")
    assert _field(fields, "Established").count("2006-10-14") == 1


async def test_count_of_a_regime_gone_from_the_list_is_zero_with_the_reason(loaded_core: Core) -> None:
    outcome = await ask(loaded_core, ["sanctions", "count", "regime:Iran"])
    assert outcome.exit_code == 0, outcome.error
    text = text_of(outcome.reply)
    assert "**0 individuals** and **0 entities**" in text
    assert "has no Iran entries" in text and "2024-09-26" in text
    assert "2020-03-20: 23 individuals and 61 entities" in text


def test_count_regime_iran_exits_0_in_the_terminal(loaded_cli: Path) -> None:
    result = run_cli(loaded_cli, "ask", "sanctions", "count", "regime:Iran")
    assert result.returncode == 0, result.stderr
    assert "0 individuals" in result.stdout


async def test_exact_only_when_the_versions_prove_it(loaded_core: Core) -> None:
    # 2017-07-03 and 2020-03-20 are 2 years and 9 months apart: nothing proves no entry came and went between.
    gap = text_of((await ask(loaded_core, ["sanctions", "count", "regime:DPRK", "as_of:2018-05-02"])).reply)
    assert "**80 individuals** and **75 entities**" in gap
    assert "so the count is exact" not in gap and "not a proven exact one" in gap
    assert "2 years and 9 months apart" in gap
    same_day = text_of((await ask(loaded_core, ["sanctions", "count", "regime:DPRK", "as_of:2020-03-20"])).reply)
    assert "Exact: a list version was generated on 2020-03-20" in same_day


async def test_before_the_first_designation_is_zero_exactly(loaded_core: Core) -> None:
    outcome = await ask(loaded_core, ["sanctions", "count", "regime:DPRK", "as_of:2006-10-14"])
    assert outcome.exit_code == 0
    text = text_of(outcome.reply)
    assert "About" not in text and "may be higher" not in text
    assert "**0 individuals** and **0 entities**" in text
    assert "Exact" in text and "2009-04-24" in text
    # On the day of the first designations they count (three entities: KOMID, Ryonbong, Tanchon).
    first = text_of((await ask(loaded_core, ["sanctions", "count", "regime:DPRK", "as_of:2009-04-24"])).reply)
    assert "2009-04-24" in first and "**3 entities**" in first


async def test_history_says_first_seen_in_a_version_apart_from_listed_on(loaded_core: Core) -> None:
    # KPi.060 was listed on 2017-08-05; the imported versions first show it on 2020-03-20.
    outcome = await ask(loaded_core, ["sanctions", "entry", "reference:KPi.060"])
    fields = _fields(assert_valid(outcome.reply))
    assert _field(fields, "Listed on") == "2017-08-05"
    history = _field(fields, "History in the imported versions")
    assert "First seen in the imported version of 2020-03-20" in history
    assert "not in the version of 2017-07-03 before it" in history
    assert "added" not in history
