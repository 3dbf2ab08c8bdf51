"""The curated knowledge files (bot/data/*.toml): TOML bytes in, validated typed records out.

No database, no network. The schema is declared once, as the record dataclasses in bot/models_knowledge.py;
msgspec checks each record's types against it, and the domain rules (sources, fifteen members a year, terms
that do not overlap, quotes of known statements, …) are checked here. Every problem is a KnowledgeError naming
the file, the record and what is wrong, e.g. `council.toml: [[terms]] #14 (2017–2017: Italy): Italy holds
overlapping terms …`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
import tomllib
import typing
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from typing import Any

import msgspec

from bot.errors import KnowledgeError
from bot.models_knowledge import (
    COUNCIL_SIZE,
    PERMANENT_SEATS,
    STATEMENT_KINDS,
    Chair,
    CouncilTerm,
    Knowledge,
    KnowledgeFile,
    Measure,
    Panel,
    PanelEvent,
    Publication,
    Quote,
    Regime,
    Resolution,
    Statement,
    ViceChairs,
    record_hints,
)

_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


def bundled_directory() -> Traversable:
    """bot/data inside the installed package."""
    return resources.files("bot").joinpath("data")


def read_files(directory: Traversable | Path) -> dict[str, bytes]:
    """Every *.toml in the folder, by name (the parser says which are missing or unexpected)."""
    found: dict[str, bytes] = {}
    for item in directory.iterdir():
        if item.name.endswith(".toml") and item.is_file():
            found[item.name] = item.read_bytes()
    return found


# --- which tables each file holds ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Table:
    kind: str  # the Knowledge attribute it fills
    cls: type
    defaults: Mapping[str, Any] = field(default_factory=dict)  # values the file cannot override
    # An emptied or truncated file must not silently wipe what the store holds.
    required: bool = True


FILES: dict[str, dict[str, _Table]] = {
    "council.toml": {
        # Permanent members sit for the whole range covered (first_year–last_year, filled in after parsing).
        "permanent": _Table("terms", CouncilTerm, {"permanent": True, "start": 0, "end": 0}),
        "terms": _Table("terms", CouncilTerm, {"permanent": False}),
    },
    "chairs.toml": {
        "chairs": _Table("chairs", Chair),
        "vice_chairs": _Table("vice_chairs", ViceChairs, required=False),
    },
    "regimes.toml": {"regimes": _Table("regimes", Regime), "measures": _Table("measures", Measure)},
    "resolutions.toml": {"resolutions": _Table("resolutions", Resolution)},
    "panel.toml": {"panels": _Table("panels", Panel), "panel_events": _Table("panel_events", PanelEvent)},
    "statements.toml": {
        "publications": _Table("publications", Publication),
        "statements": _Table("statements", Statement),
        "quotes": _Table("quotes", Quote),
    },
}
# Top-level keys that are settings of the file rather than records.
FILE_SETTINGS: dict[str, dict[str, type]] = {"council.toml": {"first_year": int, "last_year": int}}


@dataclass(frozen=True)
class _Where:
    """A record's place, for messages: file, table, 1-based position and a short hint of its content."""

    file: str
    table: str
    number: int
    hint: str = ""

    def __str__(self) -> str:
        hint = f" ({self.hint})" if self.hint else ""
        return f"[[{self.table}]] #{self.number}{hint}"


def _fail(where: _Where | str, file: str, problem: str) -> KnowledgeError:
    return KnowledgeError(file, str(where), problem)


# --- parsing one record -------------------------------------------------------------------------------------


def _hint(table: str, raw: Mapping[str, Any]) -> str:
    """A few words that identify a raw record in a message."""

    def text(key: str) -> str:
        value = raw.get(key)
        return value if isinstance(value, str) else ""

    if table in ("terms", "permanent"):
        members = raw.get("members")
        names = ", ".join(m for m in members if isinstance(m, str)) if isinstance(members, list) else ""
        span = "permanent" if table == "permanent" else f"{raw.get('start', '?')}–{raw.get('end', '?')}"
        return f"{span}: {_short(names)}" if names else span
    if table in ("chairs", "vice_chairs"):
        return str(raw.get("year", ""))
    if table == "resolutions":
        return f"{raw.get('number', '?')} ({raw.get('year', '?')})"
    if table == "quotes":
        return f"{text('statement')}: “{_short(text('text'), 40)}”"
    if table == "measures":
        return f"{text('regime')}: {text('title')}"
    if table in ("panels", "panel_events"):
        return " ".join(x for x in (text("regime"), text("date")) if x)
    return text("id")


def _short(text: str, limit: int = 50) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _type_name(hint: Any) -> str:
    if hint is int:
        return "a whole number"
    if hint is bool:
        return "true or false"
    if hint is str:
        return "text"
    args = typing.get_args(hint)
    if args and args[0] is int:
        return "a list of whole numbers"
    return "a list of texts"


_AT_FIELD = re.compile(r"- at `\$\.([A-Za-z_][A-Za-z0-9_]*)")


def _type_problem(exc: msgspec.ValidationError, hints: Mapping[str, Any]) -> str:
    """msgspec's "Expected `int`, got `str` - at `$.number`" as "`number` must be a whole number"."""
    match = _AT_FIELD.search(str(exc))
    if match is None or match.group(1) not in hints:
        return f"does not fit its schema: {exc}"  # pragma: no cover - every field's type error names the field
    name = match.group(1)
    return f"`{name}` must be {_type_name(hints[name])}"


def _strip(value: Any) -> Any:
    """Text without surrounding white space, also inside lists of texts."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, tuple):
        return tuple(_strip(v) for v in value)
    return value


def _record(file: str, table: _Table, where: _Where, raw: Any) -> Any:
    """One record of `table` from its raw TOML table: the domain's rules first (sources, known fields, required
    fields), then the types, checked by msgspec against the record's declared dataclass (strict: no text for a
    number, no number for true/false)."""
    if not isinstance(raw, dict):
        raise _fail(where, file, "is not a table")
    fields = {f.name: f for f in dataclasses.fields(table.cls) if f.name != "position"}
    hints = record_hints(table.cls)
    # The rule that matters most comes first: every record says where its facts come from.
    if "sources" in fields:
        sources = raw.get("sources")
        if sources is None or (isinstance(sources, list) and not [s for s in sources if str(s).strip()]):
            raise _fail(where, file, 'has no source: add `sources = ["…"]` naming where its facts come from')
        if not isinstance(sources, list) or not all(isinstance(s, str) and s.strip() for s in sources):
            raise _fail(where, file, "`sources` must be a list of non-empty texts")
    elif "source" in fields and not (isinstance(raw.get("source"), str) and raw["source"].strip()):
        raise _fail(where, file, 'has no source: add `source = "<publication id>"`')
    for key in raw:
        if key not in fields or key in table.defaults:
            known = ", ".join(sorted(k for k in fields if k not in table.defaults))
            raise _fail(where, file, f"unknown field `{key}` (fields: {known})")
    values = {**raw, **table.defaults}
    missing = [
        name
        for name, f in fields.items()
        if name not in values and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise _fail(where, file, "missing " + ", ".join(f"`{m}`" for m in missing))
    try:
        record: Any = msgspec.convert(values, type=table.cls, strict=True)
    except msgspec.ValidationError as exc:
        raise _fail(where, file, _type_problem(exc, hints)) from None
    record = dataclasses.replace(record, **{name: _strip(getattr(record, name)) for name in values})
    for name in values:
        required = fields[name].default is dataclasses.MISSING and fields[name].default_factory is dataclasses.MISSING
        if required and hints[name] is str and not getattr(record, name):
            raise _fail(where, file, f"`{name}` is empty")
    return record


# --- parsing files ------------------------------------------------------------------------------------------


def sha256(data: bytes) -> str:
    """Hex SHA-256 of a file's bytes."""
    return hashlib.sha256(data).hexdigest()


def _load_toml(name: str, data: bytes) -> dict[str, Any]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise KnowledgeError(name, "", f"not UTF-8 text (byte {exc.start})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise KnowledgeError(name, "", f"not valid TOML: {exc}") from None


def parse_knowledge(files: Mapping[str, bytes]) -> Knowledge:
    """Parse and validate all the knowledge files (name → bytes); KnowledgeError at the first problem."""
    unknown = sorted(set(files) - set(FILES))
    if unknown:
        raise KnowledgeError(unknown[0], "", f"not a knowledge file this version reads (expected: {', '.join(FILES)})")
    missing = [name for name in FILES if name not in files]
    if missing:
        raise KnowledgeError(missing[0], "", "missing: every knowledge file must be present")
    collected: dict[str, list[tuple[_Where, Any]]] = defaultdict(list)
    settings: dict[str, Any] = {}
    file_info = []
    for name in FILES:
        doc = _load_toml(name, files[name])
        records = 0
        for key, value in doc.items():
            if key in FILE_SETTINGS.get(name, {}):
                wanted = FILE_SETTINGS[name][key]
                if not isinstance(value, wanted) or isinstance(value, bool):
                    raise KnowledgeError(name, key, f"must be {_type_name(wanted)}")
                settings[key] = value
                continue
            table = FILES[name].get(key)
            if table is None:
                expected = ", ".join([f"[[{t}]]" for t in FILES[name]] + list(FILE_SETTINGS.get(name, {})))
                raise KnowledgeError(name, key, f"unknown table or key (this file holds: {expected})")
            if not isinstance(value, list):
                raise KnowledgeError(name, key, f"must be an array of tables, written [[{key}]]")
            for number, raw in enumerate(value, start=1):
                where = _Where(name, key, number, _hint(key, raw) if isinstance(raw, dict) else "")
                record = _record(name, table, where, raw)
                collected[table.kind].append((where, record))
                records += 1
        for key in FILE_SETTINGS.get(name, {}):
            if key not in settings:
                raise KnowledgeError(name, key, "missing")
        for key, table in FILES[name].items():
            if table.required and not doc.get(key):
                raise KnowledgeError(name, f"[[{key}]]", "no records: an empty table would wipe this data")
        file_info.append(KnowledgeFile(name, sha256(files[name]), records))
    collected["terms"] = [
        (
            w,
            dataclasses.replace(t, start=settings["first_year"], end=settings["last_year"]) if t.permanent else t,
        )
        for w, t in collected["terms"]
    ]
    quotes = collected["quotes"]
    collected["quotes"] = [(w, dataclasses.replace(q, position=i)) for i, (w, q) in enumerate(quotes, start=1)]
    knowledge = Knowledge(
        first_year=settings["first_year"],
        last_year=settings["last_year"],
        files=tuple(file_info),
        **{kind: tuple(r for _w, r in collected[kind]) for kind in Knowledge.KINDS},
    )
    _validate(knowledge, collected)
    return knowledge


# --- validation across records ------------------------------------------------------------------------------


def _check_date(where: _Where, name: str, value: str, *, required: bool = True) -> None:
    if not value:
        if required:
            raise _fail(where, where.file, f"`{name}` is empty")
        return
    if not _DATE.match(value):
        raise _fail(where, where.file, f"`{name}` = {value!r} is not a date (YYYY-MM-DD, YYYY-MM or YYYY)")
    parts = [int(p) for p in value.split("-")] + [1, 1]
    try:
        dt.date(parts[0], parts[1], parts[2])
    except ValueError:
        raise _fail(where, where.file, f"`{name}` = {value!r} is not a calendar date") from None


def _unique(items: Sequence[tuple[_Where, Any]], key: Callable[[Any], Any], what: str) -> None:
    seen: dict[Any, _Where] = {}
    for where, record in items:
        k = key(record)
        if k in seen:
            raise _fail(where, where.file, f"duplicate {what} {k!r} (also {seen[k]})")
        seen[k] = where


def _validate(k: Knowledge, at: Mapping[str, list[tuple[_Where, Any]]]) -> None:
    """Rules across records: coverage, overlaps, references, dates, uniqueness."""
    if not (1945 <= k.first_year <= k.last_year <= 2200):
        raise KnowledgeError(
            "council.toml", "first_year/last_year", f"{k.first_year}–{k.last_year} is not a range of years"
        )
    _validate_council(k, at["terms"])
    _validate_chairs(k, at["chairs"], at["vice_chairs"])
    _validate_regimes(k, at)
    _validate_statements(k, at)


def _validate_council(k: Knowledge, terms: Sequence[tuple[_Where, CouncilTerm]]) -> None:
    permanent = [(w, t) for w, t in terms if t.permanent]
    for where, term in terms:
        if not term.members:
            raise _fail(where, where.file, "`members` is empty")
        if not term.permanent and term.start > term.end:
            raise _fail(where, where.file, f"term starts ({term.start}) after it ends ({term.end})")
        if not term.permanent and term.end - term.start > 1:
            raise _fail(where, where.file, f"an elected term lasts at most two years, not {term.start}–{term.end}")
        if len(set(term.members)) != len(term.members):
            raise _fail(where, where.file, "a member is listed twice")
    if len(permanent) != 1 or len(permanent[0][1].members) != PERMANENT_SEATS:
        place: _Where | str = permanent[0][0] if permanent else "[[permanent]]"
        raise _fail(
            place,
            "council.toml",
            f"needs exactly one [[permanent]] record with the {PERMANENT_SEATS} permanent members",
        )
    spans = terms
    held: dict[str, list[tuple[_Where, CouncilTerm]]] = defaultdict(list)
    for where, term in spans:
        for member in term.members:
            for other_where, other in held[member]:
                if term.start <= other.end and other.start <= term.end:
                    raise _fail(
                        where,
                        where.file,
                        f"{member} holds overlapping terms: {_span(term)} here and {_span(other)} in {other_where}",
                    )
            held[member].append((where, term))
    for year in range(k.first_year, k.last_year + 1):
        sitting = [(w, t) for w, t in spans if t.start <= year <= t.end]
        members = sorted(m for _w, t in sitting for m in t.members)
        if len(members) != COUNCIL_SIZE:
            records = (
                ", ".join(f"#{w.number}" if w.table == "terms" else "[[permanent]]" for w, _t in sitting) or "none"
            )
            raise KnowledgeError(
                "council.toml",
                f"year {year} (records {records})",
                f"{len(members)} members, not fifteen: {', '.join(members) or 'nobody'}",
            )


def _span(term: CouncilTerm) -> str:
    return f"{term.start}–{term.end}" if term.start != term.end else str(term.start)


def _validate_chairs(
    k: Knowledge, chairs: Sequence[tuple[_Where, Chair]], vice: Sequence[tuple[_Where, ViceChairs]]
) -> None:
    _unique(chairs, lambda c: c.year, "year")
    _unique(vice, lambda v: v.year, "year")
    for where, chair in chairs:
        if not k.first_year <= chair.year <= k.last_year:
            raise _fail(
                where,
                where.file,
                f"year {chair.year} is outside the council data ({k.first_year}–{k.last_year})",
            )
        members = {m for m, _t in k.members_in(chair.year)}
        if chair.country not in members:
            raise _fail(where, where.file, f"{chair.country} is not a member of the Council in {chair.year}")
    for where, v in vice:
        if not k.first_year <= v.year <= k.last_year:
            raise _fail(where, where.file, f"year {v.year} is outside the council data ({k.first_year}–{k.last_year})")
        members = {m for m, _t in k.members_in(v.year)}
        for country in v.countries:
            if country not in members:
                raise _fail(where, where.file, f"{country} is not a member of the Council in {v.year}")


def _validate_regimes(k: Knowledge, at: Mapping[str, list[tuple[_Where, Any]]]) -> None:
    _unique(at["regimes"], lambda r: r.id, "regime id")
    _unique([(w, r) for w, r in at["regimes"] if r.list_type], lambda r: r.list_type, "list_type")
    regimes = {r.id for r in k.regimes}
    for where, regime in at["regimes"]:
        _check_date(where, "established_on", regime.established_on, required=False)
    _unique(at["resolutions"], lambda r: (r.regime, r.number), "resolution")
    _unique(at["measures"], lambda m: (m.regime, m.title), "measure")
    _unique(at["panels"], lambda p: p.regime, "panel for regime")
    numbers: dict[str, set[int]] = defaultdict(set)
    for where, res in at["resolutions"]:
        if res.regime not in regimes:
            raise _fail(where, where.file, f"unknown regime {res.regime!r} (known: {', '.join(sorted(regimes))})")
        _check_date(where, "adopted", res.adopted, required=False)
        _check_date(where, "panel_mandate_to", res.panel_mandate_to, required=False)
        if res.adopted and int(res.adopted[:4]) != res.year:
            raise _fail(where, where.file, f"adopted {res.adopted} is not in {res.year}")
        if not res.adopted and not res.adopted_note:
            raise _fail(where, where.file, "no `adopted` date: say why in `adopted_note`")
        numbers[res.regime].add(res.number)
    for table in ("measures", "panels", "panel_events"):
        for where, record in at[table]:
            if record.regime not in regimes:
                raise _fail(
                    where,
                    where.file,
                    f"unknown regime {record.regime!r} (known: {', '.join(sorted(regimes))})",
                )
    for where, measure in at["measures"]:
        for number in measure.resolutions:
            if number not in numbers[measure.regime]:
                raise _fail(where, where.file, f"resolution {number} is not in resolutions.toml for {measure.regime}")
    for where, panel in at["panels"]:
        _check_date(where, "established_on", panel.established_on)
        _check_date(where, "mandate_ended", panel.mandate_ended, required=False)
        if panel.established_by not in numbers[panel.regime]:
            raise _fail(
                where,
                where.file,
                f"resolution {panel.established_by} is not in resolutions.toml for {panel.regime}",
            )
    for where, event in at["panel_events"]:
        _check_date(where, "date", event.date)


def _validate_statements(k: Knowledge, at: Mapping[str, list[tuple[_Where, Any]]]) -> None:
    _unique(at["publications"], lambda p: p.id, "publication id")
    _unique(at["statements"], lambda s: s.id, "statement id")
    _unique(at["quotes"], lambda q: (q.statement, q.text), "quote")
    publications = {p.id for p in k.publications}
    statements = {s.id for s in k.statements}
    for where, pub in at["publications"]:
        if not _ID.match(pub.id):
            raise _fail(where, where.file, f"id {pub.id!r} must be lower-case letters, digits and hyphens")
        _check_date(where, "date", pub.date)
    for where, st in at["statements"]:
        if not _ID.match(st.id):
            raise _fail(where, where.file, f"id {st.id!r} must be lower-case letters, digits and hyphens")
        if st.kind not in STATEMENT_KINDS:
            raise _fail(where, where.file, f"kind {st.kind!r} is not one of {', '.join(STATEMENT_KINDS)}")
        _check_date(where, "date", st.date)
        if st.source not in publications:
            raise _fail(where, where.file, f"source {st.source!r} is not a [[publications]] id")
        for field_name in ("responds_to", "bears_on"):
            for ref in getattr(st, field_name):
                if ref not in statements:
                    raise _fail(where, where.file, f"`{field_name}` names unknown statement {ref!r}")
                if ref == st.id:
                    raise _fail(where, where.file, f"`{field_name}` names the statement itself")
    for where, quote in at["quotes"]:
        if quote.statement not in statements:
            raise _fail(
                where,
                where.file,
                f"quote attributed to unknown statement {quote.statement!r} (known: {', '.join(sorted(statements))})",
            )
        if quote.source not in publications:
            raise _fail(where, where.file, f"source {quote.source!r} is not a [[publications]] id")
        if '"' in quote.text:
            raise _fail(where, where.file, "a quote's text must not contain the quotation marks themselves")
