"""/sanctions through the real discord.py client and the local fake Discord, on the five shared list versions.

One bot and one store serve the whole module (the commands here only read), so the module runs in a
few seconds; after every test the fake must have recorded no contract violation and discord.py no error.
"""

from __future__ import annotations

import json
import re
import struct
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Iterator
from functools import cache

import pytest
import pytest_asyncio

import bot.respond
from bot.clock import ManualClock
from bot.core import open_core
from bot.render.pager import PAGER_TIMEOUT_SECONDS, PagerView
from bot.render.reply import Reply
from bot.settings import Settings
from bot.store import lists as store
from tests.conftest import NOW
from tests.e2e._sanctions import (
    EPHEMERAL,
    LATEST,
    all_pages,
    ask,
    buttons,
    contract,
    embed_text,
    fields_of,
    found,
    hits_of,
    is_ephemeral_error,
    stored,
    text_of,
)
from tests.e2e.conftest import ALICE, BOB, E2E, start_e2e
from tests.shared_files import un_list

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def env(module_loaded_settings: Settings) -> AsyncIterator[E2E]:
    """The bot logged in to the fake, on a private copy of the store holding the five versions (each engine)."""
    async with open_core(module_loaded_settings, clock=ManualClock(NOW)) as core:
        async for running in start_e2e(core):
            yield running


@pytest.fixture(autouse=True)
def checked(env: E2E) -> Iterator[None]:
    """Every test ends with the contract checks (violations, errors, mentions, hidden characters)."""
    with contract(env):
        yield


@cache
def latest_xml() -> ET.Element:
    """The 2024-09-26 list, parsed independently of the bot."""
    return ET.parse(un_list("2024-09-26")).getroot()


def xml_record(reference: str) -> ET.Element:
    return next(e for e in latest_xml().iter() if e.findtext("REFERENCE_NUMBER") == reference)


# --- search -----------------------------------------------------------------------------------------


async def test_a_hit_shows_reference_name_regime_matched_name_quality_score_and_why(env: E2E) -> None:
    res = await ask(env, "sanctions search", name="Ri Won Ho")
    embed = res.data["embeds"][0]
    assert embed["title"] == "Search: Ri Won Ho"
    assert embed["description"] == "**1 close match** for **Ri Won Ho**."
    assert fields_of(embed) == {
        "1. KPi.033 — RI WON HO": "**100**/100 · exact\nDPRK · 1718 Committee · individual\nMatched the primary name"
    }
    assert embed["footer"]["text"] == f"{LATEST} · results 1–1 of 1"
    assert "components" not in res.data or not res.data["components"]  # one page: no buttons

    alias = (await ask(env, "sanctions search", name="Kim Chung Chong")).data["embeds"][0]
    rank, reference, primary, score, value = hits_of(alias)[0]
    assert (rank, reference, primary, score) == (1, "KPi.021", "KIM JUNG JONG", 98)
    assert "exact alias" in value and "Matched alias, good quality: Kim Chung Chong" in value
    low = (await ask(env, "sanctions search", name="Al-Masri, Abu Mohamed")).data["embeds"][0]
    assert hits_of(low)[0][1] == "QDi.019" and "Matched alias, low quality: Al-Masri, Abu Mohamed" in hits_of(low)[0][4]
    aka = (await ask(env, "sanctions search", name="KOMID")).data["embeds"][0]
    assert hits_of(aka)[0][1] == "KPe.001" and 'Matched alias, a.k.a.: "KOMID"' in hits_of(aka)[0][4]
    assert "· entity" in hits_of(aka)[0][4]


async def test_kim_jong_un_is_not_on_the_list_and_ri_won_ho_is(env: E2E) -> None:
    for spelling in ("Kim Jong-un", "KIM JONG UN", "Kim Jongun", "kim jong un"):
        res = await ask(env, "sanctions search", name=spelling)
        embed = res.data["embeds"][0]
        assert embed["description"].startswith(f"**No entry on the list matches {spelling} closely**"), spelling
        hits = hits_of(embed)
        assert hits and all(score < 85 for _r, _ref, _n, score, _v in hits), hits
        # `Un` counts: no KIM JONG … gets a high score by ignoring it.
        assert all(score < 80 for _r, _ref, name, score, _v in hits if name.startswith("KIM JONG")), hits
    question = await ask(env, "sanctions search", name='Is "Kim Jong-un" or "Ri Won Ho" on the list?')
    summary = question.data["embeds"][0]
    assert summary["title"] == "Search: several names"
    lines = summary["description"].split("\n")
    assert lines[0].startswith("**Kim Jong-un**: no close match — the nearest name")
    assert lines[1] == "**Ri Won Ho**: on the list — KPi.033 RI WON HO (**100**/100, exact)"
    pages = await all_pages(env, question)
    assert len(pages) == 3
    assert pages[1]["embeds"][0]["title"] == "Search: Kim Jong-un"
    assert hits_of(pages[2]["embeds"][0])[0][1:4] == ("KPi.033", "RI WON HO", 100)


@pytest.mark.parametrize(
    ("query", "reference", "reason", "low", "high"),
    [
        ("ri  WON-ho!", "KPi.033", "exact", 100, 100),  # case, punctuation, hyphen and spacing
        ("Protogene Ruvugayimikore", "CDi.037", "exact", 100, 100),  # the list writes PROTOGÈNE
        ("Ho-jin Yun", "KPi.001", "token order", 90, 99),  # YUN HO-JIN
        ("Rhee Won Ho", "KPi.033", "romanization variant", 90, 99),
        ("Lee Won-ho", "KPi.033", "romanization variant", 90, 99),
        ("Yi Won Ho", "KPi.033", "romanization variant", 90, 99),
        ("Kim Yong Chul", "KPi.024", "romanization variant", 90, 99),  # KIM YONG CHOL
        ("Mohamed Salahaldin Abd al-Halim Zidane", "QDi.001", "romanization variant", 90, 99),
        ("Korea Mining Developmant Trading Corporation", "KPe.001", "typo", 80, 89),  # one letter
        ("Namchongang Tradign Corporaton", "KPe.004", "typo", 75, 89),  # two: a swap and a missing letter
        ("ABU MOHAMMED AL-JAWLAMI", "QDi.317", "typo", 80, 89),
        ("محمد صلاح الدين عبدالحليم زيدان", "QDi.001", "original script", 100, 100),  # Arabic, as listed
        ("Muhammad Omar Ghulam Nabi", "TAi.004", "romanization variant", 90, 99),  # MOHAMMED OMAR …
        # Listed with Persian ی and ک; typed with the Arabic letters ي and ك.
        ("عبدالغني برادر عبد الاحمد ترك", "TAi.024", "original script", 100, 100),
        ("金铁三", "KPi.035", "exact alias", 95, 99),  # the list's Chinese-script alias of KIM CHOL SAM
        ("Умаров Доку Хаматович", "QDi.290", "original script", 100, 100),
    ],
)
async def test_transliterations_typos_and_original_scripts(
    env: E2E, query: str, reference: str, reason: str, low: int, high: int
) -> None:
    res = await ask(env, "sanctions search", name=query)
    embed = res.data["embeds"][0]
    rank, top, _name, score, value = hits_of(embed)[0]
    assert (rank, top) == (1, reference), hits_of(embed)[:2]
    assert low <= score <= high, score
    assert reason in value.split("\n")[0], value
    assert embed["footer"]["text"].startswith(LATEST)
    if reason == "original script":
        listed = " ".join((xml_record(reference).findtext("NAME_ORIGINAL_SCRIPT") or "").split())
        assert value.endswith(f"Matched original script: {listed}"), value
    if reason == "typo":
        # Whether or not the score reaches 'close', the answer never calls the name a different one.
        assert "not spellings of this one" not in embed["description"]


async def test_original_script_names_are_in_the_2024_list_as_the_test_says(env: E2E) -> None:
    # The cases above use the list's own spellings, read here without the bot.
    assert xml_record("QDi.001").findtext("NAME_ORIGINAL_SCRIPT") == "محمد صلاح الدين عبدالحليم زيدان"
    assert xml_record("TAi.024").findtext("NAME_ORIGINAL_SCRIPT") == "عبدالغنی برادر عبد الاحمد ترک"
    assert xml_record("QDi.290").findtext("NAME_ORIGINAL_SCRIPT") == "Умаров Доку Хаматович"
    aliases = [a.findtext("ALIAS_NAME") or "" for a in xml_record("KPi.035").iter("INDIVIDUAL_ALIAS")]
    assert any("金铁三" in a for a in aliases)
    # The 2024-09-26 list has no Hangul at all (test_sanctions_synthetic.py covers a Hangul original-script name).
    raw = un_list("2024-09-26").read_text(encoding="utf-8")
    assert not re.search("[\uac00-\ud7a3]", raw)


async def test_a_hangul_query_on_the_real_list_is_answered_and_echoed(env: E2E) -> None:
    res = await ask(env, "sanctions search", name="리원호")
    embed = res.data["embeds"][0]
    # Read as the North writes it, and found (issue 10): no longer "try another spelling".
    assert embed["title"] == "Search: 리원호"
    assert "리원호 read as **Ri Won Ho**" in embed["description"] and "**리원호**" in embed["description"]
    assert next(ref for _r, ref, _n, _s, _v in hits_of(embed)) == "KPi.033"


async def test_filters_by_regime_and_kind(env: E2E) -> None:
    res = await ask(env, "sanctions search", name="Korea", regime="north korea", kind="entity")
    pages = await all_pages(env, res)
    hits = [h for page in pages for h in hits_of(page["embeds"][0])]
    assert len(hits) >= 6
    assert all(ref.startswith("KPe.") and "DPRK · 1718 Committee · entity" in v for _r, ref, _n, _s, v in hits)
    assert "(DPRK, entities)" in pages[0]["embeds"][0]["description"]
    # Every hit holds the word: the note says so rather than calling them different names.
    assert "contain what was typed" in pages[0]["embeds"][0]["description"]
    people = await ask(env, "sanctions search", name="Ri Won Ho", kind="individual", regime="Al-Qaida")
    assert all(not ref.startswith("KP") for _r, ref, _n, _s, _v in hits_of(people.data["embeds"][0]))


# --- pages and buttons --------------------------------------------------------------------------


async def test_five_hits_a_page_and_the_asker_turns_them(env: E2E) -> None:
    res = await ask(env, "sanctions search", name="Kim Jong-un")
    message = res.message
    assert message is not None
    first = res.data["embeds"]
    assert [h[0] for h in hits_of(first[0])] == [1, 2, 3, 4, 5]
    assert first[0]["footer"]["text"] == f"{LATEST} · results 1–5 of 10"
    keys = buttons(message)
    assert keys["prev"]["disabled"] and keys["pos"]["label"] == "1 / 2" and not keys["next"]["disabled"]
    assert keys["next"]["custom_id"].startswith("pager:")

    turned = await env.fake.click(message, keys["next"]["custom_id"], user_id=ALICE)
    assert turned.type == 7 and turned.status == 200
    page2 = turned.data["embeds"][0]
    assert [h[0] for h in hits_of(page2)] == [6, 7, 8, 9, 10]
    assert page2["footer"]["text"] == f"{LATEST} · results 6–10 of 10"
    assert "(page 2 of 2)" in page2["description"]
    current = stored(env, res)
    assert current["embeds"][0]["fields"] == page2["fields"]
    assert not buttons(current)["prev"]["disabled"] and buttons(current)["next"]["disabled"]
    assert buttons(current)["pos"]["label"] == "2 / 2"
    # No entry is shown twice across the pages.
    refs = [h[1] for h in hits_of(first[0]) + hits_of(page2)]
    assert len(set(refs)) == 10

    back = await env.fake.click(current, keys["prev"]["custom_id"], user_id=ALICE)
    assert back.type == 7 and back.data["embeds"][0]["fields"] == first[0]["fields"]


async def test_someone_else_gets_a_quiet_note_and_the_message_stays(env: E2E) -> None:
    res = await ask(env, "sanctions search", name="Kim Jong-un")
    message = res.message
    assert message is not None
    before = json.loads(json.dumps(env.fake.message(int(message["id"]))))
    other = await env.fake.click(message, buttons(message)["next"]["custom_id"], user_id=BOB)
    assert other.type == 4 and other.data["flags"] & EPHEMERAL
    assert "Only the person who asked can turn these pages" in other.data["content"]
    assert env.fake.message(int(message["id"])) == before
    # The asker still can.
    mine = await env.fake.click(message, buttons(message)["next"]["custom_id"], user_id=ALICE)
    assert mine.type == 7 and "results 6–10" in mine.data["embeds"][0]["footer"]["text"]


async def test_buttons_stop_after_a_few_minutes(env: E2E, monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[PagerView] = []

    class Recording(PagerView):
        def __init__(self, reply: Reply, owner_id: int | None) -> None:
            super().__init__(reply, owner_id)
            made.append(self)

    monkeypatch.setattr(bot.respond, "PagerView", Recording)
    env.core.answer_cache.clear()  # a first answer: its pager is made as it is sent (kept ones: test_kept_answers)
    await ask(env, "sanctions search", name="Kim Jong-un")
    assert len(made) == 1
    assert made[0].timeout == PAGER_TIMEOUT_SECONDS and 60 <= PAGER_TIMEOUT_SECONDS <= 15 * 60
    assert made[0].owner_id == ALICE


async def test_on_timeout_the_buttons_are_disabled_in_the_message(env: E2E, monkeypatch: pytest.MonkeyPatch) -> None:
    class Quick(PagerView):
        """The real view with a timeout short enough to wait for."""

        def __init__(self, reply: Reply, owner_id: int | None) -> None:
            super().__init__(reply, owner_id, timeout=0.2)

    monkeypatch.setattr(bot.respond, "PagerView", Quick)
    env.core.answer_cache.clear()  # a first answer: its pager is made as it is sent (kept ones: test_kept_answers)
    res = await ask(env, "sanctions search", name="Kim Jong-un")
    assert not buttons(stored(env, res))["next"]["disabled"]

    def all_disabled() -> bool:
        return all(b.get("disabled") for b in buttons(stored(env, res)).values())

    await env.fake.wait_until(all_disabled, 5.0, "the pager to disable its buttons")
    kind, edit = res.followup_log[-1]
    assert kind == "PATCH" and edit["embeds"] == res.data["embeds"]  # same page, buttons greyed out


# --- autocomplete -------------------------------------------------------------------------------


async def complete(env: E2E, path: str, option: str, typed: str) -> list[dict[str, str]]:
    res = await env.fake.autocomplete_result(path, {option: typed}, focused=option, user_id=ALICE)
    assert res.type == 8 and res.status in (200, 204) and not res.problems, res
    choices = list(res.data.get("choices") or [])
    assert len(choices) <= 25
    assert all(1 <= len(c["name"]) <= 100 and 1 <= len(c["value"]) <= 100 for c in choices)
    return choices


async def test_name_autocomplete_by_prefix_original_script_and_spelling(env: E2E) -> None:
    prefix = await complete(env, "sanctions search", "name", "Ri Won")
    assert prefix[0] == {"name": "RI WON HO — KPi.033", "value": "RI WON HO"}
    arabic = await complete(env, "sanctions search", "name", "محمد صلاح")
    assert arabic[0]["value"] == "محمد صلاح الدين عبدالحليم زيدان"
    assert arabic[0]["name"].endswith("original script of QDi.001")
    reordered = await complete(env, "sanctions search", "name", "Ho-jin Yun")
    assert reordered[0]["value"] == "YUN HO-JIN"
    many = await complete(env, "sanctions search", "name", "ab")
    assert len(many) == 25
    assert await complete(env, "sanctions search", "name", "") == []
    for typed in ("@everyone", "\u202e", "x" * 200, "'; DROP TABLE x; --"):
        await complete(env, "sanctions search", "name", typed)
    # A chosen value searches straight to its entry.
    chosen = await ask(env, "sanctions search", name=prefix[0]["value"])
    assert hits_of(chosen.data["embeds"][0])[0][1:4] == ("KPi.033", "RI WON HO", 100)


async def test_reference_autocomplete_by_prefix_and_by_name(env: E2E) -> None:
    prefix = await complete(env, "sanctions entry", "reference", "KPi.03")
    assert [c["value"] for c in prefix] == [f"KPi.03{d}" for d in range(10)]
    assert {"name": "KPi.033 — RI WON HO", "value": "KPi.033"} in prefix
    lower = await complete(env, "sanctions entry", "reference", "kp")
    assert len(lower) == 25 and all(c["value"].startswith("KP") for c in lower)
    gone = await complete(env, "sanctions entry", "reference", "QDi.16")
    assert {"name": "QDi.168 — no longer on the list", "value": "QDi.168"} in gone
    by_name = await complete(env, "sanctions entry", "reference", "Ri Won")
    assert by_name[0] == {"name": "KPi.033 — RI WON HO", "value": "KPi.033"}
    chosen = await ask(env, "sanctions entry", reference=by_name[0]["value"])
    assert chosen.data["embeds"][0]["title"] == "KPi.033 — RI WON HO"


# --- entry --------------------------------------------------------------------------------------


async def test_entry_shows_the_whole_record(env: E2E) -> None:
    res = await ask(env, "sanctions entry", reference="kpi.033")
    [embed] = res.data["embeds"]
    assert embed["title"] == "KPi.033 — RI WON HO"
    assert embed["description"] == (
        "On the UN Security Council Consolidated List since 2016-11-30.\n\n"
        "Ri Won Ho is a DPRK Ministry of State Security Official stationed in Syria supporting KOMID."
    )
    fields = fields_of(embed)
    assert fields["Regime"] == "DPRK — 1718 Committee"
    assert fields["Kind"] == "individual" and fields["Listed on"] == "2016-11-30"
    assert fields["Designation"] == "DPRK Ministry of State Security Official"
    assert fields["Nationality"] == "Democratic People's Republic of Korea"
    assert fields["Date of birth"] == "1964-07-17"
    assert fields["Documents"] == "Passport 381310014"
    assert fields["History in the imported versions"] == (
        "Already on the list in the first imported version, of 2017-06-20"
    )
    assert embed["footer"]["text"] == LATEST


async def test_entry_with_many_aliases_holds_each_under_its_quality(env: E2E) -> None:
    res = await ask(env, "sanctions entry", reference="QDi.135")
    text = text_of(res.data)
    record = xml_record("QDi.135")
    aliases = [(a.findtext("QUALITY") or "", a.findtext("ALIAS_NAME") or "") for a in record.iter("INDIVIDUAL_ALIAS")]
    assert len(aliases) == 23
    fields = {k: v for e in res.data["embeds"] for k, v in fields_of(e).items()}
    for quality, name in aliases:
        heading = {"Good": "Aliases — good quality", "Low": "Aliases — low quality"}[quality]
        value = next(v for k, v in fields.items() if k.startswith(heading))
        assert " ".join(name.split()) in value.replace("\\", ""), (quality, name)
    assert (record.findtext("COMMENTS1") or "").split()[0] in text
    assert (record.findtext("NAME_ORIGINAL_SCRIPT") or "").strip() in text


async def test_entry_history_first_seen_amended_and_removed(env: E2E) -> None:
    amended = fields_of((await ask(env, "sanctions entry", reference="KPi.004")).data["embeds"][0])
    assert amended["History in the imported versions"].split("\n") == [
        "Already on the list in the first imported version, of 2017-06-20",
        "Amended in the imported version of 2020-03-20: designation, last-updated dates",
        "Amended in the imported version of 2024-09-21: addresses, dates of birth, last-updated dates",
    ]
    added = fields_of((await ask(env, "sanctions entry", reference="KPe.047")).data["embeds"][0])
    assert added["History in the imported versions"].split("\n") == [
        "First seen in the imported version of 2020-03-20, not in the version of 2017-07-03 before it",
        "Amended in the imported version of 2024-09-21: aliases, narrative, last-updated dates",
    ]
    res = await ask(env, "sanctions entry", reference="QDi.168")
    embed = res.data["embeds"][0]
    assert embed["title"] == "QDi.168 — AHMAD ZERFAOUI"
    assert embed["description"].startswith(
        "**No longer on the list**: removed in the version of 2017-07-03. "
        "The record below is as it stood in the version of 2017-06-20."
    )
    assert fields_of(embed)["History in the imported versions"].split("\n") == [
        "Already on the list in the first imported version, of 2017-06-20",
        "**Gone from the imported version of 2017-07-03** (removed from the list)",
    ]
    assert embed["footer"]["text"] == "UN list version of 2017-06-20 · latest version 2024-09-26"


@pytest.mark.parametrize(
    ("reference", "words", "suggested"),
    [
        ("KP", ["`KP` is not a reference number", "only the start of a reference number"], ["KPi.001", "KPe.001"]),
        ("kpi33", ["`kpi33` is not a reference number", "written with a dot and three digits"], ["KPi.033"]),
        ("KPi.0333", ["`KPi.0333` is not a reference number", "three digits after the dot, not 4"], ["KPi.033"]),
        ("KPi.999", ["`KPi.999` is not on the list", "run from KPi.001 to KPi.080"], []),
        ("Ri Won Ho", ["looks like a name", "`/sanctions search`"], ["KPi.033"]),
    ],
)
async def test_unknown_and_malformed_references(
    env: E2E, reference: str, words: list[str], suggested: list[str]
) -> None:
    text = is_ephemeral_error(await ask(env, "sanctions entry", reference=reference), *words)
    suggestions = (
        re.findall(r"`([A-Z]{2}[ie]\.\d{3})`", text.split("Did you mean", 1)[1]) if "Did you mean" in text else []
    )
    if reference == "KPi.999":  # beyond the range: the range is the help, not look-alike numbers (issue 15)
        assert not suggestions, text
        return
    assert 1 <= len(suggestions) <= 3, text
    assert set(suggested) <= set(suggestions), (suggested, suggestions)


# --- count as of --------------------------------------------------------------------------------


async def test_count_dprk_on_2018_05_02_is_exactly_80_and_75(env: E2E) -> None:
    res = await ask(env, "sanctions count", regime="DPRK", as_of="2018-05-02")
    embed = res.data["embeds"][0]
    assert embed["description"] == (
        "As far as the imported versions show, **80 individuals** and **75 entities** were on the UN Security "
        "Council Consolidated List under the DPRK regime on 2018-05-02."
    )
    fields = fields_of(embed)
    assert fields["Individuals"] == "80" and fields["Entities"] == "75"
    how = fields["How this was counted"]
    assert "Reconstructed from the versions generated on 2017-07-03 and 2020-03-20" in how
    assert "so the count is exact" not in how and "not a proven exact one" in how  # 2.7 years apart
    assert "the version of 2017-07-03 had 53 individuals and 46 entities" in how
    assert embed["footer"]["text"] == "UN list versions of 2017-07-03 and 2020-03-20 · counted for 2018-05-02"


async def test_count_as_a_range_when_entries_were_removed_around_the_date(env: E2E) -> None:
    res = await ask(env, "sanctions count", regime="Al-Qaida", as_of="2018-05-02")
    embed = res.data["embeds"][0]
    between = re.search(r"\*\*between (\d+) and (\d+) individuals\*\*", embed["description"])
    assert between and int(between.group(1)) < int(between.group(2))
    assert fields_of(embed)["Individuals"] == f"{between.group(1)}–{between.group(2)}"
    assert "removed between the two versions may or may not still have been listed" in embed["fields"][-1]["value"]
    assert "2017-07-03 and 2020-03-20" in embed["footer"]["text"]
    # All regimes: a table with a total row, in a code block, within limits.
    table = (await ask(env, "sanctions count", as_of="2018-05-02")).data["embeds"][0]["description"]
    assert "```" in table and re.search(r"\nDPRK +80 +75\n", table) and "\nTotal " in table


async def test_count_exact_on_a_version_day_estimate_before_and_latest_after(env: E2E) -> None:
    exact = (await ask(env, "sanctions count", as_of="2024-09-21")).data["embeds"][0]
    assert "Exact: a list version was generated on 2024-09-21." in embed_text(exact)
    assert exact["footer"]["text"] == "UN list version of 2024-09-21 · counted for 2024-09-21"
    before = (await ask(env, "sanctions count", regime="DPRK", as_of="2010-01-01")).data["embeds"][0]
    assert before["description"].startswith("About **") and "**An estimate.**" in embed_text(before)
    after = (await ask(env, "sanctions count", regime="DPRK", as_of="2025-06-01")).data["embeds"][0]
    assert "**80 individuals** and **75 entities**" in after["description"]
    assert "the latest version (generated 2024-09-26) answers" in embed_text(after)
    first_day = await ask(env, "sanctions count", regime="DPRK", as_of="2006-10-14")
    assert not (first_day.data.get("flags") or 0) & EPHEMERAL


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"as_of": "2018-02-30"}, ["`2018-02-30` is not a real date", "February 2018 has 28 days"]),
        ({"as_of": "18/05/2018"}, ["write dates as YYYY-MM-DD", "for 18/05/2018: 2018-05-18"]),
        ({"regime": "DPRK", "as_of": "2006-10-13"}, ["before the DPRK sanctions regime began (2006-10-14"]),
        ({"as_of": "2026-11-27"}, ["2026-11-27 is in the future (today is 2026-11-26)"]),
        ({"as_of": "next tuesday <@&123>"}, ["is not a date"]),
        ({"regime": "Narnia", "as_of": "2018-05-02"}, ["no regime called `Narnia`"]),
    ],
)
async def test_count_refuses_bad_dates_and_regimes(env: E2E, options: dict[str, str], words: list[str]) -> None:
    is_ephemeral_error(await ask(env, "sanctions count", **options), *words)


# --- changes ------------------------------------------------------------------------------------


async def test_changes_grouped_by_version_newest_first_through_every_page(env: E2E) -> None:
    res = await ask(env, "sanctions changes")
    summary = res.data["embeds"][0]
    assert summary["title"] == "Changes to the UN sanctions list" and summary["footer"]["text"] == LATEST
    rows = re.findall(r"\*\*(\d{4}-\d\d-\d\d)\*\* \(against (\d{4}-\d\d-\d\d)\): ([^\n]+)", summary["description"])
    assert [r[0] for r in rows] == ["2024-09-26", "2024-09-21", "2020-03-20", "2017-07-03"]
    assert [r[1] for r in rows] == ["2024-09-21", "2020-03-20", "2017-07-03", "2017-06-20"]
    expected = {
        day: {kind: int(n.replace(",", "")) for n, kind in re.findall(r"([\d,]+) (added|removed|amended)", text)}
        for day, _prev, text in rows
    }
    pages = await all_pages(env, res)
    seen: dict[str, dict[str, list[str]]] = {}
    order: list[str] = []
    heading = ""
    for page in pages[1:]:
        [embed] = page["embeds"]
        day = found(r"^Version of (\d{4}-\d\d-\d\d) — against \d{4}-\d\d-\d\d", embed["title"])
        assert embed["footer"]["text"].startswith(f"UN list version of {day} · ")
        if not order or order[-1] != day:
            order.append(day)
            heading = ""
        for line in embed["description"].split("\n"):
            title = re.fullmatch(r"\*\*(Added|Removed|Amended) \([\d,]+\)\*\*", line)
            if title:
                heading = title.group(1).lower()
                continue
            reference = re.match(r"`([A-Z]{2}[ie]\.\d{3})` ", line)
            assert reference and heading, line
            seen.setdefault(day, {}).setdefault(heading, []).append(reference.group(1))
    assert order == ["2024-09-21", "2020-03-20", "2017-07-03"]  # newest first; 2024-09-26 changed nothing
    for day, kinds in seen.items():
        assert {k: len(v) for k, v in kinds.items()} == {k: v for k, v in expected[day].items() if v}, day
    assert "QDi.168" in seen["2017-07-03"]["removed"]
    assert "KPi.004" in seen["2020-03-20"]["amended"] and "KPi.004" in seen["2024-09-21"]["amended"]
    assert "KPe.047" in seen["2020-03-20"]["added"]


async def test_changes_for_one_regime_and_since_a_date(env: E2E) -> None:
    dprk = await ask(env, "sanctions changes", regime="dprk", since="2020-01-01")
    summary = dprk.data["embeds"][0]
    assert summary["title"] == "Changes to the UN sanctions list — DPRK since 2020-01-01"
    days = re.findall(r"\*\*(\d{4}-\d\d-\d\d)\*\*", summary["description"])
    assert days == ["2024-09-26", "2024-09-21", "2020-03-20"]
    pages = await all_pages(env, dprk)
    lines = [line for page in pages[1:] for line in page["embeds"][0]["description"].split("\n")]
    assert all(" · DPRK " in line for line in lines if line.startswith("`"))
    is_ephemeral_error(await ask(env, "sanctions changes", since="2030-01-01"), "in the future")
    is_ephemeral_error(await ask(env, "sanctions changes", since="yesterday"), "write dates as YYYY-MM-DD")
    is_ephemeral_error(await ask(env, "sanctions changes", regime="Narnia"), "no regime called `Narnia`")
    # A regime that left the list still has its history.
    iran = await ask(env, "sanctions changes", regime="Iran")
    assert "**2024-09-21** (against 2020-03-20): 84 removed" in iran.data["embeds"][0]["description"]


# --- regimes and timeline -----------------------------------------------------------------------


async def test_regimes_with_committee_prefix_and_counts(env: E2E) -> None:
    res = await ask(env, "sanctions regimes")
    embeds = res.data["embeds"]
    fields = {k: v for e in embeds for k, v in fields_of(e).items()}
    assert len(fields) == 13
    dprk = fields["DPRK — 1718 Committee, on Democratic People's Republic of Korea"]
    assert dprk.startswith("80 individuals, 75 entities · references KPi.…, KPe.…")
    assert "Established by resolution 1718 (2006), adopted unanimously at the 5551st meeting on 2006-10-14" in dprk
    people = sum(int(found(r"^([\d,]+) individual", v).replace(",", "")) for v in fields.values())
    groups = sum(int(found(r"([\d,]+) entit", v).replace(",", "")) for v in fields.values())
    assert embeds[0]["description"].startswith(f"13 regimes with {people} individuals and {groups} entities.")
    total = (await ask(env, "sanctions count")).data["embeds"][0]["description"]
    assert f"**{people} individuals** and **{groups} entities**" in total
    assert all(e["footer"]["text"] == LATEST for e in embeds)


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.parametrize(
    ("regime", "slug", "words"),
    [("DPRK", "dprk", "80 individuals and 75 entities"), (None, "all", "682 individuals and 193 entities")],
)
async def test_timeline_is_a_png_with_the_version_in_its_caption(
    env: E2E, regime: str | None, slug: str, words: str
) -> None:
    res = await ask(env, "sanctions timeline", **({"regime": regime} if regime else {}))
    [(filename, data)] = res.files
    assert filename == f"designations-per-year-{slug}.png"
    width, height = png_size(data)
    assert width >= 400 and height >= 200
    [attachment] = res.data["attachments"]
    assert attachment["filename"] == filename
    assert "UN Security Council Consolidated List, version of 2024-09-26" in attachment["description"]
    [embed] = res.data["embeds"]
    assert embed["image"]["url"] == f"attachment://{filename}"
    assert words in embed["description"] and "on the list version of 2024-09-26" in embed["description"]
    assert embed["footer"]["text"] == LATEST
    assert stored(env, res)["attachments"][0]["filename"] == filename


async def test_timeline_refuses_unknown_and_past_regimes(env: E2E) -> None:
    is_ephemeral_error(await ask(env, "sanctions timeline", regime="Narnia"), "no regime called `Narnia`")
    text = is_ephemeral_error(
        await ask(env, "sanctions timeline", regime="iran"), "Iran has no entries on the latest list"
    )
    assert "Iraq" not in text


# --- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"name": ""}, ["`name`"]),
        ({"name": "   "}, ["`name`", "type a name to search for"]),
        ({"name": "\u200b\u200d\u2060"}, ["`name`", "type a name to search for"]),
        ({"name": "x"}, ["`name`", "at least 2 letters"]),
        ({"name": "!!"}, ["`name`"]),
        ({"name": "Ri Won Ho", "regime": "Narnia"}, ["no regime called `Narnia`"]),
        ({"name": "Ri Won Ho", "regime": "<@&123>"}, ["no regime called `<@&123>`"]),
        ({"name": "Ri Won Ho", "regime": "Iran"}, ["Iran has no entries on the latest list", "latest list only"]),
    ],
)
async def test_search_refuses_empty_and_short_names_and_unknown_regimes(
    env: E2E, options: dict[str, str], words: list[str]
) -> None:
    is_ephemeral_error(await ask(env, "sanctions search", **options), *words)


async def test_over_long_text_is_refused_and_the_longest_allowed_is_answered(env: E2E) -> None:
    # Discord enforces max_length 100; a forged payload gets the same answer from the bot itself.
    options = {
        p["name"]: p
        for c in env.fake.commands()
        if c["name"] == "sanctions"
        for s in c["options"]
        if s["name"] == "search"
        for p in s["options"]
    }
    assert options["name"]["max_length"] == 100
    is_ephemeral_error(await ask(env, "sanctions search", raw=True, name="Ri Won Ho " + "x" * 91), "at most 100")
    is_ephemeral_error(await ask(env, "sanctions entry", raw=True, reference="K" * 500), "at most 100")
    is_ephemeral_error(await ask(env, "sanctions count", raw=True, as_of="2018-05-02" * 20), "at most 30")
    longest = ("Ri Won Ho " * 10).strip() + "!"
    assert len(longest) == 100
    res = await ask(env, "sanctions search", name=longest)
    embed = res.data["embeds"][0]
    assert hits_of(embed)[0][1] == "KPi.033" and len(embed["title"]) <= 256


@pytest.mark.parametrize(
    "name",
    [
        "@everyone Ri Won Ho",
        "<@&123> Ri Won Ho <@456> <#789>",
        "**Ri** _Won_ `Ho` ~~x~~ ||y|| [z](https://example.com)",
        "\u202eRi Won Ho\u200f",
        "Ri\u200b Won\u200d Ho\u2066",
        "'; DROP TABLE entry_revisions; --",
        "Ri Won Ho' OR '1'='1",
        "Robert'); DELETE FROM list_versions;--",
    ],
)
async def test_hostile_names_are_answered_inertly(env: E2E, name: str) -> None:
    res = await ask(env, "sanctions search", name=name)
    assert res.type == 4 and not (res.data.get("flags") or 0) & EPHEMERAL
    embed = res.data["embeds"][0]
    if "Ri" in name and "Won" in name:
        assert hits_of(embed)[0][1] == "KPi.033"
    # Echoed safely: markdown escaped, mentions defused (checked for every body by the `contract` fixture).
    if "**Ri**" in name:
        assert "\\*\\*Ri\\*\\*" in embed["title"] and "\\`Ho\\`" in embed["title"]
    if "<@&123>" in name:
        assert "<@\u200b&123>" in embed["title"]
    assert len(await store.list_versions(env.core.db)) == 5


@pytest.mark.parametrize(
    ("path", "options", "words"),
    [
        ("sanctions entry", {"reference": "@everyone"}, ["is not a reference number"]),
        ("sanctions entry", {"reference": "<@&123>"}, ["`<@&123>` is not a reference number"]),
        ("sanctions entry", {"reference": "KPi.033'; DELETE FROM list_versions; --"}, ["is not a reference number"]),
        ("sanctions entry", {"reference": "   "}, ["type a reference number"]),
        ("sanctions count", {"regime": "DPRK' OR '1'='1"}, ["no regime called"]),
        ("sanctions changes", {"since": "2020-01-01' OR 1=1 --"}, ["is not a date"]),
        ("sanctions timeline", {"regime": "\u202eNarnia"}, ["no regime called `Narnia`"]),
        ("sanctions search", {"name": "Ri Won Ho", "kind": "vessel"}, ["`kind`", "individual, entity"]),
    ],
)
async def test_hostile_options_of_the_other_commands(
    env: E2E, path: str, options: dict[str, str], words: list[str]
) -> None:
    is_ephemeral_error(await ask(env, path, raw="kind" in options, **options), *words)
    assert len(await store.list_versions(env.core.db)) == 5


async def test_invisible_characters_around_a_reference_or_regime_are_ignored(env: E2E) -> None:
    res = await ask(env, "sanctions entry", reference="\u202eKPi.033\u200b")
    assert res.data["embeds"][0]["title"] == "KPi.033 — RI WON HO"
    count = await ask(env, "sanctions count", regime="\u2066DPRK\u2069")
    assert fields_of(count.data["embeds"][0])["Individuals"] == "80"


async def test_autocomplete_answers_are_the_search_services_choices(env: E2E) -> None:
    """Choices go out as a body built once per list of choices: what the service offers, asked first or again."""
    search = env.core.search
    for typed in ("kim", "Ri Won", "ab", "KIM JONG", "zz", "", "محمد"):
        for _ in range(2):
            want = [{"name": n, "value": v} for n, v in search.name_choices(typed)]
            assert await complete(env, "sanctions search", "name", typed) == want
    for typed in ("KPi.0", "kpi.03", "QDe", "Ri Won", ""):
        for _ in range(2):
            want = [{"name": n, "value": v} for n, v in search.reference_choices(typed)]
            assert await complete(env, "sanctions entry", "reference", typed) == want
    regimes = await complete(env, "sanctions count", "regime", "d")
    assert regimes and all(c["name"] == c["value"] for c in regimes)
