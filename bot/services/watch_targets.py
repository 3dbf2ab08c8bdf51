"""What /watch commands are given, checked: a target (reference number or name), a note, a threshold."""

from __future__ import annotations

import re

from bot.errors import InvalidOption, MalformedReference, UnknownReference, quote
from bot.models_watch import WatchKind
from bot.normalize import fold, name_key
from bot.references import REFERENCE_LIKE, is_reference, parse_loose
from bot.services.search import SearchIndex, identifier_key
from bot.services.watch_changes import MAX_THRESHOLD, MIN_THRESHOLD
from bot.text import one_line

MIN_NAME_LETTERS = 3
MAX_TARGET = 100
MAX_NOTE = 200
_MENTION_LIKE = re.compile(r"@(everyone|here)\b|<[@#][!&]?\d*>?|<@|<#|<a?:\w+:\d+>", re.IGNORECASE)
_MARKDOWN = re.compile(r"[*_~`|>\\]")


# --- Parsing what users type --------------------------------------------------------------------------------


def check_threshold(value: int) -> int:
    """A threshold is a whole score from 50 to 100."""
    if isinstance(value, bool) or not isinstance(value, int) or not MIN_THRESHOLD <= value <= MAX_THRESHOLD:
        raise InvalidOption(
            "value",
            f"the threshold is a search score from {MIN_THRESHOLD} to {MAX_THRESHOLD} "
            "(90, the default, alerts on exact names, aliases, word order and romanization variants)",
        )
    return value


def clean_note(note: str | None) -> str:
    """A note on one line, at most 200 characters (shown escaped wherever it appears)."""
    text = one_line(note or "")
    if len(text) > MAX_NOTE:
        raise InvalidOption("note", f"that is {len(text):,} characters; notes have at most {MAX_NOTE}")
    return text


def parse_target(text: str, index: SearchIndex) -> tuple[WatchKind, str, str]:
    """(kind, target as stored, key that makes two watches the same) for what /watch add was given.

    Two letters and a number (KPi.033, kpi33, QDe 12) is a reference number: watched exactly, also when it is not
    (or not yet) listed, once it is written like one (two letters, i or e, a dot, three digits; a near miss gets
    a suggestion). An identifier (IMO, passport or identity number: five digits or more) is watched as a name
    and found exactly, as search finds it. Anything else is a name of at least three letters or digits (a few
    listed names have digits, e.g. an alias like `Laskar 99`), searched fuzzily.
    """
    cleaned = one_line(text)
    if not cleaned:
        raise InvalidOption("target", "type a name (e.g. Kim Jong Un) or a reference number (e.g. KPi.033)")
    if len(cleaned) > MAX_TARGET:
        raise InvalidOption(
            "target", f"that is {len(cleaned):,} characters; a watched name or reference has at most {MAX_TARGET}"
        )
    if _MENTION_LIKE.search(cleaned):
        raise InvalidOption(
            "target",
            f"{quote(cleaned)} looks like a Discord mention; watch a name as the list writes it "
            "(e.g. Kim Jong Un) or a reference number (e.g. KPi.033)",
        )
    if _MARKDOWN.search(cleaned):
        raise InvalidOption(
            "target",
            f"{quote(cleaned)} has formatting characters (* _ ~ ` | > \\); names on the list have none, "
            "so type the name as plain text",
        )
    # An identifier of a listed entry (IMO, passport, identity number): watched like a name, found exactly.
    identifier = identifier_key(cleaned)
    if identifier is not None and identifier in index.identifiers:
        return "name", cleaned, "#" + identifier
    # Shaped roughly like a reference (KPi.033, kpi33, KP 33, QDe-001): resolved, or refused with a suggestion.
    if REFERENCE_LIKE.match(cleaned):
        try:
            reference = index.resolve_reference(cleaned)
        except UnknownReference:
            # Well-formed but never listed in the imported versions: watch it anyway (it may be listed later).
            loose = parse_loose(cleaned)
            if loose is None or not loose.well_formed:  # resolve_reference only says "unknown" for those
                raise
            reference = loose.canonical
        if not is_reference(reference):
            raise MalformedReference(cleaned, "reference numbers look like KPi.033")
        return "reference", reference, reference.casefold()
    letters = fold(cleaned).replace(" ", "")
    if len(letters) < MIN_NAME_LETTERS:
        raise InvalidOption(
            "target",
            f"{quote(cleaned)} is too short: watched names need at least {MIN_NAME_LETTERS} letters "
            "(shorter ones would match a good part of the list)",
        )
    if identifier is not None:
        return "name", cleaned, "#" + identifier  # not listed today: it may be on a later version
    key = name_key(cleaned)
    return "name", cleaned, " ".join(key.tokens)
