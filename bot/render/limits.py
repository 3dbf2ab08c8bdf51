"""Discord's message limits, and text helpers that keep within them without breaking words or links."""

from __future__ import annotations

import re

import discord

from bot.text import one_line

# Re-exported: render strips what nobody can see with the same helper as everyone else.
from bot.text import strip_invisible as strip_invisible

CONTENT = 2000
TITLE = 256
DESCRIPTION = 4096
FIELDS = 25
FIELD_NAME = 256
FIELD_VALUE = 1024
FOOTER = 2048
AUTHOR = 256
EMBEDS_PER_MESSAGE = 10
EMBED_TOTAL = 6000
CHOICES = 25
CHOICE_NAME = 100
CHOICE_VALUE = 100

ELLIPSIS = "…"
_MENTION = re.compile(r"@(everyone|here)|<(@[!&]?|#)(\d+)>")


def truncate(text: str, limit: int) -> str:
    """Fit text into `limit` characters, cutting at a word boundary and ending with an ellipsis."""
    if len(text) <= limit:
        return text
    if limit <= 1:
        return ELLIPSIS[:limit]
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    # Only back up to a space if that keeps most of the text; one long token is cut mid-token with "…".
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip() + ELLIPSIS


def escape(text: str) -> str:
    """Make user- or feed-supplied text inert: no markdown, no mentions, no invisible tricks."""
    text = strip_invisible(text)
    text = discord.utils.escape_markdown(text)
    # A zero-width space after "@" or "<" defuses mentions even if allowed_mentions were ever forgotten.
    return _MENTION.sub(lambda m: m.group(0).replace("@", "@\u200b").replace("<#", "<\u200b#"), text)


def echo(text: str, limit: int = 80) -> str:
    """A short, escaped quotation of what a user typed, for error messages."""
    return escape(truncate(one_line(text), limit))


def embed_length(embed: discord.Embed) -> int:
    """Characters that count towards the 6,000 total (title, description, fields, footer, author)."""
    return len(embed)


def total_length(embeds: list[discord.Embed]) -> int:
    """The combined length of several embeds, as Discord counts it for one message."""
    return sum(len(e) for e in embeds)
