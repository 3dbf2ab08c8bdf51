"""What a name search returns: neutral result types that render reads without importing the search service."""

from __future__ import annotations

from dataclasses import dataclass

from bot.models import Kind, ListVersion

CLOSE_SCORE = 85  # at or above: the name really is (a spelling of) what was asked


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
    origin: str = ""  # where the matched name or identifier was written, when not a name field of its own

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
    reading: str | None = None  # how a query in Hangul was read (`Ri Won Ho`)
    identifier: str | None = None  # the identifier looked up, when the query was one (`1790183`)

    @property
    def close(self) -> bool:
        """True when the best hit is an exact, alias, variant or near-typo match (not just similar)."""
        return bool(self.hits) and self.hits[0].score >= CLOSE_SCORE
