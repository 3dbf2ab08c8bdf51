"""/watch in the terminal: the same answers and checks as on Discord; list and test only read the store."""

from __future__ import annotations

import pytest

from bot.answers import watch as answers
from bot.answers.context import AnswerContext
from bot.cli_ask import ask
from bot.core import Core
from bot.errors import GuildOnly, NotPermitted
from bot.settings import Settings
from tests.answers.payloads import assert_valid, text_of
from tests.store_writes import write_marker

GUILD = 1_150_000_000_000_000_000


async def test_every_watch_command_from_the_terminal(loaded_core: Core, loaded_settings: Settings) -> None:
    for words, expected in (
        (["watch", "add", "target:KPi.033", "note:the minister"], "Watching reference KPi.033"),
        (["watch", "add", "target:Han Jang Su"], "KPi.055"),
        (["watch", "channel", "channel:1150000000000000001"], "Alerts go to <#1150000000000000001>"),
        (["watch", "threshold", "value:95"], "score of 95 or more"),
        (["watch", "ping", "role:1150000000000000010"], "with id `1150000000000000010`"),
        (["watch", "ping"], "mention nobody"),
        (["watch", "remove", "id:1"], "No more alerts for reference `KPi.033`"),
    ):
        outcome = await ask(loaded_core, words, guild_id=GUILD, user_id=7)
        assert outcome.exit_code == 0, (words, outcome.error)
        assert outcome.reply.ephemeral
        assert_valid(outcome.reply)
        assert expected in text_of(outcome.reply), (words, text_of(outcome.reply))
    # The two reading commands leave the store exactly as it was.
    async with write_marker(loaded_settings) as marker:
        before = await marker()
        listed = await ask(loaded_core, ["watch", "list"], guild_id=GUILD)
        tested = await ask(loaded_core, ["watch", "test"], guild_id=GUILD)
        assert await marker() == before
    assert "Watchlist: 1 of 100" in text_of(listed.reply) and "score of 95 or more" in text_of(listed.reply)
    assert "Test: 1 watched entry changed" in text_of(tested.reply) and "2024-09-21" in text_of(tested.reply)
    assert_valid(listed.reply)
    assert_valid(tested.reply)


@pytest.mark.parametrize(
    ("words", "message"),
    [
        (["watch", "threshold", "value:49"], "must be at least 50"),
        (["watch", "threshold", "value:ninety"], "whole number"),
        (["watch", "add", "target:x"], "at least 3 letters"),
        (["watch", "add", "target:" + "x" * 101], "at most 100 characters"),
        (["watch", "add", "target:@here"], "Discord mention"),
        (["watch", "add", "target:KPi.033", "note:" + "n" * 201], "at most 200 characters"),
        (["watch", "remove", "id:0"], "must be at least 1"),
        (["watch", "remove", "id:5"], "no watch #5"),
    ],
)
async def test_refusals_are_usage_errors(loaded_core: Core, words: list[str], message: str) -> None:
    outcome = await ask(loaded_core, words, guild_id=GUILD)
    assert outcome.exit_code == 2 and outcome.error is not None and message in outcome.error
    assert outcome.reply.ephemeral


async def test_managers_only_and_servers_only(loaded_core: Core) -> None:
    member = AnswerContext(core=loaded_core, user_id=1, guild_id=GUILD, can_manage_guild=False)
    for fn in (answers.list_watches, answers.test):
        with pytest.raises(NotPermitted, match="Manage Server"):
            await fn(member)
    with pytest.raises(NotPermitted):
        await answers.add(member, "KPi.033")
    with pytest.raises(GuildOnly):
        await answers.add(AnswerContext(core=loaded_core, user_id=1), "KPi.033")
    outcome = await ask(loaded_core, ["watch", "list"])  # no --guild in the terminal
    assert outcome.exit_code == 2
