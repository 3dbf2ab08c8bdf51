"""Text helpers every layer may use: the one stripper of invisible characters, and one-line text."""

from __future__ import annotations

import re

# Never part of what anyone meant to type or read: the soft hyphen, zero-width characters and marks, bidi
# embeddings, overrides and isolates, word joiners, the byte-order mark, C0 controls other than tab, newline
# and carriage return (whitespace, which callers fold as they need), DEL, and lone surrogates (which cannot be
# encoded, stored or sent).
INVISIBLE = re.compile(
    "[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]"
)


def strip_invisible(text: str) -> str:
    """Text without zero-width, bidi-control, soft-hyphen or control characters (tab and newlines kept)."""
    return INVISIBLE.sub("", text)


def one_line(text: str) -> str:
    """Visible text on one line: invisible characters gone, every run of whitespace (newlines too) one space."""
    return " ".join(strip_invisible(text).split())
