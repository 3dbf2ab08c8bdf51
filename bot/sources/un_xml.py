"""Parse the UN Security Council Consolidated List XML (both the compact 2017 and the indented 2024 layouts).

Hostile XML is refused before any tree is built: no DTDs, no entity declarations, no external references
(defusedxml over the standard expat parser, which never fetches anything).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any, TypeVar
from xml.etree.ElementTree import Element, ParseError

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


def _text(element: Element, tag: str, *, date: bool = False) -> str:
    child = element.find(tag)
    if child is None:
        return ""
    return clean_date(child.text) if date else clean(child.text)


def _values(element: Element, tag: str, *, date: bool = False) -> tuple[str, ...]:
    """The non-empty VALUE children of a container (TITLE, DESIGNATION, …), or its own text."""
    out: list[str] = []
    for container in element.findall(tag):
        values = container.findall("VALUE")
        texts = [v.text for v in values] if values else [container.text]
        for raw in texts:
            value = clean_date(raw) if date else clean(raw)
            if value:
                out.append(value)
    return tuple(out)


def _rows(element: Element, tag: str, build: Callable[[Element], T | None]) -> tuple[T, ...]:
    rows = (build(child) for child in element.findall(tag))
    return tuple(row for row in rows if row is not None)


def _alias(el: Element) -> Alias | None:
    alias = Alias(
        name=_text(el, "ALIAS_NAME"),
        quality=_text(el, "QUALITY"),
        note=_text(el, "NOTE"),
        date_of_birth=_text(el, "DATE_OF_BIRTH", date=True),
        city_of_birth=_text(el, "CITY_OF_BIRTH"),
        country_of_birth=_text(el, "COUNTRY_OF_BIRTH"),
    )
    return alias if alias.name else None


def _address(el: Element) -> Address | None:
    address = Address(
        street=_text(el, "STREET"),
        city=_text(el, "CITY"),
        state_province=_text(el, "STATE_PROVINCE"),
        zip_code=_text(el, "ZIP_CODE"),
        country=_text(el, "COUNTRY"),
        note=_text(el, "NOTE"),
    )
    return address if any(_astuple(address)) else None


def _date_of_birth(el: Element) -> DateOfBirth | None:
    dob = DateOfBirth(
        type=_text(el, "TYPE_OF_DATE"),
        date=_text(el, "DATE", date=True),
        year=_text(el, "YEAR"),
        from_year=_text(el, "FROM_YEAR"),
        to_year=_text(el, "TO_YEAR"),
        note=_text(el, "NOTE"),
    )
    values = (dob.date, dob.year, dob.from_year, dob.to_year, dob.note)
    return dob if any(values) else None


def _place_of_birth(el: Element) -> PlaceOfBirth | None:
    place = PlaceOfBirth(
        city=_text(el, "CITY"),
        state_province=_text(el, "STATE_PROVINCE"),
        country=_text(el, "COUNTRY"),
        street=_text(el, "STREET"),
        note=_text(el, "NOTE"),
    )
    return place if any(_astuple(place)) else None


def _document(el: Element) -> Document | None:
    doc = Document(
        type=_text(el, "TYPE_OF_DOCUMENT"),
        type2=_text(el, "TYPE_OF_DOCUMENT2"),
        number=_text(el, "NUMBER"),
        issuing_country=_text(el, "ISSUING_COUNTRY"),
        date_of_issue=_text(el, "DATE_OF_ISSUE", date=True),
        city_of_issue=_text(el, "CITY_OF_ISSUE"),
        country_of_issue=_text(el, "COUNTRY_OF_ISSUE"),
        note=_text(el, "NOTE"),
    )
    return doc if any(_astuple(doc)) else None


def _astuple(record: Any) -> tuple[str, ...]:
    return tuple(getattr(record, name) for name in record.__slots__)


def _entry(el: Element, kind: Kind) -> Entry:
    prefix = "INDIVIDUAL" if kind == "individual" else "ENTITY"
    reference = _text(el, "REFERENCE_NUMBER")
    dataid = _text(el, "DATAID")
    where = f"{prefix} with DATAID {dataid or '?'}"
    if not reference:
        raise MalformedList(f"not a valid UN list: {where} has no REFERENCE_NUMBER")
    if not is_reference(reference):
        raise MalformedList(f"not a valid UN list: {where} has a malformed reference number {reference[:40]!r}")
    regime = _text(el, "UN_LIST_TYPE")
    if not regime:
        raise MalformedList(f"not a valid UN list: entry {reference} has no UN_LIST_TYPE")
    return Entry(
        kind=kind,
        reference=reference,
        regime=regime,
        first_name=_text(el, "FIRST_NAME"),
        second_name=_text(el, "SECOND_NAME"),
        third_name=_text(el, "THIRD_NAME"),
        fourth_name=_text(el, "FOURTH_NAME"),
        name_original_script=_text(el, "NAME_ORIGINAL_SCRIPT"),
        gender=_text(el, "GENDER"),
        listed_on=_text(el, "LISTED_ON", date=True),
        comments=_text(el, "COMMENTS1"),
        titles=_values(el, "TITLE"),
        designations=_values(el, "DESIGNATION"),
        nationalities=_values(el, "NATIONALITY"),
        list_types=_values(el, "LIST_TYPE"),
        last_updated=_values(el, "LAST_DAY_UPDATED", date=True),
        submitted_by=_values(el, "SUBMITTED_BY"),
        submitted_on=_values(el, "SUBMITTED_ON", date=True),
        aliases=_rows(el, f"{prefix}_ALIAS", _alias),
        addresses=_rows(el, f"{prefix}_ADDRESS", _address),
        dates_of_birth=_rows(el, "INDIVIDUAL_DATE_OF_BIRTH", _date_of_birth),
        places_of_birth=_rows(el, "INDIVIDUAL_PLACE_OF_BIRTH", _place_of_birth),
        documents=_rows(el, "INDIVIDUAL_DOCUMENT", _document),
        dataid=dataid,
        versionnum=_text(el, "VERSIONNUM"),
        sort_key=_text(el, "SORT_KEY"),
        sort_key_last_mod=_text(el, "SORT_KEY_LAST_MOD"),
    )


def _parse_tree(data: bytes) -> Element:
    try:
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
