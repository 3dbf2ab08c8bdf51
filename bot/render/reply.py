"""The answer to a command, independent of how it is delivered (an interaction, a channel message, the terminal)."""

from __future__ import annotations

from dataclasses import dataclass, field

import discord

from bot.render import limits


@dataclass(frozen=True)
class Attachment:
    """A file sent with the answer (e.g. a PNG chart)."""

    filename: str
    data: bytes
    description: str | None = None

    def to_file(self) -> discord.File:
        """A discord.File for sending (a fresh one each time: files are consumed when sent)."""
        import io

        return discord.File(io.BytesIO(self.data), filename=self.filename, description=self.description)


@dataclass
class Page:
    """One screenful: some text and up to ten embeds, within 6,000 characters in total."""

    embeds: list[discord.Embed] = field(default_factory=list)
    content: str | None = None


@dataclass
class Reply:
    """What a command answers: one or more pages (more than one gets Previous/Next buttons), maybe files."""

    pages: list[Page]
    ephemeral: bool = False
    files: list[Attachment] = field(default_factory=list)
    # Link buttons under the answer: (label, https URL), e.g. /about's invite.
    links: list[tuple[str, str]] = field(default_factory=list)
    locale: str | None = None  # the reader's language, once localised (the pager's buttons follow it)

    @classmethod
    def embed(
        cls,
        embed: discord.Embed,
        *,
        ephemeral: bool = False,
        files: list[Attachment] | None = None,
        links: list[tuple[str, str]] | None = None,
    ) -> Reply:
        """A one-embed answer."""
        return cls([Page([embed])], ephemeral=ephemeral, files=files or [], links=links or [])

    @classmethod
    def text(cls, content: str, *, ephemeral: bool = False) -> Reply:
        """A plain-text answer (cut to Discord's 2,000 characters)."""
        return cls([Page(content=limits.truncate(content, limits.CONTENT))], ephemeral=ephemeral)

    @property
    def first(self) -> Page:
        """The page shown first."""
        return self.pages[0]


def make_embed(
    title: str,
    description: str = "",
    *,
    fields: list[tuple[str, str, bool]] | None = None,
    footer: str | None = None,
    colour: int | None = None,
    url: str | None = None,
) -> discord.Embed:
    """An embed with every part cut to Discord's limits (words kept whole, ellipsis added)."""
    embed = discord.Embed(
        title=limits.truncate(title, limits.TITLE),
        description=limits.truncate(description, limits.DESCRIPTION) if description else None,
        colour=colour,
        url=url,
    )
    for name, value, inline in (fields or [])[: limits.FIELDS]:
        embed.add_field(
            name=limits.truncate(name or "\u200b", limits.FIELD_NAME),
            value=limits.truncate(value or "—", limits.FIELD_VALUE),
            inline=inline,
        )
    if footer:
        embed.set_footer(text=limits.truncate(footer, limits.FOOTER))
    return embed


def paginate_embeds(
    embeds: list[discord.Embed], *, per_page: int = limits.EMBEDS_PER_MESSAGE, total: int = limits.EMBED_TOTAL
) -> list[Page]:
    """Group embeds into pages of at most `per_page` embeds and `total` (6,000) characters each."""
    pages: list[Page] = []
    current: list[discord.Embed] = []
    size = 0
    for embed in embeds:
        length = len(embed)
        if current and (len(current) >= per_page or size + length > total):
            pages.append(Page(current))
            current, size = [], 0
        current.append(embed)
        size += length
    if current or not pages:
        pages.append(Page(current))
    return pages
