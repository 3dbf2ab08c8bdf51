"""Answers about the bot itself: /about and /help."""

from __future__ import annotations

from bot import __version__
from bot.answers.cache import cached
from bot.answers.context import AnswerContext
from bot.redact import redact_url
from bot.render.lists import AboutInfo, about_reply, help_reply
from bot.render.reply import Reply
from bot.services.lists import assess_freshness


async def about(ctx: AnswerContext) -> Reply:
    """/about: bot version, list version, sync health, data sources."""
    core = ctx.core
    extra: list[tuple[str, str]] = []
    for section in core.about_sections:
        extra.extend(await section())
    sync = await core.lists.sync_status()
    version = core.lists.version
    info = AboutInfo(
        bot_version=__version__,
        version=version,
        sync=sync,
        freshness=None
        if version is None
        else assess_freshness(version, sync, ctx.now, core.settings.list_max_age_hours),
        list_url=redact_url(core.settings.un_list_url),
        store_error=core.db.last_write_error,
        extra_fields=tuple(extra),
        application_id=ctx.application_id,
    )
    return about_reply(info)


@cached
async def help_(ctx: AnswerContext) -> Reply:
    """/help: every command with what it does, grouped by its top-level name."""
    return help_reply(ctx.core.command_index, ctx.locale)
