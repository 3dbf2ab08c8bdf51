"""What the list's regime names (UN_LIST_TYPE) stand for: committee, establishing resolution, reference prefix.

Read from the sourced knowledge file bot/data/regimes.toml (the same records /committee shows), so there is one
table of regimes, with its sources, and no second copy in code. Dates the fact sheet could not confirm are not
in that file, and so are not used here either.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass

from bot.sources.knowledge import Regime, bundled_directory, parse_knowledge, read_files


@dataclass(frozen=True, slots=True)
class RegimeInfo:
    """One sanctions regime as the Consolidated List names it."""

    list_type: str
    subject: str
    committee: str
    resolution: str
    established: dt.date | None
    prefix: str
    status: str = "active"
    active: bool = True
    numbers: tuple[int, ...] = ()

    @property
    def short_committee(self) -> str:
        """The committee by its resolution numbers ("1718 Committee"), as diplomats and the press call it."""
        return f"{'/'.join(str(n) for n in self.numbers)} Committee" if self.numbers else self.committee


@functools.cache
def _regimes() -> tuple[Regime, ...]:
    """The regimes of the bundled knowledge files (parsed once)."""
    return parse_knowledge(read_files(bundled_directory())).regimes


@functools.cache
def _table() -> dict[str, RegimeInfo]:
    """The regimes by the list's spelling."""
    return {
        r.list_type: RegimeInfo(
            list_type=r.list_type,
            subject=r.name,
            committee=r.committee,
            resolution=r.established_by,
            established=dt.date.fromisoformat(r.established_on) if r.established_on else None,
            prefix=r.prefixes[0][:2] if r.prefixes else "",
            status=r.status,
            active=r.active,
            numbers=r.committee_numbers,
        )
        for r in _regimes()
        if r.list_type
    }


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.casefold())


@functools.cache
def regime_synonyms() -> dict[str, str]:
    """Other names people type for a regime (its aliases, name and committee numbers in regimes.toml), keyed
    case- and punctuation-free, mapped to the list's spelling: "North Korea" and "1718" → DPRK."""
    out: dict[str, str] = {}
    for r in _regimes():
        if r.list_type:
            for name in (*r.aliases, r.name, r.id, *(str(n) for n in r.committee_numbers)):
                out.setdefault(_key(name), r.list_type)
    return out


def regime_info(list_type: str) -> RegimeInfo | None:
    """The table row of a regime, by the list's spelling (None for a regime the table does not know)."""
    return _table().get(list_type)


def regime_start(list_type: str, earliest_listing: dt.date | None = None) -> dt.date | None:
    """The first day anything can have been listed under a regime: its resolution, or an earlier listing.

    Taliban entries were listed under resolution 1267 long before resolution 1988 split them off, so the
    earliest listing date wins when it comes first.
    """
    info = _table().get(list_type)
    dates = [d for d in (info.established if info else None, earliest_listing) if d is not None]
    return min(dates) if dates else None
