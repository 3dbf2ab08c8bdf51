"""/statement through `sanctionsbot ask`, and every stored quote checked word for word against the article."""

from __future__ import annotations

import re

import pytest

from bot.answers.context import AnswerContext
from bot.answers.statement import complete_statement, quotes
from bot.cli_ask import ask
from bot.core import Core
from bot.errors import InvalidOption
from bot.store import knowledge as store
from tests.answers.payloads import assert_valid, text_of
from tests.shared_files import unpublished_shared_file

DENIAL_QUOTES = [
    "nonsense",
    "stereotyped trick to keep up the atmosphere of sanction and pressure",
    "at all costs.",
    "again picked fault",
]


def article() -> str:
    return unpublished_shared_file("seed", "article.txt").read_text(encoding="utf-8")


async def all_quotes(core: Core) -> list:
    out = []
    for statement in await store.statements(core.db):
        out += await store.quotes(core.db, statement.id)
    return out


async def test_every_stored_quote_is_word_for_word_in_the_article(core: Core) -> None:
    text = article()
    stored = await all_quotes(core)
    assert len(stored) == 15
    for quote in stored:
        # The article opens a quotation with " and closes it with ''.
        assert f"\"{quote.text}''" in text, quote.text
        assert f"{quote.lead} \"{quote.text}''" in text, quote.lead


async def test_every_quotation_in_the_article_is_stored(core: Core) -> None:
    in_article = re.findall(r'"(.*?)\'\'', article())
    assert sorted(in_article) == sorted(q.text for q in await all_quotes(core))


async def test_the_denial_carries_its_quotes_context_answers_and_source(core: Core) -> None:
    outcome = await ask(core, ["statement", "denial"])
    assert outcome.exit_code == 0
    bodies = assert_valid(outcome.reply)
    text = text_of(outcome.reply)
    main = bodies[0]["data"]["embeds"][0]
    # Every quote of the denial, exactly as stored (and so as in the article).
    for quote in await store.quotes(core.db, "dprk-mission-denial"):
        assert f'"{quote.text}"' in main["description"], quote.text
    for needle in DENIAL_QUOTES:
        assert f'"{needle}"' in main["description"]
    fields = {f["name"]: f["value"] for f in main["fields"]}
    assert fields["When"].startswith("2018-05-02 — the article's 'on Wednesday'")
    assert "North Korea's U.N. Mission" in fields["Who"]
    assert "closed meeting of the 1718 sanctions committee on Monday, 2018-04-30" in fields["Context"]
    assert "North Korea is not a committee member" in fields["Context"]
    answers = "\n".join(v for k, v in fields.items() if k.startswith(("Answer", "Evidence")))
    assert '"the quotes and comments attributed to the U.S. delegation are entirely false."' in answers
    assert "Two diplomats familiar with" in answers and "did not speak about hacking during that session" in answers
    assert "sophisticated hacking campaign, first noted in 2017" in answers
    assert "amount, in its view, to sanctions evasion" in answers
    assert main["footer"]["text"].startswith(
        "Source: Voice of America, “North Korea Denies it Hacked UN Database on Sanctions”, "
        "2018-05-02 (date derived: no date stamp seen)"
    )
    assert main["url"] == "https://www.voanews.com/a/north-korea-un-database-investigation/4375536.html"
    assert "dprktoday.com" in text  # the sources of the date are shown


async def test_statement_list_newest_first(core: Core) -> None:
    outcome = await ask(core, ["statement", "list"])
    assert_valid(outcome.reply)
    ids = re.findall(r"^`([a-z-]+)` · (\S+)", text_of(outcome.reply), re.M)
    assert [i for i, _d in ids] == [
        "dprk-mission-denial",
        "us-mission-rebuttal",
        "diplomats-account",
        "us-remarks-as-reported",
        "panel-hacking-finding",
    ]
    assert [d for _i, d in ids] == sorted((d for _i, d in ids), reverse=True)


@pytest.mark.parametrize(
    "statement_id",
    [
        "dprk-mission-denial",
        "us-mission-rebuttal",
        "diplomats-account",
        "us-remarks-as-reported",
        "panel-hacking-finding",
    ],
)
async def test_every_statement_shows_in_full(core: Core, statement_id: str) -> None:
    outcome = await ask(core, ["statement", "show", f"id:{statement_id}"])
    assert outcome.exit_code == 0
    assert_valid(outcome.reply)
    text = text_of(outcome.reply)
    for quote in await store.quotes(core.db, statement_id):
        assert f'"{quote.text}"' in text
    assert f"statement id: {statement_id}" in text


async def test_claims_are_marked_as_attributed(core: Core) -> None:
    text = text_of((await ask(core, ["statement", "show", "id:us-remarks-as-reported"])).reply)
    assert "as quoted by North Korea's U.N. Mission" in text and "says the quotes are false" in text


@pytest.mark.parametrize("statement_id", ["denial", "nope", "<@123>", "@everyone", "**bold** `tick`", "x" * 100])
async def test_unknown_ids_are_refused_with_suggestions_and_echoed_safely(core: Core, statement_id: str) -> None:
    outcome = await ask(core, ["statement", "show", f"id:{statement_id}"])
    assert outcome.exit_code == 2 and outcome.reply.ephemeral and outcome.error is not None
    assert "`/statement list` shows them all" in outcome.error
    # The echo is one code span: no markdown, no live mention, no stray backtick from the input.
    echoed = re.match(r"There is no statement (`[^`]*`)\.", outcome.error)
    assert echoed is not None
    assert_valid(outcome.reply)
    if statement_id == "denial":
        assert "Did you mean `dprk-mission-denial`" in outcome.error


async def test_over_long_ids_are_refused_by_the_option(core: Core) -> None:
    outcome = await ask(core, ["statement", "show", "id:" + "x" * 101])
    assert outcome.exit_code == 2 and outcome.error is not None and "at most 100 characters" in outcome.error


async def test_quote_search_finds_with_speaker_and_date(core: Core) -> None:
    outcome = await ask(core, ["statement", "quotes", "search:hacking campaign"])
    assert outcome.exit_code == 0
    assert_valid(outcome.reply)
    text = text_of(outcome.reply)
    assert (
        '> "continues to be targeted by a sophisticated hacking campaign," \u2014 '
        "**The Panel of Experts monitoring sanctions against North Korea**, word for word\n"
        "2018-03 · `panel-hacking-finding`"
    ) in text


@pytest.mark.parametrize(
    "search",
    [
        '"',
        "*",
        "NEAR(",
        "OR",
        "hacking OR",
        "NEAR(hacking campaign, 5)",
        '"nonsense',
        "hacking AND NOT nonsense",
        "text:hacking",
        "^nonsense",
        "nonsense*",
        "(",
        ")",
    ],
)
async def test_fts_syntax_is_treated_as_plain_words(core: Core, search: str) -> None:
    outcome = await ask(core, ["statement", "quotes", f"search:{search}"])
    assert outcome.exit_code in (0, 2)
    if outcome.exit_code == 2:  # nothing searchable in it
        assert outcome.error is not None and "type at least one word" in outcome.error
    assert_valid(outcome.reply)


async def test_operators_do_not_operate(core: Core) -> None:
    # "OR" is a word to find, not an operator: no quote contains both "nonsense" and "or".
    text = text_of((await ask(core, ["statement", "quotes", "search:nonsense OR hacking"])).reply)
    assert "contains all of: nonsense OR hacking" in text
    # A quoted phrase stays a phrase.
    text = text_of((await ask(core, ["statement", "quotes", 'search:"hostile forces"'])).reply)
    assert "**2 passages**" in text


async def test_mentions_and_markdown_in_searches_are_echoed_inert(core: Core) -> None:
    outcome = await ask(core, ["statement", "quotes", "search:@everyone <@123> <@&456> **bold** __x__ hacking"])
    bodies = assert_valid(outcome.reply)
    embed = bodies[0]["data"]["embeds"][0]
    shown = embed["title"] + embed["description"]
    assert "@everyone" not in shown and "@\u200beveryone" in shown
    assert "<@123>" not in shown and "<@&456>" not in shown
    assert "\\*\\*bold\\*\\*" in shown


async def test_over_long_searches(core: Core) -> None:
    outcome = await ask(core, ["statement", "quotes", "search:" + "hacking " * 30])
    assert outcome.exit_code == 2 and outcome.error is not None and "at most 200 characters" in outcome.error
    with pytest.raises(InvalidOption, match="at most 200"):
        await quotes(AnswerContext(core=core), search="hacking " * 30)


async def test_statement_autocomplete(core: Core) -> None:
    ctx = AnswerContext(core=core)
    found = await complete_statement(ctx, "denial")
    assert [v for _n, v in found] == ["dprk-mission-denial"]
    assert len(await complete_statement(ctx, "")) == 5


async def test_a_finding_links_the_statement_it_bears_on(core: Core) -> None:
    text = text_of((await ask(core, ["statement", "show", "id:panel-hacking-finding"])).reply)
    expected = "North Korea's U.N. Mission (press statement) (denial, 2018-05-02) — `dprk-mission-denial`"
    assert f"Bears on\n{expected}" in text
