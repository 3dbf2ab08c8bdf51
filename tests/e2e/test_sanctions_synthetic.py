"""/sanctions through the local Discord on a small hand-made list, for what the real lists do not hold:
a record too long for one message (no real entry needs more than one embed) and a Hangul original-script
name (the 2024-09-26 list has none). The entries are fictitious (KPi.9xx)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import pytest_asyncio

from bot.clock import ManualClock
from bot.core import open_core
from bot.render import limits
from bot.settings import Settings
from tests.conftest import NOW
from tests.e2e._sanctions import all_pages, ask, buttons, contract, fields_of, hits_of, stored
from tests.e2e.conftest import ALICE, E2E, start_e2e
from tests.fixtures.lists import consolidated, individual

pytestmark = pytest.mark.asyncio(loop_scope="module")

WORDS = [f"word{i:04d}" for i in range(1, 1401)]  # ~12,600 characters: several description chunks
LONG_TOKEN = "Q" * 5000  # one token longer than a chunk: may only be cut with an ellipsis
NARRATIVE = " ".join([*WORDS[:700], "@everyone", LONG_TOKEN, *WORDS[700:]])
ALIASES = [f"Alias number {i:03d} of a long synthetic record" for i in range(1, 151)]
LONG_ALIAS = " ".join(f"longalias{i:03d}" for i in range(1, 151))  # ~1,950 characters: over one field
DOCUMENTS = [f"P{i:07d}" for i in range(1, 61)]


def long_record() -> str:
    aliases = "".join(
        f"<INDIVIDUAL_ALIAS><QUALITY>Good</QUALITY><ALIAS_NAME>{a}</ALIAS_NAME></INDIVIDUAL_ALIAS>"
        for a in [*ALIASES, LONG_ALIAS]
    )
    documents = "".join(
        f"<INDIVIDUAL_DOCUMENT><TYPE_OF_DOCUMENT>Passport</TYPE_OF_DOCUMENT><NUMBER>{n}</NUMBER></INDIVIDUAL_DOCUMENT>"
        for n in DOCUMENTS
    )
    return individual("KPi.901", "LONG", "RECORD PERSON", comments=NARRATIVE, extra=aliases + documents)


def hangul_record(with_original: bool) -> str:
    extra = "<NAME_ORIGINAL_SCRIPT>박영식</NAME_ORIGINAL_SCRIPT>" if with_original else ""
    return individual("KPi.902", "PAK", "YONG SIK", listed_on="2017-09-11", extra=extra)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def env(module_empty_settings: Settings) -> AsyncIterator[E2E]:
    """The bot on a store with two versions of the hand-made list; the second adds the Hangul name (each engine)."""
    async with open_core(module_empty_settings, clock=ManualClock(NOW)) as core:
        first = consolidated([long_record(), hangul_record(False)], [], generated="2024-01-10T00:00:00Z")
        second = consolidated([long_record(), hangul_record(True)], [], generated="2024-02-20T00:00:00Z")
        await core.importer.import_bytes(first, "synthetic-1.xml")
        await core.importer.import_bytes(second, "synthetic-2.xml")
        await core.after_import()
        async for running in start_e2e(core):
            yield running


@pytest.fixture(autouse=True)
def checked(env: E2E) -> Iterator[None]:
    """Every test ends with the contract checks (violations, errors, mentions, hidden characters)."""
    with contract(env):
        yield


def embeds_of(pages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for page in pages for e in page["embeds"]]


async def test_a_long_record_is_split_over_embeds_and_pages_within_limits(env: E2E) -> None:
    res = await ask(env, "sanctions entry", reference="KPi.901")
    pages = await all_pages(env, res)
    assert len(pages) >= 3  # ~12,600 characters of narrative alone cannot fit two messages
    for page in pages:  # the fake checks the same limits on every body; this says which ones matter here
        assert len(page["embeds"]) <= limits.EMBEDS_PER_MESSAGE
        assert sum(len(e.get("title", "")) + len(e.get("description", "")) for e in page["embeds"]) <= 6000
    embeds = embeds_of(pages)
    assert embeds[0]["title"] == "KPi.901 — LONG RECORD PERSON"
    assert all(e["title"] == "KPi.901 — LONG RECORD PERSON (continued)" for e in embeds[1:])
    assert all(e["footer"]["text"] == "UN list version of 2024-02-20" for e in embeds)

    # The narrative: every piece but the last ends with an ellipsis; no word is cut, nothing is lost.
    chunks = [e["description"] for e in embeds if e.get("description")]
    assert len(chunks) >= 4
    assert all(c.endswith(limits.ELLIPSIS) for c in chunks[:-1]) and not chunks[-1].endswith(limits.ELLIPSIS)
    text = " ".join(c.removesuffix(limits.ELLIPSIS) for c in chunks)
    narrative = text.split("\n\n", 1)[1]
    assert "@\u200beveryone" in narrative  # the list's text is echoed with mentions defused
    tokens = narrative.replace("@\u200beveryone", "@everyone").split()
    assert [t for t in tokens if not set(t) <= {"Q"}] == [w for w in NARRATIVE.split() if w != LONG_TOKEN]
    assert sum(len(t) for t in tokens if set(t) <= {"Q"}) == len(LONG_TOKEN)

    # The aliases: whole names, in order, over several fields of at most 1,024 characters.
    fields = [f for e in embeds for f in e.get("fields") or []]
    alias_fields = [f for f in fields if f["name"].startswith("Aliases — good quality")]
    assert len(alias_fields) >= 8
    assert alias_fields[0]["name"] == "Aliases — good quality"
    assert all(f["name"] == "Aliases — good quality (continued)" for f in alias_fields[1:])
    lines = [line for f in alias_fields for line in f["value"].split("\n")]
    assert lines[: len(ALIASES)] == ALIASES
    # The one alias longer than a field is cut between words, each cut marked.
    pieces = lines[len(ALIASES) :]
    assert len(pieces) >= 2 and all(p.endswith(limits.ELLIPSIS) for p in pieces[:-1])
    assert " ".join(p.removesuffix(limits.ELLIPSIS) for p in pieces).split() == LONG_ALIAS.split()
    documents = [line for f in fields if f["name"].startswith("Documents") for line in f["value"].split("\n")]
    assert documents == [f"Passport {n}" for n in DOCUMENTS]
    history = next(f for f in fields if f["name"] == "History in the imported versions")
    assert history["value"] == "Already on the list in the first imported version, of 2024-01-10"


async def test_only_the_asker_turns_the_pages_of_a_long_record(env: E2E) -> None:
    res = await ask(env, "sanctions entry", reference="KPi.901")
    message = res.message
    assert message is not None
    other = await env.fake.click(message, buttons(message)["next"]["custom_id"], user_id=ALICE + 1)
    assert other.type == 4 and "Only the person who asked" in other.data["content"]
    assert stored(env, res)["embeds"] == res.data["embeds"]


async def test_a_hangul_original_script_name_is_found(env: E2E) -> None:
    res = await ask(env, "sanctions search", name="박영식")
    rank, reference, name, score, value = hits_of(res.data["embeds"][0])[0]
    assert (rank, reference, name, score) == (1, "KPi.902", "PAK YONG SIK", 100)
    assert "original script" in value.split("\n")[0] and "Matched original script: 박영식" in value
    romanized = await ask(env, "sanctions search", name="Pak Yong-sik")
    assert hits_of(romanized.data["embeds"][0])[0][1:4] == ("KPi.902", "PAK YONG SIK", 100)
    # One syllable off is another person: never a close match.
    other = (await ask(env, "sanctions search", name="박영수")).data["embeds"][0]
    hits = hits_of(other) if other.get("fields") else []
    assert all(score < 85 for _rank, _ref, _name, score, _value in hits), hits


async def test_hangul_autocomplete_and_entry(env: E2E) -> None:
    choices = await env.fake.autocomplete("sanctions search", {"name": "박영"}, focused="name", user_id=ALICE)
    assert {"name": "박영식 — original script of KPi.902", "value": "박영식"} in choices
    refs = await env.fake.autocomplete("sanctions entry", {"reference": "박영"}, focused="reference", user_id=ALICE)
    assert refs and refs[0]["value"] == "KPi.902"
    entry = await ask(env, "sanctions entry", reference="KPi.902")
    fields = fields_of(entry.data["embeds"][0])
    assert fields["Name in original script"] == "박영식"
    assert fields["History in the imported versions"].split("\n") == [
        "Already on the list in the first imported version, of 2024-01-10",
        "Amended in the imported version of 2024-02-20: original-script name",
    ]
    assert entry.data["embeds"][0]["title"] == "KPi.902 — PAK YONG SIK"
