"""Long text and many fields packed into embeds, each within Discord's per-embed limits, nothing lost."""

from __future__ import annotations

import discord

from bot.render import limits
from bot.render.common import COLOUR
from bot.render.limits import truncate
from bot.render.reply import make_embed

# Room left in an embed for its title, footer and field names: we pack fields up to this, not to 6,000.
_EMBED_BUDGET = 5600
CHUNK = 3800  # description chunk for long narratives and change lists


def split_text(text: str, limit: int) -> list[str]:
    """Text in pieces of at most `limit` characters, cut between words; a piece that goes on ends with '…'."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        cut = rest.rfind(" ", 0, limit - 1)
        if cut <= limit // 2:
            cut = limit - 1  # one very long token: cut it, the ellipsis says so
        pieces.append(rest[:cut].rstrip() + limits.ELLIPSIS)
        rest = rest[cut:].strip()
    if rest or not pieces:
        pieces.append(rest)
    return pieces


def field_chunks(name: str, lines: list[str], inline: bool = False) -> list[tuple[str, str, bool]]:
    """One or more fields holding the lines, each within 1,024 characters; later ones say '(continued)'."""
    out: list[tuple[str, str, bool]] = []
    current: list[str] = []
    size = 0
    for line in lines:
        for piece in split_text(line, limits.FIELD_VALUE):
            if current and size + len(piece) + 1 > limits.FIELD_VALUE:
                out.append((name if not out else f"{name} (continued)", "\n".join(current), inline))
                current, size = [], 0
            current.append(piece)
            size += len(piece) + 1
    if current:
        out.append((name if not out else f"{name} (continued)", "\n".join(current), inline))
    return out


def pack(title: str, description: str, fields: list[tuple[str, str, bool]], footer: str) -> list[discord.Embed]:
    """Embeds holding a long description and many fields, each within Discord's per-embed limits."""
    chunks = split_text(description, CHUNK) if description else [""]
    embeds: list[discord.Embed] = [
        make_embed(title if i == 0 else f"{title} (continued)", chunk, footer=footer, colour=COLOUR)
        for i, chunk in enumerate(chunks)
    ]
    current = embeds[-1]
    for name, value, inline in fields:
        name_, value_ = truncate(name, limits.FIELD_NAME), truncate(value, limits.FIELD_VALUE)
        if len(current.fields) >= limits.FIELDS or len(current) + len(name_) + len(value_) > _EMBED_BUDGET:
            current = make_embed(f"{title} (continued)", footer=footer, colour=COLOUR)
            embeds.append(current)
        current.add_field(name=name_, value=value_, inline=inline)
    return embeds
