"""The knowledge files' records (committee members, chairs, regimes, resolutions, statements, …) as typed values:
what the parser in bot/sources/knowledge.py returns, the store keeps and the answers render."""

from __future__ import annotations

import dataclasses
import functools
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

PERMANENT_SEATS = 5
ELECTED_SEATS = 10
COUNCIL_SIZE = PERMANENT_SEATS + ELECTED_SEATS
STATEMENT_KINDS = ("denial", "rebuttal", "claim", "finding")


# --- records ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CouncilTerm:
    """Members holding Security Council seats from 1 January of `start` to 31 December of `end`."""

    start: int
    end: int
    members: tuple[str, ...]
    sources: tuple[str, ...]
    permanent: bool = False
    elected: str = ""
    seat: str = ""
    note: str = ""

    @property
    def key(self) -> str:
        """What identifies this record across reloads."""
        span = "permanent" if self.permanent else f"{self.start}–{self.end}"
        return f"{span}: {', '.join(self.members)}"


@dataclass(frozen=True)
class Chair:
    """The chair of the 1718 Committee in one year (unconfirmed beliefs carry confirmed = false)."""

    year: int
    country: str
    sources: tuple[str, ...]
    person: str = ""
    confirmed: bool = True
    note: str = ""

    @property
    def key(self) -> str:
        """What identifies this record across reloads."""
        return str(self.year)


@dataclass(frozen=True)
class ViceChairs:
    """The vice-chairs of the 1718 Committee in one year (only where a source names them)."""

    year: int
    countries: tuple[str, ...]
    sources: tuple[str, ...]

    @property
    def key(self) -> str:
        """What identifies this record across reloads."""
        return str(self.year)


@dataclass(frozen=True)
class Regime:
    """A UN sanctions regime and its committee, with the list's spelling and reference prefixes."""

    id: str
    name: str
    committee: str
    established_by: str
    active: bool
    status: str
    sources: tuple[str, ...]
    committee_numbers: tuple[int, ...] = ()
    list_type: str = ""
    prefixes: tuple[str, ...] = ()
    established_on: str = ""
    mandate: str = ""
    composition: str = ""
    reporting: str = ""
    aliases: tuple[str, ...] = ()
    # Resolutions seen named but not confirmed, each with why: answers say they were left out, never list them.
    unconfirmed_resolutions: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """What identifies this record across reloads."""
        return self.id


@dataclass(frozen=True)
class Measure:
    """A sanctions measure in force under a regime, with the resolutions that imposed or widened it."""

    regime: str
    title: str
    text: str
    sources: tuple[str, ...]
    resolutions: tuple[int, ...] = ()

    @property
    def key(self) -> str:
        """What identifies this record across reloads."""
        return f"{self.regime}: {self.title}"


@dataclass(frozen=True)
class Resolution:
    """A Security Council resolution of a regime: when it was adopted and what it added."""

    regime: str
    number: int
    year: int
    measures: tuple[str, ...]
    sources: tuple[str, ...]
    adopted: str = ""
    adopted_note: str = ""
    vote: str = ""
    trigger: str = ""
    designations: str = ""
    panel_mandate_to: str = ""

    @property
    def key(self) -> str:
        """What identifies this record across reloads."""
        return f"{self.number} ({self.year})"

    @property
    def symbol(self) -> str:
        """'1718 (2006)'."""
        return f"{self.number} ({self.year})"


@dataclass(frozen=True)
class Panel:
    """A regime's Panel of Experts and its status."""

    regime: str
    name: str
    established_by: int
    established_on: str
    active: bool
    status: str
    sources: tuple[str, ...]
    size: str = ""
    mandate_ended: str = ""

    @property
    def key(self) -> str:
        """What identifies this record across reloads."""
        return self.regime


@dataclass(frozen=True)
class PanelEvent:
    """A dated event in a Panel of Experts' history."""

    regime: str
    date: str
    event: str
    sources: tuple[str, ...]

    @property
    def key(self) -> str:
        """What identifies this record across reloads."""
        return f"{self.regime} {self.date}"


@dataclass(frozen=True)
class Publication:
    """Where statements were reported: publisher, title, date (maybe derived), address."""

    id: str
    publisher: str
    title: str
    date: str
    sources: tuple[str, ...]
    url: str = ""
    date_derived: bool = False
    date_note: str = ""
    also_carried_by: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """What identifies this record across reloads."""
        return self.id


@dataclass(frozen=True)
class Statement:
    """Something said by a person or body, as reported in a publication."""

    id: str
    kind: str
    date: str
    speaker: str
    speaks_for: str
    summary: str
    source: str
    date_derived: bool = False
    date_note: str = ""
    context: str = ""
    responds_to: tuple[str, ...] = ()
    bears_on: tuple[str, ...] = ()
    date_sources: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """What identifies this record across reloads."""
        return self.id


@dataclass(frozen=True)
class Quote:
    """A passage quoted word for word from a statement, with the words that lead into it."""

    statement: str
    text: str
    source: str
    lead: str = ""
    note: str = ""
    position: int = 0

    @property
    def key(self) -> str:
        """What identifies this record across reloads."""
        return f"{self.statement}: {self.text}"


Record = (
    CouncilTerm
    | Chair
    | ViceChairs
    | Regime
    | Measure
    | Resolution
    | Panel
    | PanelEvent
    | Publication
    | Statement
    | Quote
)


@dataclass(frozen=True)
class KnowledgeFile:
    """One file as loaded: its name, content hash and number of records."""

    name: str
    sha256: str
    records: int


@dataclass(frozen=True)
class Knowledge:
    """Everything in the knowledge files, validated."""

    first_year: int
    last_year: int
    terms: tuple[CouncilTerm, ...] = ()
    chairs: tuple[Chair, ...] = ()
    vice_chairs: tuple[ViceChairs, ...] = ()
    regimes: tuple[Regime, ...] = ()
    measures: tuple[Measure, ...] = ()
    resolutions: tuple[Resolution, ...] = ()
    panels: tuple[Panel, ...] = ()
    panel_events: tuple[PanelEvent, ...] = ()
    publications: tuple[Publication, ...] = ()
    statements: tuple[Statement, ...] = ()
    quotes: tuple[Quote, ...] = ()
    files: tuple[KnowledgeFile, ...] = field(default=(), compare=False)

    KINDS: ClassVar[tuple[str, ...]] = (
        "terms",
        "chairs",
        "vice_chairs",
        "regimes",
        "measures",
        "resolutions",
        "panels",
        "panel_events",
        "publications",
        "statements",
        "quotes",
    )

    def records(self, kind: str) -> tuple[Record, ...]:
        """The records of one kind ('terms', 'quotes', …)."""
        return typing.cast(tuple[Record, ...], getattr(self, kind))

    def members_in(self, year: int) -> list[tuple[str, CouncilTerm]]:
        """(member, term) for every seat held in `year`."""
        return [(m, t) for t in self.terms if t.start <= year <= t.end for m in t.members]


@functools.cache
def record_hints(cls: type) -> dict[str, Any]:
    """A record class's field types, resolved (once per class)."""
    return typing.get_type_hints(cls)


# --- round trip for the store -------------------------------------------------------------------------------

RECORD_TYPES: dict[str, type] = {
    "terms": CouncilTerm,
    "chairs": Chair,
    "vice_chairs": ViceChairs,
    "regimes": Regime,
    "measures": Measure,
    "resolutions": Resolution,
    "panels": Panel,
    "panel_events": PanelEvent,
    "publications": Publication,
    "statements": Statement,
    "quotes": Quote,
}


def record_to_dict(record: Record) -> dict[str, Any]:
    """A record as plain JSON-able values."""
    return dataclasses.asdict(record)


def record_from_dict(kind: str, data: Mapping[str, Any]) -> Any:
    """A record of `kind` from record_to_dict's output (lists become tuples again)."""
    cls = RECORD_TYPES[kind]
    hints = record_hints(cls)
    values = {}
    for f in dataclasses.fields(cls):
        if f.name in data:
            value = data[f.name]
            values[f.name] = tuple(value) if typing.get_origin(hints[f.name]) is tuple else value
    return cls(**values)
