"""Answers of the /admin group: owner-only maintenance."""

from __future__ import annotations

from bot.answers.context import AnswerContext
from bot.render.knowledge import reload_reply
from bot.render.reply import Reply


async def reload_knowledge(ctx: AnswerContext) -> Reply:
    """/admin reload-knowledge: re-read bot/data/*.toml and report what changed (owners only)."""
    ctx.require_owner()
    return reload_reply(await ctx.core.knowledge.load())
