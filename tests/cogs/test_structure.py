"""Structure of the command tree: every extension loads, names are unique and valid, everything is described,
and every command has an answer function the terminal can call too."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from discord import app_commands

from bot.answers.context import answer_of
from bot.app import EXTENSIONS, SanctionsBot
from bot.core import Core

NAME = re.compile(r"^[-_\w]{1,32}$")


@pytest.fixture
async def bot(core: Core) -> AsyncIterator[SanctionsBot]:
    b = SanctionsBot(core, run_background=False)
    await b.load_cogs()
    yield b
    await b.close()


def walk(items: list) -> list[app_commands.Command | app_commands.Group]:
    out = []
    for item in items:
        out.append(item)
        if isinstance(item, app_commands.Group):
            out.extend(walk(list(item.commands)))
    return out


async def test_every_extension_loads(bot: SanctionsBot) -> None:
    assert set(bot.extensions) == set(EXTENSIONS)


async def test_names_unique_valid_and_described(bot: SanctionsBot) -> None:
    nodes = walk(list(bot.tree.get_commands()))
    names = [n.qualified_name for n in nodes]
    assert len(names) == len(set(names)), "duplicate command names"
    for node in nodes:
        assert NAME.match(node.name) and node.name == node.name.lower(), node.qualified_name
        assert node.description and len(node.description) <= 100, node.qualified_name
        if isinstance(node, app_commands.Command):
            assert len(node.parameters) <= 25
            for param in node.parameters:
                assert NAME.match(param.display_name), (node.qualified_name, param.display_name)
                assert param.description and param.description != "…", (node.qualified_name, param.name)
                assert len(param.description) <= 100, (node.qualified_name, param.name)


async def test_every_command_has_an_answer_function(bot: SanctionsBot) -> None:
    leaves = [n for n in walk(list(bot.tree.get_commands())) if isinstance(n, app_commands.Command)]
    assert leaves
    for command in leaves:
        assert answer_of(command.extras) is not None, f"/{command.qualified_name} has no extras['answer']"


async def test_help_lists_every_command(bot: SanctionsBot, core: Core) -> None:
    from bot.answers.about import help_
    from bot.answers.context import AnswerContext

    reply = await help_(AnswerContext(core=core))
    text = " ".join(str(e.to_dict()) for p in reply.pages for e in p.embeds)
    for info in core.command_index:
        assert f"/{info.path}" in text


async def test_every_background_loop_is_guarded(bot: SanctionsBot) -> None:
    # discord.ext.tasks ends a loop for good on an unhandled exception: every loop body must go through
    # bot.tasks.guarded (logged with a reference, shown in /about, retried with jittered backoff).
    from bot.tasks import GUARD_ATTRIBUTE

    loops = bot.background_loops()
    assert len(loops) >= 5, [loop.coro.__name__ for loop in loops]
    unguarded = [loop.coro.__qualname__ for loop in loops if not getattr(loop.coro, GUARD_ATTRIBUTE, None)]
    assert not unguarded, f"background loops without bot.tasks.guarded: {unguarded}"
    names = [getattr(loop.coro, GUARD_ATTRIBUTE) for loop in loops]
    assert len(names) == len(set(names)), f"two loops share a name in /about: {names}"


def test_no_loop_is_defined_outside_the_loaded_cogs() -> None:
    # A loop in a module the structure test above never loads would escape it: there are none.
    from tests.shared_files import REPO_ROOT

    for path in [*(REPO_ROOT / "bot").rglob("*.py"), *(REPO_ROOT / "cogs").rglob("*.py")]:
        text = path.read_text(encoding="utf-8")
        for n, line in enumerate(text.splitlines()):
            if line.strip().startswith("@tasks.loop"):
                following = text.splitlines()[n + 1].strip()
                assert following.startswith("@guarded("), f"{path}:{n + 1}: a loop without @guarded right below"
