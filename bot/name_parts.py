"""Which parts of a listed name's text are names of their own: brackets, `;` lists and alias notes.

`DAEDONG CREDIT BANK (DCB)` is also `DCB`, but `AL-HARAMAIN FOUNDATION (PAKISTAN)` is not also `PAKISTAN`; an
alias note `(Abu Du’a; Abu Duaa’) prominently known by this nom de guerre` holds two names. Pure text work on
top of `bot.normalize`'s folding, shared by the search index.
"""

from __future__ import annotations

import re

from bot.normalize import fold

_PARENTHESIS = re.compile(r"\(([^()]*)\)")
_ORIGINAL_SCRIPT_LABEL = re.compile(r"^\s*original script\s*:\s*", re.IGNORECASE)


def name_parts(text: str) -> list[str]:
    """A listed name and the names inside it: outside and inside brackets, and each `;`-separated part.

    `DAEDONG CREDIT BANK (DCB)` is also `DAEDONG CREDIT BANK` and `DCB`; `Jin Tiesan (金铁三)` is also
    `金铁三`. The whole text comes first; parts that fold to the same words are given once.
    """
    candidates = [text]
    outside = _PARENTHESIS.sub(" ", text)
    candidates.extend(outside.split(";"))
    for inside in _PARENTHESIS.findall(text):
        parts = (_ORIGINAL_SCRIPT_LABEL.sub("", part) for part in inside.split(";"))
        candidates.extend(part for part in parts if _bracket_is_a_name(part, outside))
    seen: set[str] = set()
    out = []
    for part in candidates:
        key = fold(part)
        if len(key.replace(" ", "")) >= 2 and key not in seen:
            seen.add(key)
            out.append(part.strip(" ,;"))
    return out


def _bracket_is_a_name(part: str, outside: str) -> bool:
    """Whether a bracketed part of a Latin-letter name is a name of its own, not a qualifier.

    `DAEDONG CREDIT BANK (DCB)` and `Lom-ali Butayev (Butaev)`: an abbreviation or another spelling spells its
    letters in the order the name outside has them. `AL-HARAMAIN FOUNDATION (PAKISTAN)`, `LEADER (HONG KONG)
    INTERNATIONAL`, `… (NGO)`, `Ezatullah Haqqani (previously listed as)`, `(Sheikh) Musa Hilal`, `… III (third)`
    do not: a place, a title or a remark is not a name. Inside a name in another script (Arabic with its
    transliteration in brackets) and in another script inside Latin letters, every part is a name.
    """
    if not fold(part).replace(" ", "").isascii():
        return True
    if any(word[:1].islower() and fold(word) not in _CONNECTORS for word in part.split()):
        return False  # a remark (previously listed as, birth name, third, martyrs, original script)
    letters = fold(outside).replace(" ", "")
    if not letters.isascii():
        return True
    position = 0
    for letter in fold(part).replace(" ", ""):
        position = letters.find(letter, position) + 1
        if not position:
            return False
    return True


# --- Names written in an alias's note ---------------------------------------------------------------------------

_NOTE_LABEL = re.compile(
    r"^\s*(?:original script|in arabic(?: script)?|transliterations?|also spelt|also spelled)\s*:\s*", re.IGNORECASE
)
_CONNECTORS = frozenset(
    [
        "al",
        "el",
        "ul",
        "ad",
        "ud",
        "bin",
        "ibn",
        "bint",
        "ben",
        "abu",
        "abd",
        "the",
        "of",
        "de",
        "du",
        "la",
        "le",
        "wa",
        "y",
        "da",
    ]
)
# Words that make a note a description, not a name.
_DESCRIPTIVE = frozenset(
    [
        "listed",
        "previously",
        "formerly",
        "born",
        "nationality",
        "passport",
        "translation",
        "transliteration",
        "transliterations",
        "name",
        "names",
        "guerre",
        "sign",
        "combat",
        "initials",
        "dpob",
        "pob",
        "dob",
        "issued",
        "number",
        "address",
        "mother",
        "father",
        "wife",
        "son",
        "daughter",
        "when",
    ]
)
_DIGIT = re.compile(r"\d")


def note_names(note: str) -> list[str]:
    """Names written in an alias's note: `(Abu Du’a; Abu Duaa’) prominently known by this nom de guerre`.

    Bracketed parts and `;`- or `,`-separated lists, each part a name only when it looks like one: no digits,
    at most eight words, capitalised words (or al-, bin, the …), two words or more unless in another script,
    and none of the words that make it a description (listed, born, passport, nationality, …).
    """
    candidates = _PARENTHESIS.findall(note)
    outside = _PARENTHESIS.sub(" ; ", note)
    candidates.append(outside)
    out: list[str] = []
    for candidate in candidates:
        for part in candidate.split(";"):
            names = [_NOTE_LABEL.sub("", piece).strip(" .,;:()") for piece in part.split(",")]
            # A comma list counts only when every piece is a name (not `Address: Mosul, Souq al-Nabi Yunis`).
            if all(name and _looks_like_a_name(name) for name in names):
                out.extend(name for name in names if name not in out)
    return out


def _looks_like_a_name(text: str) -> bool:
    if _DIGIT.search(text) or ":" in text or " - " in text:
        return False
    words = text.split()
    if not 1 <= len(words) <= 8:
        return False
    latin = [w for w in words if w.isascii() or any("a" <= c.lower() <= "z" for c in w)]
    if latin and len(words) < 2:
        return False
    if len(words) == 2 and words[0].casefold() == "the":
        return False  # an epithet (The American), not a name
    for word in latin:
        stripped = word.lstrip("'‘’`´ʼ\"-")
        if not stripped:
            continue
        head = fold(stripped.split("-")[0])
        if head in _DESCRIPTIVE or fold(stripped) in _DESCRIPTIVE:
            return False
        if not stripped[0].isupper() and head not in _CONNECTORS:
            return False
    return True
