"""One typed way to declare a slash command: its answer function, whether it writes, and its options.

    @answer_command(name="remove", description="…", answer=answers.remove, writes=True)
    async def remove(self, interaction: discord.Interaction, watch_id: app_commands.Range[int, 1, 2**53 - 1]) -> None:
        \"\"\"/watch remove.\"\"\"

The decorated method only declares the options (discord.py reads their names, types and limits from its
signature); its body is never run: the command forwards every option to `answer` through `bot.answer`, which
the terminal's `sanctionsbot ask` uses too. The options are checked against the answer's parameters when the
cog module is imported, so an option the answer does not take (or a required parameter no option fills) fails
at once, not at the first use. What some commands do first is declared too: `defer` (answers that fetch) and
`prepare` (a permission check on the chosen channel, a value taken from an option).
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import discord
from discord import app_commands

from bot.answers.context import Answer

F = TypeVar("F", bound=Callable[..., Coroutine[Any, Any, None]])


Prepare = Callable[[discord.Interaction, dict[str, Any]], dict[str, Any]]


def _forwarder(defer: bool, prepare: Prepare | None) -> Callable[..., Coroutine[Any, Any, None]]:
    """The body every such command shares: check and complete the options, maybe defer, answer."""

    async def forward(self: Any, interaction: discord.Interaction, /, **options: Any) -> None:
        if prepare is not None:
            options = prepare(interaction, options)
        if defer:
            await interaction.response.defer(ephemeral=True, thinking=True)
        await self.bot.answer(interaction, **options)

    return forward


def _check_options(stub: Callable[..., Any], answer: Answer, *, extra: frozenset[str]) -> None:
    """The command's options must be what the answer takes (after its context), by name."""
    options = list(inspect.signature(stub).parameters)[2:]  # after self and the interaction
    params = list(inspect.signature(answer).parameters.values())[1:]  # after the answer context
    takes = {p.name for p in params} | extra
    unknown = [o for o in options if o not in takes]
    unfilled = [
        p.name
        for p in params
        if p.default is inspect.Parameter.empty and p.kind is not p.VAR_KEYWORD and p.name not in options
    ]
    if unknown or unfilled:
        raise TypeError(
            f"/{stub.__name__}: options {unknown} are not parameters of {answer.__qualname__}"
            if unknown
            else f"/{stub.__name__}: {answer.__qualname__} needs {unfilled}, which no option gives"
        )


def answer_command(
    *,
    name: str,
    description: str,
    answer: Answer,
    writes: bool = False,
    defer: bool = False,
    prepare: Prepare | None = None,
    passes: tuple[str, ...] = (),
    group: app_commands.Group | None = None,
    **kwargs: Any,
) -> Callable[[F], app_commands.Command[Any, ..., None]]:
    """A slash command answered by `answer` (declared, typed and checked here), `writes` if it changes the store.

    `defer`: acknowledge at once (only the member sees it) for answers that fetch first. `prepare`: checks the
    options (raising a domain error) and returns them, maybe with more values for the answer, named in `passes`.
    `group`: a subcommand of that group (e.g. /feeds keywords …) instead of one of the cog's own.
    """

    def decorate(stub: F) -> app_commands.Command[Any, ..., None]:
        _check_options(stub, answer, extra=frozenset(passes))
        shared = _forwarder(defer, prepare)
        # The shared body under the method's name, with the cog module's globals (discord.py resolves the options'
        # annotations there) and the method's signature (discord.py reads the options from it).
        forward = types.FunctionType(shared.__code__, stub.__globals__, stub.__name__, None, shared.__closure__)
        forward.__signature__ = inspect.signature(stub)  # type: ignore[attr-defined]
        forward.__doc__ = stub.__doc__
        forward.__qualname__ = stub.__qualname__
        forward.__module__ = stub.__module__
        forward.__dict__.update(stub.__dict__)  # what @describe, @choices, @autocomplete … noted on the method
        make = group.command if group is not None else app_commands.command
        command = make(name=name, description=description, extras={"answer": answer, "writes": writes}, **kwargs)
        return command(forward)

    return decorate
