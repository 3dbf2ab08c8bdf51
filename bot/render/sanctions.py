"""The /sanctions answers (search, entry, count as_of, changes, regimes, timeline): pure, limit-aware."""

from __future__ import annotations

import datetime as dt
import re

import discord

from bot.models import Alias, Change, DateOfBirth, Document, Entry, ListVersion
from bot.regimes import regime_info
from bot.render import limits
from bot.render.common import COLOUR, count_phrase, version_footer
from bot.render.limits import escape, truncate
from bot.render.reply import Attachment, Page, Reply, make_embed, paginate_embeds
from bot.search_results import CLOSE_SCORE, Hit, SearchResult
from bot.services.history import (
    ChangesAnswer,
    CountAsOf,
    EntryRecord,
    HistoryEvent,
    RegimesAnswer,
    Timeline,
    VersionChanges,
)

HITS_PER_PAGE = 5
CHANGE_LINES_PER_PAGE = 20
# Room left in an embed for its title, footer and field names: we pack fields up to this, not to 6,000.
_EMBED_BUDGET = 5600
_CHUNK = 3800  # description chunk for long narratives and change lists

# How a model field is named when we say it changed.
FIELD_LABELS = {
    "first_name": "name",
    "second_name": "name",
    "third_name": "name",
    "fourth_name": "name",
    "name_original_script": "original-script name",
    "comments": "narrative",
    "titles": "title",
    "designations": "designation",
    "nationalities": "nationality",
    "list_types": "list type",
    "last_updated": "last-updated dates",
    "aliases": "aliases",
    "addresses": "addresses",
    "dates_of_birth": "dates of birth",
    "places_of_birth": "places of birth",
    "documents": "documents",
    "listed_on": "listed-on date",
    "gender": "gender",
    "submitted_by": "submitted by",
    "submitted_on": "submission date",
    "regime": "regime",
    "kind": "kind",
    "reference": "reference number",
}
QUALITY_LABELS = {
    "good": "Aliases — good quality",
    "low": "Aliases — low quality",
    "a.k.a.": "Also known as",
    "f.k.a.": "Formerly known as",
    "": "Other names",
}


def field_words(fields: tuple[str, ...] | list[str]) -> str:
    """Changed model fields in plain words, each once: 'name, narrative, dates of birth'."""
    words = dict.fromkeys(FIELD_LABELS.get(f, f.replace("_", " ")) for f in fields)
    return ", ".join(words) or "details"


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


def _field_chunks(name: str, lines: list[str], inline: bool = False) -> list[tuple[str, str, bool]]:
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


def _pack(title: str, description: str, fields: list[tuple[str, str, bool]], footer: str) -> list[discord.Embed]:
    """Embeds holding a long description and many fields, each within Discord's per-embed limits."""
    chunks = split_text(description, _CHUNK) if description else [""]
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


# --- search ---------------------------------------------------------------------------------------


def _quality_words(quality: str) -> str:
    """', good quality', ', a.k.a.' — how the list marks an alias."""
    if not quality:
        return ""
    if quality.casefold() in ("good", "low"):
        return f", {quality.casefold()} quality"
    return f", {quality}"


def _not_close_note(best: Hit) -> str:
    """What the nearest names are when none is close: never 'a different name' for a typo or a part of one."""
    if "part of the name" in best.reasons:
        return "The names below contain what was typed but are longer: add more of the name to narrow them down."
    if "typo" in best.reasons:
        # A typo of a short name scores below CLOSE_SCORE; it may be the name meant, or another person's.
        return (
            f"The nearest names are below. The first, {best.reference}, is a letter or two away from what was "
            "typed: a typo of it, or a different name. Compare the details before relying on either."
        )
    return "The nearest names are below, with low scores: they are different names, not spellings of this one."


def _matched_line(hit: Hit) -> str:
    """Which name (or identifier) matched, and where it was written when that is not a name field."""
    if hit.source == "identifier":
        return f"Matched identifier: {escape(truncate(hit.origin or hit.matched, 300))}"
    if hit.source == "primary name" and not hit.origin:
        return "Matched the primary name"
    quality = _quality_words(hit.quality) if hit.source in ("alias", "name in an alias note") else ""
    origin = f" ({escape(truncate(hit.origin, 200))})" if hit.origin else ""
    return f"Matched {hit.source}{quality}: {escape(truncate(hit.matched, 300))}{origin}"


def search_reply(result: SearchResult) -> Reply:
    """Hits five to a page: reference, primary name, regime, matched name with its quality, score and why."""
    query = limits.echo(result.query, 80)
    scope = [
        s for s in (result.regime, {"individual": "individuals", "entity": "entities"}.get(result.kind or "")) if s
    ]
    scope_text = f" ({', '.join(scope)})" if scope else ""
    footer = version_footer(result.version)
    read = f"{query} read as **{escape(result.reading)}**. " if result.reading else ""
    if not result.hits and result.identifier:
        embed = make_embed(
            "No match on the UN sanctions list",
            f"No document, IMO or other number of an entry on the list is **{escape(result.identifier)}**"
            f"{scope_text}. Identifiers are matched exactly (spaces, dashes and case aside); check the number.",
            footer=footer,
            colour=COLOUR,
        )
        return Reply.embed(embed)
    if not result.hits:
        embed = make_embed(
            "No match on the UN sanctions list",
            f"{read}No name, alias or original-script name on the list resembles **{query}**{scope_text}. "
            "Names are matched ignoring case, accents, punctuation, word order, common romanization variants "
            "and small typos; try fewer words or another spelling.",
            footer=footer,
            colour=COLOUR,
        )
        return Reply.embed(embed)
    hits = result.hits
    if result.close:
        close = sum(1 for h in hits if h.score >= CLOSE_SCORE)
        summary = f"**{count_phrase(close, 'close match', 'close matches')}** for **{query}**{scope_text}"
        summary += f", then {count_phrase(len(hits) - close, 'less similar name')}." if len(hits) > close else "."
    else:
        summary = f"**No entry on the list matches {query} closely**{scope_text}. " + _not_close_note(hits[0])
    summary = read + summary
    if result.identifier:
        entries = count_phrase(len(hits), "entry", "entries")
        summary = f"**{query}** is an identifier of {entries} on the list (matched exactly)."
    pages: list[Page] = []
    total_pages = (len(hits) + HITS_PER_PAGE - 1) // HITS_PER_PAGE
    for start in range(0, len(hits), HITS_PER_PAGE):
        fields = []
        for rank, hit in enumerate(hits[start : start + HITS_PER_PAGE], start=start + 1):
            info = regime_info(hit.regime)
            regime = f"{hit.regime} · {info.short_committee}" if info else hit.regime
            matched = _matched_line(hit)
            value = f"**{hit.score}**/100 · {hit.why}\n{regime} · {hit.kind}\n{matched}"
            fields.append((f"{rank}. {hit.reference} — {escape(truncate(hit.name, 200))}", value, False))
        page_note = f"results {start + 1}–{min(start + HITS_PER_PAGE, len(hits))} of {len(hits)}"
        embed = make_embed(
            f"Search: {limits.echo(result.query, 200)}",
            summary if start == 0 else f"{summary}\n(page {start // HITS_PER_PAGE + 1} of {total_pages})",
            fields=fields,
            footer=version_footer(result.version, page_note),
            colour=COLOUR,
        )
        pages.append(Page([embed]))
    return Reply(pages)


def names_reply(results: list[SearchResult]) -> Reply:
    """Several quoted names at once: a line per name saying whether it is listed, then each one's hits."""
    lines = []
    for result in results:
        name = f"**{limits.echo(result.query, 80)}**"
        if result.close:
            best = result.hits[0]
            lines.append(
                f"{name}: on the list — {best.reference} {escape(truncate(best.name, 80))} "
                f"(**{best.score}**/100, {best.why})"
            )
        elif result.hits:
            best = result.hits[0]
            lines.append(
                f"{name}: no close match — the nearest name, {best.reference} "
                f"{escape(truncate(best.name, 80))}, scores only {best.score}/100"
            )
        else:
            lines.append(f"{name}: not on the list — no similar name")
    summary = make_embed(
        "Search: several names",
        "\n".join(lines) + "\n\nEach name was searched on its own; the next pages show the best matches of each.",
        footer=version_footer(results[0].version),
        colour=COLOUR,
    )
    pages = [Page([summary])]
    for result in results:
        pages.append(search_reply(result).pages[0])
    return Reply(pages)


# --- entry ----------------------------------------------------------------------------------------


def _date_of_birth(d: DateOfBirth) -> str:
    kind = d.type.upper()
    if kind == "BETWEEN" or (d.from_year and d.to_year):
        text = f"between {d.from_year} and {d.to_year}"
    elif kind == "APPROXIMATELY":
        text = f"approximately {d.date or d.year}"
    else:
        text = d.date or d.year or d.note
        if kind and kind not in ("EXACT", "") and text:
            text = f"{kind.lower()} {text}"
    if d.note and d.note != text:
        text = f"{text} ({d.note})" if text else d.note
    return escape(text)


def _joined(*parts: str) -> str:
    return ", ".join(p.strip() for p in parts if p and p.strip())


def _document(d: Document) -> str:
    what = _joined(d.type, d.type2) or "Document"
    details = []
    if d.issuing_country:
        details.append(f"issued by {d.issuing_country}")
    if d.date_of_issue:
        details.append(f"on {d.date_of_issue}")
    where = _joined(d.city_of_issue, d.country_of_issue)
    if where:
        details.append(f"in {where}")
    text = f"{what} {d.number}".strip()
    if details:
        text += f" ({', '.join(details)})"
    if d.note:
        text += f"; {d.note}"
    return escape(text)


def _alias(a: Alias) -> str:
    extra = _joined(a.note, a.date_of_birth and f"born {a.date_of_birth}", _joined(a.city_of_birth, a.country_of_birth))
    return escape(a.name) + (f" — {escape(extra)}" if extra else "")


def _event(event: HistoryEvent, baseline: ListVersion) -> str:
    """One line of an entry's history in the imported versions: what each version showed, never a listing date
    (an entry listed in 2017 first appears in whichever imported version came next)."""
    day = event.version.generated_date
    if event.what == "first seen":
        if event.version.id == baseline.id:
            return f"Already on the list in the first imported version, of {day}"
        return f"First seen in the imported version of {day}"
    if event.what == "added":
        before = f", not in the version of {event.previous.generated_date} before it" if event.previous else ""
        return f"First seen in the imported version of {day}{before}"
    if event.what == "removed":
        return f"**Gone from the imported version of {day}** (removed from the list)"
    return f"Amended in the imported version of {day}: {field_words(event.fields)}"


def entry_fields(record: EntryRecord) -> list[tuple[str, str, bool]]:
    """Every part of the record as (name, value, inline) fields, long parts split."""
    e: Entry = record.entry
    fields: list[tuple[str, str, bool]] = []
    info = record.info
    regime = f"{e.regime} — {info.short_committee}" if info else e.regime
    fields.append(("Regime", escape(regime), False))
    fields.append(("Kind", e.kind, True))
    fields.append(("Listed on", e.listed_on or "not given", True))
    if e.last_updated:
        fields.append(("Last updated", ", ".join(e.last_updated), True))
    if e.name_original_script:
        fields.append(("Name in original script", escape(e.name_original_script), False))
    for title, values in (
        ("Title", e.titles),
        ("Designation", e.designations),
        ("Nationality", e.nationalities),
    ):
        if values:
            fields.extend(_field_chunks(title, [escape(v) for v in values]))
    if e.gender:
        fields.append(("Gender", escape(e.gender), True))
    if e.dates_of_birth:
        fields.extend(_field_chunks("Date of birth", [_date_of_birth(d) for d in e.dates_of_birth]))
    if e.places_of_birth:
        places = [escape(_joined(p.street, p.city, p.state_province, p.country, p.note)) for p in e.places_of_birth]
        fields.extend(_field_chunks("Place of birth", [p for p in places if p]))
    groups: dict[str, list[str]] = {}
    for alias in e.aliases:
        if alias.name.strip():
            label = QUALITY_LABELS.get(alias.quality.casefold(), f"Aliases — {alias.quality}")
            groups.setdefault(label, []).append(_alias(alias))
    for label in (*QUALITY_LABELS.values(), *groups):
        if label in groups:
            fields.extend(_field_chunks(label, groups.pop(label)))
    if e.documents:
        fields.extend(_field_chunks("Documents", [_document(d) for d in e.documents]))
    addresses = [
        escape(_joined(a.street, a.city, a.state_province, a.zip_code, a.country, a.note)) for a in e.addresses
    ]
    if any(addresses):
        fields.extend(_field_chunks("Addresses", [a for a in addresses if a]))
    if e.submitted_by:
        fields.append(("Submitted by", escape(", ".join(e.submitted_by)), False))
    history = [_event(ev, record.baseline) for ev in record.events]
    if history:
        fields.extend(_field_chunks("History in the imported versions", history))
    return fields


# The UN's own page for the Consolidated List (facts sheet, "Consolidated List landing page", current address).
UN_LIST_PAGE = "https://www.un.org/securitycouncil/content/un-sc-consolidated-list"
_LISTED_UNDER = re.compile(
    r"\b[Ll]isted\b[^.;]{0,80}?\bpursuant to\b[^.;]{0,120}?\bresolution\s+(\d{3,4})(?:\s*\((\d{4})\))?"
)


def designating_resolution(entry: Entry) -> tuple[str, str] | None:
    """The resolution the entry's own narrative says it was listed under ('2293 (2016)', the words), or None."""
    text = " ".join(entry.comments.split())
    match = _LISTED_UNDER.search(text)
    if match is None:
        return None
    symbol = f"{match.group(1)} ({match.group(2)})" if match.group(2) else match.group(1)
    return symbol, match.group(0)


def entry_reply(record: EntryRecord) -> Reply:
    """The whole record, readable, split over embeds and pages within Discord's limits."""
    e = record.entry
    if record.current:
        status = f"On the UN Security Council Consolidated List since {e.listed_on or 'an unknown date'}."
        footer = version_footer(record.latest)
    else:
        removed = next((ev.version for ev in reversed(record.events) if ev.what == "removed"), None)
        when = f" in the version of {removed.generated_date}" if removed else ""
        status = (
            f"**No longer on the list**: removed{when}. The record below is as it stood in the version of "
            f"{record.last_seen.generated_date}."
        )
        footer = version_footer(record.last_seen, f"latest version {record.latest.generated_date}")
    description = status
    if e.comments:
        description += "\n\n" + escape(e.comments)
    fields = entry_fields(record)
    designated = designating_resolution(e)
    if designated is not None:
        symbol, words = designated
        fields.insert(
            3, ("Designated under", f"Resolution {symbol} (the entry's own text: \u201c{escape(words)}\u201d)", False)
        )
    fields.append(("UN's published list", f"[The Consolidated List on the UN's site]({UN_LIST_PAGE})", False))
    embeds = _pack(f"{e.reference} — {e.name}", description, fields, footer)
    embeds[0].url = UN_LIST_PAGE
    return Reply(paginate_embeds(embeds))


# --- count as of ----------------------------------------------------------------------------------


def _range(pair: tuple[int, int], singular: str, plural: str) -> str:
    low, high = pair
    if low == high:
        return count_phrase(low, singular, plural)
    return f"between {low:,} and {high:,} {plural}"


def _number(pair: tuple[int, int]) -> str:
    return f"{pair[0]:,}" if pair[0] == pair[1] else f"{pair[0]:,}–{pair[1]:,}"


def _gap_words(gap: dt.timedelta) -> str:
    """'2 years and 8 months', '3 months', '12 days'."""
    days = gap.days
    if days < 62:
        return count_phrase(days, "day")
    months = round(days / 30.44)
    years, months = divmod(months, 12)
    parts = [count_phrase(n, unit) for n, unit in ((years, "year"), (months, "month")) if n]
    return " and ".join(parts)


def _versions_footer(answer: CountAsOf) -> str:
    if answer.method == "before_first":
        return f"Earliest listing dates in the imported UN list versions · counted for {answer.day.isoformat()}"
    days = [v.generated_date for v in answer.versions]
    which = f"UN list version of {days[0]}" if len(days) == 1 else f"UN list versions of {' and '.join(days)}"
    return f"{which} · counted for {answer.day.isoformat()}"


def _how(answer: CountAsOf) -> str:
    day = answer.day.isoformat()
    used = [v.generated_date for v in answer.versions]
    if answer.method == "version":
        return f"Exact: a list version was generated on {day}."
    if answer.method == "before_first" and answer.first_listed is not None:
        return (
            f"Exact: the first {answer.regime} designations came on {answer.first_listed.isoformat()} (the "
            f"earliest listing date of any {answer.regime} entry in the imported versions), so on {day} "
            "nobody was listed under the regime yet."
        )
    if answer.method == "latest":
        return (
            f"No version generated after {day} has been imported, so the latest version "
            f"(generated {used[0]}) "
            "answers; changes made after it are not known."
        )
    if answer.method == "estimate":
        return (
            f"**An estimate.** No version generated before {day} has been imported, so this counts the "
            "entries "
            f"of the oldest version ({used[0]}) whose listing date is on or before {day}. Entries delisted "
            "before that version are missing, so the real number may be higher."
        )
    text = (
        f"Reconstructed from the versions generated on {used[0]} and {used[1]}: entries of the later version "
        f"listed on or before {day} were certainly listed then. "
    )
    gap = answer.gap
    if answer.uncertain:
        text += (
            f"{count_phrase(answer.uncertain, 'entry', 'entries')} removed between the two versions "
            "may or may not still have been listed on that date, hence the range."
        )
    elif answer.exact:
        text += (
            "No entry listed by then was removed between the two versions, and they were generated a day or "
            "less apart, so the count is exact."
        )
    else:
        text += (
            "No entry listed by then was removed between the two versions. But they were generated "
            f"{_gap_words(gap) if gap else 'some time'} apart: an entry listed and removed again between them would "
            "be in neither, so this is the count the two versions show, not a proven exact one."
        )
    if answer.before is not None:
        version, ind, ent = answer.before
        text += (
            f"\nFor comparison, the version of {version.generated_date} had "
            f"{count_phrase(ind, 'individual')} and {count_phrase(ent, 'entity', 'entities')}."
        )
    return text


def count_as_of_reply(answer: CountAsOf) -> Reply:
    """How many were listed on a date: a number, a range, or an estimate, and how it was worked out."""
    day = answer.day.isoformat()
    ind = _range(answer.individuals, "individual", "individuals")
    ent = _range(answer.entities, "entity", "entities")
    about = "About " if answer.method == "estimate" else ""
    if answer.method == "between" and not answer.exact and not answer.uncertain:
        about = "As far as the imported versions show, "
    where = f"under the {answer.regime} regime " if answer.regime else ""
    verb = "was" if answer.individuals == (1, 1) and answer.entities == (0, 0) else "were"
    sentence = f"{about}**{ind}** and **{ent}** {verb} on the UN Security Council Consolidated List {where}on {day}."
    fields: list[tuple[str, str, bool]] = []
    if answer.regime is None and answer.rows:
        width = max(len("Regime"), *(len(r.regime) for r in answer.rows))
        cell = _number
        lines = [f"{'Regime':<{width}}  Individuals  Entities"]
        lines += [f"{r.regime:<{width}}  {cell(r.individuals):>11}  {cell(r.entities):>8}" for r in answer.rows]
        lines.append(f"{'Total':<{width}}  {cell(answer.individuals):>11}  {cell(answer.entities):>8}")
        sentence += "\n```\n" + "\n".join(lines) + "\n```"
    else:
        fields = [
            ("Individuals", _number(answer.individuals), True),
            ("Entities", _number(answer.entities), True),
        ]
    fields.append(("How this was counted", _how(answer), False))
    title = f"UN sanctions list on {day}" + (f" — {answer.regime}" if answer.regime else " — all regimes")
    embed = make_embed(title, sentence, fields=fields, footer=_versions_footer(answer), colour=COLOUR)
    return Reply.embed(embed)


# --- changes --------------------------------------------------------------------------------------

_CHANGE_HEADINGS = {"added": "Added", "removed": "Removed", "amended": "Amended"}


def _change_line(change: Change) -> str:
    line = f"`{change.reference}` {escape(truncate(change.name, 90))} · {change.regime} {change.kind}"
    if change.change == "amended":
        line += f" — {field_words(change.fields)}"
    return line


def _group_summary(group: VersionChanges) -> str:
    counts = {k: sum(1 for c in group.changes if c.change == k) for k in _CHANGE_HEADINGS}
    if not group.changes:
        return "no changes"
    return ", ".join(f"{counts[k]:,} {k}" for k in _CHANGE_HEADINGS if counts[k])


def changes_reply(answer: ChangesAnswer) -> Reply:
    """A summary page, then each version's additions, removals and amendments, newest version first."""
    scope = f" — {answer.regime}" if answer.regime else ""
    since = f" since {answer.since.isoformat()}" if answer.since else ""
    title = f"Changes to the UN sanctions list{scope}{since}"
    footer = version_footer(answer.latest)
    baseline = (
        f"Changes are known from the first imported version ({answer.baseline.generated_date}) on; "
        "each version is compared with the one before it."
    )
    if not answer.groups:
        if answer.since is not None:
            text = f"No list version generated after {answer.since.isoformat()} has been imported. {baseline}"
        else:
            text = f"Only one list version has been imported, so there are no changes to show yet. {baseline}"
        return Reply.embed(make_embed(title, text, footer=footer, colour=COLOUR))
    lines = [
        f"**{g.version.generated_date}** (against {g.previous.generated_date}): {_group_summary(g)}"
        for g in answer.groups
    ]
    summary = make_embed(
        title,
        truncate("\n".join(lines) + "\n\n" + baseline, limits.DESCRIPTION),
        footer=footer,
        colour=COLOUR,
    )
    pages = [Page([summary])]
    for group in answer.groups:
        if not group.changes:
            continue
        body: list[str] = []
        for kind, heading in _CHANGE_HEADINGS.items():
            of_kind = [c for c in group.changes if c.change == kind]
            if of_kind:
                body.append(f"**{heading} ({len(of_kind):,})**")
                body.extend(_change_line(c) for c in of_kind)
        chunks: list[list[str]] = [[]]
        size = 0
        for line in body:
            if chunks[-1] and (len(chunks[-1]) >= CHANGE_LINES_PER_PAGE or size + len(line) + 1 > _CHUNK):
                chunks.append([])
                size = 0
            chunks[-1].append(line)
            size += len(line) + 1
        heading = f"Version of {group.version.generated_date} — against {group.previous.generated_date}"
        for number, chunk in enumerate(chunks, start=1):
            part = f" ({number}/{len(chunks)})" if len(chunks) > 1 else ""
            pages.append(
                Page(
                    [
                        make_embed(
                            f"{heading}{part}",
                            "\n".join(chunk),
                            footer=version_footer(group.version, f"{_group_summary(group)}{scope}"),
                            colour=COLOUR,
                        )
                    ]
                )
            )
    return Reply(pages)


# --- regimes --------------------------------------------------------------------------------------


def regimes_reply(answer: RegimesAnswer) -> Reply:
    """Every regime on the latest list with its committee, reference prefixes and counts."""
    fields = []
    for row in answer.rows:
        info = row.info
        committee = f"{info.short_committee}, on {info.subject}" if info else "committee not in the bot's table"
        value = (
            f"{count_phrase(row.individuals, 'individual')}, "
            f"{count_phrase(row.entities, 'entity', 'entities')}"
            f" · references {', '.join(f'{p}.…' for p in row.prefixes) or '—'}"
        )
        if info:
            adopted = f" on {info.established.isoformat()}" if info.established else ""
            value += f"\nEstablished by {info.resolution}{adopted}"
            if not info.active:
                value += f"\nNo longer active: {info.status}"
        fields.append((f"{row.regime} — {committee}", value, False))
    individuals = sum(r.individuals for r in answer.rows)
    entities = sum(r.entities for r in answer.rows)
    embeds = _pack(
        "Sanctions regimes on the UN list",
        f"{count_phrase(len(answer.rows), 'regime')} with {count_phrase(individuals, 'individual')} and "
        f"{count_phrase(entities, 'entity', 'entities')}. Use a regime name with `/sanctions count`, "
        "`search`, `changes` or `timeline`.",
        fields,
        version_footer(answer.version),
    )
    return Reply(paginate_embeds(embeds))


# --- timeline -------------------------------------------------------------------------------------


def timeline_filename(regime: str | None) -> str:
    """A safe attachment name for the chart."""
    slug = "".join(ch if ch.isalnum() else "-" for ch in (regime or "all").lower()).strip("-") or "all"
    return f"designations-per-year-{slug}.png"


def timeline_reply(timeline: Timeline) -> Reply:
    """A stacked bar chart of designations per year (PNG), version in the caption. CPU-bound: use a thread."""
    scope = timeline.regime or "all regimes"
    version = timeline.version.generated_date
    individuals, entities = sum(timeline.individuals), sum(timeline.entities)
    title = f"Designations per year — {scope}"
    if not timeline.years:
        return Reply.embed(
            make_embed(
                title,
                "No entry of the latest list has a listing date to chart.",
                footer=version_footer(timeline.version),
                colour=COLOUR,
            )
        )
    caption = (
        f"UN Security Council Consolidated List, version of {version}: the {individuals + entities:,} "
        "entries listed then, by the year they were listed. "
        "Entries removed before that version are not shown."
    )
    from bot.render.chart import stacked_years_png  # matplotlib loads only when a chart is drawn

    png = stacked_years_png(timeline.years, timeline.individuals, timeline.entities, title=title, caption=caption)
    filename = timeline_filename(timeline.regime)
    busiest = max(range(len(timeline.years)), key=lambda i: timeline.individuals[i] + timeline.entities[i])
    text = (
        f"{count_phrase(individuals, 'individual')} and {count_phrase(entities, 'entity', 'entities')} "
        "on the list "
        f"version of {version}, by the year they were listed ({timeline.years[0]}–{timeline.years[-1]}). "
        f"The busiest year was {timeline.years[busiest]} with "
        f"{timeline.individuals[busiest] + timeline.entities[busiest]:,}. "
        "Entries removed since are not counted."
    )
    if timeline.undated:
        text += f" {count_phrase(timeline.undated, 'entry', 'entries')} without a listing date are left out."
    rows = [
        f"{year}  {ind:>11,}  {ent:>8,}"
        for year, ind, ent in zip(timeline.years, timeline.individuals, timeline.entities, strict=True)
    ]
    per_year = _field_chunks("Per year", ["```", "Year  Individuals  Entities", *rows, "```"])
    if len(per_year) > 1:  # too many years for one field: plain lines, split over fields, read the same
        per_year = _field_chunks(
            "Per year",
            [
                f"{y}: {i:,} individuals, {e:,} entities"
                for y, i, e in zip(timeline.years, timeline.individuals, timeline.entities, strict=True)
            ],
        )
    embed = make_embed(title, text, fields=per_year, footer=version_footer(timeline.version), colour=COLOUR)
    embed.set_image(url=f"attachment://{filename}")
    alt = truncate(f"Stacked bar chart: {title}. {caption}", 1024)
    return Reply.embed(embed, files=[Attachment(filename, png, alt)])
