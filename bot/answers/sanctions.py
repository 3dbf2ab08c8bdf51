"""Answers of the /sanctions group."""

from __future__ import annotations

from bot.answers.context import AnswerContext
from bot.render.lists import count_reply
from bot.render.reply import Reply


async def count(ctx: AnswerContext, regime: str | None = None) -> Reply:
    """/sanctions count [regime]: individuals and entities on the latest list."""
    return count_reply(ctx.core.lists.counts(regime))


async def complete_regime(ctx: AnswerContext, current: str) -> list[tuple[str, str]]:
    """Regime names starting with (then containing) what the user typed."""
    key = current.strip().casefold()
    names = ctx.core.lists.regimes()
    starts = [n for n in names if n.casefold().startswith(key)]
    contains = [n for n in names if key in n.casefold() and n not in starts]
    return [(n, n) for n in (starts + contains)[:25]]
