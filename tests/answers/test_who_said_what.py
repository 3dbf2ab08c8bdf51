"""Who said what: every passage /statement shows is labelled by its speaker, the reporter's lead-ins apart from
the words quoted, checked against the article; quote search finds every passage shown (issue 15)."""

from __future__ import annotations

import re

import pytest

from bot.cli_ask import ask
from bot.core import Core
from tests.answers.payloads import assert_valid, text_of
from tests.shared_files import unpublished_shared_file

_QUOTE_LINE = re.compile(r'^> "(?P<text>.+)" \u2014 \*\*(?P<speaker>.+)\*\*, word for word$')
_LEAD_LINE = re.compile(r"^\*The Voice of America reporter's paraphrase:\* (?P<lead>.+) \u2026$")


def article() -> str:
    return " ".join(unpublished_shared_file("seed", "article.txt").read_text(encoding="utf-8").split())


async def _passages(core: Core, words: list[str]) -> tuple[list[tuple[str, str]], list[str], str]:
    outcome = await ask(core, words)
    assert outcome.exit_code == 0
    assert_valid(outcome.reply)
    text = text_of(outcome.reply)
    quotes = [(m["text"], m["speaker"]) for line in text.split("\n") if (m := _QUOTE_LINE.match(line))]
    leads = [m["lead"] for line in text.split("\n") if (m := _LEAD_LINE.match(line))]
    return quotes, leads, text


async def test_every_passage_of_the_denial_is_labelled_by_its_speaker(core: Core) -> None:
    quotes, leads, text = await _passages(core, ["statement", "denial"])
    source = article()
    speakers = {speaker for _text, speaker in quotes}
    assert speakers == {
        "North Korea's U.N. Mission",
        "A spokesperson for the U.S. Mission to the U.N.",
        "The Panel of Experts monitoring sanctions against North Korea",
    }
    # The reporter's words are never inside a quotation attributed to someone else.
    assert "North Korea on Wednesday dismissed as" not in "\n".join(t for t, _s in quotes)
    assert "Quoted passages, word for word" not in text
    by_speaker = {s: [t for t, sp in quotes if sp == s] for s in speakers}
    assert "nonsense" in by_speaker["North Korea's U.N. Mission"]
    assert (
        "the quotes and comments attributed to the U.S. delegation are entirely false."
        in by_speaker["A spokesperson for the U.S. Mission to the U.N."]
    )
    # Checked against the article: each quotation is there between its marks, led in by the reporter's words.
    for passage, _speaker in quotes:
        assert f"\"{passage}''" in source, passage
    for lead in leads:
        assert f'{lead} "' in source, lead
    assert len(leads) == len(quotes)  # every stored quote has its lead-in, each shown apart and labelled
    # Lines that quote are exactly those labelled; nothing else starts a quotation.
    assert all(_QUOTE_LINE.match(line) for line in text.split("\n") if line.startswith("> "))


async def test_summaries_are_labelled_as_the_bots(core: Core) -> None:
    _quotes, _leads, text = await _passages(core, ["statement", "denial"])
    assert "**In short** (the bot's summary of the report)" in text
    assert "no words quoted; the bot's summary of the report: Two diplomats familiar" in text


async def test_quote_search_finds_microsoft(core: Core) -> None:
    outcome = await ask(core, ["statement", "quotes", "search:Microsoft"])
    text = text_of(outcome.reply)
    assert "**1 passage**" in text
    assert "It said Microsoft confirmed that another attack" in text
    assert '> "nation-state." \u2014 **The Panel of Experts monitoring sanctions against North Korea**' in text


@pytest.mark.parametrize("statement", ["denial", "show id:us-mission-rebuttal", "show id:panel-hacking-finding"])
async def test_quote_search_finds_every_passage_shown(core: Core, statement: str) -> None:
    quotes, leads, _text = await _passages(core, ["statement", *statement.split()])
    assert quotes
    for passage in [t for t, _s in quotes] + leads:
        found = text_of((await ask(core, ["statement", "quotes", f"search:{passage}"])).reply)
        assert "No quoted passages found" not in found, passage
        assert passage in found, passage
