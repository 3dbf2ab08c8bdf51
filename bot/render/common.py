"""Small pieces every answer uses: colours, the list-version footer, error replies."""

from __future__ import annotations

from bot.models import ListVersion
from bot.render.reply import Reply, make_embed

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
