"""Identifiers looked up exactly: document numbers (passport, national identity), IMO and other numbers in an entry.

An identifier is kept as its letters and digits only, upper case (`G-0343089` → G0343089), and, when it has a
letter prefix, also as its digits alone (`SE 012820` is found by 012820). A query is an identifier when, once a
label (IMO, passport, no., #…) is taken off, what is left has at least five digits and at most three letters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.models import Document, Entry
from bot.normalize import fold

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
    (re.compile(r"phone|\btel\b", re.IGNORECASE), "telephone number"),
    (re.compile(r"fax|facsimile", re.IGNORECASE), "fax number"),
    (re.compile(r"\bp\.? ?o\.? (?:box)?", re.IGNORECASE), "P.O. Box"),
)
# Phone and fax numbers are also found by their local part (`18111` of +850-2-18111, `3814687` of 850-2-381-4687).
_LOCAL_PART = ("telephone number", "fax number")


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
    """The label nearest before a number (`Telephone number: … Facsimile number: 850-2-381-4687` is a fax)."""
    before = text[max(0, start - 40) : start]
    nearest, kind = -1, "number"
    for pattern, what in _CONTEXT:
        for match in pattern.finditer(before):
            if match.start() > nearest:
                nearest, kind = match.start(), what
    return kind


def _local_parts(shown: str) -> list[str]:
    """Runs of a grouped phone number's groups with five digits or more: the switchboard of 850-2-18111-8208 is
    18111, and 850-2-381-4687 is dialled 3814687 in Pyongyang."""
    groups = re.split(r"[ \-]", shown.lstrip("+"))
    out = []
    for i in range(len(groups)):
        for j in range(i + 1, len(groups) + 1):
            run = "".join(groups[i:j])
            if (i, j) != (0, len(groups)) and run.isdigit() and len(run) >= MIN_DIGITS:
                out.append(run)
    return out


# The list writes a few document types in French or Spanish.
_DOCUMENT_TYPES = {"numero de passeport": "Passport", "numero de pasaporte": "Passport", "passeport": "Passport"}


def _document_type(document: Document) -> str:
    words = document.type.strip() or "Document"
    words = _DOCUMENT_TYPES.get(fold(words), words)
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
    for address in entry.addresses:
        fields = (address.street, address.city, address.state_province, address.zip_code, address.note)
        texts.append((" ".join(f for f in fields if f), "an address", ""))
    for text, where, whose in texts:
        if not text or _FIVE_DIGITS.search(text) is None:
            continue  # most texts hold only dates and short numbers
        for shown, keys, start in _found(text.upper()):
            what = _kind_from_context(text, start)
            if what in _LOCAL_PART:
                keys = [*keys, *_local_parts(shown)]
            add(keys, Identifier(position, shown, what, "", where + whose[:80]))
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
