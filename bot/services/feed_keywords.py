"""Feed keywords: a server's keywords cleaned and split, and news items matched against them."""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.errors import InvalidOption, quote
from bot.sources.feeds import fold

DEFAULT_KEYWORDS: tuple[str, ...] = (
    "sanction",
    "1718",
    "DPRK",
    "North Korea",
    "Democratic People's Republic of Korea",
    "Panel of Experts",
)
MAX_KEYWORDS = 25
KEYWORD_MAX_LENGTH = 60
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "＇": "'"})


class KeywordMatcher:
    """Whole-word, case-insensitive matching of a server's keywords (plural and possessive forms included)."""

    def __init__(self, keywords: Iterable[str]) -> None:
        words = sorted({k.strip() for k in keywords if k.strip()}, key=len, reverse=True)
        self.keywords = tuple(words)
        if not words:
            self._pattern: re.Pattern[str] | None = None
            return
        alternatives = []
        for word in words:
            tokens = word.translate(_APOSTROPHES).split()
            # Spaces and hyphens between the words of a phrase are interchangeable ("North-Korea").
            alternatives.append(r"[\s\-]+".join(re.escape(t) for t in tokens))
        self._pattern = re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?:'s|s|es)?(?!\w)", re.IGNORECASE)

    def matches(self, *texts: str) -> bool:
        """True if any keyword occurs as a whole word in any text; with no keywords, everything matches."""
        if self._pattern is None:
            return True
        return any(self._pattern.search(t.translate(_APOSTROPHES)) for t in texts if t)


def clean_keyword(raw: str) -> str:
    """A keyword as stored (whitespace folded), or InvalidOption saying what is wrong with it."""
    word = fold(raw)
    if not word:
        raise InvalidOption("keyword", "a keyword cannot be empty.")
    if len(word) > KEYWORD_MAX_LENGTH:
        raise InvalidOption("keyword", f"{quote(word)} is longer than {KEYWORD_MAX_LENGTH} characters.")
    if not any(ch.isalnum() for ch in word):
        raise InvalidOption("keyword", f"{quote(word)} has no letter or digit to match on.")
    return word


def split_keywords(raw: str) -> list[str]:
    """Comma- (or semicolon-) separated keywords, cleaned, without repeats (any case)."""
    out: list[str] = []
    for part in re.split(r"[,;\n]", raw):
        if part.strip():
            word = clean_keyword(part)
            if word.casefold() not in {w.casefold() for w in out}:
                out.append(word)
    if not out:
        raise InvalidOption("keywords", "give at least one keyword (several separated by commas).")
    return out
