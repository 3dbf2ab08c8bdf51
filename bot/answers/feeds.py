"""Answers of the /feeds group: a server's news feeds and keywords."""

from __future__ import annotations

from bot.answers.context import AnswerContext
from bot.render import digest as render
from bot.render.reply import Reply


async def add(ctx: AnswerContext, url: str, name: str | None = None) -> Reply:
    """/feeds add: follow an RSS or Atom feed (what it holds now counts as already seen)."""
    guild_id = ctx.require_manager()
    added = await ctx.core.feeds.add(guild_id, url, name)
    return render.feed_added_reply(added.guild_feed, added.items, added.warning)


async def remove(ctx: AnswerContext, feed: str) -> Reply:
    """/feeds remove: stop following a feed (by name, address or number in /feeds list)."""
    guild_id = ctx.require_manager()
    return render.feed_removed_reply(await ctx.core.feeds.remove(guild_id, feed))


async def list_(ctx: AnswerContext) -> Reply:
    """/feeds list: the server's feeds with their health."""
    guild_id = ctx.require_manager()
    feeds = await ctx.core.feeds.guild_feeds(guild_id)
    return render.feeds_reply(feeds, ctx.core.feeds.poller.poll_minutes)


async def keywords_list(ctx: AnswerContext) -> Reply:
    """/feeds keywords list."""
    guild_id = ctx.require_manager()
    return render.keywords_reply(await ctx.core.feeds.keywords(guild_id))


async def keywords_set(ctx: AnswerContext, keywords: str) -> Reply:
    """/feeds keywords set: replace the server's keywords (comma-separated)."""
    guild_id = ctx.require_manager()
    words = await ctx.core.feeds.set_keywords(guild_id, keywords)
    return render.keywords_reply(words, title="Keywords set")


async def keywords_add(ctx: AnswerContext, keywords: str) -> Reply:
    """/feeds keywords add: add keywords (comma-separated)."""
    guild_id = ctx.require_manager()
    added = await ctx.core.feeds.add_keywords(guild_id, keywords)
    note = f"Added: {', '.join(render.inert(w, 60) for w in added)}." if added else "Those were already there."
    return render.keywords_reply(await ctx.core.feeds.keywords(guild_id), title="Keywords", note=note)


async def keywords_remove(ctx: AnswerContext, keywords: str) -> Reply:
    """/feeds keywords remove: remove keywords (comma-separated)."""
    guild_id = ctx.require_manager()
    removed = await ctx.core.feeds.remove_keywords(guild_id, keywords)
    note = f"Removed: {', '.join(render.inert(w, 60) for w in removed)}."
    return render.keywords_reply(await ctx.core.feeds.keywords(guild_id), title="Keywords", note=note)


async def complete_feed(ctx: AnswerContext, current: str) -> list[tuple[str, str]]:
    """The server's feeds whose name or address contains what was typed."""
    if ctx.guild_id is None or not ctx.can_manage_guild:
        return []
    key = current.strip().casefold()
    out = []
    for name, url in await ctx.core.feeds.feed_names_as_set(ctx.guild_id):
        if key in name.casefold() or key in url.casefold():
            out.append((name[:100], name[:100]))  # names are at most 100 characters, like choices
    return out[:25]


async def complete_keyword(ctx: AnswerContext, current: str) -> list[tuple[str, str]]:
    """The server's keywords containing what was typed."""
    if ctx.guild_id is None or not ctx.can_manage_guild:
        return []
    key = current.strip().casefold()
    return [(w, w) for w in await ctx.core.feeds.keywords_as_set(ctx.guild_id) if key in w.casefold()][:25]
