"""Answers about the bot itself: /about and /help."""

from __future__ import annotations

import time
from collections.abc import Hashable

from bot import __version__
from bot.answers.cache import cached, kept_by
from bot.answers.context import AnswerContext
from bot.redact import redact_url
from bot.render.lists import AboutInfo, about_reply, help_reply
from bot.render.reply import Reply
from bot.services.lists import assess_freshness

# /about reads a dozen tables and services (about 3 ms a time): its answer is kept for at most this long, and
# says when its figures were read. Any write this process commits, a failing store or background job, a new list
# version or knowledge revision makes a new one at once; the window covers the rest (the list's age, other
# processes' writes).
ABOUT_REUSE_SECONDS = 10.0


def _about_depends_on(ctx: AnswerContext) -> Hashable:
    """What /about reads besides the list version and knowledge: this process's writes, the store's and the
    background jobs' failures, the application (its invite links), and the time, in ABOUT_REUSE_SECONDS steps."""
    core = ctx.core
    failing = tuple((s.name, s.failures) for s in core.loops.states() if s.failures)
    window = int(time.monotonic() // ABOUT_REUSE_SECONDS) if ABOUT_REUSE_SECONDS > 0 else time.monotonic()
    return (core.db.writes, core.db.last_write_error, failing, ctx.application_id, window)


@kept_by(_about_depends_on)
async def about(ctx: AnswerContext) -> Reply:
    """/about: bot version, list version, sync health, data sources (as of the moment they were read)."""
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
        as_of=ctx.now,
    )
    return about_reply(info)


@cached
async def help_(ctx: AnswerContext) -> Reply:
    """/help: every command with what it does, grouped by its top-level name."""
    return help_reply(ctx.core.command_index, ctx.locale)
