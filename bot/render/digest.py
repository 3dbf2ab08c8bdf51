"""Digests, feeds and subscriptions as Discord messages: every feed-supplied text escaped, every limit kept,
links never cut (a line is either in a message whole or moved to the next embed)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote as url_quote
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import discord

from bot.clock import parse_stamp
from bot.models_digest import Delivery, Subscription
from bot.models_feeds import GuildFeed
from bot.models_outbox import MARKER_ROOM, OutgoingMessage
from bot.redact import redact_url
from bot.render import limits
from bot.render.common import COLOUR, count_phrase, version_footer
from bot.render.reply import Page, Reply, make_embed, paginate_embeds
from bot.services.digest import Digest, DigestPost, FeedSection, RegimeChanges

ITEM_TITLE_MAX = 200
LINK_MAX = 1000
NAMES_PER_KIND = 10
WARN_COLOUR = 0xF0AD4E
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# Characters that would end or break a markdown link target; percent-encoded so the link stays one link.
_LINK_UNSAFE = "()<>[] \"'\\`|*_~"


# After "<" or "@" a zero-width space breaks every Discord token: mentions, </command:id>, <t:…>, <id:…>, custom
# emoji, <sound:…>; after "://" it stops a URL in the text from becoming a link of its own.
_TOKEN_START = re.compile("([<@])(?!\u200b)")


def inert(text: str, limit: int) -> str:
    """Feed or user text made safe to show: one line, cut to `limit`, markdown and all Discord markup
    (mentions, command and channel links, timestamps, emoji, bare URLs) made plain text."""
    text = " ".join(limits.strip_invisible(text).split())
    text = limits.truncate(text, limit)
    # escape() handles markdown and mentions; square brackets would still close a masked link's text.
    text = limits.escape(text).replace("]", "\\]")
    return _TOKEN_START.sub("\\1\u200b", text).replace("://", ":/\u200b/")


def safe_link(url: str | None) -> str | None:
    """An http(s) URL fit for a markdown link, or None (too long, another scheme); a user@ part is dropped."""
    if not url or len(url) > LINK_MAX or not url.lower().startswith(("http://", "https://")):
        return None
    url = _without_userinfo(url)
    if url is None:
        return None
    return "".join(url_quote(ch, safe="") if ch in _LINK_UNSAFE or ord(ch) < 33 else ch for ch in url)


def _without_userinfo(url: str) -> str | None:
    # "https://press.un.org@evil.example/" goes to evil.example: the part before "@" is only there to mislead.
    try:
        parts = urlsplit(url)
        host = parts.hostname
        port = parts.port
    except ValueError:
        return None
    if not host:
        return None
    if "@" not in parts.netloc:
        return url
    netloc = (f"[{host}]" if ":" in host else host) + (f":{port}" if port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def link_domain(url: str) -> str:
    """The host a link really goes to, as plain text (IDN hosts in their ASCII form, so look-alikes show)."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        host = host.encode("ascii", "backslashreplace").decode("ascii")
    return host


def local_time(when: dt.datetime, tz: ZoneInfo) -> str:
    """'Thu 26 Nov 2026 13:00 CET' in a zone."""
    local = when.astimezone(tz)
    return f"{local:%a} {local.day} {local:%b %Y %H:%M} {local.tzname() or tz.key}"


def local_date(when: dt.datetime, tz: ZoneInfo) -> str:
    """'26 Nov' in a zone."""
    local = when.astimezone(tz)
    return f"{local.day} {local:%b}"


def item_line(title: str, link: str | None, when: dt.datetime, tz: ZoneInfo) -> str:
    """'• [Title](link) · press.un.org · 26 Nov': one line, never longer than ~1,500 characters.

    The domain the link really goes to is shown next to it, so a title that looks like an address cannot pass
    for another site."""
    text = inert(title, ITEM_TITLE_MAX) or "(untitled)"
    target = safe_link(link)
    shown = f"[{text}]({target}) · {inert(link_domain(target), 100)}" if target else text
    return f"• {shown} · {local_date(when, tz)}"


def pack_lines(
    title: str, lines: Sequence[str], *, colour: int = COLOUR, footer: str | None = None
) -> list[discord.Embed]:
    """Embeds holding whole lines: a new embed ('… (continued)') whenever the description would overflow."""
    embeds: list[discord.Embed] = []
    current: list[str] = []
    size = 0
    for line in lines:
        line = limits.truncate(line, limits.DESCRIPTION)
        if current and size + 1 + len(line) > limits.DESCRIPTION:
            embeds.append(make_embed(title if not embeds else _continued(title), "\n".join(current), colour=colour))
            current, size = [], 0
        current.append(line)
        size += len(line) + (1 if size else 0)
    if current or not embeds:
        embeds.append(make_embed(title if not embeds else _continued(title), "\n".join(current), colour=colour))
    if footer:
        embeds[-1].set_footer(text=limits.truncate(footer, limits.FOOTER))
    return embeds


def _continued(title: str) -> str:
    suffix = " (continued)"
    return limits.truncate(title, limits.TITLE - len(suffix)) + suffix


def _section_lines(section: FeedSection, tz: ZoneInfo) -> list[str]:
    lines = [item_line(i.title, i.link, i.when, tz) for i in section.items]
    if section.more:
        lines.append(f"…and {section.more} more from this feed.")
    return lines


def _names(changes: Sequence[Any], with_fields: bool = False) -> str:
    shown = []
    for c in changes[:NAMES_PER_KIND]:
        label = f"{inert(c.name or c.reference, 80)} ({inert(c.reference, 20)})"
        if with_fields and c.fields:
            label += f" — {inert(', '.join(c.fields[:4]), 80)}"
        shown.append(label)
    more = len(changes) - len(shown)
    return "; ".join(shown) + (f"; …and {more} more" if more > 0 else "")


def _regime_lines(regime: RegimeChanges) -> list[str]:
    head = [
        f"**{inert(regime.regime, 50)}** — {len(regime.added)} added, {len(regime.removed)} removed, "
        f"{len(regime.amended)} amended"
    ]
    if regime.added:
        head.append(f"Added: {_names(regime.added)}")
    if regime.removed:
        head.append(f"Removed: {_names(regime.removed)}")
    if regime.amended:
        head.append(f"Amended: {_names(regime.amended, with_fields=True)}")
    return head


def digest_embeds(digest: Digest, tz: ZoneInfo) -> list[discord.Embed]:
    """Every embed of a digest, in order: summary, one per feed, feed problems, list changes and counts."""
    date = digest.generated_at.astimezone(tz)
    since = f"since {local_time(digest.since, tz)}" if digest.since else "since the digest was set up"
    summary = [f"News on sanctions and the UN Security Council {since}."]
    if digest.empty:
        summary.append("Nothing new in the feeds or on the UN list.")
    else:
        feeds_with_news = len(digest.sections)
        summary.append(
            f"{count_phrase(digest.item_count, 'news item')} from {count_phrase(feeds_with_news, 'feed')} · "
            f"{count_phrase(digest.change_count, 'list change')}."
        )
    embeds = [make_embed(f"Sanctions digest — {date.day} {date:%B %Y}", "\n".join(summary), colour=COLOUR)]
    for section in digest.sections:
        embeds.extend(pack_lines(inert(section.name, 200), _section_lines(section, tz)))
    if digest.problems:
        lines = []
        for p in digest.problems:
            last = f"last read {local_time(p.last_success_at, tz)}" if p.last_success_at else "not read yet"
            lines.append(f"⚠ {inert(p.name, 100)}: could not be read ({inert(p.error, 200)}); {last}.")
        embeds.extend(pack_lines("Feeds that could not be read", lines, colour=WARN_COLOUR))
    list_lines: list[str] = []
    if digest.changes:
        dates = ", ".join(v.generated_date for v in digest.versions)
        list_lines.append(f"Versions of {dates}:")
        for regime in digest.changes:
            list_lines.extend(_regime_lines(regime))
    elif digest.version is not None:
        list_lines.append("No changes to the UN Consolidated List.")
    else:
        list_lines.append("The UN Consolidated List has not been loaded yet.")
    if digest.focus is not None and digest.version is not None:
        list_lines.append(
            f"**DPRK today:** {count_phrase(digest.focus.individuals, 'individual')} and "
            f"{count_phrase(digest.focus.entities, 'entity', 'entities')} (list version of "
            f"{digest.version.generated_date})."
        )
    embeds.extend(pack_lines("UN list changes", list_lines, footer=version_footer(digest.version)))
    return embeds


def digest_pages(digest: Digest, tz: ZoneInfo) -> list[Page]:
    """The digest as messages: each ≤10 embeds and ≤6,000 characters (room left for the outbox's marker)."""
    return paginate_embeds(digest_embeds(digest, tz), total=limits.EMBED_TOTAL - MARKER_ROOM)


def digest_messages(post: DigestPost) -> list[OutgoingMessage]:
    """The outbox's renderer for digests: the digest's pages as messages that mention nobody."""
    return [OutgoingMessage.from_payload(page_payload(p)) for p in digest_pages(post.digest, post.tz)]


def page_payload(page: Page) -> dict[str, Any]:
    """A message as stored in the delivery record and sent: content and embed dicts."""
    return {"content": page.content, "embeds": [e.to_dict() for e in page.embeds]}


def payload_pages(payload: Sequence[dict[str, Any]]) -> list[Page]:
    """Stored messages back as pages (for previews and the terminal)."""
    return [Page([discord.Embed.from_dict(e) for e in m.get("embeds", [])], m.get("content")) for m in payload]


# --- Command answers ----------------------------------------------------------------------------------------


def schedule_text(sub: Subscription) -> str:
    """'daily at 08:00 (Europe/Berlin)' or 'weekly on Monday at 08:00 (Europe/Berlin)'."""
    when = f"on {WEEKDAYS[sub.weekday]} " if sub.cadence == "weekly" and sub.weekday is not None else ""
    return f"{sub.cadence} {when}at {sub.local_time} ({sub.timezone})"


def subscribed_reply(sub: Subscription, created: bool, feeds: int, keywords: int) -> Reply:
    """Confirmation of /digest subscribe."""
    tz = ZoneInfo(sub.timezone)
    next_run = parse_stamp(sub.next_run_at)
    assert next_run is not None
    lines = [
        f"{'New digest' if created else 'Digest updated'} in <#{sub.channel_id}>: {schedule_text(sub)}.",
        f"Next: **{local_time(next_run, tz)}**.",
        "Posts even when there is nothing new." if sub.post_empty else "Skips the days with nothing new.",
        f"It covers {count_phrase(feeds, 'feed')} filtered by {count_phrase(keywords, 'keyword')} "
        "(`/feeds list`, `/feeds keywords list`) and the UN list's changes.",
    ]
    if created:
        lines.append("The first digest covers what arrives from now on.")
    return Reply.embed(make_embed("Digest scheduled", "\n".join(lines), colour=COLOUR), ephemeral=True)


def unsubscribed_reply(channel_id: int) -> Reply:
    """Confirmation of /digest unsubscribe."""
    return Reply.embed(
        make_embed("Digest stopped", f"No more digests in <#{channel_id}>.", colour=COLOUR), ephemeral=True
    )


def health_line(gf: GuildFeed, tz: ZoneInfo) -> str:
    """'ok, read 26 Nov 12:00' or '⚠ failing 3×: HTTP 500 (last read …)'."""
    feed = gf.feed
    success = parse_stamp(feed.last_success_at)
    if feed.failing:
        last = f"last read {local_time(success, tz)}" if success else "never read"
        return f"⚠ failing {feed.consecutive_failures}×: {inert(feed.last_error or '?', 150)} ({last})"
    if success is None:
        return "not read yet"
    text = f"ok, read {local_time(success, tz)}"
    if feed.last_warning:
        text += f" — note: {inert(feed.last_warning, 120)}"
    return text


def status_reply(
    subs: Sequence[tuple[Subscription, Delivery | None]],
    feeds: Sequence[GuildFeed],
    keywords: Sequence[str],
) -> Reply:
    """/digest status: subscriptions with next run and last delivery, paused ones with why, feed health."""
    embeds: list[discord.Embed] = []
    zone = ZoneInfo(subs[0][0].timezone) if subs else ZoneInfo("UTC")
    if not subs:
        embeds.append(
            make_embed("Digests", "No digest is set up. Use `/digest subscribe` to start one.", colour=COLOUR)
        )
    for sub, last in subs:
        tz = ZoneInfo(sub.timezone)
        next_run = parse_stamp(sub.next_run_at)
        lines = [f"<#{sub.channel_id}> — {schedule_text(sub)}"]
        if sub.paused:
            lines.append(
                f"⏸ **Paused**: {inert(sub.paused_reason or 'unknown reason', 200)}. "
                "Fix it, then run `/digest subscribe` for this channel again to resume."
            )
        elif next_run is not None:
            lines.append(f"Next: {local_time(next_run, tz)}")
        if last is None:
            lines.append("No digest yet.")
        else:
            at = parse_stamp(last.updated_at)
            what = {
                "sent": "posted",
                "skipped": "skipped (nothing new)",
                "pending": "being delivered",
                "failed": "failed",
            }[last.status]
            text = f"Last: {what}, {local_time(at, tz) if at else '?'}"
            if last.status in ("failed", "pending") and last.last_error:
                text += f" ({inert(last.last_error, 150)})"
            lines.append(text)
        embeds.append(make_embed("Digest", "\n".join(lines), colour=WARN_COLOUR if sub.paused else COLOUR))
    feed_lines = [f"**{inert(gf.name, 100)}** — {health_line(gf, zone)}" for gf in feeds] or ["No feeds."]
    words = ", ".join(inert(k, 60) for k in keywords) if keywords else "none (every item counts)"
    feed_lines.append(f"Keywords: {words}")
    embeds.extend(pack_lines("Feeds", feed_lines))
    return Reply(paginate_embeds(embeds), ephemeral=True)


def preview_reply(pages: Sequence[Page], channel_id: int | None) -> Reply:
    """/digest preview: the messages the next digest would post, as pages of one ephemeral answer."""
    where = f" in <#{channel_id}>" if channel_id else ""
    note = (
        (f"Preview: the next digest{where} would post this now ({count_phrase(len(pages), 'message')}).")
        if channel_id
        else ("Preview: no digest is set up yet; this is what one covering the last 24 hours would post.")
    )
    out = [Page(list(p.embeds), p.content) for p in pages]
    out[0].content = note
    return Reply(out, ephemeral=True)


def sent_reply(channel_id: int, messages: int, item_count: int, change_count: int, pending: bool = False) -> Reply:
    """/digest send-now: what was posted."""
    if pending:
        text = (
            f"Discord did not accept the digest for <#{channel_id}> just now; it will be retried shortly "
            "(see `/digest status`)."
        )
    else:
        text = (
            f"Posted the digest in <#{channel_id}> ({count_phrase(messages, 'message')}: "
            f"{count_phrase(item_count, 'news item')}, {count_phrase(change_count, 'list change')}). "
            "The next scheduled digest covers what comes after it."
        )
    return Reply.embed(
        make_embed("Digest sent" if not pending else "Digest queued", text, colour=COLOUR), ephemeral=True
    )


def feeds_reply(feeds: Sequence[GuildFeed], poll_minutes: int) -> Reply:
    """/feeds list: every feed with its address and health."""
    tz = ZoneInfo("UTC")
    lines = []
    for number, gf in enumerate(feeds, start=1):
        shown = redact_url(gf.feed.url)  # credentials or keys in an address are masked, and then not a link
        link = safe_link(shown) if shown == gf.feed.url else None
        lines.append(f"**{number}. {inert(gf.name, 100)}**\n{link or inert(shown, 200)}\n{health_line(gf, tz)}")
    if not lines:
        lines = ["This server follows no feeds. Add one with `/feeds add`."]
    footer = f"Each feed is read every {poll_minutes} minutes (less often while it fails). Times in UTC."
    return Reply(paginate_embeds(pack_lines("News feeds", lines, footer=footer)), ephemeral=True)


def feed_added_reply(gf: GuildFeed, items: int, warning: str | None) -> Reply:
    """/feeds add: confirmation, with the back catalogue counted as seen."""
    lines = [
        f"Now following **{inert(gf.name, 100)}** ({gf.feed.kind or 'feed'}).",
        f"Its {count_phrase(items, 'current item')} count as already seen: digests show what it publishes next.",
    ]
    if warning:
        lines.append(f"Note: {inert(warning, 200)}.")
    return Reply.embed(make_embed("Feed added", "\n".join(lines), colour=COLOUR), ephemeral=True)


def feed_removed_reply(gf: GuildFeed) -> Reply:
    """/feeds remove: confirmation."""
    return Reply.embed(
        make_embed("Feed removed", f"No longer following **{inert(gf.name, 100)}**.", colour=COLOUR),
        ephemeral=True,
    )


def keywords_reply(words: Sequence[str], *, title: str = "Keywords", note: str | None = None) -> Reply:
    """/feeds keywords …: the server's keywords now."""
    lines = []
    if note:
        lines.append(note)
    if words:
        lines.append(", ".join(inert(w, 60) for w in words))
        lines.append(
            "An item is in a digest when its title or summary contains one of these as a whole word "
            "(any case; plural and possessive forms count)."
        )
    else:
        lines.append("No keywords: every item of the server's feeds goes into its digests.")
    return Reply.embed(make_embed(title, "\n".join(lines), colour=COLOUR), ephemeral=True)
