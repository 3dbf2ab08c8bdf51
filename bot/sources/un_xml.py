"""Parse the UN Security Council Consolidated List XML (both the compact 2017 and the indented 2024 layouts).

Hostile XML is refused before any tree is built: no DTDs, no entity declarations, no external references
(defusedxml over the standard expat parser, which never fetches anything). A file without a DOCTYPE can hold none
of those, so it is parsed by ElementTree's C parser (defusedxml's pure-Python one costs a third more).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import TypeVar
from xml.etree.ElementTree import Element, ParseError, XMLParser

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from bot.errors import HostileXml, ListTooLarge, MalformedList, NotAConsolidatedList
from bot.models import (
    Address,
    Alias,
    DateOfBirth,
    Document,
    Entry,
    Kind,
    ParsedList,
    PlaceOfBirth,
)
from bot.references import is_reference

MAX_LIST_BYTES = 50 * 1024 * 1024
ROOT_TAG = "CONSOLIDATED_LIST"
# Dates sometimes carry an offset glued on ("2015-07-01-04:00"): the calendar date is what the list means.
_DATE_WITH_SUFFIX = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:T[\d:.]+)?(?:Z|[+-]\d{2}:\d{2})?$")

T = TypeVar("T")


def clean(text: str | None) -> str:
    """Fold every run of whitespace (line breaks included) into one space and trim."""
    if not text:
        return ""
    return " ".join(text.split())


def clean_date(text: str | None) -> str:
    """A date value as YYYY-MM-DD when it is one (offset dropped), else the cleaned text."""
    value = clean(text)
    match = _DATE_WITH_SUFFIX.match(value)
    return match.group(1) if match else value


def _first_texts(element: Element) -> dict[str, str | None]:
    """Each child tag's text, the first child of a tag winning (as Element.find would pick it), in one pass."""
    return {child.tag: child.text for child in element[::-1]}


def _values(containers: list[Element], *, date: bool = False) -> tuple[str, ...]:
    """The non-empty VALUE children of containers (TITLE, DESIGNATION, …), or their own text."""
    out: list[str] = []
    for container in containers:
        values = container.findall("VALUE")
        texts = [v.text for v in values] if values else [container.text]
        for raw in texts:
            value = clean_date(raw) if date else clean(raw)
            if value:
                out.append(value)
    return tuple(out)


def _rows(elements: list[Element], build: Callable[[dict[str, str | None]], T | None]) -> tuple[T, ...]:
    rows = (build(_first_texts(child)) for child in elements)
    return tuple(row for row in rows if row is not None)


def _alias(t: dict[str, str | None]) -> Alias | None:
    name = clean(t.get("ALIAS_NAME"))
    if not name:
        return None
    return Alias(
        name=name,
        quality=clean(t.get("QUALITY")),
        note=clean(t.get("NOTE")),
        date_of_birth=clean_date(t.get("DATE_OF_BIRTH")),
        city_of_birth=clean(t.get("CITY_OF_BIRTH")),
        country_of_birth=clean(t.get("COUNTRY_OF_BIRTH")),
    )


def _address(t: dict[str, str | None]) -> Address | None:
    values = (
        clean(t.get("STREET")),
        clean(t.get("CITY")),
        clean(t.get("STATE_PROVINCE")),
        clean(t.get("ZIP_CODE")),
        clean(t.get("COUNTRY")),
        clean(t.get("NOTE")),
    )
    return Address(*values) if any(values) else None


def _date_of_birth(t: dict[str, str | None]) -> DateOfBirth | None:
    dob = DateOfBirth(
        type=clean(t.get("TYPE_OF_DATE")),
        date=clean_date(t.get("DATE")),
        year=clean(t.get("YEAR")),
        from_year=clean(t.get("FROM_YEAR")),
        to_year=clean(t.get("TO_YEAR")),
        note=clean(t.get("NOTE")),
    )
    values = (dob.date, dob.year, dob.from_year, dob.to_year, dob.note)
    return dob if any(values) else None


def _place_of_birth(t: dict[str, str | None]) -> PlaceOfBirth | None:
    values = (
        clean(t.get("CITY")),
        clean(t.get("STATE_PROVINCE")),
        clean(t.get("COUNTRY")),
        clean(t.get("STREET")),
        clean(t.get("NOTE")),
    )
    return PlaceOfBirth(*values) if any(values) else None


def _document(t: dict[str, str | None]) -> Document | None:
    values = (
        clean(t.get("TYPE_OF_DOCUMENT")),
        clean(t.get("TYPE_OF_DOCUMENT2")),
        clean(t.get("NUMBER")),
        clean(t.get("ISSUING_COUNTRY")),
        clean_date(t.get("DATE_OF_ISSUE")),
        clean(t.get("CITY_OF_ISSUE")),
        clean(t.get("COUNTRY_OF_ISSUE")),
        clean(t.get("NOTE")),
    )
    return Document(*values) if any(values) else None


_NO_ELEMENTS: list[Element] = []


def _entry(el: Element, kind: Kind) -> Entry:
    prefix = "INDIVIDUAL" if kind == "individual" else "ENTITY"
    # One pass over the entry's children: every tag's elements, in document order.
    children: dict[str, list[Element]] = {}
    for child in el:
        found = children.get(child.tag)
        if found is None:
            children[child.tag] = [child]
        else:
            found.append(child)

    def text(tag: str) -> str:
        found = children.get(tag)
        return clean(found[0].text) if found else ""

    def rows(tag: str) -> list[Element]:
        return children.get(tag, _NO_ELEMENTS)

    reference = text("REFERENCE_NUMBER")
    dataid = text("DATAID")
    where = f"{prefix} with DATAID {dataid or '?'}"
    if not reference:
        raise MalformedList(f"not a valid UN list: {where} has no REFERENCE_NUMBER")
    if not is_reference(reference):
        raise MalformedList(f"not a valid UN list: {where} has a malformed reference number {reference[:40]!r}")
    regime = text("UN_LIST_TYPE")
    if not regime:
        raise MalformedList(f"not a valid UN list: entry {reference} has no UN_LIST_TYPE")
    listed = children.get("LISTED_ON")
    return Entry(
        kind=kind,
        reference=reference,
        regime=regime,
        first_name=text("FIRST_NAME"),
        second_name=text("SECOND_NAME"),
        third_name=text("THIRD_NAME"),
        fourth_name=text("FOURTH_NAME"),
        name_original_script=text("NAME_ORIGINAL_SCRIPT"),
        gender=text("GENDER"),
        listed_on=clean_date(listed[0].text) if listed else "",
        comments=text("COMMENTS1"),
        titles=_values(rows("TITLE")),
        designations=_values(rows("DESIGNATION")),
        nationalities=_values(rows("NATIONALITY")),
        list_types=_values(rows("LIST_TYPE")),
        last_updated=_values(rows("LAST_DAY_UPDATED"), date=True),
        submitted_by=_values(rows("SUBMITTED_BY")),
        submitted_on=_values(rows("SUBMITTED_ON"), date=True),
        aliases=_rows(rows(f"{prefix}_ALIAS"), _alias),
        addresses=_rows(rows(f"{prefix}_ADDRESS"), _address),
        dates_of_birth=_rows(rows("INDIVIDUAL_DATE_OF_BIRTH"), _date_of_birth),
        places_of_birth=_rows(rows("INDIVIDUAL_PLACE_OF_BIRTH"), _place_of_birth),
        documents=_rows(rows("INDIVIDUAL_DOCUMENT"), _document),
        dataid=dataid,
        versionnum=text("VERSIONNUM"),
        sort_key=text("SORT_KEY"),
        sort_key_last_mod=text("SORT_KEY_LAST_MOD"),
    )


def _may_declare(data: bytes) -> bool:
    """Whether expat could find a DTD (so entities or external references) in these bytes.

    Expat reads only ASCII-compatible encodings here (an encoding it takes from a declaration must map ASCII's
    markup characters to themselves) or UTF-16, whose ASCII characters carry NUL bytes: with no NUL byte, a
    DOCTYPE declaration is there as the ASCII bytes '<!DOCTYPE' or not at all.
    """
    return b"<!DOCTYPE" in data or b"\x00" in data


def _parse_tree(data: bytes) -> Element:
    try:
        if not _may_declare(data):
            parser = XMLParser()  # noqa: S314 (no DTD can be declared: see _may_declare)
            parser.feed(data)
            return parser.close()
        return fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise HostileXml(f"refused: the file declares a DTD, entities or external references ({exc})") from None
    except ParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        raise MalformedList(
            f"not well-formed XML (line {line}, column {column}); the file may be truncated or not XML"
        ) from None


def parse_consolidated_list(data: bytes) -> ParsedList:
    """Parse a UN Consolidated List file; raise an ImportRefused subclass saying why it is not one."""
    if len(data) > MAX_LIST_BYTES:
        raise ListTooLarge(f"refused: the file is {len(data) / 1e6:.1f} MB, over the {MAX_LIST_BYTES // 2**20} MB cap")
    if not data.strip():
        raise MalformedList("the file is empty")
    root = _parse_tree(data)
    if root.tag != ROOT_TAG:
        raise NotAConsolidatedList(
            f"this is not a UN Consolidated List: its root element is <{root.tag[:60]}>, not <{ROOT_TAG}>"
        )
    generated_at = clean(root.get("dateGenerated"))
    try:
        dt.datetime.fromisoformat(generated_at.replace("Z", "+00:00"))
    except ValueError:
        raise MalformedList(f"not a valid UN list: dateGenerated is {generated_at[:40]!r}, not a timestamp") from None
    entries: list[Entry] = []
    for container, tag, kind in (
        ("INDIVIDUALS", "INDIVIDUAL", "individual"),
        ("ENTITIES", "ENTITY", "entity"),
    ):
        section = root.find(container)
        if section is None:
            raise MalformedList(f"not a valid UN list: <{container}> is missing")
        entries.extend(_entry(el, kind) for el in section.findall(tag))  # type: ignore[arg-type]
    if not entries:
        raise MalformedList("not a valid UN list: it has no entries")
    seen: set[str] = set()
    for entry in entries:
        if entry.reference in seen:
            raise MalformedList(f"not a valid UN list: reference {entry.reference} appears twice")
        seen.add(entry.reference)
    return ParsedList(generated_at=generated_at, entries=tuple(entries))
