"""Answers kept until what they are made of changes: the list version, the knowledge files, the day, the locale.

Most read commands answer from data that changes only when a list version is imported or the knowledge files are
reloaded, yet each answer costs several milliseconds of queries and rendering. `@cached` keeps the finished Reply
per command and options (a bounded LRU on the core), keyed by the list version and knowledge revision in use, the
day (answers check dates against today) and the locale; a new version or a reload makes new keys, and old ones age
out. Errors are never kept: a refused option is worked out (cheaply) each time. A Reply is only read when sent (the
pager builds its own view per message), so one Reply can answer many interactions.

The freshness warning ("possibly out of date", a failed sync) follows the clock and the sync record, not the list:
it is left out of what is kept and put on each answer as it goes out (`AnswerContext.fresh`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

from bot.answers.context import AnswerContext
from bot.render.reply import Reply

# Replies kept per process: the read commands times their common options, with room to spare (a few MB at most).
MAX_CACHED = 256


@dataclasses.dataclass(frozen=True)
class _Recording(AnswerContext):
    """The caller's context, except that fresh() only notes that the answer wants the freshness warning."""

    wants_fresh: list[bool] = dataclasses.field(default_factory=list)

    async def fresh(self, reply: Reply) -> Reply:
        """Note it; the warning is added to every copy as it goes out."""
        self.wants_fresh.append(True)
        return reply


def _recording(ctx: AnswerContext) -> _Recording:
    return _Recording(**{f.name: getattr(ctx, f.name) for f in dataclasses.fields(AnswerContext)})


# What else a kept answer depends on (`cached(also=…)`): read from the caller's context when it is looked up.
Also = Callable[[AnswerContext], Hashable]


def cache_key(ctx: AnswerContext, name: str, options: dict[str, Any], also: Also | None = None) -> Hashable:
    """What an answer depends on besides its code: command, options, list version, knowledge, day and locale
    (and what `also` adds)."""
    version = ctx.core.lists.version
    return (
        name,
        tuple(sorted(options.items())),
        version.id if version is not None else None,
        ctx.core.knowledge_revision,
        ctx.now.date(),
        ctx.locale,
        None if also is None else also(ctx),
    )


@dataclasses.dataclass(frozen=True)
class Kept:
    """A kept answer: its cache key, the reply (without the freshness warning) and whether it wants one."""

    key: Hashable
    reply: Reply
    wants_fresh: bool


def kept(fn: Callable[..., Awaitable[Reply]], ctx: AnswerContext, options: dict[str, Any]) -> Kept | None:
    """fn's kept answer for these options, working nothing out: None if fn is not @cached or holds none yet."""
    name = getattr(fn, _NAME, None)
    if name is None:
        return None
    store = ctx.core.answer_cache
    key = cache_key(ctx, name, options, getattr(fn, _ALSO, None))
    found: tuple[Reply, bool] | None = store.get(key)  # type: ignore[assignment]
    if found is None:
        return None
    store.move_to_end(key)
    return Kept(key, *found)


_NAME = "_answer_cache_name"
_ALSO = "_answer_cache_also"


def pending(
    fn: Callable[..., Awaitable[Reply]], ctx: AnswerContext, options: dict[str, Any]
) -> asyncio.Future[Any] | None:
    """The answer being worked out right now for the same question, if any: wait for it (shielded) rather than
    working it out again. Its result is the kept answer, or None if that work failed (errors are not shared)."""
    name = getattr(fn, _NAME, None)
    if name is None:
        return None
    return ctx.core.answer_pending.get(cache_key(ctx, name, options, getattr(fn, _ALSO, None)))


def cached(fn: Callable[..., Awaitable[Reply]]) -> Callable[..., Awaitable[Reply]]:
    """Keep fn's replies per cache_key (only for answers that read nothing else: no server, user or clock time).
    The same question asked again while it is being worked out (a burst) waits for that work, once."""
    return kept_by(None)(fn)


def kept_by(also: Also | None) -> Callable[[Callable[..., Awaitable[Reply]]], Callable[..., Awaitable[Reply]]]:
    """`cached`, with `also(ctx)` part of the key: what else the answer reads (a time bucket, a write counter)."""
    return functools.partial(_cached, also=also)


def _cached(fn: Callable[..., Awaitable[Reply]], also: Also | None) -> Callable[..., Awaitable[Reply]]:
    name = f"{fn.__module__}.{fn.__qualname__}"

    async def work_out(ctx: AnswerContext, key: Hashable, options: dict[str, Any]) -> tuple[Reply, bool]:
        running = ctx.core.answer_pending
        waiting = running.get(key)
        if waiting is not None:
            shared = await asyncio.shield(waiting)
            if shared is not None:
                return shared  # type: ignore[return-value]
        future: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        running[key] = future
        result: tuple[Reply, bool] | None = None
        try:
            recording = _recording(ctx)
            result = (await fn(recording, **options), bool(recording.wants_fresh))
            if key == cache_key(ctx, name, options, also):  # nothing changed while it was worked out
                store = ctx.core.answer_cache
                store[key] = result
                while len(store) > MAX_CACHED:
                    store.popitem(last=False)
            return result
        finally:
            if running.get(key) is future:
                del running[key]
            future.set_result(result)  # None after a failure: each waiter then works it out (and fails) itself

    @functools.wraps(fn)
    async def wrapper(ctx: AnswerContext, **options: Any) -> Reply:
        store = ctx.core.answer_cache
        key = cache_key(ctx, name, options, also)
        kept: tuple[Reply, bool] | None = store.get(key)  # type: ignore[assignment]
        if kept is None:
            kept = await work_out(ctx, key, options)
        else:
            store.move_to_end(key)
        reply, wants_fresh = kept
        return await ctx.fresh(reply) if wants_fresh else reply

    setattr(wrapper, _NAME, name)  # what kept() and pending() look answers up by
    setattr(wrapper, _ALSO, also)
    return wrapper
