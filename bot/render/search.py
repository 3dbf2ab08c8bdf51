"""The /sanctions search answer: the hits for a name or an identifier, and several names at once."""

from __future__ import annotations

from bot.regimes import regime_info
from bot.render import limits
from bot.render.common import COLOUR, count_phrase, version_footer
from bot.render.limits import escape, truncate
from bot.render.reply import Page, Reply, make_embed
from bot.search_results import CLOSE_SCORE, Hit, SearchResult

HITS_PER_PAGE = 5


def _quality_words(quality: str) -> str:
    """', good quality', ', a.k.a.' — how the list marks an alias."""
    if not quality:
        return ""
    if quality.casefold() in ("good", "low"):
        return f", {quality.casefold()} quality"
    return f", {quality}"


def _not_close_note(best: Hit) -> str:
    """What the nearest names are when none is close: never 'a different name' for a typo or a part of one."""
    if "part of the name" in best.reasons and "typo" in best.reasons:
        return (
            "The names below are longer and hold a word a letter or two away from what was typed: a typo of it, "
            "or a different name. Compare the details before relying on either."
        )
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
