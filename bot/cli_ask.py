"""`sanctionsbot ask`: run a slash command offline, through the same tree, options and answers as Discord."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from discord import app_commands

from bot.answers.context import AnswerContext, answer_of
from bot.app import SanctionsBot
from bot.core import Core
from bot.errors import GuildOnly, SanctionsBotError, UsageError
from bot.options import convert_text
from bot.render.common import error_reply
from bot.render.localise import localise_reply
from bot.render.reply import Reply
from bot.respond import interaction_payload

__all__ = ["UsageError", "as_json", "ask", "readable"]

# The extension holding each top-level command: `ask sanctions count` loads cogs.sanctions only (a structural
# test keeps this table in step with the cogs). Anything else (/help lists every command) loads them all.
EXTENSION_OF = {
    "about": "cogs.about",
    "sanctions": "cogs.sanctions",
    "committee": "cogs.committee",
    "statement": "cogs.statement",
    "admin": "cogs.admin",
    "feeds": "cogs.feeds",
    "digest": "cogs.digest",
    "watch": "cogs.watch",
}


def extensions_for(words: Sequence[str]) -> tuple[str, ...] | None:
    """The extensions `ask` needs for these words: one for a known top-level command, None (all) otherwise."""
    first = next((w.lower() for w in words if ":" not in w), None)
    name = EXTENSION_OF.get(first or "")
    return (name,) if name else None


@dataclass(frozen=True)
class AskOutcome:
    """What ask prints and the exit code it ends with."""

    reply: Reply
    exit_code: int
    error: str | None = None


def find_command(tree: app_commands.CommandTree, path: Sequence[str]) -> app_commands.Command:
    """The leaf command named by path words (e.g. ["sanctions", "count"]); UsageError listing choices if not."""
    if not path:
        raise UsageError("name a command, e.g. `sanctionsbot ask about`; see `sanctionsbot ask help`")
    level: list[app_commands.Command | app_commands.Group] = [
        c for c in tree.get_commands() if isinstance(c, app_commands.Command | app_commands.Group)
    ]
    node: app_commands.Command | app_commands.Group | None = None
    for depth, word in enumerate(path):
        match = next((c for c in level if c.name == word.lower()), None)
        if match is None:
            where = " ".join(path[:depth]) or "the top level"
            names = ", ".join(sorted(c.name for c in level))
            raise UsageError(f"unknown command {' '.join(path[: depth + 1])!r}; at {where} there is: {names}")
        node = match
        level = list(match.commands) if isinstance(match, app_commands.Group) else []
        if isinstance(match, app_commands.Command) and depth < len(path) - 1:
            raise UsageError(f"{match.qualified_name!r} has no subcommand {path[depth + 1]!r}; options are name:value")
    if isinstance(node, app_commands.Group):
        names = ", ".join(sorted(c.name for c in node.commands))
        raise UsageError(f"{node.qualified_name!r} is a group; add one of: {names}")
    assert isinstance(node, app_commands.Command)
    return node


def split_arguments(words: Sequence[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """Command path words, then name:value options (words after an option without a colon join its value)."""
    path: list[str] = []
    options: list[tuple[str, str]] = []
    for word in words:
        match = re.match(r"^([A-Za-z_][\w-]*):(.*)$", word, re.S)
        if match:
            options.append((match.group(1), match.group(2)))
        elif options:
            name, value = options[-1]
            options[-1] = (name, f"{value} {word}")
        else:
            path.append(word)
    return path, options


def parse_options(command: app_commands.Command, options: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """Keyword arguments for the command's answer, keyed by the callback's parameter names."""
    params = {p.display_name: p for p in command.parameters}
    out: dict[str, Any] = {}
    for name, raw in options:
        param = params.get(name)
        if param is None:
            known = ", ".join(params) or "none"
            raise UsageError(f"{command.qualified_name!r} has no option {name!r}; its options: {known}")
        if param.name in out:
            raise UsageError(f"option {name!r} given twice")
        out[param.name] = convert_text(param, raw)
    missing = [p.display_name for p in command.parameters if p.required and p.name not in out]
    if missing:
        raise UsageError(f"{command.qualified_name!r} needs option(s): {', '.join(missing)}")
    return out


async def ask(
    core: Core,
    words: Sequence[str],
    *,
    guild_id: int | None = None,
    user_id: int | None = None,
    channel_id: int | None = None,
    locale: str = "en-US",
) -> AskOutcome:
    """Resolve and run one command; domain errors become the same ephemeral reply Discord would get."""
    # This bot never logs in: it only holds the command tree (its cogs start no loops without run_background).
    path, options = split_arguments(words)
    needed = extensions_for(path)
    bot = SanctionsBot(core, run_background=False, **({"extensions": needed} if needed else {}))
    await bot.load_cogs()
    command = find_command(bot.tree, path)
    fn = answer_of(command.extras)
    if fn is None:
        raise UsageError(f"{command.qualified_name!r} only works on Discord")
    # The terminal's operator runs the bot: they count as owner and as a server manager.
    ctx = AnswerContext(
        core=core,
        user_id=user_id,
        guild_id=guild_id,
        channel_id=channel_id,
        is_owner=True,
        can_manage_guild=guild_id is not None,
        locale=locale,
    )
    try:
        kwargs = parse_options(command, options)
        return AskOutcome(localise_reply(await fn(ctx, **kwargs), locale), 0)
    except GuildOnly as exc:
        # The terminal has no server: say how to name one.
        message = f"{exc.message} In the terminal, name one with --guild SERVER_ID (the server's id)."
        return AskOutcome(localise_reply(error_reply(message), locale), exc.exit_code, message)
    except SanctionsBotError as exc:
        return AskOutcome(localise_reply(error_reply(exc.message), locale), exc.exit_code, exc.message)


_TIMESTAMP = re.compile(r"<t:(-?\d{1,12})(?::([tTdDfFR]))?>")


def plain_times(text: str) -> str:
    """Discord's `<t:…>` timestamp markup as UTC text: the terminal has no reader's time zone to show it in."""

    def one(match: re.Match[str]) -> str:
        moment = dt.datetime.fromtimestamp(int(match.group(1)), dt.UTC)
        if match.group(2) in ("d", "D"):
            return moment.date().isoformat()
        return moment.strftime("%Y-%m-%d %H:%M UTC")

    return _TIMESTAMP.sub(one, text)


def page_index(reply: Reply, page: int | None) -> int | None:
    """The 0-based index of page N (1-based) of the reply; None for all pages; UsageError if there is none."""
    if page is None:
        return None
    if not 1 <= page <= len(reply.pages):
        raise UsageError(f"--page {page}: this answer has {len(reply.pages)} page(s)")
    return page - 1


def readable(reply: Reply, *, page: int | None = None) -> str:
    """The reply as plain text: per page, the content, then each embed's title, text, fields and footer.

    `page` prints only page N of a long answer, headed "page N of M", as Discord shows one page at a time.
    """
    out: list[str] = []
    total = len(reply.pages)
    chosen = page_index(reply, page)
    for number, page_ in enumerate(reply.pages, start=1):
        if chosen is not None and number - 1 != chosen:
            continue
        if total > 1:
            out.append(f"--- page {number} of {total} ---")
        if page_.content:
            out.append(page_.content)
        for embed in page_.embeds:
            if embed.title:
                out.append(f"# {embed.title}")
            if embed.description:
                out.append(embed.description)
            for field in embed.fields:
                out.append(f"{field.name}: {field.value}")
            if embed.footer and embed.footer.text:
                out.append(f"({embed.footer.text})")
            out.append("")
    for text, url in reply.links:
        out.append(f"[button {text}: {url}]")
    for attachment in reply.files:
        out.append(f"[attachment {attachment.filename}, {len(attachment.data):,} bytes]")
    if reply.ephemeral:
        out.append("(only you would see this answer on Discord)")
    return plain_times("\n".join(out)).rstrip() + "\n"


def as_json(reply: Reply, *, page: int | None = None) -> str:
    """The exact interaction-callback body the bot would send for this reply (or the body of page N)."""
    index = page_index(reply, page)
    shown = reply if index is None else Reply([reply.pages[index]], reply.ephemeral, reply.files, reply.links)
    return json.dumps(interaction_payload(shown), ensure_ascii=False, indent=2)
