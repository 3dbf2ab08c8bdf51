"""Reference numbers typed by people, resolved against an index's references (current and removed ones)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.errors import MalformedReference, UnknownReference
from bot.references import PREFIX_ONLY, parse_loose
from bot.search_results import CLOSE_SCORE
from bot.text import one_line

if TYPE_CHECKING:
    from bot.services.search_index import SearchIndex


def resolve_reference(index: SearchIndex, text: str) -> str:
    """The list's spelling of a reference number; else MalformedReference or UnknownReference."""
    typed = one_line(text)
    if not typed:
        raise MalformedReference(text, "type a reference number such as KPi.033")
    known = index.references_casefold.get(typed.casefold())
    if known is not None:
        return known
    if len(typed) > 20:
        raise MalformedReference(typed, "that is too long for a reference number (they look like KPi.033)")
    prefix = PREFIX_ONLY.match(typed)
    if prefix:
        letters = prefix.group(1).upper()
        sample = [
            min((r for r in index.references_casefold.values() if r.startswith(letters + kind)), default="")
            for kind in ("i", "e")
        ]
        sample = [r for r in sample if r]
        raise MalformedReference(
            typed,
            f"that is only the start of a reference number; {letters} references look like "
            f"{letters}i.001 (individuals) or {letters}e.001 (entities)",
            sample,
        )
    loose = parse_loose(typed)
    if loose:
        canonical = loose.canonical
        if len(loose.digits) > 3:
            problem = f"reference numbers have three digits after the dot, not {len(loose.digits)}"
        elif loose.well_formed:
            raise UnknownReference(typed, suggest_references(index, canonical))
        else:
            problem = "reference numbers are written with a dot and three digits, like KPi.033"
        suggestions = [canonical] if canonical.casefold() in index.references_casefold else []
        suggestions += [s for s in suggest_references(index, canonical or typed) if s not in suggestions]
        raise MalformedReference(typed, problem, suggestions[:3])
    if any(ch.isalpha() for ch in typed) and not any(ch.isdigit() for ch in typed):
        hits = index.search(typed, limit=3, min_score=CLOSE_SCORE - 10)
        raise MalformedReference(
            typed,
            "that looks like a name, not a reference number (they look like KPi.033); "
            "`/sanctions search` finds entries by name",
            [h.reference for h in hits],
        )
    raise MalformedReference(typed, "reference numbers look like KPi.033", suggest_references(index, typed))


def suggest_references(index: SearchIndex, text: str, limit: int = 3) -> list[str]:
    """The stored references closest to what was typed."""
    found = process.extract(text.casefold(), index.references_sorted, scorer=OSA.distance, limit=limit, score_cutoff=3)
    return [index.references_casefold[match] for match, _d, _i in found]
