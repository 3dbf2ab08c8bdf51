"""Watchlist alerts and /watch answers: pure, limit-aware, every list- or user-supplied text escaped.

An alert lists every watched entry a version changed, one embed field per entry (what changed, old → new where
short, and which watches it fired with their score and why), packed into as few messages as Discord's limits
allow (25 fields and 6,000 characters a message).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import discord

from bot.models import Entry, ListVersion
from bot.models_outbox import MARKER_ROOM, OutgoingMessage
from bot.render import limits
from bot.render.common import COLOUR, count_phrase, version_footer
from bot.render.digest import WARN_COLOUR, inert, page_payload
from bot.render.entry import FIELD_LABELS, alias_text, date_of_birth_text, document_text, joined
from bot.render.limits import escape, truncate
from bot.render.reply import Page, Reply, make_embed, paginate_embeds

if TYPE_CHECKING:  # only needed for annotations here
    from bot.models_watch import Watch, WatchServer
    from bot.search_results import Hit
    from bot.services.watch import (
        AddResult,
        AlertPost,
        ChangeSet,
        CurrentMatches,
        EntryChange,
        Overview,
        TestResult,
        WatchHit,
    )

ALERT_COLOUR = 0xE67E22
_EMBED_BUDGET = 5500  # below 6,000: room for the title, description and footer of the embed
SHORT = 80  # old → new is shown when both sides fit in this many characters
LIST_SHORT = 240  # items added/removed are listed when they fit in this many characters
WATCHES_PER_PAGE = 10
MATCHES_SHOWN = 3
_CHANGE_WORDS = {"added": "Added to the list", "amended": "Amended", "removed": "Removed from the list"}
_CHANGE_ORDER = {"added": 0, "amended": 1, "removed": 2}
_NAME_PARTS = ("first_name", "second_name", "third_name", "fourth_name")


# --- Amendments: old → new ----------------------------------------------------------------------------------


def _items(entry: Entry, name: str) -> list[str]:
    """One field of an entry as escaped display items."""
    value = getattr(entry, name)
    formatters: dict[str, Callable[[Any], str]] = {
        "aliases": alias_text,
        "dates_of_birth": date_of_birth_text,
        "documents": document_text,
        "addresses": lambda a: escape(joined(a.street, a.city, a.state_province, a.zip_code, a.country, a.note)),
        "places_of_birth": lambda p: escape(joined(p.street, p.city, p.state_province, p.country, p.note)),
    }
    if name in formatters:
        return [text for text in (formatters[name](v) for v in value) if text]
    if isinstance(value, tuple):
        return [escape(str(v)) for v in value if str(v).strip()]
    text = " ".join(str(value).split())
    return [escape(text)] if text else []


def _side(items: list[str]) -> str:
    return "; ".join(items) if items else "—"


def describe_amendment(old: Entry | None, new: Entry | None, fields: Sequence[str]) -> list[str]:
    """One line per changed field: `label: old → new` when short, else what was added and removed, or a count."""
    if old is None or new is None:
        return []
    lines: list[str] = []
    seen: set[str] = set()
    for name in fields:
        label = FIELD_LABELS.get(name, name.replace("_", " "))
        if label in seen:
            continue
        seen.add(label)
        if not hasattr(old, name):
            lines.append(f"{label} changed")
            continue
        scalar = name in _NAME_PARTS or not isinstance(getattr(old, name), tuple)
        raw = (old.name, new.name) if name in _NAME_PARTS else (getattr(old, name), getattr(new, name))
        if scalar and max(len(str(raw[0])), len(str(raw[1]))) > SHORT:
            # A narrative rewritten: too long to quote (and not worth escaping a few thousand characters for).
            lines.append(f"{label} changed (too long to show here; `/sanctions entry` has the record)")
            continue
        if name in _NAME_PARTS:
            before, after = [escape(old.name)], [escape(new.name)]
        else:
            before, after = _items(old, name), _items(new, name)
        left, right = _side(before), _side(after)
        if len(left) <= SHORT and len(right) <= SHORT:
            lines.append(f"{label}: {left} → {right}")
            continue
        if scalar:
            lines.append(f"{label} changed (too long to show here; `/sanctions entry` has the record)")
            continue
        added = [i for i in after if i not in before]
        removed = [i for i in before if i not in after]
        listed = "; ".join([*(f"+ {i}" for i in added), *(f"− {i}" for i in removed)])
        if listed and len(listed) <= LIST_SHORT:
            lines.append(f"{label}: {listed}")
        elif added or removed:
            parts = [f"{len(added)} added" if added else "", f"{len(removed)} removed" if removed else ""]
            lines.append(f"{label}: {', '.join(p for p in parts if p)}")
        else:
            lines.append(f"{label} reordered")
    return lines


# --- Alerts -------------------------------------------------------------------------------------------------


def watch_label(watch: Watch) -> str:
    """'reference `KPi.033` (#4)' or 'name “Kim Jong Un” (#5)', escaped."""
    if watch.kind == "reference":
        return f"reference `{watch.target}` (#{watch.id})"
    return f"name “{inert(watch.target, 100)}” (#{watch.id})"


def _why(score: int | None, reasons: Sequence[str], matched: str | None) -> str:
    if score is None:
        return ""
    text = f" — score {score}, {', '.join(reasons) or 'match'}"
    return text + (f", as “{inert(matched, 120)}”" if matched else "")


Describe = Callable[["EntryChange"], list[str]]


def describe_change(change: EntryChange) -> list[str]:
    """What an amendment changed (see describe_amendment); nothing for additions and removals."""
    if change.change != "amended":
        return []
    return describe_amendment(change.old, change.new, change.fields)


def memoised(change_set: ChangeSet) -> Describe:
    """describe_change, worked out once per entry of a change set (every server's alert describes the same
    amendments): the change set keeps the results."""

    def describe(change: EntryChange) -> list[str]:
        described = change_set.described.get(change.reference)
        if described is None:
            described = change_set.described[change.reference] = describe_change(change)
        return described

    return describe


def _hit_block(hits: Sequence[WatchHit], describe: Describe = describe_change) -> tuple[str, str]:
    """The field (name, value) of one changed entry and every watch it fired."""
    change = hits[0].change
    entry = change.new or change.old
    name = f"{_CHANGE_WORDS[change.change]} · {change.reference} {escape(change.name)}"
    about = f"{escape(change.regime)} {change.kind}"
    if change.change == "added" and entry is not None and entry.listed_on:
        about += f" · listed on {escape(entry.listed_on)}"
    lines = [about]
    for hit in hits:
        note = f" · note: {inert(hit.watch.note, 120)}" if hit.watch.note else ""
        lines.append(f"Watched: {watch_label(hit.watch)}{_why(hit.score, hit.reasons, hit.matched)}{note}")
    if change.change == "amended":
        described = describe(change)
        if described:
            lines.append("Changed:")
            lines.extend(f"• {line}" for line in described)
    return truncate(name, limits.FIELD_NAME), truncate("\n".join(lines), limits.FIELD_VALUE)


def group_hits(hits: Sequence[WatchHit]) -> list[list[WatchHit]]:
    """Hits grouped by changed entry: added, then amended, then removed, by reference."""
    groups: dict[str, list[WatchHit]] = {}
    for hit in hits:
        groups.setdefault(hit.change.reference, []).append(hit)
    return sorted(groups.values(), key=lambda g: (_CHANGE_ORDER[g[0].change.change], g[0].change.reference))


def alert_pages(
    version: ListVersion,
    previous: ListVersion | None,
    hits: Sequence[WatchHit],
    *,
    role_id: int | None = None,
    heading: str = "Watchlist alert",
    describe: Describe = describe_change,
) -> list[Page]:
    """The messages of one alert: every changed entry with the watches it fired, split within Discord's limits.

    `describe` says what an amendment changed; a change set passes its memoised one, since every server's alert
    describes the same amendments.
    """
    groups = group_hits(hits)
    title = f"{heading}: {count_phrase(len(groups), 'watched entry', 'watched entries')} changed"
    compared = f"compared with {previous.generated_date}" if previous else None
    description = (
        f"The UN list version of {version.generated_date} "
        + (f"({compared}) " if compared else "")
        + "changed entries this server watches. `/watch list` shows the watches."
    )
    footer = version_footer(version, compared)
    embeds: list[discord.Embed] = [make_embed(title, description, footer=footer, colour=ALERT_COLOUR)]
    for group in groups:
        field_name, value = _hit_block(group, describe)
        current = embeds[-1]
        if len(current.fields) >= limits.FIELDS or len(current) + len(field_name) + len(value) > _EMBED_BUDGET:
            current = make_embed(f"{title} (continued)", footer=footer, colour=ALERT_COLOUR)
            embeds.append(current)
        current.add_field(name=field_name, value=value, inline=False)
    pages = paginate_embeds(embeds, total=limits.EMBED_TOTAL - MARKER_ROOM)
    if role_id is not None:
        pages[0].content = f"<@&{role_id}> {title} in the UN list version of {version.generated_date}."
    return pages


def alert_messages(post: AlertPost) -> list[OutgoingMessage]:
    """The outbox's renderer for alerts: the pages of one server's alert; only the first may mention its role."""
    change_set = post.change_set
    pages = alert_pages(
        change_set.version, change_set.previous, post.hits, role_id=post.role_id, describe=memoised(change_set)
    )
    return [OutgoingMessage.from_payload(m) for m in alert_payload(pages, post.role_id)]


def alert_payload(pages: Sequence[Page], role_id: int | None) -> list[dict[str, Any]]:
    """The stored form of an alert's messages; only the first may mention the opted-in role."""
    out = [page_payload(p) for p in pages]
    if role_id is not None and out:
        out[0]["allowed_roles"] = [str(role_id)]
    return out


# --- Command answers ----------------------------------------------------------------------------------------


def _hit_line(hit: Hit) -> str:
    return f"`{hit.reference}` {escape(truncate(hit.name, 80))} · {escape(hit.regime)} — {hit.score}, {hit.why}" + (
        f" (as “{inert(hit.matched, 80)}”)" if hit.matched and hit.matched != hit.name else ""
    )


def matches_lines(watch: Watch, matches: CurrentMatches, threshold: int, *, shown: int = MATCHES_SHOWN) -> list[str]:
    """What a watch matches on the latest list, in a few lines."""
    if watch.kind == "reference":
        if matches.entry is not None:
            e = matches.entry
            return [f"On the list now: `{e.reference}` {escape(truncate(e.name, 80))} · {escape(e.regime)} {e.kind}."]
        if matches.known:
            return ["Not on the list now (it was in an earlier imported version); an alert comes if it returns."]
        return ["Not in any imported version of the list; an alert comes if it is added."]
    if matches.hits:
        lines = [f"Matches today at {threshold} or more:"]
        lines += [f"• {_hit_line(h)}" for h in matches.hits[:shown]]
        if len(matches.hits) > shown:
            lines.append(f"• … and {len(matches.hits) - shown} more")
        return lines
    line = f"Nothing on the list matches at {threshold} or more today."
    if matches.closest is not None:
        line += f" Closest: {_hit_line(matches.closest)}."
    return [line]


def _delivery_line(server: WatchServer | None) -> str:
    if server is None or server.channel_id is None:
        return "⚠️ Alerts need a channel: choose one with `/watch channel`."
    if server.paused:
        return (
            f"⚠️ Alerts are paused: {escape(server.paused_reason or 'Discord refused the channel')}. "
            "Fix it and run `/watch channel` again; alerts kept meanwhile go out then."
        )
    return f"Alerts go to <#{server.channel_id}>."


def _ping_line(server: WatchServer | None) -> str:
    if server is None or server.ping_role_id is None:
        return "Alerts mention nobody (`/watch ping` can mention one role)."
    return f"Alerts mention the role {role_text(server)} (and no one else)."


def role_text(server: WatchServer) -> str:
    """The ping role by name when known, else its id (never a mention in an answer)."""
    if server.ping_role_name:
        return f"“@{inert(server.ping_role_name, 100)}”"
    return f"with id `{server.ping_role_id}`"


def added_reply(result: AddResult) -> Reply:
    """/watch add: what is watched, what it matches today, and where alerts go."""
    watch, server = result.watch, result.server
    if watch.kind == "reference":
        title = f"Watching reference {watch.target}"
        how = "Exactly this reference number: an alert comes when it is added, amended or removed."
    else:
        title = f"Watching the name “{truncate(' '.join(watch.target.split()), 200)}”"
        how = (
            f"Through the name search, at a score of {server.threshold} or more (this server's threshold): an alert "
            "comes when an entry it matches is added, amended or removed."
        )
    lines = [how, "", *matches_lines(watch, result.matches, server.threshold)]
    if watch.note:
        lines += ["", f"Note: {inert(watch.note, 200)}"]
    lines += ["", _delivery_line(server)]
    footer = version_footer(result.version, f"watch #{watch.id} · {result.count} of {result.limit} watches")
    embed = make_embed(escape(title), "\n".join(lines), footer=footer, colour=COLOUR)
    return Reply.embed(embed, ephemeral=True)


def removed_reply(watch: Watch) -> Reply:
    """/watch remove."""
    return Reply.embed(
        make_embed("Watch removed", f"No more alerts for {watch_label(watch)}.", colour=COLOUR), ephemeral=True
    )


def list_reply(overview: Overview) -> Reply:
    """/watch list: settings, then every watch with what it matches now, ten to a page."""
    server = overview.server
    threshold = server.threshold if server else 90
    count = len(overview.watches)
    settings = [
        _delivery_line(server),
        f"Watched names alert at a score of {threshold} or more (`/watch threshold`).",
        _ping_line(server),
    ]
    if overview.pending:
        settings.append(f"{count_phrase(overview.pending, 'alert')} waiting to be posted.")
    if overview.through is not None:
        settings.append(f"Alerts worked out through the list version of {overview.through.generated_date}.")
    title = f"Watchlist: {count} of {overview.limit}"
    footer = version_footer(overview.version)
    if not overview.watches:
        text = "\n".join(["Nothing watched yet: add a name or reference with `/watch add`.", "", *settings])
        return Reply.embed(make_embed(title, text, footer=footer, colour=COLOUR), ephemeral=True)
    embeds = []
    for start in range(0, count, WATCHES_PER_PAGE):
        chunk = overview.watches[start : start + WATCHES_PER_PAGE]
        fields = []
        for watch, matches in chunk:
            lines = matches_lines(watch, matches, threshold, shown=2)
            if watch.note:
                lines.append(f"Note: {inert(watch.note, 150)}")
            kind = "Reference" if watch.kind == "reference" else "Name"
            target = escape(truncate(" ".join(watch.target.split()), 150))
            fields.append((f"#{watch.id} · {kind}: {target}", "\n".join(lines)))
        part = f" ({start // WATCHES_PER_PAGE + 1}/{(count - 1) // WATCHES_PER_PAGE + 1})" if count > 10 else ""
        embed = make_embed(
            f"{title}{part}",
            "\n".join(settings) if start == 0 else "",
            fields=[(n, v, False) for n, v in fields],
            footer=footer,
            colour=WARN_COLOUR if server is not None and server.paused else COLOUR,
        )
        embeds.append(embed)
    return Reply([Page([e]) for e in embeds], ephemeral=True)


def channel_reply(server: WatchServer, pending: int, *, connected: bool) -> Reply:
    """/watch channel."""
    lines = [f"Alerts go to <#{server.channel_id}> from now on."]
    if pending:
        when = "now" if connected else "by the bot"
        lines.append(f"{count_phrase(pending, 'alert')} kept until now will be posted there {when}.")
    return Reply.embed(make_embed("Alert channel set", "\n".join(lines), colour=COLOUR), ephemeral=True)


def threshold_reply(server: WatchServer) -> Reply:
    """/watch threshold: the new value and what it lets through."""
    value = server.threshold
    if value >= 100:
        meaning = "only names written exactly as watched (any case, accents, punctuation or spacing)."
    elif value >= 90:
        meaning = "exact names and aliases, another word order and romanization variants (Ri/Lee, Chol/Chul)."
    elif value >= 86:
        meaning = "also names one or two typos away."
    else:
        meaning = "also names that contain the watched name, and similar spellings: expect more alerts."
    text = f"Watched names now alert at a score of {value} or more: {meaning}\n`/watch test` shows what would fire."
    return Reply.embed(make_embed("Threshold set", text, colour=COLOUR), ephemeral=True)


def ping_reply(server: WatchServer) -> Reply:
    """/watch ping."""
    if server.ping_role_id is None:
        text = "Alerts mention nobody from now on."
    else:
        text = (
            f"Alerts will mention the role {role_text(server)}, and no one else. `/watch ping` without a role stops it."
        )
    return Reply.embed(make_embed("Alert ping set", text, colour=COLOUR), ephemeral=True)


def test_reply(result: TestResult) -> Reply:
    """/watch test: what would fire against the latest change set, as the alert would show it (only to you)."""
    change_set = result.change_set
    if result.watch_count == 0:
        return Reply.embed(
            make_embed("Nothing to test", "This server watches nothing yet: `/watch add` first.", colour=COLOUR),
            ephemeral=True,
        )
    if change_set is None:
        text = "No imported version has changed anything yet, so there is nothing to test against."
        return Reply.embed(make_embed("Nothing to test", text, colour=COLOUR), ephemeral=True)
    note = ""
    if result.latest is not None and result.latest.id != change_set.version.id:
        changed = count_phrase(len(change_set), "changed entry", "changed entries")
        note = (
            f"The latest version ({result.latest.generated_date}) changed nothing; this is the most recent one "
            f"that did ({change_set.version.generated_date}, {changed}). "
        )
    near = "\n".join(
        f"• {watch_label(m.watch)}: best {m.match.score} ({', '.join(m.match.reasons)}) for `{m.match.reference}` "
        f"{escape(truncate(m.change.name, 80))}"
        for m in result.near[:10]
    )
    if not result.hits:
        text = (
            f"{note}None of this server's {count_phrase(result.watch_count, 'watch', 'watches')} would fire against "
            f"the version of {change_set.version.generated_date} at a threshold of {result.threshold}."
        )
        if near:
            text += f"\n\nClosest below the threshold:\n{near}"
        footer = version_footer(change_set.version)
        return Reply.embed(
            make_embed("Test: no alert", truncate(text, limits.DESCRIPTION), footer=footer), ephemeral=True
        )
    pages = alert_pages(
        change_set.version, change_set.previous, result.hits, heading="Test", describe=memoised(change_set)
    )
    first = pages[0].embeds[0]
    extra = f"Threshold {result.threshold}."
    if near:
        extra += f"\nClosest below the threshold:\n{near}"
    text = truncate(f"{note}{first.description or ''}\n\n{extra}", 2000)
    if len(text) - len(first.description or "") + sum(len(e) for e in pages[0].embeds) <= limits.EMBED_TOTAL:
        first.description = text
    return Reply(pages, ephemeral=True)
