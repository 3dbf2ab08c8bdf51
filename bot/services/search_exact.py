"""Which names could score at the exact level (89 and above) against a query, without scoring them.

Used by /watch to skip the search for most watched names at the default threshold: exact-level scores need
the same whole name in one of match_score's forms (folded, sorted, canonical romanization, each also with legal
forms left out), a listed name inside the query, or one of an entry's identifiers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.hangul import has_hangul, readings
from bot.normalize import LEGAL_FORMS, name_key, without
from bot.services.search_identifiers import identifier_key
from bot.services.search_score import WITHIN_MAX_WORDS

if TYPE_CHECKING:
    from bot.services.search_index import SearchIndex


def _forms(tokens: tuple[str, ...], variants: tuple[str, ...]) -> list[str]:
    """The four whole-name forms of a name, and the same four without its legal forms when it has any.

    The legal-form level compares both sides without legal forms, so keying both sides both ways finds it.
    """
    forms = ["c" + "".join(tokens), "o" + "".join(sorted(tokens)), "v" + "".join(variants)]
    forms.append("w" + "".join(sorted(variants)))
    if not (LEGAL_FORMS.isdisjoint(tokens) and LEGAL_FORMS.isdisjoint(variants)):
        forms += _forms(without(tokens, LEGAL_FORMS), without(variants, LEGAL_FORMS))
    return forms


def exact_level_keys(index: SearchIndex) -> frozenset[str]:
    """Every whole-name form match_score compares for its exact-level scores, and every identifier, of an index."""
    keys: set[str] = set()
    for tokens, variants in zip(index.name_tokens, index.name_variants, strict=True):
        keys.update(_forms(tokens, variants))
    keys.update("i" + key for key in index.identifiers)
    return frozenset(keys)


def may_score_exact_level(index: SearchIndex, keys: frozenset[str], target: str) -> bool:
    """True when some name of the index could score at the exact level against the target in SearchIndex.search."""
    identifier = identifier_key(target)
    if identifier is not None and "i" + identifier in keys:
        return True
    texts = readings(target) if has_hangul(target) else [target]
    for text in texts:
        q = name_key(text)
        if not q.tokens:
            continue
        candidates = [q]
        for other in (index.split_words(q), index.join_words(q)):
            if other is not None:
                candidates.append(other)
        for key in candidates:
            if any(form in keys for form in _forms(key.tokens, key.variants)):
                return True
        words = q.variants
        for start in range(len(words)):
            for end in range(start + 2, min(len(words), start + WITHIN_MAX_WORDS) + 1):
                if "v" + "".join(words[start:end]) in keys:
                    return True
    return False
