"""Answers of the /committee group: membership by year, committee facts, resolutions."""

from __future__ import annotations

from bot.answers.cache import cached
from bot.answers.context import AnswerContext
from bot.render.knowledge import info_reply, members_reply, resolutions_reply
from bot.render.reply import Reply


@cached
async def members(ctx: AnswerContext, year: int | None = None) -> Reply:
    """/committee members [year]: the fifteen members (default: this year), chair and vice-chairs."""
    wanted = ctx.now.year if year is None else year
    return members_reply(await (await ctx.core.ready_knowledge()).members(wanted))


@cached
async def info(ctx: AnswerContext, regime: str | None = None) -> Reply:
    """/committee info [regime]: name, mandate, resolution, measures, Panel of Experts, list counts."""
    return await ctx.fresh(info_reply(await (await ctx.core.ready_knowledge()).committee_info(regime, ctx.now.year)))


@cached
async def resolutions(ctx: AnswerContext, regime: str | None = None) -> Reply:
    """/committee resolutions [regime]: the regime's resolutions in order, with dates and what each added."""
    return resolutions_reply(await (await ctx.core.ready_knowledge()).resolutions(regime))


async def complete_regime(ctx: AnswerContext, current: str) -> list[tuple[str, str]]:
    """Regimes whose id, name or committee number starts with (then contains) what the user typed."""
    key = current.strip().casefold()
    options = [(f"{r.id} — {r.committee}"[:100], r.id) for r in await (await ctx.core.ready_knowledge()).regimes()]
    starts = [o for o in options if o[0].casefold().startswith(key)]
    contains = [o for o in options if key in o[0].casefold() and o not in starts]
    return (starts + contains)[:25]
