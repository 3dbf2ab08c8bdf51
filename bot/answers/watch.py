"""Answers of the /watch group: a server's watched names and references, and where its alerts go."""

from __future__ import annotations

from bot.answers.context import AnswerContext
from bot.render import watch as render
from bot.render.reply import Reply


async def add(ctx: AnswerContext, target: str, note: str | None = None) -> Reply:
    """/watch add: watch a reference number exactly or a name fuzzily; says what it matches today."""
    guild_id = ctx.require_manager()
    await ctx.core.ready_search()  # a watch says at once what it matches today
    result = await ctx.core.watches.add(guild_id, target, note, user_id=ctx.user_id)
    return render.added_reply(result)


async def list_watches(ctx: AnswerContext) -> Reply:
    """/watch list: every watch with what it matches now, the alert channel, threshold, ping and pause."""
    guild_id = ctx.require_manager()
    await ctx.core.ready_search()
    return render.list_reply(await ctx.core.watches.overview(guild_id))


async def remove(ctx: AnswerContext, watch_id: int) -> Reply:
    """/watch remove: stop one watch (by the id /watch list shows)."""
    guild_id = ctx.require_manager()
    return render.removed_reply(await ctx.core.watches.remove(guild_id, watch_id))


async def channel(ctx: AnswerContext, channel: int) -> Reply:
    """/watch channel: where alerts go (also resumes paused alerts)."""
    guild_id = ctx.require_manager()
    server, pending = await ctx.core.watches.set_channel(guild_id, channel)
    return render.channel_reply(server, pending, connected=ctx.core.watches.deliverer is not None)


async def threshold(ctx: AnswerContext, value: int) -> Reply:
    """/watch threshold: the search score (50–100) at which watched names alert."""
    guild_id = ctx.require_manager()
    return render.threshold_reply(await ctx.core.watches.set_threshold(guild_id, value))


async def ping(ctx: AnswerContext, role: int | None = None, role_name: str | None = None) -> Reply:
    """/watch ping: mention one role in alerts, or (without a role) nobody."""
    guild_id = ctx.require_manager()
    return render.ping_reply(await ctx.core.watches.set_ping(guild_id, role, role_name))


async def test(ctx: AnswerContext) -> Reply:
    """/watch test: which watches would fire against the latest change set (only to you)."""
    guild_id = ctx.require_manager()
    return render.test_reply(await ctx.core.watches.test(guild_id))
