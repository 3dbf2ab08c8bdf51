"""Answers of the /admin group: owner-only maintenance."""

from __future__ import annotations

from bot.answers.context import AnswerContext
from bot.errors import FetchFailed
from bot.render.knowledge import reload_reply
from bot.render.lists import sync_reply
from bot.render.reply import Reply


async def reload_knowledge(ctx: AnswerContext) -> Reply:
    """/admin reload-knowledge: re-read bot/data/*.toml and report what changed (owners only)."""
    ctx.require_owner()
    return reload_reply(await ctx.core.reload_knowledge())


async def sync(ctx: AnswerContext) -> Reply:
    """/admin sync: fetch and import the list now, as the scheduled sync does; report the version and changes."""
    ctx.require_owner()
    result = await ctx.core.sync.run()
    if result.outcome == "failed":  # recorded by the sync (and retried on schedule); the answer says why
        raise FetchFailed(f"Sync failed; the last good list is kept. {result.error}")
    if result.outcome == "imported":
        await ctx.core.after_import()  # caches, the search index, and watchlist alerts, as after a scheduled sync
    return sync_reply(result)
