"""Scoring one query against one name: 0–100 and why (exact, token order, romanization variant, typo, part).

Pure functions over `bot.normalize` keys; the index (`search_index`) decides which names are worth scoring.
Exact-level scores sit above every fuzzy one, so an exact alias always outranks a near spelling.
"""

from __future__ import annotations

import math

from rapidfuzz.distance import OSA

from bot.normalize import GENERIC_WORDS, LEGAL_FORMS, NameKey, variant_token, without
from bot.search_results import CLOSE_SCORE

MIN_SCORE = 50
NOISE_SCORE = 60  # below this, a hit is only shown when nothing close was found
assert NOISE_SCORE < CLOSE_SCORE

PRIMARY, ALIAS, ORIGINAL, NOTE = 0, 1, 2, 3
SOURCE_NAMES = {PRIMARY: "primary name", ALIAS: "alias", ORIGINAL: "original script", NOTE: "name in an alias note"}
SOURCE_RANK = {PRIMARY: 0, ORIGINAL: 1, ALIAS: 2, NOTE: 3}
# Exact-level scores; aliases a little lower so a primary name wins a tie, low-quality aliases lower still.
EXACT, ORDER, VARIANT, VARIANT_ORDER = 100, 97, 95, 93
TYPO_SIMILARITY = 0.75  # two letters off a six-letter name is another name (Kim Jong Il), not a typo
FUZZY_CAP = 88  # below every exact-level score, aliases included (93 - 3 = 90)
WITHIN = 90  # a whole listed name of two or more words found word for word inside a longer query
WITHIN_MAX_WORDS = 8
PARTIAL_CAP = 85
# An entity's name without its legal form (Co, Ltd, Corporation…) is the same name: exact level, above 90.
LEGAL_FORM = 92
# Without generic words too (Trading, General, Group, Korea…): close, but below the exact level.
GENERIC = 88
GENERIC_MIN_LETTERS = 6  # what is left must still say something (KUMRYONG, HESONG, HAPJANGGANG)
# The first and last names of a longer name, one of them rare on the list (Hamza bin Laden): close, on part of it.
PART_CLOSE = 86
RARE_NAMES = 12  # a word held by at most this many names tells them apart
PART_ENTRIES = 3  # first and last names shared by at most this many entries still say who is meant
PART_MIN_WORDS = 4  # a name of three words (a Korean surname and a given name of two syllables) is one whole
assert CLOSE_SCORE <= PART_CLOSE < GENERIC < FUZZY_CAP + 1 <= LEGAL_FORM - 2
_LOW_QUALITY = {"low", "f.k.a.", "fka"}
# Given names (and Khan) borne by millions: two of them (`Amin Khan`, `Tariq Ahmed`, `Muhammad Ahmed`) are many
# people, whatever the list holds, so they are never a longer name's first and last names on their own.
# In their canonical spellings (`variant_token`), so Tariq and Tarik are one.
_COMMON_SPELLINGS = [
    "muhammad",
    "ahmad",
    "ali",
    "hussein",
    "hasan",
    "khan",
    "amin",
    "mustafa",
    "hamid",
    "tariq",
    "umar",
    "uthman",
    "usama",
    "yusuf",
    "ibrahim",
    "ismail",
    "khalid",
    "mahmud",
    "said",
    "salah",
    "abdallah",
    "abd",
    "abu",
    "bin",
    "al",
    "hamza",
    "karim",
    "rahman",
    "rahim",
    "aziz",
    "jamal",
    "kamal",
    "nasir",
    "nur",
    "fatima",
    "aisha",
    "mariam",
    "zainab",
    "bakr",
    "jafar",
    "musa",
    "isa",
    "harun",
    "idris",
    "yunis",
    "yahya",
    "zakaria",
    "sulaiman",
    "dawud",
    "adam",
    "nuh",
    "haji",
    "mulla",
    "sheikh",
    "faisal",
    "farid",
    "fahd",
    "hafiz",
    "hakim",
    "halim",
    "hashim",
    "jalal",
    "jamil",
    "latif",
    "majid",
    "malik",
    "mansur",
    "nabil",
    "rashid",
    "sadiq",
    "saif",
    "sami",
    "shakir",
    "sharif",
    "tahir",
    "tayyib",
    "walid",
    "wasim",
    "zahir",
    "zaid",
    "habib",
    "ghulam",
    "gul",
    "shah",
    "jan",
]
COMMON_NAMES = frozenset(v for w in _COMMON_SPELLINGS for v in variant_token(w))


def match_score(
    q: NameKey, name_tokens: tuple[str, ...], name_variants: tuple[str, ...]
) -> tuple[int, tuple[str, ...]]:
    """Score 0–100 of a query against one name (as a primary name), and why. 0 means no match."""
    if not q.tokens or not name_tokens:
        return 0, ()
    compact = "".join(name_tokens)
    if q.compact == compact:
        return EXACT, ("exact",)
    ordered = "".join(sorted(name_tokens))
    if q.ordered == ordered:
        return ORDER, ("token order",)
    v_compact = "".join(name_variants)
    if q.variant_compact == v_compact:
        return VARIANT, ("romanization variant",)
    v_ordered = "".join(sorted(name_variants))
    if q.variant_ordered == v_ordered:
        return VARIANT_ORDER, ("romanization variant", "token order")

    core = _core_score(q, name_tokens, name_variants)
    if core is not None:
        return core

    # Whole-name typos: the smallest edit distance (a swap of neighbours is one edit) over the four forms;
    # every word counts, short ones too.
    in_order = min(OSA.distance(q.compact, compact), OSA.distance(q.variant_compact, v_compact))
    any_order = min(OSA.distance(q.ordered, ordered), OSA.distance(q.variant_ordered, v_ordered))
    distance = min(in_order, any_order)
    length = max(len(q.variant_compact), len(v_compact), len(q.compact), len(compact))
    similarity = 1 - distance / length
    fuzzy = min(FUZZY_CAP, math.floor(90 * similarity))
    # A typo is a letter or two away from what was typed: KIM KYONG IL is two edits from `Kim Il Sung` only once
    # sung is read as song, so it is a similar spelling, not a typo.
    typed = min(OSA.distance(q.compact, compact), OSA.distance(q.ordered, ordered))
    if distance <= 2 and similarity >= TYPO_SIMILARITY and typed <= 2:
        reasons: tuple[str, ...] = ("typo",) if in_order <= any_order else ("typo", "token order")
    elif distance <= 2 and similarity >= TYPO_SIMILARITY:
        reasons = ("romanization variant", "similar spelling")
        reasons += () if in_order <= any_order else ("token order",)
    else:
        reasons = ("similar spelling",)
    best = (fuzzy, reasons)

    partial = partial_score(q.variants, name_variants, len(v_compact))
    if partial is not None and partial[0] > best[0]:
        best = partial
    return best


def partial_score(
    query: tuple[str, ...], name: tuple[str, ...], name_length: int
) -> tuple[int, tuple[str, ...]] | None:
    """Every query word is in the name (a typo allowed in words of 4+ letters), and the name is longer."""
    remaining = list(name)
    covered = 0
    typo = False
    for word in query:
        if word in remaining:
            remaining.remove(word)
            covered += len(word)
            continue
        if len(word) < 4:
            return None
        limit = 1 if len(word) < 8 else 2
        best_word, best_distance = None, limit + 1
        for other in remaining:
            d = OSA.distance(word, other, score_cutoff=limit)
            if d < best_distance:
                best_word, best_distance = other, d
        if best_word is None:
            return None
        remaining.remove(best_word)
        covered += len(word) - best_distance
        typo = True
    if not remaining:
        return None  # the same words: one of the exact levels or a typo, not a part
    coverage = covered / max(name_length, 1)
    score = min(PARTIAL_CAP, math.floor(55 + 30 * coverage)) - (5 if typo else 0)
    return score, (("part of the name", "typo") if typo else ("part of the name",))


def _core_score(
    q: NameKey, name_tokens: tuple[str, ...], name_variants: tuple[str, ...]
) -> tuple[int, tuple[str, ...]] | None:
    """The same name once legal forms (then generic words) are left out of both, in any of the four forms."""
    # A generic word's canonical spelling is in GENERIC_WORDS too, so the variants tell for both forms.
    if GENERIC_WORDS.isdisjoint(name_variants) and GENERIC_WORDS.isdisjoint(q.variants):
        return None  # nothing to leave out (most names)
    for drop, score, words in ((LEGAL_FORMS, LEGAL_FORM, "legal form"), (GENERIC_WORDS, GENERIC, "generic words")):
        qt, nt = without(q.tokens, drop), without(name_tokens, drop)
        if qt == q.tokens and nt == name_tokens:
            continue  # nothing left out: the exact levels have said all there is
        # Left out when the name has such words the query lacks; added when the query has some the name lacks
        # (`Korea Hesong Trading`). At the generic level legal forms weigh nothing and are not counted.
        kinds = drop if drop is LEGAL_FORMS else drop - LEGAL_FORMS
        left_out = any(w in kinds and w not in q.tokens for w in name_tokens)
        added = any(w in kinds and w not in name_tokens for w in q.tokens)
        if left_out and added and drop is GENERIC_WORDS:
            reason = f"{words} differ"
        else:
            reason = f"{words} added" if added and not left_out else f"{words} left out"
        qv, nv = without(q.variants, drop), without(name_variants, drop)
        compact = "".join(nt)
        if drop is GENERIC_WORDS and len(compact) < GENERIC_MIN_LETTERS:
            continue
        joined = ("words joined",) if len(qt) != len(nt) else ()
        if "".join(qt) == compact:
            return score, (reason, *joined)
        if "".join(sorted(qt)) == "".join(sorted(nt)):
            return score - 1, (reason, "token order")
        if "".join(qv) == "".join(nv):
            return score - 1, (reason, "romanization variant", *joined)
        if "".join(sorted(qv)) == "".join(sorted(nv)):
            return score - 2, (reason, "romanization variant", "token order")
    return None


def anchored_part(query: tuple[str, ...], name: tuple[str, ...]) -> bool:
    """The query is a longer name's first and last words with some of those between (Hamza bin Laden).

    Only names of four words or more: RI PYONG CHUL is a surname and a given name of two syllables, one unit, and
    `Ri Chol` (a diplomat who is not listed) is not part of it.
    """
    if len(query) < 2 or len(name) < PART_MIN_WORDS or len(name) <= len(query):
        return False
    if query[0] != name[0] or query[-1] != name[-1]:
        return False
    if COMMON_NAMES.issuperset(query):
        return False
    remaining = list(name)
    for word in query:
        if word not in remaining:
            return False
        remaining.remove(word)
    return True


def quality_penalty(source: int, quality: str) -> int:
    """What an alias gives up against the primary name: 2, or 3 for a low-quality alias."""
    if source not in (ALIAS, NOTE):
        return 0
    return 3 if quality.casefold() in _LOW_QUALITY else 2
