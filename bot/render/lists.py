"""Answers about the list as it stands: counts and the bot's own status."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlencode

import discord

from bot.i18n import translated
from bot.models import CommandInfo, ListVersion, SyncStatus
from bot.render.common import COLOUR, age_words, count_phrase, discord_time, freshness_note, version_footer
from bot.render.reply import Reply, make_embed, paginate_embeds
from bot.services.lists import CountAnswer, Freshness, parse_time

if TYPE_CHECKING:  # the sync service (and the importer behind it) loads only where a sync runs
    import datetime as dt

    from bot.services.sync import SyncResult


def count_reply(answer: CountAnswer) -> Reply:
    """Counts for one regime (a sentence and three fields) or all regimes (a table)."""
    footer = version_footer(answer.version)
    if answer.regime is not None:
        counts = answer.counts[0]
        text = (
            f"**{count_phrase(counts.individuals, 'individual')}** and "
            f"**{count_phrase(counts.entities, 'entity', 'entities')}** "
            f"are on the UN Security Council Consolidated List under the {answer.regime} regime."
        )
        if counts.total == 0:
            text += (
                f" The latest imported list (version of {answer.version.generated_date}) has no {answer.regime} "
                "entries."
            )
            if answer.last_held is not None:
                held_in, held = answer.last_held
                text += (
                    f" The last imported version with any was that of {held_in.generated_date}: "
                    f"{count_phrase(held.individuals, 'individual')} and "
                    f"{count_phrase(held.entities, 'entity', 'entities')}. Use `as_of:YYYY-MM-DD` to count an "
                    f"earlier date, and `/committee info regime:{answer.regime}` for the regime's status."
                )
        embed = make_embed(
            f"UN sanctions list — {answer.regime}",
            text,
            fields=[
                ("Individuals", f"{counts.individuals:,}", True),
                ("Entities", f"{counts.entities:,}", True),
                ("Total", f"{counts.total:,}", True),
            ],
            footer=footer,
            colour=COLOUR,
        )
        return Reply.embed(embed)
    width = max([len("Regime"), *(len(c.regime) for c in answer.counts)])
    lines = [f"{'Regime':<{width}}  Individuals  Entities"]
    for c in answer.counts:
        lines.append(f"{c.regime:<{width}}  {c.individuals:>11,}  {c.entities:>8,}")
    lines.append(f"{'Total':<{width}}  {answer.individuals:>11,}  {answer.entities:>8,}")
    embed = make_embed(
        "UN sanctions list — all regimes",
        f"**{count_phrase(answer.individuals, 'individual')}** and "
        f"**{count_phrase(answer.entities, 'entity', 'entities')}** are on the UN Security Council "
        "Consolidated List.\n```\n" + "\n".join(lines) + "\n```",
        footer=footer,
        colour=COLOUR,
    )
    return Reply.embed(embed)


@dataclass(frozen=True)
class AboutInfo:
    """Everything /about shows."""

    bot_version: str
    version: ListVersion | None
    sync: SyncStatus
    list_url: str
    store_error: str | None = None
    extra_fields: tuple[tuple[str, str], ...] = ()
    freshness: Freshness | None = None
    application_id: int | None = None
    as_of: dt.datetime | None = None  # when these figures were read (the answer may be shown a few seconds later)


# What the bot needs in a server, and nothing more: read and post in the channels digests and alerts go to, with
# embeds. Answers to commands are interaction responses and need no channel permission at all.
BOT_PERMISSIONS = discord.Permissions(view_channel=True, send_messages=True, embed_links=True)
_AUTHORIZE = "https://discord.com/oauth2/authorize"


def invite_links(application_id: int) -> list[tuple[str, str]]:
    """The invite to a server (bot + commands, BOT_PERMISSIONS only) and the install to a user's own apps."""
    server = urlencode(
        {
            "client_id": application_id,
            "permissions": BOT_PERMISSIONS.value,
            "integration_type": 0,
            "scope": "bot applications.commands",
        }
    )
    user = urlencode({"client_id": application_id, "integration_type": 1, "scope": "applications.commands"})
    return [("Invite to a server", f"{_AUTHORIZE}?{server}"), ("Add to my apps", f"{_AUTHORIZE}?{user}")]


def _when(text: str | None) -> str:
    """A stored ISO time as Discord timestamp markup (each reader's own time zone); 'never' if unset."""
    moment = parse_time(text)
    return discord_time(moment) if moment else (text or "never")


def about_reply(info: AboutInfo) -> Reply:
    """The bot's version, the list version, the sync's health and the data sources."""
    if info.version is None:
        list_text = "Not loaded yet."
    else:
        v = info.version
        list_text = (
            f"Generated **{v.generated_date}** ({_when(v.generated_at)})\n"
            f"Imported {_when(v.imported_at)} · {v.entry_count:,} entries"
        )
        fresh = info.freshness
        if fresh is not None:
            list_text += (
                f"\nLast known current {age_words(fresh.age_hours)} ago "
                f"(flagged after {count_phrase(fresh.max_age_hours, 'hour')}): "
                + ("**possibly out of date**" if fresh.stale else "fresh")
            )
    sync = info.sync
    fresh = info.freshness
    if fresh is not None and fresh.last_success_at is not None:
        how = "a sync" if fresh.last_success_by == "sync" else "an import"
        success = f"{discord_time(fresh.last_success_at)} ({how})"
    else:
        success = _when(sync.last_success_at)
    sync_lines = [
        f"Last success: {success}",
        f"Last sync attempt: {_when(sync.last_attempt_at)}",
    ]
    if sync.last_error:
        sync_lines.append(f"Last error: {sync.last_error}")
        sync_lines.append(f"Failures in a row: {sync.consecutive_failures}")
    if sync.next_attempt_at:
        sync_lines.append(f"Next attempt: {_when(sync.next_attempt_at)}")
    fields = [
        ("UN list version", list_text, False),
        ("List sync", "\n".join(sync_lines), False),
    ]
    if info.store_error:
        fields.append(("Database", f"Writes are failing: {info.store_error}", False))
    fields.extend((name, value, False) for name, value in info.extra_fields)
    fields.append(
        (
            "Data sources",
            f"UN Security Council Consolidated List: {info.list_url}",
            False,
        )
    )
    note = freshness_note(info.freshness) if info.freshness is not None else None
    embed = make_embed(
        f"sanctionsbot {info.bot_version}",
        "Answers about UN Security Council sanctions — the Consolidated List, its history, "
        "the 1718 Committee — and posts news digests."
        + (f"\nFigures as of {discord_time(info.as_of, 'T')}." if info.as_of is not None else ""),
        fields=fields,
        footer=version_footer(info.version),
        colour=COLOUR,
    )
    reply = Reply.embed(embed, links=invite_links(info.application_id) if info.application_id else None)
    if note:
        reply.first.content = note
    return reply


TERMINAL_NOTE = "Every answer also works in the terminal: `sanctionsbot ask <command> [option:value …]`."


def help_reply(commands: list[CommandInfo], locale: str | None = None) -> Reply:
    """One field per command group, one line per command; paginated if it outgrows an embed. Names, options and
    descriptions as Discord shows them to the reader (bot/i18n: the same tables its translator uses)."""

    def said(table: str, text: str) -> str:
        return translated(table, text, locale) or text

    def path(words: str) -> str:
        return " ".join(said("COMMAND_NAMES", word) for word in words.split(" "))

    groups: dict[str, list[CommandInfo]] = {}
    for command in commands:
        groups.setdefault(command.path.split(" ")[0], []).append(command)
    fields = []
    for group, members in sorted(groups.items()):
        lines = []
        for c in members:
            opts = " ".join(
                said("OPTION_NAMES", n) if req else f"[{said('OPTION_NAMES', n)}]" for n, _d, req in c.options
            )
            lines.append(f"`/{path(c.path)}{(' ' + opts) if opts else ''}` — {said('DESCRIPTIONS', c.description)}")
        fields.append((f"/{path(group)}", "\n".join(lines), False))
    embeds = []
    for start in range(0, max(len(fields), 1), 8):
        embeds.append(
            make_embed(
                "sanctionsbot — commands",
                said("LABELS", TERMINAL_NOTE) if start == 0 else "",
                fields=fields[start : start + 8],
                colour=COLOUR,
            )
        )
    return Reply(paginate_embeds(embeds, per_page=1))


def sync_reply(result: SyncResult) -> Reply:
    """/admin sync: the version imported with its change counts, or that the list had not changed."""
    if result.outcome == "not_modified" or result.result is None:
        return Reply.embed(
            make_embed(
                "List unchanged", "The UN server says the list has not changed since the last sync.", colour=COLOUR
            ),
            ephemeral=True,
        )
    version = result.result.version
    if result.outcome == "unchanged":
        text = f"The list downloaded is the version of {version.generated_date}, already imported."
        return Reply.embed(
            make_embed("List unchanged", text, footer=version_footer(version), colour=COLOUR), ephemeral=True
        )
    previous = result.result.previous
    against = f" against {previous.generated_date}" if previous else " (the first version: nothing to compare)"
    text = (
        f"Imported the list version of **{version.generated_date}**{against}: "
        f"{count_phrase(version.added, 'entry', 'entries')} added, {version.removed:,} removed, "
        f"{version.amended:,} amended; {count_phrase(version.entry_count, 'entry', 'entries')} in all."
    )
    if version.added + version.removed + version.amended:
        text += " Watchlist alerts for it are being worked out and sent."
    return Reply.embed(make_embed("List synced", text, footer=version_footer(version), colour=COLOUR), ephemeral=True)
