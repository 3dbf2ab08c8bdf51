"""Answers of the /sanctions group: one function per command, shared by Discord and `sanctionsbot ask`."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from bot.answers.cache import cached
from bot.answers.context import AnswerContext
from bot.errors import InvalidOption, UnknownReference, UnknownRegime, quote
from bot.references import parse_loose
from bot.render.as_of import count_as_of_reply
from bot.render.changes import changes_reply
from bot.render.common import count_phrase
from bot.render.entry import entry_reply
from bot.render.lists import count_reply
from bot.render.regimes import regimes_reply
from bot.render.reply import Reply
from bot.render.search import names_reply, search_reply
from bot.render.timeline import timeline_reply
from bot.services.history import parse_day
from bot.text import one_line

if TYPE_CHECKING:
    from bot.services.search import SearchService

KINDS = ("individual", "entity")


def _blank(value: str | None) -> bool:
    return value is None or not value.strip()


async def _latest_regime(ctx: AnswerContext, regime: str | None, hint: str) -> str | None:
    """A regime of the latest list (None for all); one only older versions hold (Iran, Mali) is refused
    with a message saying so, not with a 'did you mean' for a different regime."""
    version = ctx.core.lists.require_version()  # no list yet: say that, whatever the regime
    if _blank(regime):
        return None
    try:
        return ctx.core.lists.resolve_regime(regime or "")
    except UnknownRegime:
        past = await ctx.core.history.resolve_any_regime(regime)  # UnknownRegime for a regime never listed
        raise InvalidOption(
            "regime", f"{past} has no entries on the latest list (version of {version.generated_date}); {hint}"
        ) from None


@cached
async def count(ctx: AnswerContext, regime: str | None = None, as_of: str | None = None) -> Reply:
    """/sanctions count [regime] [as_of]: individuals and entities on the latest list, or on a past date."""
    if _blank(as_of):
        ctx.core.lists.require_version()
        if not _blank(regime):
            try:
                ctx.core.lists.resolve_regime(regime or "")
            except UnknownRegime:
                # A regime only older versions hold (Iran, Mali): the true answer is 0, and why.
                past = await ctx.core.history.resolve_any_regime(regime)
                if past is not None:
                    return await ctx.fresh(count_reply(await ctx.core.history.absent_count(past)))
        scope = await _latest_regime(ctx, regime, "add as_of:YYYY-MM-DD to count it on an earlier date")
        return await ctx.fresh(count_reply(ctx.core.lists.counts(scope)))
    ctx.core.lists.require_version()
    day = parse_day("as_of", as_of or "", ctx.now.date())
    scope = await ctx.core.history.resolve_any_regime(regime)
    answer = await ctx.core.history.count_as_of(day, scope)
    reply = count_as_of_reply(answer)
    return await ctx.fresh(reply) if answer.method == "latest" else reply


@cached
async def search(ctx: AnswerContext, name: str, regime: str | None = None, kind: str | None = None) -> Reply:
    """/sanctions search name [regime] [kind]: the best matches on the latest list, five to a page."""
    from bot.services.search import check_query  # numpy and rapidfuzz: only for commands that search

    if kind is not None and kind not in KINDS:
        raise InvalidOption("kind", "choose individual or entity")
    index = (await ctx.core.ready_search()).require_index()
    typed = parse_loose(" ".join(name.split()))
    if typed is not None and typed.canonical:  # a reference number, not a name: answer with that entry
        try:
            record = await ctx.core.history.entry(index.resolve_reference(typed.canonical))
        except UnknownReference as exc:
            raise await _unknown_reference(ctx, exc, option="name") from None
        return await ctx.fresh(entry_reply(record, searched=name))
    check_query(name)  # the name's problems first, then the regime's
    scope = await _latest_regime(ctx, regime, "names are searched on the latest list only")
    results = ctx.core.search.search_names(name, regime=scope, kind=kind)
    return await ctx.fresh(search_reply(results[0]) if len(results) == 1 else names_reply(results))


@cached
async def entry(ctx: AnswerContext, reference: str) -> Reply:
    """/sanctions entry reference: the whole record and its history across imported versions."""
    try:
        resolved = (await ctx.core.ready_search()).resolve_reference(reference)
        record = await ctx.core.history.entry(resolved)
    except UnknownReference as exc:
        raise await _unknown_reference(ctx, exc) from None
    return await ctx.fresh(entry_reply(record))


async def _unknown_reference(
    ctx: AnswerContext, exc: UnknownReference, option: str = "reference"
) -> UnknownReference | InvalidOption:
    """A well-formed reference that is not listed: say which numbers of its kind the list holds (computed from
    the latest list), instead of 'did you mean' numbers that merely look alike."""
    typed = parse_loose(exc.reference.strip())
    if typed is None or not typed.dotted or len(typed.digits) > 5:
        return exc
    span = await ctx.core.history.reference_span(typed.letters + typed.kind)
    if span is None:
        return exc
    first, last, count = span
    prefix = first.split(".", 1)[0]
    version = ctx.core.lists.require_version()
    text = (
        f"{quote(exc.reference.strip())} is not on the list, now or in any imported version. The {prefix} numbers on "
        f"the latest list (version of {version.generated_date}) run from {first} to {last} "
        f"({count_phrase(count, 'entry', 'entries')})."
    )
    low, high = int(first.split(".")[1]), int(last.split(".")[1])
    if low <= int(typed.digits) <= high and exc.suggestions:
        text += " Close numbers: " + ", ".join(quote(s) for s in exc.suggestions) + "."
    return InvalidOption(option, text)


@cached
async def changes(ctx: AnswerContext, regime: str | None = None, since: str | None = None) -> Reply:
    """/sanctions changes [regime] [since]: additions, removals and amendments, newest version first."""
    ctx.core.lists.require_version()
    day = None if _blank(since) else parse_day("since", since or "", ctx.now.date())
    scope = await ctx.core.history.resolve_any_regime(regime)
    return await ctx.fresh(changes_reply(await ctx.core.history.changes(day, scope)))


@cached
async def regimes(ctx: AnswerContext) -> Reply:
    """/sanctions regimes: every regime with its committee, reference prefixes and counts."""
    ctx.core.lists.require_version()
    return await ctx.fresh(regimes_reply(await ctx.core.history.regimes()))


@cached
async def timeline(ctx: AnswerContext, regime: str | None = None) -> Reply:
    """/sanctions timeline [regime]: a chart of designations per year (drawn in a worker thread)."""
    ctx.core.lists.require_version()
    scope = await _latest_regime(ctx, regime, "the chart shows the latest list only")
    data = await ctx.core.history.timeline(scope)
    return await ctx.fresh(await asyncio.to_thread(timeline_reply, data))


async def complete_regime(ctx: AnswerContext, current: str) -> list[tuple[str, str]]:
    """Regime names starting with (then containing) what the user typed."""
    key = current.strip().casefold()
    names = ctx.core.lists.regimes()
    starts = [n for n in names if n.casefold().startswith(key)]
    contains = [n for n in names if key in n.casefold() and n not in starts]
    return [(n, n) for n in (starts + contains)[:25]]


# Discord drops an autocomplete answer after 3 seconds. While a large list's index is still being built (after an
# import made while the bot was down) suggestions do not wait for it: they offer what was typed, and the command
# itself waits for the index.
CHOICES_WAIT_SECONDS = 1.0


async def _search_for_choices(ctx: AnswerContext) -> SearchService | None:
    """The search service once its index is ready, or None if it is not ready within CHOICES_WAIT_SECONDS."""
    ready = asyncio.ensure_future(ctx.core.ready_search())
    done, _ = await asyncio.wait({ready}, timeout=CHOICES_WAIT_SECONDS)
    if not done:
        ready.add_done_callback(lambda task: task.cancelled() or task.exception())  # the build goes on; its
        return None  # failure, if any, is the command's to report
    return ready.result()


def _still_loading(current: str) -> list[tuple[str, str]]:
    typed = one_line(current)[:100]
    return [(f"{typed[:70]} (suggestions still loading)", typed)] if typed else []


async def complete_name(ctx: AnswerContext, current: str) -> list[tuple[str, str]]:
    """Names (primary, aliases, original script) starting with what the user typed; close spellings after."""
    search = await _search_for_choices(ctx)
    return search.name_choices(current) if search is not None else _still_loading(current)


async def complete_reference(ctx: AnswerContext, current: str) -> list[tuple[str, str]]:
    """Reference numbers starting with what the user typed, then entries whose name does."""
    search = await _search_for_choices(ctx)
    return search.reference_choices(current) if search is not None else _still_loading(current)
