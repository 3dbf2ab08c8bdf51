"""Identifiers looked up exactly: document numbers (passport, national identity), IMO and other numbers in an entry.

An identifier is kept as its letters and digits only, upper case (`G-0343089` → G0343089), and, when it has a
letter prefix, also as its digits alone (`SE 012820` is found by 012820). A query is an identifier when, once a
label (IMO, passport, no., #…) is taken off, what is left has at least five digits and at most three letters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.models import Document, Entry

MIN_DIGITS = 5
MAX_LENGTH = 24
# A number as lists write them: an optional 1-3 letter prefix, digits (single spaces or dashes between groups),
# an optional letter after; not glued to other letters or digits.
_NUMBER = re.compile(r"(?<![\w])(?:([A-Z]{1,3})[ \-]?)?(\d(?:\d|[ \-](?=\d))*\d)([A-Z])?(?![\w])")
_FIVE_DIGITS = re.compile(r"\d(?:[ \-]?\d){4}")
_LABEL = re.compile(
    r"\b(?:imo(?: number| no\.?)?|passport(?: number| no\.?)?|national id(?:entity)?(?: number| no\.?)?|"
    r"id(?: number| no\.?)?|number|no\.?|nr\.?|n°)\s*[:#.]?\s*|#",
    re.IGNORECASE,
)
_CONTEXT = (
    (re.compile(r"\bimo\b", re.IGNORECASE), "IMO number"),
    (re.compile(r"passport", re.IGNORECASE), "passport number"),
    (re.compile(r"identi|\bid\b|tazkira|identity", re.IGNORECASE), "identity number"),
    (re.compile(r"registration", re.IGNORECASE), "registration number"),
    (re.compile(r"phone|\btel\b|fax", re.IGNORECASE), "telephone number"),
)


@dataclass(frozen=True, slots=True)
class Identifier:
    """One identifier of an entry, and what it is: document type, issuing country, where it is written."""

    entry: int  # the entry's position in the index
    shown: str  # as written on the list
    what: str  # "Passport", "IMO number", …
    country: str
    where: str  # "document", "the entry's comments", "the note of alias …"

    @property
    def description(self) -> str:
        """`Passport 381310014, issued by Morocco (document)`."""
        issued = f", issued by {self.country}" if self.country else ""
        return f"{self.what} {self.shown}{issued} ({self.where})"


def _keys(prefix: str, digits: str, suffix: str) -> list[str]:
    plain = re.sub(r"[ \-]", "", digits)
    if sum(ch.isdigit() for ch in plain) < MIN_DIGITS:
        return []
    keys = [f"{prefix}{plain}{suffix}"]
    if prefix or suffix:
        keys.append(plain)
    return keys


def _found(text: str) -> list[tuple[str, list[str], int]]:
    """(as written, keys, start) for every number in a text."""
    if not text or _FIVE_DIGITS.search(text) is None:
        return []  # most texts hold only dates and short numbers
    return [
        (m.group(0).strip(), keys, m.start())
        for m in _NUMBER.finditer(text)
        if (keys := _keys(m.group(1) or "", m.group(2), m.group(3) or ""))
    ]


def _kind_from_context(text: str, start: int) -> str:
    before = text[max(0, start - 40) : start]
    for pattern, what in _CONTEXT:
        if pattern.search(before):
            return what
    return "number"


def _document_type(document: Document) -> str:
    words = document.type or "Document"
    if document.type2 and not any(ch.isdigit() for ch in document.type2):
        words = f"{words} ({document.type2.rstrip(': ')})"
    return words


def entry_identifiers(position: int, entry: Entry) -> list[tuple[str, Identifier]]:
    """(key, identifier) for every identifier of one entry (documents first, then numbers in its text)."""
    out: list[tuple[str, Identifier]] = []
    seen: set[str] = set()

    def add(keys: list[str], identifier: Identifier) -> None:
        for key in keys:
            if key not in seen:
                seen.add(key)
                out.append((key, identifier))

    for document in entry.documents:
        country = document.issuing_country or document.country_of_issue
        what = _document_type(document)
        for text in (document.number, document.type2, document.note):
            for shown, keys, _start in _found(text.upper()):
                add(keys, Identifier(position, shown, what, country, "document"))
    texts = [(entry.comments, "the entry's comments", "")]
    for alias in entry.aliases:
        texts.append((alias.note, "the note of alias ", alias.name))
        texts.append((alias.name, "alias ", alias.name))
    for text, where, whose in texts:
        if not text or _FIVE_DIGITS.search(text) is None:
            continue  # most texts hold only dates and short numbers
        for shown, keys, start in _found(text.upper()):
            add(keys, Identifier(position, shown, _kind_from_context(text, start), "", where + whose[:80]))
    return out


def identifier_key(query: str) -> str | None:
    """The key of a query that is an identifier (labels such as IMO or passport no. taken off), else None."""
    if sum(map(str.isdigit, query)) < MIN_DIGITS:
        return None  # names (nearly every query) stop here
    text = _LABEL.sub(" ", query)
    plain = re.sub(r"[\s\-./]", "", text).upper()
    if not plain or len(plain) > MAX_LENGTH or not plain.isalnum() or not plain.isascii():
        return None
    digits = sum(ch.isdigit() for ch in plain)
    if digits < MIN_DIGITS or len(plain) - digits > 3:
        return None
    return plain
