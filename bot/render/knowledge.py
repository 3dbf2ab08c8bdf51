"""Answers from the knowledge files: committee membership, committee info, resolutions, statements, quotes."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import discord

from bot.models_knowledge import Chair, Publication, Quote, Statement
from bot.render import limits
from bot.render.common import COLOUR, count_phrase, version_footer
from bot.render.reply import Reply, make_embed, paginate_embeds
from bot.services.knowledge import (
    CommitteeInfo,
    LoadReport,
    MembersAnswer,
    QuoteSearchAnswer,
    ResolutionsAnswer,
    StatementAnswer,
)

KIND_LABELS = {"denial": "Denial", "rebuttal": "Rebuttal", "claim": "Claim", "finding": "Finding"}
SOURCES_CHARS = 3000
_URL = re.compile(r"https?://\S+")
_PARENTHESES = re.compile(r"\s*\([^()]*\)\s*$")
_ISO_DATE = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")


def _unique(items: Iterable[str]) -> list[str]:
    """Items in order without repeats; a source citing an address already listed counts as a repeat."""
    seen: dict[str, str] = {}
    for item in items:
        key = _URL.findall(item)[-1] if _URL.search(item) else item
        if item and key not in seen:
            seen[key] = item
    return list(seen.values())


def _bullets(lines: Iterable[str]) -> str:
    return "\n".join(f"• {line}" for line in lines)


def sources_embed(title: str, sources: Sequence[str], footer: str | None = None) -> discord.Embed:
    """A second embed listing where the facts above come from."""
    return make_embed(title, limits.truncate(_bullets(_unique(sources)), SOURCES_CHARS), footer=footer, colour=COLOUR)


def split_embed(
    title: str,
    description: str = "",
    *,
    fields: Sequence[tuple[str, str, bool]] = (),
    footer: str | None = None,
    url: str | None = None,
    max_fields: int = limits.FIELDS,
) -> list[discord.Embed]:
    """One embed, or several ("… (continued)") when its fields would pass 6,000 characters or `max_fields`."""
    embeds: list[discord.Embed] = []
    current: list[tuple[str, str, bool]] = []

    def build(items: list[tuple[str, str, bool]], first: bool) -> discord.Embed:
        return make_embed(
            title if first else limits.truncate(f"{title} (continued)", limits.TITLE),
            description if first else "",
            fields=items,
            footer=footer,
            colour=COLOUR,
            url=url if first else None,
        )

    for item in fields:
        candidate = build([*current, item], not embeds)
        if current and (len(current) >= max_fields or len(candidate) > limits.EMBED_TOTAL):
            embeds.append(build(current, not embeds))
            current = [item]
        else:
            current.append(item)
    embeds.append(build(current, not embeds))
    return embeds


def quoted(text: str) -> str:
    """A passage as quoted: straight double quotes around the exact words."""
    return f'"{text}"'


# --- /committee members -------------------------------------------------------------------------------------


def chair_text(chair: Chair | None, year: int) -> str:
    """Who chaired in a year, saying plainly when it is not confirmed or not known."""
    if chair is None:
        return f"Not recorded for {year}."
    who = f"{chair.person} ({chair.country})" if chair.person else chair.country
    if not chair.confirmed:
        return f"**Not confirmed:** {who} is believed to chair. {chair.note}".strip()
    return f"{who}. {chair.note}".strip() if chair.note else who


def members_reply(answer: MembersAnswer) -> Reply:
    """The fifteen members of a year, permanent and elected apart, with chair, vice-chairs and sources."""
    elected_lines = []
    notes = []
    for seat in answer.elected:
        term = seat.term
        span = f"{term.start}–{term.end}" if term.start != term.end else f"{term.start} only"
        extra = f", {term.seat}" if term.seat else ""
        elected_lines.append(f"{seat.member} — term {span}{extra}")
        if term.note:
            notes.append(term.note)
    vice = answer.vice_chairs
    vice_text = ", ".join(vice.countries) if vice else f"Not known for {answer.year}: no source seen names them."
    fields = [
        (f"Permanent members ({len(answer.permanent)})", "\n".join(s.member for s in answer.permanent), True),
        (f"Elected members ({len(answer.elected)})", "\n".join(elected_lines), True),
        ("Chair", chair_text(answer.chair, answer.year), False),
        ("Vice-chairs", vice_text, False),
    ]
    if notes:
        fields.append(("Notes", "\n".join(_unique(notes)), False))
    total = len(answer.permanent) + len(answer.elected)
    main = split_embed(
        f"1718 Committee members in {answer.year}",
        f"The 1718 Committee consists of all {total} members of the Security Council: "
        f"{len(answer.permanent)} permanent and {len(answer.elected)} elected.",
        fields=fields,
        footer=(
            f"Knowledge files: council.toml, chairs.toml · membership known for {answer.first_year}–{answer.last_year}"
        ),
    )
    sources: list[str] = []
    for seat in (*answer.permanent, *answer.elected):
        sources.extend(seat.term.sources)
    if answer.chair:
        sources.extend(f"Chair: {s}" for s in answer.chair.sources)
    if vice:
        sources.extend(f"Vice-chairs: {s}" for s in vice.sources)
    return Reply(paginate_embeds([*main, sources_embed(f"Sources — members in {answer.year}", sources)]))


# --- /committee info ----------------------------------------------------------------------------------------


def info_reply(info: CommitteeInfo) -> Reply:
    """A committee: name, mandate, establishing resolution, measures, Panel of Experts, list counts."""
    regime = info.regime
    description = "\n\n".join(x for x in (regime.mandate, regime.composition, regime.reporting) if x)
    established = f"By {regime.established_by}"
    if regime.established_on and regime.established_on not in regime.established_by:
        established += f", on {regime.established_on}"
    list_line = (
        f"`UN_LIST_TYPE` {regime.list_type} · prefixes {', '.join(regime.prefixes) or '—'}"
        if regime.list_type
        else "No entries on the Consolidated List (no `UN_LIST_TYPE`)."
    )
    counts_label = "On the list now"
    if info.version is None:
        counts_text = "The UN list has not been loaded yet."
    elif info.counts is not None:
        c = info.counts
        counts_text = (
            f"**{count_phrase(c.individuals, 'individual')}** and "
            f"**{count_phrase(c.entities, 'entity', 'entities')}** "
            f"(UN list version of {info.version.generated_date})"
        )
    else:
        generated = info.version.generated_date
        counts_text = f"None in the latest imported list (UN list version of {generated})."
        later = sorted({d for d in _ISO_DATE.findall(regime.status) if d > generated})
        if later:
            # The status speaks of events after the list we hold: say the list cannot show them yet.
            counts_text += (
                f" That version predates what the status above describes from {later[0]}, so it cannot show "
                "those entries; a newer list would."
            )
            counts_label = "On the latest imported list"
    fields = [
        ("Established", established, False),
        ("Status", regime.status[:1].upper() + regime.status[1:], False),
        (counts_label, counts_text, False),
        ("Consolidated List", list_line, False),
    ]
    if info.chair is not None and info.year is not None:
        fields.append((f"Chair in {info.year}", chair_text(info.chair, info.year), False))
    if info.panel is not None:
        p = info.panel
        panel_lines = [f"{p.name}, established on {p.established_on}.", p.status]
        if p.size:
            panel_lines.append(p.size)
        fields.append(("Panel of Experts", "\n".join(panel_lines), False))
    embeds = split_embed(
        regime.committee,
        description or f"The {regime.name} sanctions regime.",
        fields=fields,
        footer=version_footer(info.version, "knowledge: regimes.toml, panel.toml"),
    )
    if info.measures:
        embeds.append(
            make_embed(
                f"Measures in force — {regime.name}",
                "\n".join(f"**{m.title}** — {m.text}" for m in info.measures),
                colour=COLOUR,
            )
        )
    else:
        embeds.append(
            make_embed(
                f"Measures in force — {regime.name}",
                "The knowledge files do not record this regime's measures in detail (only the DPRK regime's).",
                colour=COLOUR,
            )
        )
    sources = list(regime.sources)
    for m in info.measures:
        sources.extend(m.sources)
    if info.panel is not None:
        sources.extend(info.panel.sources)
    embeds.append(sources_embed(f"Sources — {regime.name}", sources))
    return Reply(paginate_embeds(embeds))


# --- /committee resolutions ---------------------------------------------------------------------------------


def resolutions_reply(answer: ResolutionsAnswer, *, per_embed: int = 5) -> Reply:
    """A regime's resolutions in order with dates and what each added; one page per few resolutions."""
    regime = answer.regime
    if not answer.resolutions:
        embed = make_embed(
            f"Resolutions — {regime.name}",
            f"The knowledge files record only how this regime was established: {regime.established_by}"
            + (f" ({regime.established_on})" if regime.established_on else "")
            + ". Resolutions are recorded in detail for the DPRK regime only.",
            footer="Knowledge file: regimes.toml",
            colour=COLOUR,
        )
        return Reply.embed(embed)
    fields = []
    for res in answer.resolutions:
        when = res.adopted or f"{res.year} ({res.adopted_note})"
        lines = []
        if res.vote:
            lines.append(f"Vote: {res.vote}")
        if res.trigger:
            lines.append(f"After {res.trigger}")
        lines.append("Added: " + "; ".join(res.measures))
        if res.designations:
            lines.append(f"Designated: {res.designations}")
        if res.panel_mandate_to:
            lines.append(f"Panel of Experts' mandate to {res.panel_mandate_to}")
        fields.append((f"Resolution {res.symbol} — {when}", "\n".join(lines), False))
    count = len(answer.resolutions)
    summary = f"{count} resolutions, in order of adoption."
    if regime.unconfirmed_resolutions:
        summary += " Left out as unconfirmed: " + "; ".join(regime.unconfirmed_resolutions) + "."
    embeds = split_embed(
        f"Resolutions — {regime.committee}",
        summary,
        fields=fields,
        footer="Knowledge file: resolutions.toml",
        max_fields=per_embed,
    )
    sources = [s for res in answer.resolutions for s in (f"{res.number}: {x}" for x in res.sources)]
    embeds.append(sources_embed(f"Sources — resolutions of the {regime.name} regime", sources))
    return Reply(paginate_embeds(embeds, per_page=1))


# --- statements ---------------------------------------------------------------------------------------------


def publication_footer(pub: Publication, statement_id: str | None = None) -> str:
    """'Source: Voice of America, "Title", 2018-05-02 (date derived) · id: …'."""
    date = f"{pub.date} (date derived: no date stamp seen)" if pub.date_derived else pub.date
    text = f"Source: {pub.publisher}, \u201c{pub.title}\u201d, {date}"
    if statement_id:
        text += f" · statement id: {statement_id}"
    return text


def _date_text(st: Statement) -> str:
    text = st.date
    if st.date_derived:
        text += " (derived)"
    return f"{text} — {st.date_note}" if st.date_note else text


def speaker_label(st: Statement) -> str:
    """Who speaks, without the bracketed details: "North Korea's U.N. Mission", "The U.S. delegation, as quoted
    by North Korea's U.N. Mission"."""
    return _PARENTHESES.sub("", st.speaker).strip() or st.speaker


def reporter_label(pub: Publication | None) -> str:
    """Whose words the lead-ins are: the reporter's, for the publication that carried them."""
    return f"The {pub.publisher} reporter's paraphrase" if pub else "The reporter's paraphrase"


def passage_lines(quotes: Sequence[Quote], st: Statement, pub: Publication | None) -> list[str]:
    """Each passage labelled by its speaker: the reporter's lead-in apart, then the words quoted, whose they are."""
    lines = []
    for quote in quotes:
        if quote.lead:
            lines.append(f"*{reporter_label(pub)}:* {quote.lead} \u2026")
        lines.append(f"> {quoted(quote.text)} \u2014 **{speaker_label(st)}**, word for word")
    return lines


def _fit(parts: Sequence[str], limit: int = limits.FIELD_VALUE) -> str:
    """Join parts with newlines, stopping before the one that would not fit whole."""
    out: list[str] = []
    size = 0
    for part in parts:
        if out and size + 1 + len(part) > limit:
            break
        out.append(part)
        size += len(part) + 1
    return "\n".join(out)


def _answer_text(st: Statement, quotes: Sequence[Quote], pub: Publication | None, *, with_summary: bool) -> str:
    """A statement answering (or bearing on) another: who and when, then its own words or a summary."""
    head = f"**{st.speaker}**, {st.date}{' (derived)' if st.date_derived else ''}"
    if not quotes:
        return _fit([f"{head} \u2014 no words quoted; the bot's summary of the report: {st.summary}"])
    lines = passage_lines(quotes, st, pub)
    summary = f"The bot's summary of the report: {st.summary}"
    return _fit([f"{head}:", summary, *lines] if with_summary else [f"{head}:", *lines])


def statement_reply(answer: StatementAnswer, *, heading: str | None = None) -> Reply:
    """One statement in full: who, when, its quoted passages word for word, the context, the answers."""
    st = answer.statement
    pub = answer.publication
    description = f"**In short** (the bot's summary of the report): {st.summary}"
    if answer.quotes:
        description += (
            "\n\n**Passages, each labelled by who speaks** (the reporter's own words in italics, the speaker's "
            "in quotation marks):\n" + "\n".join(passage_lines(answer.quotes, st, pub))
        )
    fields = [
        ("When", _date_text(st), False),
        ("Who", f"{st.speaker}\nSpeaking for: {st.speaks_for}", False),
    ]
    if st.context:
        fields.append(("Context", st.context, False))
    for label, related in (("Responds to", answer.responds_to), ("Bears on", answer.bears_on)):
        if related:
            lines = [f"{s.speaker} ({KIND_LABELS.get(s.kind, s.kind).lower()}, {s.date}) — `{s.id}`" for s in related]
            fields.append((label, "\n".join(lines), False))
    # Answers quote their own words; evidence (a finding) also gets its summary, which dates and frames it.
    for response, quotes in answer.responses:
        label = f"Answer ({KIND_LABELS.get(response.kind, response.kind).lower()}) — `{response.id}`"
        fields.append((label, _answer_text(response, quotes, pub, with_summary=False), False))
    for evidence, quotes in answer.evidence:
        label = f"Evidence ({KIND_LABELS.get(evidence.kind, evidence.kind).lower()}) — `{evidence.id}`"
        fields.append((label, _answer_text(evidence, quotes, pub, with_summary=True), False))
    title = heading or f"{KIND_LABELS.get(st.kind, st.kind)}: {st.speaker}"
    main = split_embed(title, description, fields=fields, footer=publication_footer(pub, st.id), url=pub.url or None)
    sources = [f"{pub.publisher}: {pub.url}" if pub.url else pub.publisher, *pub.also_carried_by]
    sources += [f"Date: {s}" for s in st.date_sources]
    if pub.date_note:
        sources.append(f"Publication date {pub.date}: {pub.date_note}")
    return Reply(paginate_embeds([*main, sources_embed(f"Sources — {st.id}", sources)]))


def denial_reply(answer: StatementAnswer) -> Reply:
    """/statement denial: the DPRK mission's denial with its context and the answers to it."""
    return statement_reply(answer, heading="North Korea denies hacking the 1718 Committee's database")


def statement_list_reply(statements: Sequence[Statement]) -> Reply:
    """Every statement, newest first, one line each with its id."""
    lines = [
        f"`{s.id}` · {s.date}{' (derived)' if s.date_derived else ''} · {KIND_LABELS.get(s.kind, s.kind)} — {s.speaker}"
        for s in statements
    ]
    embed = make_embed(
        "Statements",
        "\n".join(lines) if lines else "No statements are recorded.",
        footer="Newest first · /statement show id:<id> for one in full · knowledge file: statements.toml",
        colour=COLOUR,
    )
    return Reply.embed(embed)


def quotes_reply(answer: QuoteSearchAnswer) -> Reply:
    """Quoted passages matching a search, each with speaker, date and statement id."""
    shown = limits.echo(answer.query, 80)
    if not answer.hits:
        embed = make_embed(
            "No quoted passages found",
            f"No passage (quoted words or the reporter's lead-in to them) contains all of: {shown}. "
            "Try fewer or other words, or `/statement list`.",
            colour=COLOUR,
        )
        return Reply.embed(embed)
    blocks = []
    for hit in answer.hits:
        st = hit.statement
        lines = passage_lines([hit.quote], st, answer.publications.get(hit.quote.source))
        lines.append(f"{st.date}{' (derived)' if st.date_derived else ''} · `{st.id}`")
        blocks.append("\n".join(lines))
    more = f" (showing {len(answer.hits)})" if answer.total > len(answer.hits) else ""
    embed = make_embed(
        f"Quoted passages matching {shown}",
        f"**{count_phrase(answer.total, 'passage')}**{more} for {shown}:\n\n" + "\n\n".join(blocks),
        footer="Full-text search over the quoted words and the reporter's lead-ins · knowledge file: statements.toml",
        colour=COLOUR,
    )
    return Reply.embed(embed)


# --- /admin reload-knowledge --------------------------------------------------------------------------------


def reload_reply(report: LoadReport) -> Reply:
    """What a reload did, file by file and record by record."""
    counts = "\n".join(f"{name}: {count_phrase(n, 'record')}" for name, n in report.counts)
    if report.status == "unchanged":
        embed = make_embed(
            "Knowledge files unchanged",
            "The files are the same as those loaded; nothing was written.\n\n" + counts,
            colour=COLOUR,
        )
        return Reply.embed(embed, ephemeral=True)
    fields = [("Files changed", ", ".join(report.files_changed) or "—", False)]
    for change in report.changes:
        parts = []
        for label, keys in (
            ("added", change.added),
            ("removed", change.removed),
            ("changed", change.changed),
        ):
            if keys:
                parts.append(f"{len(keys)} {label}: " + "; ".join(keys))
        fields.append((change.name.capitalize(), "\n".join(parts), False))
    if report.status == "updated" and not report.changes:
        fields.append(("Records", "No record changed (only comments or layout).", False))
    title = "Knowledge files loaded" if report.status == "loaded" else "Knowledge files reloaded"
    return Reply(paginate_embeds(split_embed(title, counts, fields=fields)), ephemeral=True)
