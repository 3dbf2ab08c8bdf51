"""Name search over the latest list: an in-memory index built from the store, swapped whole after each import.

Finding candidates is cheap and generous: canonical-word postings (numpy arrays, weighted by rarity and by how
much of a name the query covers), typo expansion of unknown words against the vocabulary, and two exact-key
dictionaries. Scoring is careful and explains itself: `match_score` compares the query with one name at every
level of `bot.normalize` and says why it matched (exact, token order, romanization variant, typo, part of the
name). Short words count: every query word has to be found, so `Kim Jong Un` does not score like `KIM JONG`.
"""

from __future__ import annotations

import asyncio
import bisect
import logging
import math
import re
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.errors import InvalidOption, ListNotLoaded, MalformedReference, UnknownReference
from bot.models import Entry, Kind, ListVersion
from bot.normalize import NameKey, fold, key_of, name_key, name_parts, strip_invisible
from bot.services.lists import ListService
from bot.store import lists as store
from bot.store.db import Database

log = logging.getLogger(__name__)

MIN_QUERY = 2
MAX_QUERY = 100
MAX_HITS = 50
MIN_SCORE = 50
CLOSE_SCORE = 85  # at or above: the name really is (a spelling of) what was asked
NOISE_SCORE = 60  # below this, a hit is only shown when nothing close was found
CANDIDATES = 60
SCAN = 2000  # autocomplete looks at no more names than this per keystroke

PRIMARY, ALIAS, ORIGINAL = 0, 1, 2
SOURCE_NAMES = {PRIMARY: "primary name", ALIAS: "alias", ORIGINAL: "original script"}
_SOURCE_RANK = {PRIMARY: 0, ORIGINAL: 1, ALIAS: 2}
# Exact-level scores; aliases a little lower so a primary name wins a tie, low-quality aliases lower still.
EXACT, ORDER, VARIANT, VARIANT_ORDER = 100, 97, 95, 93
TYPO_SIMILARITY = 0.75  # two letters off a six-letter name is another name (Kim Jong Il), not a typo
FUZZY_CAP = 88  # below every exact-level score, aliases included (93 - 3 = 90)
WITHIN = 90  # a whole listed name of two or more words found word for word inside a longer query
WITHIN_MAX_WORDS = 8
PARTIAL_CAP = 85
_LOW_QUALITY = {"low", "f.k.a.", "fka"}

# Names in double or typographic quotes (not apostrophes: they are part of names like Ch'o'l).
_QUOTED = re.compile(r'["“”„«»]([^"“”„«»]+)["“”„«»]')
MAX_NAMES = 5
REFERENCE = re.compile(r"^([A-Z]{2})([ie])\.(\d{3})$")
_LOOSE_REFERENCE = re.compile(r"^([A-Za-z]{2})\s*([IiEe])\s*[.\-_ ]?\s*(\d+)$")
_PREFIX_ONLY = re.compile(r"^([A-Za-z]{2})([IiEe])?\.?$")


@dataclass(frozen=True, slots=True)
class IndexedEntry:
    """What a hit shows about its entry."""

    reference: str
    name: str
    regime: str
    kind: Kind


@dataclass(frozen=True, slots=True)
class Hit:
    """One entry that matched, through its best-matching name."""

    reference: str
    name: str
    regime: str
    kind: Kind
    matched: str
    source: str
    quality: str
    score: int
    reasons: tuple[str, ...]

    @property
    def why(self) -> str:
        """The reasons in a few words."""
        return ", ".join(self.reasons)


@dataclass(frozen=True)
class SearchResult:
    """The hits of one query on one list version."""

    query: str
    version: ListVersion
    hits: list[Hit]
    regime: str | None = None
    kind: str | None = None

    @property
    def close(self) -> bool:
        """True when the best hit is an exact, alias, variant or near-typo match (not just similar)."""
        return bool(self.hits) and self.hits[0].score >= CLOSE_SCORE


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

    # Whole-name typos: the smallest edit distance (a swap of neighbours is one edit) over the four forms;
    # every word counts, short ones too.
    in_order = min(OSA.distance(q.compact, compact), OSA.distance(q.variant_compact, v_compact))
    any_order = min(OSA.distance(q.ordered, ordered), OSA.distance(q.variant_ordered, v_ordered))
    distance = min(in_order, any_order)
    length = max(len(q.variant_compact), len(v_compact), len(q.compact), len(compact))
    similarity = 1 - distance / length
    fuzzy = min(FUZZY_CAP, math.floor(90 * similarity))
    if distance <= 2 and similarity >= TYPO_SIMILARITY:
        reasons: tuple[str, ...] = ("typo",) if in_order <= any_order else ("typo", "token order")
    else:
        reasons = ("similar spelling",)
    best = (fuzzy, reasons)

    partial = _partial_score(q.variants, name_variants, len(v_compact))
    if partial is not None and partial[0] > best[0]:
        best = partial
    return best


def _partial_score(
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


def _quality_penalty(source: int, quality: str) -> int:
    if source != ALIAS:
        return 0
    return 3 if quality.casefold() in _LOW_QUALITY else 2


def _intern_all(words: Iterable[str]) -> tuple[str, ...]:
    return tuple(sys.intern(w) for w in words)


class _Postings:
    """Word → name ids, as one array sliced by word number (a numpy array per word costs 100 bytes each)."""

    def __init__(self, pairs: list[tuple[str, int]]) -> None:
        pairs.sort()
        self.words: list[str] = []
        starts: list[int] = []
        previous = None
        for i, (word, _nid) in enumerate(pairs):
            if word != previous:
                self.words.append(word)
                starts.append(i)
                previous = word
        starts.append(len(pairs))
        self.number = {w: i for i, w in enumerate(self.words)}
        self.starts = np.array(starts, dtype=np.int64)
        self.ids = np.array([nid for _w, nid in pairs], dtype=np.int32)

    def __contains__(self, word: str) -> bool:
        return word in self.number

    def get(self, word: str) -> np.ndarray | None:
        """The name ids holding a word, or None."""
        i = self.number.get(word)
        return None if i is None else self.ids[self.starts[i] : self.starts[i + 1]]

    def count(self, word: str) -> int:
        """How many names hold a word."""
        i = self.number[word]
        return int(self.starts[i + 1] - self.starts[i])

    def slice_of(self, i: int) -> np.ndarray:
        """The name ids of word number i."""
        return self.ids[self.starts[i] : self.starts[i + 1]]


class _ExactKeys:
    """Whole-name keys → name ids, as two sorted arrays of 64-bit hashes and ids (12 bytes a key, not ~150).

    A hash collision only adds a candidate, which scoring then rejects: it can never make a false match.
    """

    def __init__(self, pairs: list[tuple[str, int]]) -> None:
        hashes = np.array([hash(key) for key, _nid in pairs], dtype=np.int64)
        ids = np.array([nid for _key, nid in pairs], dtype=np.int32)
        order = np.argsort(hashes, kind="stable")
        self.hashes = hashes[order]
        self.ids = ids[order]

    def get(self, key: str) -> list[int]:
        """The name ids stored under a key."""
        h = hash(key)
        lo = int(np.searchsorted(self.hashes, h, side="left"))
        hi = int(np.searchsorted(self.hashes, h, side="right"))
        return self.ids[lo:hi].tolist()


class SearchIndex:
    """Every name of one list version, ready to be searched. Immutable once built (build anew instead)."""

    def __init__(self, version: ListVersion, entries: Sequence[Entry], history_references: Iterable[str] = ()) -> None:
        started = time.perf_counter()
        self.version = version
        self.entries: list[IndexedEntry] = []
        name_entry: list[int] = []
        name_source: list[int] = []
        self.name_text: list[str] = []
        self.name_quality: list[str] = []
        self.name_tokens: list[tuple[str, ...]] = []
        self.name_variants: list[tuple[str, ...]] = []
        exact_pairs: list[tuple[str, int]] = []
        variant_pairs: list[tuple[str, int]] = []
        folded_pairs: list[tuple[str, int]] = []
        for entry in sorted(entries, key=lambda e: e.reference):
            index = len(self.entries)
            self.entries.append(IndexedEntry(entry.reference, entry.name, entry.regime, entry.kind))
            named = [(entry.name, PRIMARY, "")]
            if entry.name_original_script:
                named.append((entry.name_original_script, ORIGINAL, ""))
            named.extend((a.name, ALIAS, a.quality) for a in entry.aliases if a.name)
            seen: set[tuple[str, ...]] = set()
            for text, source, quality in named:
                for part in name_parts(text):
                    key = name_key(part)
                    if not key.tokens or key.tokens in seen:
                        continue
                    seen.add(key.tokens)
                    nid = len(self.name_text)
                    name_entry.append(index)
                    name_source.append(source)
                    self.name_text.append(text)
                    self.name_quality.append(sys.intern(quality))
                    words = _intern_all(key.tokens)
                    self.name_tokens.append(words)
                    # Most names have no romanization variant: share the tuple rather than store it twice.
                    self.name_variants.append(words if key.variants == key.tokens else _intern_all(key.variants))
                    exact_pairs.append(("=" + key.variant_compact, nid))
                    exact_pairs.append(("~" + key.variant_ordered, nid))
                    variant_pairs.extend((w, nid) for w in set(self.name_variants[-1]))
                    folded_pairs.extend((w, nid) for w in set(self.name_tokens[-1]))
        count = len(self.name_text)
        self.name_entry = np.array(name_entry, dtype=np.int32)
        self.name_source = np.array(name_source, dtype=np.int8)
        self.name_length = np.array([sum(map(len, v)) for v in self.name_variants], dtype=np.float32)
        # Canonical words for search; folded words (as typed) for autocomplete and run-together words.
        self.postings = _Postings(variant_pairs)
        self.folded = _Postings(folded_pairs)
        self.exact = _ExactKeys(exact_pairs)
        sizes = np.diff(self.postings.starts).astype(np.float32)
        self.idf = np.log1p(count / np.maximum(sizes, 1))
        # Typo lookup: one edit keeps a word's first or its last letter, so words are filed under both.
        self.vocab_by_first: dict[tuple[int, str], list[str]] = {}
        self.vocab_by_last: dict[tuple[int, str], list[str]] = {}
        for word in self.postings.words:
            self.vocab_by_first.setdefault((len(word), word[0]), []).append(word)
            self.vocab_by_last.setdefault((len(word), word[-1]), []).append(word)
        regimes = sorted({e.regime for e in self.entries})
        self.regime_codes = {r: i for i, r in enumerate(regimes)}
        entry_regime = np.array([self.regime_codes[e.regime] for e in self.entries], dtype=np.int16)
        entry_kind = np.array([e.kind == "entity" for e in self.entries], dtype=np.bool_)
        self.name_regime = entry_regime[self.name_entry] if count else entry_regime
        self.name_kind = entry_kind[self.name_entry] if count else entry_kind
        # Autocomplete: names by their compact folded form.
        self.complete_ids = sorted(range(count), key=self._compact_of)
        # References: current ones by casefold, and every reference ever stored (for removed entries).
        self.by_reference = {e.reference: i for i, e in enumerate(self.entries)}
        self.references_casefold = {r.casefold(): r for r in (*history_references, *self.by_reference)}
        self.references_sorted = sorted(self.references_casefold)
        self.build_seconds = time.perf_counter() - started

    def _compact_of(self, nid: int) -> str:
        return "".join(self.name_tokens[nid])

    @property
    def name_count(self) -> int:
        """How many names (primary, aliases, original script, and their bracketed parts) are indexed."""
        return len(self.name_text)

    # --- search -----------------------------------------------------------------------------------

    def _similar_words(self, word: str) -> list[tuple[str, int]]:
        """Vocabulary words within one edit (two for words of eight letters or more).

        Only words sharing the first or the last letter are compared: that finds every one-edit typo and
        the two-edit typos that leave either end alone, in a twentieth of the time.
        """
        if len(word) < 4:
            return []
        limit = 1 if len(word) < 8 else 2
        found: dict[str, int] = {}
        for length in range(len(word) - limit, len(word) + limit + 1):
            for bucket in (
                self.vocab_by_first.get((length, word[0])),
                self.vocab_by_last.get((length, word[-1])),
            ):
                if bucket:
                    for match, distance, _ in process.extract(
                        word, bucket, scorer=OSA.distance, score_cutoff=limit, limit=20
                    ):
                        if match != word:
                            found[match] = int(distance)
        return sorted(found.items(), key=lambda m: m[1])[:20]

    def split_words(self, q: NameKey) -> NameKey | None:
        """The query with run-together words split into listed words (`Kim Jongun` → kim jong un), if any."""
        changed = False
        out: list[str] = []
        for word in q.tokens:
            parts = None if word in self.folded else self._segment(word, 3)
            if parts:
                out.extend(parts)
                changed = True
            else:
                out.append(word)
        return key_of(tuple(out)) if changed else None

    def _segment(self, word: str, max_parts: int) -> list[str] | None:
        """The split of a word into the fewest listed words, longest first part first."""
        if len(word) < 3 or max_parts < 2:
            return None
        for cut in range(len(word) - 1, 0, -1):
            if word[:cut] in self.folded and word[cut:] in self.folded:
                return [word[:cut], word[cut:]]
        for cut in range(len(word) - 1, 0, -1):
            if word[:cut] in self.folded:
                rest = self._segment(word[cut:], max_parts - 1)
                if rest:
                    return [word[:cut], *rest]
        return None

    def _mask(self, regime: str | None, kind: str | None) -> np.ndarray | None:
        mask = None
        if regime is not None:
            code = self.regime_codes.get(regime)
            mask = self.name_regime == (code if code is not None else -1)
        if kind is not None:
            kind_mask = self.name_kind == (kind == "entity")
            mask = kind_mask if mask is None else mask & kind_mask
        return mask

    def candidates(self, q: NameKey, mask: np.ndarray | None = None, limit: int = CANDIDATES) -> list[int]:
        """Name ids worth scoring: exact-key hits, then the names sharing the most (and rarest) words."""
        exact = [*self.exact.get("=" + q.variant_compact), *self.exact.get("~" + q.variant_ordered)]
        found: list[tuple[np.ndarray, float]] = []
        words = set(q.variants)
        for word in words:
            number = self.postings.number.get(word)
            if number is not None:
                found.append((self.postings.slice_of(number), float(self.idf[number]) * len(word)))
            # Typo expansion for words the list does not have (a listed word is taken as meant).
            if number is None:
                for other, distance in self._similar_words(word):
                    other_number = self.postings.number[other]
                    weight = float(self.idf[other_number]) * len(word) * 0.8 * (1 - distance / len(word))
                    found.append((self.postings.slice_of(other_number), weight))
        if mask is not None:
            exact = [nid for nid in exact if mask[nid]]
        if not found:
            return list(dict.fromkeys(exact))
        # Only the names that share a word are touched: cost grows with the postings, not with the list.
        ids = np.concatenate([ids for ids, _w in found])
        weights = np.concatenate([np.full(len(ids), w, dtype=np.float32) for ids, w in found])
        unique, inverse = np.unique(ids, return_inverse=True)
        totals = np.bincount(inverse, weights=weights)
        if mask is not None:
            keep = mask[unique]
            unique, totals = unique[keep], totals[keep]
        # Prefer names the query covers: the same shared words weigh more in a shorter name.
        totals = totals / (self.name_length[unique] + 4)
        if len(unique) > limit:
            top = np.argpartition(totals, -limit)[-limit:]
            unique = unique[top]
        return list(dict.fromkeys([*exact, *(int(i) for i in unique)]))

    def search(
        self,
        query: str,
        *,
        regime: str | None = None,
        kind: str | None = None,
        limit: int = MAX_HITS,
        min_score: int = MIN_SCORE,
    ) -> list[Hit]:
        """The best-matching entries for a query, best first, one hit per entry."""
        q = name_key(query)
        if not q.tokens:
            return []
        keys = [q]
        split = self.split_words(q)
        if split is not None:
            keys.append(split)
        mask = self._mask(regime, kind)
        candidates: dict[int, None] = {}
        for key in keys:
            candidates.update(dict.fromkeys(self.candidates(key, mask)))
        scored = [
            (nid, max(match_score(k, self.name_tokens[nid], self.name_variants[nid]) for k in keys))
            for nid in candidates
        ]
        # Names inside a longer query (a question) count only when the query as a whole matched nothing:
        # `ABU MOHAMMED AL-JAWLAMI` is a typo of one name, not the alias `Abu Mohammed` plus a word.
        if not any(score >= CLOSE_SCORE or "typo" in why for _nid, (score, why) in scored):
            scored += self._names_within(q, mask)
        # Per entry, its best name: highest score, then primary before original script before alias.
        best: dict[int, tuple[int, int, int, tuple[str, ...]]] = {}
        for nid, (score, reasons) in scored:
            if score <= 0:
                continue
            source = int(self.name_source[nid])
            score -= _quality_penalty(source, self.name_quality[nid])
            if score < min_score:
                continue
            entry = int(self.name_entry[nid])
            held = best.get(entry)
            if held is None or (score, -_SOURCE_RANK[source]) > (held[0], -_SOURCE_RANK[held[1]]):
                best[entry] = (score, source, nid, reasons)
        ranked = sorted(best.items(), key=lambda kv: (-kv[1][0], _SOURCE_RANK[kv[1][1]], self.entries[kv[0]].reference))
        if ranked and ranked[0][1][0] >= CLOSE_SCORE:
            # With a real match on top, far-fetched names below it are noise.
            ranked = [kv for kv in ranked if kv[1][0] >= NOISE_SCORE]
        return [self._hit(entry, nid, score, reasons) for entry, (score, _s, nid, reasons) in ranked[:limit]]

    def _names_within(self, q: NameKey, mask: np.ndarray | None) -> list[tuple[int, tuple[int, tuple[str, ...]]]]:
        """Listed names of two words or more that appear whole inside a longer query.

        `Is Ri Won Ho on the list?` holds RI WON HO word for word: that is a match, whatever the other words.
        Single words are left out: a question holds too many ordinary words that are also someone's alias.
        """
        words = q.variants
        found: list[tuple[int, int, int]] = []  # (start, end, name id)
        for start in range(len(words)):
            for end in range(start + 2, min(len(words), start + WITHIN_MAX_WORDS) + 1):
                if end - start == len(words):
                    continue  # the whole query: scored by match_score already
                window = "".join(words[start:end])
                for nid in self.exact.get("=" + window):
                    if "".join(self.name_variants[nid]) == window and (mask is None or mask[nid]):
                        found.append((start, end, nid))
        # `Abu Mohammed` inside `Abu Mohammed al-Jawlani`: the longer name is what was meant.
        return [
            (nid, (WITHIN, ("name in the query",)))
            for start, end, nid in found
            if not any(s <= start and end <= e and (s, e) != (start, end) for s, e, _n in found)
        ]

    def _hit(self, entry_index: int, nid: int, score: int, reasons: tuple[str, ...]) -> Hit:
        entry = self.entries[entry_index]
        source = int(self.name_source[nid])
        words = reasons
        if source == ALIAS:
            words = ("exact alias",) if reasons == ("exact",) else ("alias", *reasons)
        elif source == ORIGINAL:
            words = (*reasons, "original script")
        return Hit(
            reference=entry.reference,
            name=entry.name,
            regime=entry.regime,
            kind=entry.kind,
            matched=self.name_text[nid],
            source=SOURCE_NAMES[source],
            quality=self.name_quality[nid],
            score=score,
            reasons=words,
        )

    # --- autocomplete -----------------------------------------------------------------------------

    def complete_names(self, text: str, limit: int = 25) -> list[tuple[int, str]]:
        """(name id, reference): names starting with the text, then names with a word starting as its last."""
        folded = fold(text)
        if not folded:
            return []
        compact = folded.replace(" ", "")
        found: list[int] = []
        start = bisect.bisect_left(self.complete_ids, compact, key=self._compact_of)
        for nid in self.complete_ids[start : start + 4 * limit]:
            if not self._compact_of(nid).startswith(compact):
                break
            found.append(nid)
        words = folded.split()
        last, others = words[-1], set(words[:-1])
        extra: list[int] = []
        seen = set(found)
        cap = 4 * limit
        if others:
            # Names holding every finished word (from the rarest's postings) and a word starting `last`.
            if not all(w in self.folded for w in others):
                pool: list[int] = []
            else:
                rarest = min(others, key=self.folded.count)
                pool = self.folded.get(rarest)[:SCAN].tolist()  # type: ignore[index]
            for nid in pool:
                tokens = self.name_tokens[nid]
                if nid not in seen and others.issubset(tokens) and any(t.startswith(last) for t in tokens):
                    seen.add(nid)
                    extra.append(nid)
                    if len(extra) >= cap:
                        break
        else:
            vocab = self.folded.words
            for i in range(bisect.bisect_left(vocab, last), min(len(vocab), bisect.bisect_left(vocab, last) + SCAN)):
                if not vocab[i].startswith(last) or len(extra) >= cap:
                    break
                for nid in self.folded.slice_of(i)[:cap].tolist():
                    if nid not in seen:
                        seen.add(nid)
                        extra.append(nid)

        # Primary names first, then shorter names; whole-name prefix matches before word matches.
        def order(nid: int) -> tuple[int, int]:
            return _SOURCE_RANK[int(self.name_source[nid])], len(self.name_text[nid])

        out: list[tuple[int, str]] = []
        entries_seen: set[int] = set()
        for nid in sorted(found, key=order) + sorted(extra, key=order):
            entry = int(self.name_entry[nid])
            if entry not in entries_seen:
                entries_seen.add(entry)
                out.append((nid, self.entries[entry].reference))
                if len(out) >= limit:
                    break
        return out

    def name_choices(self, text: str, limit: int = 25) -> list[tuple[str, str]]:
        """Autocomplete for a name: (label, value) pairs; prefix matches, then search hits for typed names."""
        choices: list[tuple[str, str]] = []
        values: set[str] = set()
        for nid, _ref in self.complete_names(text, limit):
            value = _choice_text(self.name_text[nid])
            if value not in values:
                values.add(value)
                choices.append((self._label(nid), value))
        if len(choices) < 5 and len(fold(text).replace(" ", "")) >= 3:
            for hit in self.search(text, limit=limit):
                value = _choice_text(hit.matched)
                if value not in values:
                    values.add(value)
                    choices.append((_choice_text(f"{hit.matched} — {hit.reference}"), value))
        return choices[:limit]

    def _label(self, nid: int) -> str:
        entry = self.entries[int(self.name_entry[nid])]
        text = self.name_text[nid]
        if int(self.name_source[nid]) == PRIMARY:
            return _choice_text(f"{text} — {entry.reference}")
        return _choice_text(f"{text} — {SOURCE_NAMES[int(self.name_source[nid])]} of {entry.reference}")

    def reference_choices(self, text: str, limit: int = 25) -> list[tuple[str, str]]:
        """Autocomplete for a reference: by reference prefix (current entries first), then by name."""
        typed = strip_invisible(text).strip()
        key = typed.casefold()
        out: list[tuple[str, str]] = []
        taken: set[str] = set()
        if len(key) <= 8:
            start = bisect.bisect_left(self.references_sorted, key)
            current: list[str] = []
            removed: list[str] = []
            for i in range(start, len(self.references_sorted)):
                folded = self.references_sorted[i]
                if not folded.startswith(key) or len(current) >= limit:
                    break
                ref = self.references_casefold[folded]
                (current if ref in self.by_reference else removed).append(ref)
            for ref in current + removed:
                if ref in self.by_reference:
                    label = f"{ref} — {self.entries[self.by_reference[ref]].name}"
                else:
                    label = f"{ref} — no longer on the list"
                out.append((_choice_text(label), ref))
                taken.add(ref)
        if len(out) < limit and key:
            for nid, ref in self.complete_names(typed, limit):
                if ref not in taken:
                    taken.add(ref)
                    out.append((_choice_text(f"{ref} — {self.name_text[nid]}"), ref))
        return out[:limit]

    # --- references -------------------------------------------------------------------------------

    def resolve_reference(self, text: str) -> str:
        """The list's spelling of a reference number; else MalformedReference or UnknownReference."""
        typed = " ".join(strip_invisible(text).split())
        if not typed:
            raise MalformedReference(text, "type a reference number such as KPi.033")
        known = self.references_casefold.get(typed.casefold())
        if known is not None:
            return known
        if len(typed) > 20:
            raise MalformedReference(typed, "that is too long for a reference number (they look like KPi.033)")
        prefix = _PREFIX_ONLY.match(typed)
        if prefix:
            letters = prefix.group(1).upper()
            sample = [
                min((r for r in self.references_casefold.values() if r.startswith(letters + kind)), default="")
                for kind in ("i", "e")
            ]
            sample = [r for r in sample if r]
            raise MalformedReference(
                typed,
                f"that is only the start of a reference number; {letters} references look like "
                f"{letters}i.001 (individuals) or {letters}e.001 (entities)",
                sample,
            )
        loose = _LOOSE_REFERENCE.match(typed)
        if loose:
            letters, kind, digits = loose.group(1).upper(), loose.group(2).lower(), loose.group(3)
            canonical = f"{letters}{kind}.{int(digits):03d}" if int(digits) < 1000 else ""
            if len(digits) > 3:
                problem = f"reference numbers have three digits after the dot, not {len(digits)}"
            elif REFERENCE.match(canonical) and "." in typed and len(digits) == 3:
                raise UnknownReference(typed, self.suggest_references(canonical))
            else:
                problem = "reference numbers are written with a dot and three digits, like KPi.033"
            suggestions = [canonical] if canonical.casefold() in self.references_casefold else []
            suggestions += [s for s in self.suggest_references(canonical or typed) if s not in suggestions]
            raise MalformedReference(typed, problem, suggestions[:3])
        if any(ch.isalpha() for ch in typed) and not any(ch.isdigit() for ch in typed):
            hits = self.search(typed, limit=3, min_score=CLOSE_SCORE - 10)
            raise MalformedReference(
                typed,
                "that looks like a name, not a reference number (they look like KPi.033); "
                "`/sanctions search` finds entries by name",
                [h.reference for h in hits],
            )
        raise MalformedReference(typed, "reference numbers look like KPi.033", self.suggest_references(typed))

    def suggest_references(self, text: str, limit: int = 3) -> list[str]:
        """The stored references closest to what was typed."""
        found = process.extract(
            text.casefold(), self.references_sorted, scorer=OSA.distance, limit=limit, score_cutoff=3
        )
        return [self.references_casefold[match] for match, _d, _i in found]


def _choice_text(text: str) -> str:
    """A choice label or value within Discord's 100 characters, on one line."""
    text = " ".join(strip_invisible(text).split())
    return text if len(text) <= 100 else text[:99].rstrip() + "…"


def check_query(name: str) -> str:
    """The query as searched, or InvalidOption for empty, one-character or over-long text."""
    cleaned = " ".join(strip_invisible(name).split())
    if len(cleaned) > MAX_QUERY:
        raise InvalidOption("name", f"that is {len(cleaned)} characters; names are searched with at most {MAX_QUERY}")
    letters = fold(cleaned).replace(" ", "")
    if not letters:
        raise InvalidOption("name", "type a name to search for (letters or digits)")
    if len(letters) < MIN_QUERY:
        raise InvalidOption("name", f"type at least {MIN_QUERY} letters; one letter matches half the list")
    return cleaned


class SearchService:
    """Holds the current SearchIndex and rebuilds it, off the event loop, whenever a new version arrives."""

    def __init__(self, db: Database, lists: ListService) -> None:
        self._db = db
        self._lists = lists
        self._index: SearchIndex | None = None
        self._build_lock = asyncio.Lock()
        lists.add_listener(self._on_version)

    @property
    def index(self) -> SearchIndex | None:
        """The index in use (None before the first list is loaded)."""
        return self._index

    def require_index(self) -> SearchIndex:
        """The index in use, or ListNotLoaded."""
        if self._index is None:
            raise ListNotLoaded()
        return self._index

    async def _on_version(self, version: ListVersion, _old: ListVersion | None) -> None:
        await self.rebuild(version)

    async def rebuild(self, version: ListVersion) -> SearchIndex:
        """Build an index of one version and swap it in (queries keep using the old one until then)."""
        async with self._build_lock:
            entries = await store.version_entries(self._db, version.id)
            references = await store.all_references(self._db)
            index = await asyncio.to_thread(SearchIndex, version, [s.entry for s in entries.values()], references)
            self._index = index  # one assignment: a query sees the old index or the new one, never a mix
            log.info(
                "search index built version=%d entries=%d names=%d ms=%.0f",
                version.id,
                len(index.entries),
                index.name_count,
                index.build_seconds * 1000,
            )
            return index

    def search(self, name: str, *, regime: str | None = None, kind: str | None = None) -> SearchResult:
        """Check the query, resolve the regime, and search the current index."""
        query = check_query(name)
        index = self.require_index()
        resolved = self._lists.resolve_regime(regime) if regime and regime.strip() else None
        if kind is not None and kind not in ("individual", "entity"):
            raise InvalidOption("kind", "choose individual or entity")
        hits = index.search(query, regime=resolved, kind=kind)
        return SearchResult(query, index.version, hits, resolved, kind)

    def search_names(self, name: str, *, regime: str | None = None, kind: str | None = None) -> list[SearchResult]:
        """Each name in quotes searched on its own (`Is "Kim Jong-un" or "Ri Won Ho" listed?`), else all."""
        check_query(name)
        quoted = [q for q in (" ".join(m.split()) for m in _QUOTED.findall(name)) if len(fold(q).replace(" ", "")) >= 2]
        if not quoted:
            return [self.search(name, regime=regime, kind=kind)]
        return [self.search(q, regime=regime, kind=kind) for q in dict.fromkeys(quoted[:MAX_NAMES])]

    def resolve_reference(self, text: str) -> str:
        """A reference number as the list spells it (see SearchIndex.resolve_reference)."""
        return self.require_index().resolve_reference(text)

    def name_choices(self, text: str) -> list[tuple[str, str]]:
        """Autocomplete for names (nothing before a list is loaded)."""
        index = self._index
        return index.name_choices(text[:MAX_QUERY]) if index is not None else []

    def reference_choices(self, text: str) -> list[tuple[str, str]]:
        """Autocomplete for reference numbers (nothing before a list is loaded)."""
        index = self._index
        return index.reference_choices(text[:MAX_QUERY]) if index is not None else []

    async def about(self) -> list[tuple[str, str]]:
        """The /about line: what the index holds."""
        index = self._index
        if index is None:
            return [("Name search", "No list loaded yet.")]
        return [
            (
                "Name search",
                f"{index.name_count:,} names of {len(index.entries):,} entries indexed "
                f"(list version of {index.version.generated_date}, built in "
                f"{index.build_seconds * 1000:.0f} ms)",
            )
        ]
