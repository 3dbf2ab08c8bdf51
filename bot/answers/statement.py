"""Answers of the /statement group: the denial, the list of statements, one statement, quote search."""

from __future__ import annotations

from bot.answers.cache import cached
from bot.answers.context import AnswerContext
from bot.render.knowledge import denial_reply, quotes_reply, statement_list_reply, statement_reply
from bot.render.reply import Reply


@cached
async def denial(ctx: AnswerContext) -> Reply:
    """/statement denial: the DPRK mission's denial that it hacked the committee's database, and answers."""
    return denial_reply(await (await ctx.core.ready_knowledge()).denial())


@cached
async def list_(ctx: AnswerContext) -> Reply:
    """/statement list: every statement, newest first."""
    return statement_list_reply(await (await ctx.core.ready_knowledge()).statements())


@cached
async def show(ctx: AnswerContext, id: str) -> Reply:
    """/statement show id:<id>: one statement in full."""
    return statement_reply(await (await ctx.core.ready_knowledge()).statement(id))


@cached
async def quotes(ctx: AnswerContext, search: str) -> Reply:
    """/statement quotes search:<text>: quoted passages containing the words (full-text search)."""
    return quotes_reply(await (await ctx.core.ready_knowledge()).search_quotes(search))


async def complete_statement(ctx: AnswerContext, current: str) -> list[tuple[str, str]]:
    """Statement ids (with kind and date) containing what the user typed."""
    key = current.strip().casefold()
    knowledge = await ctx.core.ready_knowledge()
    return [(label[:100], sid) for sid, label in await knowledge.statement_ids() if key in label.casefold()][:25]
