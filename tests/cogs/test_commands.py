"""The typed command registration (cogs/_commands.py): options checked against the answer at import, the
declared answer and writes in the command's extras, and the shared body forwarding exactly the options."""

from __future__ import annotations

from typing import Any

import discord
import pytest
from discord import app_commands

from bot.render.reply import Reply
from cogs._commands import answer_command


async def _answer(ctx: Any, target: str, note: str | None = None) -> Reply:
    return Reply.text(f"{target} {note}")


def test_an_option_the_answer_does_not_take_fails_at_registration() -> None:
    with pytest.raises(TypeError, match=r"options \['colour'\] are not parameters of _answer"):

        @answer_command(name="add", description="Add.", answer=_answer)
        async def add(self: Any, interaction: discord.Interaction, target: str, colour: str) -> None:
            """/x add."""


def test_a_required_parameter_no_option_gives_fails_at_registration() -> None:
    with pytest.raises(TypeError, match=r"_answer needs \['target'\]"):

        @answer_command(name="add", description="Add.", answer=_answer)
        async def add(self: Any, interaction: discord.Interaction, note: str | None = None) -> None:
            """/x add."""


class _Bot:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    async def answer(self, interaction: Any, **options: Any) -> None:
        self.calls.append(options)


def _with_note(_interaction: Any, options: dict[str, Any]) -> dict[str, Any]:
    return {**options, "note": f"from {options['target']}"}


class _Cog:
    def __init__(self) -> None:
        self.bot = _Bot()

    @answer_command(name="add", description="Add.", answer=_answer, writes=True, prepare=_with_note, passes=("note",))
    @app_commands.describe(target="What to add")
    async def add(self, interaction: discord.Interaction, target: app_commands.Range[str, 1, 10]) -> None:
        """/x add."""
        raise AssertionError("the declared body is never run")


async def test_the_command_declares_its_answer_and_forwards_its_options() -> None:
    add = _Cog.add
    assert isinstance(add, app_commands.Command)
    assert add.extras == {"answer": _answer, "writes": True}
    (param,) = add.parameters
    assert (param.name, param.description, param.max_value, param.required) == ("target", "What to add", 10, True)
    cog = _Cog()
    await add.callback(cog, object(), target="KPi.033")  # type: ignore[arg-type]
    assert cog.bot.calls == [{"target": "KPi.033", "note": "from KPi.033"}]
