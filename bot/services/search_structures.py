"""The building blocks of the search index: which names an entry has, word postings and whole-name keys."""

from __future__ import annotations

import sys
from collections.abc import Iterable

import numpy as np

from bot.hangul import has_hangul, readings
from bot.models import Entry
from bot.name_parts import name_parts, note_names
from bot.services.search_score import ALIAS, NOTE, ORIGINAL, PRIMARY


def intern_all(words: Iterable[str]) -> tuple[str, ...]:
    """The words, each interned (names share most of their words)."""
    return tuple(sys.intern(w) for w in words)


def names_of(entry: Entry) -> list[tuple[str, int, str, str, list[str]]]:
    """(text shown, source, quality, origin, the parts searched) for every name of an entry, primary first.

    Names in an alias's note are aliases too (marked with the alias they came from); a Hangul original-script
    name is also searched as it reads in Latin letters (the North's and Revised Romanization).
    """
    out = [(entry.name, PRIMARY, "", "", name_parts(entry.name))]
    if entry.name_original_script:
        text = entry.name_original_script
        out.append((text, ORIGINAL, "", "", name_parts(text)))
        if has_hangul(text):
            out.extend((reading, ORIGINAL, "", f"romanized from {text}", [reading]) for reading in readings(text, 2))
    for alias in entry.aliases:
        if alias.name:
            out.append((alias.name, ALIAS, alias.quality, "", name_parts(alias.name)))
    for alias in entry.aliases:
        for name in note_names(alias.note) if alias.note else ():
            origin = f"from the note of alias {alias.name}" if alias.name else "from an alias note"
            out.append((name, NOTE, alias.quality, origin, [name]))
    return out


class Postings:
    """Word → name ids, as one array sliced by word number (a numpy array per word costs 100 bytes each)."""

    def __init__(self, pairs: list[tuple[str, int]]) -> None:
        # The pairs in (word, id) order, built by grouping, then sorting the vocabulary and each word's ids. One
        # sort of all the pairs would be simpler, but it is one C call that holds the GIL throughout (over half a
        # second at 10x the list): the index is built in a worker thread, and the event loop must keep running.
        by_word: dict[str, list[int]] = {}
        for word, nid in pairs:
            group = by_word.get(word)
            if group is None:
                by_word[word] = [nid]
            else:
                group.append(nid)
        self.words: list[str] = sorted(by_word)
        starts: list[int] = []
        ids: list[int] = []
        for word in self.words:
            starts.append(len(ids))
            group = by_word[word]
            group.sort()
            ids.extend(group)
        starts.append(len(ids))
        self.number = {w: i for i, w in enumerate(self.words)}
        self.starts = np.array(starts, dtype=np.int64)
        self.ids = np.array(ids, dtype=np.int32)

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


class ExactKeys:
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
