"""The fixed labels of an answer in the user's language (field names, title heads, a few headings); data as is."""

from __future__ import annotations

import dataclasses

import discord

from bot.i18n import catalogue_for, label
from bot.render.reply import Page, Reply

_CONTINUED = " (continued)"
_HEADINGS = ("**Possibly out of date:**", "**The last list sync failed**")


def _label(text: str, locale: str) -> str:
    """A whole label, or a label with ' (continued)', or a title 'Head — data' with its head translated."""
    if text.endswith(_CONTINUED):
        return f"{_label(text[: -len(_CONTINUED)], locale)} {label('(continued)', locale)}"
    whole = label(text, locale)
    if whole != text:
        return whole
    head, sep, rest = text.partition(" \u2014 ")
    if sep and label(head, locale) != head:
        return f"{label(head, locale)}{sep}{rest}"
    return text


def _embed(embed: discord.Embed, locale: str) -> discord.Embed:
    data = embed.to_dict()
    if "title" in data:
        data["title"] = _label(data["title"], locale)
    for field in data.get("fields", []):
        field["name"] = _label(field["name"], locale)
    return discord.Embed.from_dict(data)


def localise_reply(reply: Reply, locale: str | None) -> Reply:
    """The reply with its fixed labels in the user's language; the same reply for English and untranslated ones."""
    if catalogue_for(locale) is None or locale is None:
        return reply
    pages = []
    for page in reply.pages:
        content = page.content
        if content:
            for heading in _HEADINGS:
                content = content.replace(heading, label(heading, locale))
        pages.append(Page([_embed(e, locale) for e in page.embeds], content))
    links = [(label(text, locale), url) for text, url in reply.links]
    return dataclasses.replace(reply, pages=pages, links=links, locale=locale)
