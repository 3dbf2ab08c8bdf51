"""The /committee, /statement and /admin extensions: load, names, descriptions, options, /help and /about."""

from __future__ import annotations

from discord import app_commands

from bot.app import EXTENSIONS, SanctionsBot
from bot.cli_ask import ask
from bot.core import Core
from tests.answers.payloads import assert_valid, text_of

EXPECTED = {
    "committee members",
    "committee info",
    "committee resolutions",
    "statement denial",
    "statement list",
    "statement show",
    "statement quotes",
    "admin reload-knowledge",
}


def walk(items: list) -> list[app_commands.Command | app_commands.Group]:
    out = []
    for item in items:
        out.append(item)
        if isinstance(item, app_commands.Group):
            out += walk(list(item.commands))
    return out


async def test_extensions_load_with_unique_described_commands(core: Core) -> None:
    assert {"cogs.committee", "cogs.statement", "cogs.admin"} <= set(EXTENSIONS)
    bot = SanctionsBot(core, run_background=False)
    try:
        await bot.load_cogs()
        everything = walk(list(bot.tree.get_commands()))
        names = [c.qualified_name for c in everything]
        assert len(names) == len(set(names))
        assert set(names) >= EXPECTED
        for command in everything:
            assert 1 <= len(command.description) <= 100, command.qualified_name
            if isinstance(command, app_commands.Command):
                assert command.extras.get("answer") is not None, command.qualified_name
                for param in command.parameters:
                    assert 1 <= len(param.description) <= 100 and param.description != "…"
        # The payload Discord receives for the tree is well-formed (discord.py builds it).
        assert all(p["name"] for p in bot.command_payloads())
    finally:
        await bot.close()


async def test_help_lists_the_new_groups(core: Core) -> None:
    text = text_of((await ask(core, ["help"])).reply)
    for path in EXPECTED:
        assert f"`/{path}" in text, path
    assert "`/committee members [year]`" in text and "`/statement quotes search`" in text


async def test_about_shows_the_knowledge_files(core: Core) -> None:
    reply = (await ask(core, ["about"])).reply
    assert_valid(reply)
    text = text_of(reply)
    assert "Knowledge files" in text and "council.toml: 25 records" in text and "Council membership 2006–2026" in text
