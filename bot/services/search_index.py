"""The search index: every name of one list version, ready to be searched; immutable once built.

Finding candidates is cheap and generous: canonical-word postings (numpy arrays, weighted by rarity and by how
much of a name the query covers), typo expansion of unknown words against the vocabulary, and two exact-key
dictionaries. Scoring (`search_score.match_score`) is careful and explains itself. Short words count: every
query word has to be found, so `Kim Jong Un` does not score like `KIM JONG`.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Sequence

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.hangul import has_hangul, readings
from bot.memory import release_later
from bot.models import Entry, ListVersion
from bot.normalize import NameKey, fold, key_of, name_key
from bot.search_results import CLOSE_SCORE, Hit, IndexedEntry, SearchResult
from bot.services import search_references
from bot.services.search_complete import Autocomplete
from bot.services.search_identifiers import Identifier, entry_identifiers, identifier_key
from bot.services.search_score import (
    ALIAS,
    EXACT,
    MIN_SCORE,
    NOISE_SCORE,
    NOTE,
    ORIGINAL,
    PART_CLOSE,
    PART_ENTRIES,
    RARE_NAMES,
    SOURCE_NAMES,
    SOURCE_RANK,
    WITHIN,
    WITHIN_MAX_WORDS,
    anchored_part,
    match_score,
    quality_penalty,
)
from bot.services.search_structures import ExactKeys, Postings, intern_all, names_of

MAX_HITS = 50
CANDIDATES = 60


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
        self.name_origin: list[str] = []  # "" for names written as names; else where the name was found
        self.name_tokens: list[tuple[str, ...]] = []
        self.name_variants: list[tuple[str, ...]] = []
        exact_pairs: list[tuple[str, int]] = []
        variant_pairs: list[tuple[str, int]] = []
        folded_pairs: list[tuple[str, int]] = []
        for entry in sorted(entries, key=lambda e: e.reference):
            index = len(self.entries)
            self.entries.append(IndexedEntry(entry.reference, entry.name, entry.regime, entry.kind))
            seen: set[tuple[str, ...]] = set()
            for text, source, quality, origin, parts in names_of(entry):
                for part in parts:
                    key = name_key(part)
                    if not key.tokens or key.tokens in seen:
                        continue
                    seen.add(key.tokens)
                    nid = len(self.name_text)
                    name_entry.append(index)
                    name_source.append(source)
                    self.name_text.append(text)
                    self.name_quality.append(sys.intern(quality))
                    self.name_origin.append(origin)
                    words = intern_all(key.tokens)
                    self.name_tokens.append(words)
                    # Most names have no romanization variant: share the tuple rather than store it twice.
                    self.name_variants.append(words if key.variants == key.tokens else intern_all(key.variants))
                    exact_pairs.append(("=" + key.variant_compact, nid))
                    exact_pairs.append(("~" + key.variant_ordered, nid))
                    variant_pairs.extend((w, nid) for w in set(self.name_variants[-1]))
                    folded_pairs.extend((w, nid) for w in set(self.name_tokens[-1]))
        count = len(self.name_text)
        self.name_entry = np.array(name_entry, dtype=np.int32)
        self.name_source = np.array(name_source, dtype=np.int8)
        self.name_length = np.array([sum(map(len, v)) for v in self.name_variants], dtype=np.float32)
        # Canonical words for search; folded words (as typed) for autocomplete and run-together words.
        self.postings = Postings(variant_pairs)
        self.folded = Postings(folded_pairs)
        self.exact = ExactKeys(exact_pairs)
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
        # References: current ones by casefold, and every reference ever stored (for removed entries).
        self.by_reference = {e.reference: i for i, e in enumerate(self.entries)}
        self.references_casefold = {r.casefold(): r for r in (*history_references, *self.by_reference)}
        self.references_sorted = sorted(self.references_casefold)
        # Identifiers: document numbers, IMO and other numbers in an entry's text, by their plain key.
        self.identifiers: dict[str, list[Identifier]] = {}
        for position, entry in enumerate(sorted(entries, key=lambda e: e.reference)):
            for plain, identifier in entry_identifiers(position, entry):
                self.identifiers.setdefault(plain, []).append(identifier)
        self.autocomplete = Autocomplete(self)
        self.build_seconds = time.perf_counter() - started

    def __getstate__(self) -> dict[str, object]:
        """What a cache file holds (bot.services.search_cache): the autocomplete's order, not its back-reference."""
        state = dict(vars(self))
        state["autocomplete"] = self.autocomplete.complete_ids
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        complete_ids = state.pop("autocomplete")
        vars(self).update(state)
        self.autocomplete = Autocomplete(self, complete_ids)  # type: ignore[arg-type]

    def detach(self) -> list[object]:
        """Take everything out of the index, to be freed elsewhere (the index is empty and unusable afterwards)."""
        parts = list(vars(self).values())
        vars(self).clear()
        return parts

    def __del__(self) -> None:
        # An index is freed where its last reference goes: possibly on the event loop (an answer or a cache that still
        # held a replaced index). Its contents (hundreds of thousands of objects at 50x the list) go to a background
        # thread instead of being freed there in one long call. An index taken apart already leaves nothing.
        release_later(self.detach())

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
        return self.search_result(query, regime=regime, kind=kind, limit=limit, min_score=min_score).hits

    def search_result(
        self,
        query: str,
        *,
        regime: str | None = None,
        kind: str | None = None,
        limit: int = MAX_HITS,
        min_score: int = MIN_SCORE,
    ) -> SearchResult:
        """The hits of a query: an identifier looked up exactly, Hangul read in the spellings people use, or a name."""
        mask = self._mask(regime, kind)
        identifier = identifier_key(query)
        if identifier is not None:
            hits = self._identifier_hits(identifier, mask, limit)
            if hits or not any(ch.isalpha() for ch in fold(query).replace(" ", "").lstrip("imo")):
                return SearchResult(query, self.version, hits, regime, kind, identifier=identifier)
        if not has_hangul(query):
            return SearchResult(query, self.version, self._search_names(query, mask, limit, min_score), regime, kind)
        # Each reading of the Hangul (the North's, the initial-sound rule undone, Revised Romanization): the best wins.
        # The Hangul as typed comes first: a name written in Hangul on the list wins a tie.
        spellings = readings(query)
        best: tuple[list[Hit], str | None] = (self._search_names(query, mask, limit, min_score), None)
        first: list[Hit] = []
        for reading in spellings:
            hits = self._search_names(reading, mask, limit, min_score)
            if reading == spellings[0]:
                first = hits
            if hits and (not best[0] or hits[0].score > best[0][0].score):
                best = (hits, reading)
        if not best[0] or best[0][0].score < CLOSE_SCORE:
            # Nothing close: the North's reading and its nearest names, not whichever reading came nearer.
            best = (first, spellings[0])
        return SearchResult(query, self.version, best[0], regime, kind, reading=best[1])

    def _identifier_hits(self, key: str, mask: np.ndarray | None, limit: int) -> list[Hit]:
        hits: list[Hit] = []
        for identifier in self.identifiers.get(key, []):
            entry = self.entries[identifier.entry]
            if mask is not None and not self._entry_allowed(identifier.entry, mask):
                continue
            if any(h.reference == entry.reference for h in hits):
                continue
            hits.append(
                Hit(
                    entry.reference,
                    entry.name,
                    entry.regime,
                    entry.kind,
                    identifier.shown,
                    "identifier",
                    "",
                    EXACT,
                    ("identifier",),
                    identifier.description,
                )
            )
        return hits[:limit]

    def _entry_allowed(self, entry_index: int, mask: np.ndarray) -> bool:
        names = np.flatnonzero(self.name_entry == entry_index)
        return bool(len(names)) and bool(mask[names[0]])

    def _search_names(self, query: str, mask: np.ndarray | None, limit: int, min_score: int) -> list[Hit]:
        q = name_key(query)
        if not q.tokens:
            return []
        keys = [q]
        split = self.split_words(q)
        if split is not None:
            keys.append(split)
        candidates: dict[int, None] = {}
        for key in keys:
            candidates.update(dict.fromkeys(self.candidates(key, mask)))
        # Words written apart that the list joins (Hap Jang Gang): found through the joined word; scoring needs
        # no third form, as it compares names with their spaces taken out.
        joined = self.join_words(q)
        if joined is not None:
            candidates.update(dict.fromkeys(self.candidates(joined, mask)))
        tokens, variants = self.name_tokens, self.name_variants
        scored = [(nid, max(match_score(k, tokens[nid], variants[nid]) for k in keys)) for nid in candidates]
        scored = self._raise_first_and_last(q, scored)
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
            score -= quality_penalty(source, self.name_quality[nid])
            if score < min_score:
                continue
            entry = int(self.name_entry[nid])
            held = best.get(entry)
            if held is None or (score, -SOURCE_RANK[source]) > (held[0], -SOURCE_RANK[held[1]]):
                best[entry] = (score, source, nid, reasons)
        ranked = sorted(best.items(), key=lambda kv: (-kv[1][0], SOURCE_RANK[kv[1][1]], self.entries[kv[0]].reference))
        if ranked and ranked[0][1][0] >= CLOSE_SCORE:
            # With a real match on top, far-fetched names below it are noise.
            ranked = [kv for kv in ranked if kv[1][0] >= NOISE_SCORE]
        return [self._hit(entry, nid, score, reasons) for entry, (score, _s, nid, reasons) in ranked[:limit]]

    def _raise_first_and_last(
        self, q: NameKey, scored: list[tuple[int, tuple[int, tuple[str, ...]]]]
    ) -> list[tuple[int, tuple[int, tuple[str, ...]]]]:
        """First and last names of longer names of individuals (Hamza bin Laden) are close when they say who:
        held by at most PART_ENTRIES entries, or with a word held by at most RARE_NAMES names; never two common
        given names alone (`Amin Khan`, `Muhammad Ahmed`: see `anchored_part`)."""
        anchored = [
            i
            for i, (nid, (score, reasons)) in enumerate(scored)
            if score < PART_CLOSE
            and reasons == ("part of the name",)
            and not self.name_kind[nid]
            and anchored_part(q.variants, self.name_variants[nid])
        ]
        if not anchored:
            return scored
        entries = {int(self.name_entry[scored[i][0]]) for i in anchored}
        rare = any(w in self.postings and self.postings.count(w) <= RARE_NAMES and len(w) >= 3 for w in q.variants)
        if len(entries) > PART_ENTRIES and not rare:
            return scored
        out = list(scored)
        for i in anchored:
            out[i] = (scored[i][0], (PART_CLOSE, ("part of the name", "first and last names")))
        return out

    def join_words(self, q: NameKey) -> NameKey | None:
        """The query with words written apart joined when the list writes them as one (Hap Jang Gang)."""
        words = list(q.tokens)
        out: list[str] = []
        changed = False
        i = 0
        while i < len(words):
            for end in range(min(len(words), i + 4), i + 1, -1):
                joined = "".join(words[i:end])
                if joined in self.folded:
                    out.append(joined)
                    i = end
                    changed = True
                    break
            else:
                out.append(words[i])
                i += 1
        return key_of(tuple(out)) if changed else None

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
                    # Whole names of two words or more as written (Abdul is one word, though it reads abd al).
                    if len(self.name_tokens[nid]) < 2:
                        continue
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
        if source in (ALIAS, NOTE):
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
            origin=self.name_origin[nid],
        )

    # --- autocomplete and references (their own modules) ------------------------------------------

    def name_choices(self, text: str, limit: int = 25) -> list[tuple[str, str]]:
        """Autocomplete for a name: (label, value) pairs."""
        return self.autocomplete.name_choices(text, limit)

    def reference_choices(self, text: str, limit: int = 25) -> list[tuple[str, str]]:
        """Autocomplete for a reference: by reference prefix (current entries first), then by name."""
        return self.autocomplete.reference_choices(text, limit)

    def resolve_reference(self, text: str) -> str:
        """The list's spelling of a reference number; else MalformedReference or UnknownReference."""
        return search_references.resolve_reference(self, text)

    def suggest_references(self, text: str, limit: int = 3) -> list[str]:
        """The stored references closest to what was typed."""
        return search_references.suggest_references(self, text, limit)
