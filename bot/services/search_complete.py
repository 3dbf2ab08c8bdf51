"""Autocomplete over a search index: names by prefix (whole name or a word), references by prefix.

Built once per index (`Autocomplete(index)`), read-only afterwards; each keystroke looks at no more than
SCAN names, so its cost does not grow with the list.
"""

from __future__ import annotations

import bisect
import heapq
import weakref
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from bot.normalize import fold
from bot.services.search_score import PRIMARY, SOURCE_NAMES, SOURCE_RANK
from bot.text import one_line, strip_invisible

if TYPE_CHECKING:
    from bot.services.search_index import SearchIndex

SCAN = 2000  # autocomplete looks at no more names than this per keystroke


def choice_text(text: str) -> str:
    """A choice label or value within Discord's 100 characters, on one line."""
    text = one_line(text)
    return text if len(text) <= 100 else text[:99].rstrip() + "…"


_PIECE = 4096


def _sorted_in_pieces(ids: Iterable[int], key: Callable[[int], str]) -> list[int]:
    """ids sorted by key (ties in id order), as sorted(ids, key=key) would, but never in one long C call: one sort
    of 200,000 names holds the GIL for a third of a second, and the index is built beside the event loop."""
    keyed = [(key(i), i) for i in ids]
    pieces = [sorted(keyed[n : n + _PIECE]) for n in range(0, len(keyed), _PIECE)]
    return [i for _key, i in heapq.merge(*pieces)]


class Autocomplete:
    """Name and reference suggestions for one index."""

    def __init__(self, index: SearchIndex, complete_ids: list[int] | None = None) -> None:
        self.index = weakref.proxy(index)  # no reference cycle: a replaced index is freed at once, not by gc
        # Names by their compact folded form (given when the index comes from a cache file).
        if complete_ids is None:
            complete_ids = _sorted_in_pieces(range(index.name_count), self._compact_of)
        self.complete_ids = complete_ids

    def _compact_of(self, nid: int) -> str:
        return "".join(self.index.name_tokens[nid])

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
            if not all(w in self.index.folded for w in others):
                pool: list[int] = []
            else:
                rarest = min(others, key=self.index.folded.count)
                pool = self.index.folded.get(rarest)[:SCAN].tolist()  # type: ignore[index]
            for nid in pool:
                tokens = self.index.name_tokens[nid]
                if nid not in seen and others.issubset(tokens) and any(t.startswith(last) for t in tokens):
                    seen.add(nid)
                    extra.append(nid)
                    if len(extra) >= cap:
                        break
        else:
            vocab = self.index.folded.words
            for i in range(bisect.bisect_left(vocab, last), min(len(vocab), bisect.bisect_left(vocab, last) + SCAN)):
                if not vocab[i].startswith(last) or len(extra) >= cap:
                    break
                for nid in self.index.folded.slice_of(i)[:cap].tolist():
                    if nid not in seen:
                        seen.add(nid)
                        extra.append(nid)

        # Primary names first, then shorter names; whole-name prefix matches before word matches.
        def order(nid: int) -> tuple[int, int]:
            return SOURCE_RANK[int(self.index.name_source[nid])], len(self.index.name_text[nid])

        out: list[tuple[int, str]] = []
        entries_seen: set[int] = set()
        for nid in sorted(found, key=order) + sorted(extra, key=order):
            entry = int(self.index.name_entry[nid])
            if entry not in entries_seen:
                entries_seen.add(entry)
                out.append((nid, self.index.entries[entry].reference))
                if len(out) >= limit:
                    break
        return out

    def name_choices(self, text: str, limit: int = 25) -> list[tuple[str, str]]:
        """Autocomplete for a name: (label, value) pairs; prefix matches, then search hits for typed names."""
        choices: list[tuple[str, str]] = []
        values: set[str] = set()
        for nid, _ref in self.complete_names(text, limit):
            value = choice_text(self.index.name_text[nid])
            if value not in values:
                values.add(value)
                choices.append((self._label(nid), value))
        if len(choices) < 5 and len(fold(text).replace(" ", "")) >= 3:
            for hit in self.index.search(text, limit=limit):
                value = choice_text(hit.matched)
                if value not in values:
                    values.add(value)
                    choices.append((choice_text(f"{hit.matched} — {hit.reference}"), value))
        return choices[:limit]

    def _label(self, nid: int) -> str:
        entry = self.index.entries[int(self.index.name_entry[nid])]
        text = self.index.name_text[nid]
        if int(self.index.name_source[nid]) == PRIMARY:
            return choice_text(f"{text} — {entry.reference}")
        return choice_text(f"{text} — {SOURCE_NAMES[int(self.index.name_source[nid])]} of {entry.reference}")

    def reference_choices(self, text: str, limit: int = 25) -> list[tuple[str, str]]:
        """Autocomplete for a reference: by reference prefix (current entries first), then by name."""
        typed = strip_invisible(text).strip()
        key = typed.casefold()
        out: list[tuple[str, str]] = []
        taken: set[str] = set()
        if len(key) <= 8:
            start = bisect.bisect_left(self.index.references_sorted, key)
            current: list[str] = []
            removed: list[str] = []
            for i in range(start, len(self.index.references_sorted)):
                folded = self.index.references_sorted[i]
                if not folded.startswith(key) or len(current) >= limit:
                    break
                ref = self.index.references_casefold[folded]
                (current if ref in self.index.by_reference else removed).append(ref)
            for ref in current + removed:
                if ref in self.index.by_reference:
                    label = f"{ref} — {self.index.entries[self.index.by_reference[ref]].name}"
                else:
                    label = f"{ref} — no longer on the list"
                out.append((choice_text(label), ref))
                taken.add(ref)
        if len(out) < limit and key:
            for nid, ref in self.complete_names(typed, limit):
                if ref not in taken:
                    taken.add(ref)
                    out.append((choice_text(f"{ref} — {self.index.name_text[nid]}"), ref))
        return out[:limit]
