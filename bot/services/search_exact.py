"""Which names could score at the exact level (89 and above) against a query, without scoring them.

Used by /watch to skip the search for most watched names at the default threshold: exact-level scores need
the same whole name in one of match_score's forms (folded, sorted, canonical romanization, each also with legal
forms left out), a listed name inside the query, or one of an entry's identifiers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.hangul import has_hangul, readings
from bot.normalize import LEGAL_FORMS, NameKey, name_key, without
from bot.services.search_identifiers import identifier_key
from bot.services.search_score import WITHIN_MAX_WORDS

if TYPE_CHECKING:
    from bot.services.search_index import SearchIndex


def _forms(tokens: tuple[str, ...], variants: tuple[str, ...]) -> list[str]:
    forms = [
        "c" + "".join(tokens),
        "o" + "".join(sorted(tokens)),
        "v" + "".join(variants),
        "w" + "".join(sorted(variants)),
    ]
    legal_tokens, legal_variants = without(tokens, LEGAL_FORMS), without(variants, LEGAL_FORMS)
    if legal_tokens != tokens or legal_variants != variants:
        forms += ["l" + "".join(legal_tokens), "m" + "".join(sorted(legal_tokens))]
        forms += ["n" + "".join(legal_variants), "p" + "".join(sorted(legal_variants))]
    return forms


def _legal_forms_of(key: NameKey) -> list[str]:
    """The query's forms as a listed name's legal-form-free forms are keyed (matching either side's)."""
    tokens, variants = without(key.tokens, LEGAL_FORMS), without(key.variants, LEGAL_FORMS)
    return [
        "l" + "".join(tokens),
        "m" + "".join(sorted(tokens)),
        "n" + "".join(variants),
        "p" + "".join(sorted(variants)),
    ]


def exact_level_keys(index: SearchIndex) -> frozenset[str]:
    """Every whole-name form match_score compares for its exact-level scores, and every identifier, of an index."""
    keys: set[str] = set()
    for tokens, variants in zip(index.name_tokens, index.name_variants, strict=True):
        keys.update(_forms(tokens, variants))
        # A name without a legal form is matched by a query that has one (and the other way round).
        keys.update(_legal_forms_of(NameKey(tokens, variants, "", "", "", "")))
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
            forms = [*_forms(key.tokens, key.variants)[:4], *_legal_forms_of(key)]
            if any(form in keys for form in forms):
                return True
        words = q.variants
        for start in range(len(words)):
            for end in range(start + 2, min(len(words), start + WITHIN_MAX_WORDS) + 1):
                if "v" + "".join(words[start:end]) in keys:
                    return True
    return False
