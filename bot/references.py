"""The one grammar of UN reference numbers (KPi.033: two letters, i or e, a dot, three digits)."""

from __future__ import annotations

import re
from dataclasses import dataclass

# As the list writes them.
REFERENCE = re.compile(r"^([A-Z]{2})([ie])\.(\d{3})$")
# As people type them: any case, spaces, a dash or no dot, any number of digits (kpi33, KP i-033, QDe 12).
LOOSE = re.compile(r"^([A-Za-z]{2})\s*([IiEe])\s*[.\-_ ]?\s*(\d+)$")
# Only the start of one: KP, KPi, kpe.
PREFIX_ONLY = re.compile(r"^([A-Za-z]{2})([IiEe])?\.?$")
# Shaped roughly like one (the i/e may be missing: KP 33): resolved, or refused with a suggestion.
REFERENCE_LIKE = re.compile(r"^[A-Za-z]{2}\s*[IiEe]?\s*[.\-_ ]?\s*\d+$")


@dataclass(frozen=True, slots=True)
class LooseReference:
    """A reference as typed, in parts."""

    letters: str  # upper case
    kind: str  # "i" or "e"
    digits: str  # as typed
    dotted: bool  # written with a dot

    @property
    def canonical(self) -> str:
        """As the list would write it, or "" when the number has more than three digits."""
        number = int(self.digits)
        return f"{self.letters}{self.kind}.{number:03d}" if number < 1000 else ""

    @property
    def well_formed(self) -> bool:
        """Written like the list writes references (a dot and three digits), whatever the case and spacing."""
        return self.dotted and len(self.digits) == 3


def parse_loose(text: str) -> LooseReference | None:
    """The parts of a reference typed loosely, or None when it is not shaped like one."""
    match = LOOSE.match(text)
    if match is None:
        return None
    return LooseReference(match.group(1).upper(), match.group(2).lower(), match.group(3), "." in text)


def is_reference(text: str) -> bool:
    """True when the text is a reference exactly as the list writes it."""
    return REFERENCE.match(text) is not None
