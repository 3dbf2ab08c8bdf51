"""The /sanctions entry answer: one entry's whole record and its history in the imported versions."""

from __future__ import annotations

import re

from bot.models import Alias, DateOfBirth, Document, Entry, ListVersion
from bot.render.common import version_footer
from bot.render.limits import escape
from bot.render.packing import field_chunks, pack
from bot.render.reply import Reply, paginate_embeds
from bot.services.history import EntryRecord, HistoryEvent

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


def date_of_birth_text(d: DateOfBirth) -> str:
    """A date of birth as the list gives it: 'between 1960 and 1962', 'approximately 1968' (escaped)."""
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


def joined(*parts: str) -> str:
    """The non-blank parts, stripped, joined with commas."""
    return ", ".join(p.strip() for p in parts if p and p.strip())


def document_text(d: Document) -> str:
    """A document: its type and number, who issued it, when and where, and its note (escaped)."""
    what = joined(d.type, d.type2) or "Document"
    details = []
    if d.issuing_country:
        details.append(f"issued by {d.issuing_country}")
    if d.date_of_issue:
        details.append(f"on {d.date_of_issue}")
    where = joined(d.city_of_issue, d.country_of_issue)
    if where:
        details.append(f"in {where}")
    text = f"{what} {d.number}".strip()
    if details:
        text += f" ({', '.join(details)})"
    if d.note:
        text += f"; {d.note}"
    return escape(text)


def alias_text(a: Alias) -> str:
    """An alias with its note and birth details, if any (escaped)."""
    extra = joined(a.note, a.date_of_birth and f"born {a.date_of_birth}", joined(a.city_of_birth, a.country_of_birth))
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
            fields.extend(field_chunks(title, [escape(v) for v in values]))
    if e.gender:
        fields.append(("Gender", escape(e.gender), True))
    if e.dates_of_birth:
        fields.extend(field_chunks("Date of birth", [date_of_birth_text(d) for d in e.dates_of_birth]))
    if e.places_of_birth:
        places = [escape(joined(p.street, p.city, p.state_province, p.country, p.note)) for p in e.places_of_birth]
        fields.extend(field_chunks("Place of birth", [p for p in places if p]))
    groups: dict[str, list[str]] = {}
    for alias in e.aliases:
        if alias.name.strip():
            label = QUALITY_LABELS.get(alias.quality.casefold(), f"Aliases — {alias.quality}")
            groups.setdefault(label, []).append(alias_text(alias))
    for label in (*QUALITY_LABELS.values(), *groups):
        if label in groups:
            fields.extend(field_chunks(label, groups.pop(label)))
    if e.documents:
        fields.extend(field_chunks("Documents", [document_text(d) for d in e.documents]))
    addresses = [escape(joined(a.street, a.city, a.state_province, a.zip_code, a.country, a.note)) for a in e.addresses]
    if any(addresses):
        fields.extend(field_chunks("Addresses", [a for a in addresses if a]))
    if e.submitted_by:
        fields.append(("Submitted by", escape(", ".join(e.submitted_by)), False))
    history = [_event(ev, record.baseline) for ev in record.events]
    if history:
        fields.extend(field_chunks("History in the imported versions", history))
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


def entry_reply(record: EntryRecord, searched: str | None = None) -> Reply:
    """The whole record, readable, split over embeds and pages within Discord's limits; `searched` is a reference
    number typed into name search, answered with its entry."""
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
    if searched is not None:
        description = (
            f"{escape(' '.join(searched.split()))} is a reference number, not a name: this is entry {e.reference} "
            f"(the same as `/sanctions entry reference:{e.reference}`).\n\n{status}"
        )
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
    embeds = pack(f"{e.reference} — {e.name}", description, fields, footer)
    embeds[0].url = UN_LIST_PAGE
    return Reply(paginate_embeds(embeds))
