"""One stripper of invisible characters and one reference grammar, used everywhere."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from bot.errors import quote
from bot.normalize import fold
from bot.references import LOOSE, REFERENCE, is_reference, parse_loose
from bot.render.limits import escape
from bot.text import strip_invisible

ROOT = Path(__file__).resolve().parents[1]
HIDDEN = "\u00ad\u200b\u200c\u200d\u200e\u200f\u202a\u202e\u2060\u2066\u2069\ufeff\x00\x07\x1b\x7f\ud800\udfff"


def test_every_invisible_character_goes_and_whitespace_stays() -> None:
    assert strip_invisible("K" + HIDDEN + "im\tJong\nUn\r") == "Kim\tJong\nUn\r"


@given(st.text())
def test_what_is_left_can_always_be_encoded_and_has_nothing_hidden(text: str) -> None:
    out = strip_invisible(text)
    out.encode("utf-8")  # no lone surrogates left
    assert not any(ch in HIDDEN for ch in out)
    assert strip_invisible(out) == out


def test_the_callers_strip_alike() -> None:
    typed = "Ri\u200b Won\u202e Ho\ud800"
    assert quote(typed) == "`Ri Won Ho`"
    assert escape(typed) == "Ri Won Ho"
    assert fold(typed) == "ri won ho"


def _compiled_patterns() -> list[tuple[str, str]]:
    found = []
    for path in [*(ROOT / "bot").rglob("*.py"), *(ROOT / "cogs").rglob("*.py")]:
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"re\.compile\(\s*r?(\"[^\"]*\"|'[^']*')", text):
            found.append((str(path.relative_to(ROOT)), match.group(1)))
    return found


def test_one_invisible_character_pattern_in_the_code() -> None:
    # A stripper is a character class over the zero-width range (\u200b-\u200f), not a single \u200b in a pattern.
    owners = {path for path, pattern in _compiled_patterns() if "200b-" in pattern or "\u200b-" in pattern}
    assert owners == {"bot/text.py"}


def test_one_reference_grammar_in_the_code() -> None:
    owners = {path for path, pattern in _compiled_patterns() if "[IiEe]" in pattern or "[ie]" in pattern}
    assert owners == {"bot/references.py"}


def test_loose_references_read_as_the_list_writes_them() -> None:
    assert parse_loose("kpi.033") is not None and parse_loose("kpi.033").canonical == "KPi.033"  # type: ignore[union-attr]
    loose = parse_loose("KP e 58")
    assert loose is not None and loose.canonical == "KPe.058" and not loose.well_formed
    assert parse_loose("Ri Won Ho") is None
    assert is_reference("QDi.299") and not is_reference("qdi.299")
    assert LOOSE.match("KPi.0333") and not REFERENCE.match("KPi.0333")
