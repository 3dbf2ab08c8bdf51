"""Small pieces every answer uses: colours, the list-version footer, error replies."""

from __future__ import annotations

import dataclasses
import datetime as dt

from bot.models import ListVersion
from bot.render import limits
from bot.render.reply import Reply, make_embed
from bot.services.lists import Freshness

COLOUR = 0x009EDB  # UN blue
ERROR_COLOUR = 0xD9534F


def version_footer(version: ListVersion | None, extra: str | None = None) -> str:
    """'UN list version of YYYY-MM-DD' (the generation date), plus anything else worth saying."""
    text = f"UN list version of {version.generated_date}" if version else "UN list not loaded yet"
    return f"{text} · {extra}" if extra else text


def error_reply(message: str) -> Reply:
    """A short, ephemeral explanation of what went wrong."""
    return Reply.embed(make_embed("That did not work", message, colour=ERROR_COLOUR), ephemeral=True)


def count_phrase(n: int, singular: str, plural: str | None = None) -> str:
    """'1 entity', '75 entities'."""
    return f"{n:,} {singular if n == 1 else (plural or singular + 's')}"


def discord_time(when: dt.datetime, style: str = "f") -> str:
    """Discord's timestamp markup (`<t:…:f>`): every reader sees the moment in their own time zone."""
    return f"<t:{int(when.timestamp())}:{style}>"


def age_words(hours: float) -> str:
    """'5 hours', '3 days', '26 months', '2 years' — the coarse unit a reader needs."""
    if hours < 72:
        return count_phrase(max(1, round(hours)), "hour")
    days = hours / 24
    if days < 62:
        return count_phrase(round(days), "day")
    months = days / 30.44
    if months < 36:
        return count_phrase(round(months), "month")
    return count_phrase(round(months / 12), "year")


def freshness_note(freshness: Freshness) -> str | None:
    """A warning when the list is older than LIST_MAX_AGE_HOURS or the last sync failed; None when all is well."""
    lines = []
    date = freshness.version.generated_date
    if freshness.stale:
        lines.append(
            f"\u26a0\ufe0f **Possibly out of date:** this answer uses the UN list version of {date}, last known to be "
            f"current {age_words(freshness.age_hours)} ago ({discord_time(freshness.confirmed_at, 'D')}); "
            f"lists older than {count_phrase(freshness.max_age_hours, 'hour')} are flagged."
        )
    if freshness.sync_failing:
        error = limits.truncate(limits.strip_invisible(freshness.last_error or ""), 300)
        lines.append(
            f"\u26a0\ufe0f **The last list sync failed** "
            f"({count_phrase(freshness.failures, 'failure')} in a row: {limits.escape(error)}); "
            f"the answer uses the last good data, the version of {date}."
        )
    return "\n".join(lines) or None


def with_note(reply: Reply, note: str | None) -> Reply:
    """The reply with a warning (freshness_note) above every page, so turning pages keeps it in view; the same
    reply without one."""
    if note is None:
        return reply
    pages = [
        dataclasses.replace(page, content=limits.truncate(f"{note}\n{page.content}" if page.content else note, 2000))
        for page in reply.pages
    ]
    return dataclasses.replace(reply, pages=pages)
