"""/admin reload-knowledge: owners only; reports changes; refuses broken files naming where and why."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.answers.admin import reload_knowledge
from bot.answers.context import AnswerContext
from bot.cli_ask import ask
from bot.core import Core
from bot.errors import KnowledgeError, NotPermitted
from tests.answers.payloads import assert_valid, text_of
from tests.knowledge_files import edited, write


async def test_only_owners_may_reload(core: Core) -> None:
    with pytest.raises(NotPermitted, match="Only the bot's owners"):
        await reload_knowledge(AnswerContext(core=core, user_id=1, guild_id=2, is_owner=False, can_manage_guild=True))


async def test_reload_with_nothing_changed(core: Core) -> None:
    outcome = await ask(core, ["admin", "reload-knowledge"])  # the terminal's operator counts as owner
    assert outcome.exit_code == 0 and outcome.reply.ephemeral
    assert_valid(outcome.reply)
    text = text_of(outcome.reply)
    assert "Knowledge files unchanged" in text and "statements.toml: 21 records" in text


async def test_reload_reports_changes(core: Core, tmp_path: Path) -> None:
    files = edited(
        "chairs.toml",
        'person = "Mona Juul"\ncountry = "Norway"\nsources = [\n    "Norway\'s UN mission',
        'person = "Mona Juul"\ncountry = "Norway"\nnote = "edited"\nsources = [\n    "Norway\'s UN mission',
    )
    core.knowledge.directory = write(tmp_path / "data", files)
    outcome = await ask(core, ["admin", "reload-knowledge"])
    assert_valid(outcome.reply)
    text = text_of(outcome.reply)
    assert "Knowledge files reloaded" in text and "Files changed\nchairs.toml" in text
    assert "Chairs\n1 changed: 2022" in text


async def test_reload_of_a_broken_file_says_where_and_keeps_the_data(core: Core, tmp_path: Path) -> None:
    files = edited("council.toml", 'members = ["Italy"]', 'members = ["Italy", "Brazil"]')
    core.knowledge.directory = write(tmp_path / "data", files)
    outcome = await ask(core, ["admin", "reload-knowledge"])
    assert outcome.exit_code == KnowledgeError("", "", "").exit_code == 1
    assert outcome.reply.ephemeral and outcome.error is not None
    assert outcome.error.startswith("council.toml: year 2017 (records [[permanent]], #12, #13, #14): 16 members")
    assert_valid(outcome.reply)
    # The store still answers from the last good files.
    assert "Italy" in text_of((await ask(core, ["committee", "members", "year:2017"])).reply)
    assert "Brazil" not in text_of((await ask(core, ["committee", "members", "year:2017"])).reply)
