"""Typed records of the UN Consolidated List, shared by the parser, the store and the services."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["individual", "entity"]
KINDS: tuple[Kind, ...] = ("individual", "entity")


@dataclass(frozen=True, slots=True)
class Alias:
    """Another name an entry is known by, with the list's quality mark (Good/Low, a.k.a./f.k.a.)."""

    name: str
    quality: str = ""
    note: str = ""
    date_of_birth: str = ""
    city_of_birth: str = ""
    country_of_birth: str = ""


@dataclass(frozen=True, slots=True)
class Address:
    """A postal address or place of residence, as listed."""

    street: str = ""
    city: str = ""
    state_province: str = ""
    zip_code: str = ""
    country: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True)
class DateOfBirth:
    """A date of birth: EXACT or APPROXIMATELY a date or a year, or BETWEEN two years."""

    type: str = ""
    date: str = ""
    year: str = ""
    from_year: str = ""
    to_year: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True)
class PlaceOfBirth:
    """A place of birth."""

    city: str = ""
    state_province: str = ""
    country: str = ""
    street: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True)
class Document:
    """An identity document (passport, national id, …)."""

    type: str = ""
    type2: str = ""
    number: str = ""
    issuing_country: str = ""
    date_of_issue: str = ""
    city_of_issue: str = ""
    country_of_issue: str = ""
    note: str = ""


# Fields that say how the UN stores an entry, not what the entry says: they do not make an amendment.
BOOKKEEPING_FIELDS = frozenset({"dataid", "versionnum", "sort_key", "sort_key_last_mod"})


@dataclass(frozen=True, slots=True)
class Entry:
    """One listed individual or entity, keyed by its reference number (e.g. KPi.033)."""

    kind: Kind
    reference: str
    regime: str
    first_name: str = ""
    second_name: str = ""
    third_name: str = ""
    fourth_name: str = ""
    name_original_script: str = ""
    gender: str = ""
    listed_on: str = ""
    comments: str = ""
    titles: tuple[str, ...] = ()
    designations: tuple[str, ...] = ()
    nationalities: tuple[str, ...] = ()
    list_types: tuple[str, ...] = ()
    last_updated: tuple[str, ...] = ()
    submitted_by: tuple[str, ...] = ()
    submitted_on: tuple[str, ...] = ()
    aliases: tuple[Alias, ...] = ()
    addresses: tuple[Address, ...] = ()
    dates_of_birth: tuple[DateOfBirth, ...] = ()
    places_of_birth: tuple[PlaceOfBirth, ...] = ()
    documents: tuple[Document, ...] = ()
    dataid: str = ""
    versionnum: str = ""
    sort_key: str = ""
    sort_key_last_mod: str = ""

    @property
    def name(self) -> str:
        """The primary name: the name parts in list order, joined by spaces."""
        parts = (self.first_name, self.second_name, self.third_name, self.fourth_name)
        return " ".join(p for p in parts if p)

    def as_dict(self) -> dict[str, Any]:
        """Every field as plain JSON-ready data (faster than dataclasses.asdict for these flat records)."""
        out: dict[str, Any] = {}
        for name in _ENTRY_FIELDS:
            value = getattr(self, name)
            if name in _NESTED:
                value = [{slot: getattr(row, slot) for slot in row.__slots__} for row in value]
            elif name in _TUPLES:
                value = list(value)
            out[name] = value
        return out

    def material(self) -> dict[str, Any]:
        """What the entry says (bookkeeping fields left out), as plain JSON-ready data."""
        data = self.as_dict()
        for name in BOOKKEEPING_FIELDS:
            del data[name]
        return data

    def content_hash(self) -> str:
        """A stable hash of the material fields: equal hashes mean no amendment."""
        canonical = json.dumps(self.material(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    def to_json(self) -> str:
        """Serialise every field (bookkeeping included) for the store."""
        return json.dumps(self.as_dict(), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Entry:
        """Rebuild an entry stored with to_json."""
        raw: dict[str, Any] = json.loads(text)
        fields: dict[str, Any] = {k: v for k, v in raw.items() if k not in _NESTED and k not in _TUPLES}
        fields.update({k: tuple(raw.get(k, ())) for k in _TUPLES})
        fields.update({k: tuple(t(**item) for item in raw.get(k, ())) for k, t in _NESTED.items()})
        return cls(**fields)


_NESTED: dict[str, type] = {
    "aliases": Alias,
    "addresses": Address,
    "dates_of_birth": DateOfBirth,
    "places_of_birth": PlaceOfBirth,
    "documents": Document,
}
_TUPLES = (
    "titles",
    "designations",
    "nationalities",
    "list_types",
    "last_updated",
    "submitted_by",
    "submitted_on",
)
_ENTRY_FIELDS = tuple(f.name for f in dataclasses.fields(Entry))


def changed_fields(old: Entry, new: Entry) -> list[str]:
    """Names of the material fields that differ between two revisions of one entry."""
    a, b = old.material(), new.material()
    return sorted(k for k in a if a[k] != b.get(k))


@dataclass(frozen=True, slots=True)
class ParsedList:
    """A whole Consolidated List file: when the UN generated it, and its entries."""

    generated_at: str
    entries: tuple[Entry, ...]

    @property
    def generated_date(self) -> dt.date:
        """The calendar date of generation, as written in the file (its own offset)."""
        return dt.date.fromisoformat(self.generated_at[:10])


@dataclass(frozen=True, slots=True)
class RegimeCount:
    """How many individuals and entities one regime has in one version."""

    regime: str
    individuals: int
    entities: int

    @property
    def total(self) -> int:
        """Individuals plus entities."""
        return self.individuals + self.entities


@dataclass(frozen=True, slots=True)
class ListVersion:
    """One imported copy of the list."""

    id: int
    generated_at: str
    sha256: str
    source: str
    imported_at: str
    entry_count: int
    added: int
    removed: int
    amended: int

    @property
    def generated_date(self) -> str:
        """YYYY-MM-DD of generation, as written in the file."""
        return self.generated_at[:10]


ChangeKind = Literal["added", "removed", "amended"]


@dataclass(frozen=True, slots=True)
class Change:
    """One entry-level change a version made against the version before it."""

    version_id: int
    reference: str
    change: ChangeKind
    kind: Kind
    regime: str
    name: str
    fields: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ListDiff:
    """Entry-level differences between two lists, keyed by reference number."""

    added: tuple[Entry, ...] = ()
    removed: tuple[Entry, ...] = ()
    amended: tuple[tuple[Entry, Entry, tuple[str, ...]], ...] = ()

    @property
    def is_empty(self) -> bool:
        """True when the entries are the same."""
        return not (self.added or self.removed or self.amended)


def diff_entries(
    old: Mapping[str, Entry],
    new: dict[str, Entry],
    old_hashes: dict[str, str] | None = None,
    new_hashes: dict[str, str] | None = None,
) -> ListDiff:
    """Compare two lists keyed by reference: added, removed and amended (with field names).

    Content hashes may be passed in when already known (the store keeps them), to skip recomputing them.
    """
    old_hashes = old_hashes or {ref: e.content_hash() for ref, e in old.items()}
    new_hashes = new_hashes or {ref: e.content_hash() for ref, e in new.items()}
    added = tuple(new[r] for r in sorted(new.keys() - old.keys()))
    removed = tuple(old[r] for r in sorted(old.keys() - new.keys()))
    amended = []
    for ref in sorted(old.keys() & new.keys()):
        if old_hashes[ref] != new_hashes[ref]:
            amended.append((old[ref], new[ref], tuple(changed_fields(old[ref], new[ref]))))
    return ListDiff(added=added, removed=removed, amended=tuple(amended))


@dataclass(frozen=True)
class SyncStatus:
    """What the last sync attempts did, for /about and health."""

    last_attempt_at: str | None = None
    last_success_at: str | None = None
    last_error: str | None = None
    consecutive_failures: int = 0
    next_attempt_at: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CommandInfo:
    """One slash command as users see it: its path, description and options."""

    path: str
    description: str
    options: tuple[tuple[str, str, bool], ...] = ()  # (name, description, required)
