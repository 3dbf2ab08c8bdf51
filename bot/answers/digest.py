"""Answers of the /digest group: subscriptions, their status, previews and sending now."""

from __future__ import annotations

from bot.answers.context import AnswerContext
from bot.render import digest as render
from bot.render.reply import Reply
from bot.services.scheduler import complete_timezone as _complete_timezone


async def subscribe(
    ctx: AnswerContext,
    channel: int,
    time: str,
    timezone: str,
    cadence: str | None = None,
    weekday: str | None = None,
    post_empty: bool = False,
) -> Reply:
    """/digest subscribe: post a digest in a channel every day (or week) at a local time."""
    guild_id = ctx.require_manager()
    result = await ctx.core.digests.subscribe(
        guild_id,
        channel,
        time_text=time,
        timezone=timezone,
        cadence=cadence,
        weekday=weekday,
        post_empty=post_empty,
    )
    return render.subscribed_reply(result.subscription, result.created, result.feeds, result.keywords)


async def unsubscribe(ctx: AnswerContext, channel: int) -> Reply:
    """/digest unsubscribe: stop a channel's digest."""
    guild_id = ctx.require_manager()
    await ctx.core.digests.unsubscribe(guild_id, channel)
    return render.unsubscribed_reply(channel)


async def status(ctx: AnswerContext) -> Reply:
    """/digest status: subscriptions, next runs, last deliveries, pauses, and feed health."""
    guild_id = ctx.require_manager()
    subs = await ctx.core.digests.status(guild_id)
    feeds = await ctx.core.feeds.guild_feeds(guild_id)
    words = await ctx.core.feeds.keywords(guild_id)
    return render.status_reply(subs, feeds, words)


async def preview(ctx: AnswerContext, channel: int | None = None) -> Reply:
    """/digest preview: exactly what the next digest would post now (feeds refreshed first), only to you."""
    guild_id = ctx.require_manager()
    result = await ctx.core.digests.preview(guild_id, channel)
    sub = result.subscription
    reply = render.preview_reply(render.digest_pages(result.digest, result.tz), sub.channel_id if sub else None)
    if result.would_skip:
        reply.pages[0].content = (reply.pages[0].content or "") + (
            " Nothing is new, so this digest would be skipped (post_empty is off)."
        )
    return reply


async def send_now(ctx: AnswerContext, channel: int) -> Reply:
    """/digest send-now: post a channel's digest at once."""
    guild_id = ctx.require_manager()
    result = await ctx.core.digests.send_now(guild_id, channel)
    return render.sent_reply(
        result.channel_id, result.messages, result.item_count, result.change_count, pending=result.pending
    )


async def complete_timezone(ctx: AnswerContext, current: str) -> list[tuple[str, str]]:
    """IANA zone names containing what was typed."""
    return [(name, name) for name in _complete_timezone(current)]
