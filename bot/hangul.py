"""Hangul names read in Latin letters: syllables decomposed (Unicode's arithmetic), then romanized.

Two systems: McCune–Reischauer as the North writes it (no breves or apostrophes: 리원호 → Ri Won Ho, 철 → Chol)
and Revised Romanization (철 → Cheol). The South's initial-sound rule writes 리/류/라 as 이/유/나 (Lee, Yu, Na), so
a syllable that may be such a rewritten ㄹ is also read with ㄹ (이원호 → Ri Won Ho). Our own tables: no GPL code.
"""

from __future__ import annotations

import re

FIRST, LAST = 0xAC00, 0xD7A3  # the 11,172 precomposed syllables
_SYLLABLES = re.compile("[\uac00-\ud7a3]+")
_JAMO = re.compile("[\u1100-\u11ff\u3131-\u318e\ua960-\ua97f\ud7b0-\ud7ff]")
# Initial consonants (19), vowels (21) and final consonants (28, the first "none"), in Unicode order.
_INITIAL_MR = "k kk n t tt r m p pp s ss - ch tch ch k t p h".split()  # noqa: SIM905
_INITIAL_RR = "g kk n d tt r m b pp s ss - j jj ch k t p h".split()  # noqa: SIM905
_VOWEL_MR = "a ae ya yae o e yo ye o wa wae oe yo u wo we wi yu u ui i".split()  # noqa: SIM905
_VOWEL_RR = "a ae ya yae eo e yeo ye o wa wae oe yo u wo we wi yu eu ui i".split()  # noqa: SIM905
_FINAL = "- k k k n n n t l k m l l l p l m p p t t ng t t k t p t".split()  # noqa: SIM905
_RIEUL, _NIEUN, _IEUNG = 5, 2, 11
_I_OR_Y = {20, 2, 3, 6, 7, 12, 17}  # ㅣ ㅑ ㅒ ㅕ ㅖ ㅛ ㅠ: ㄹ before these is written ㅇ in the South
_OPEN = {0, 1, 8, 11, 13, 18}  # ㅏ ㅐ ㅗ ㅚ ㅜ ㅡ: ㄹ before these is written ㄴ in the South


def has_hangul(text: str) -> bool:
    """True when the text holds at least one Hangul syllable."""
    return _SYLLABLES.search(text) is not None


def has_jamo(text: str) -> bool:
    """True when the text holds Hangul letters typed on their own (ㄹㅇㅎ, 리ㅇ호): no name is written so."""
    return _JAMO.search(text) is not None


def _parts(syllable: str) -> tuple[int, int, int]:
    code = ord(syllable) - FIRST
    return code // 588, (code % 588) // 28, code % 28


def _romanize(parts: tuple[int, int, int], revised: bool) -> str:
    initial, vowel, final = parts
    head = (_INITIAL_RR if revised else _INITIAL_MR)[initial]
    tail = _FINAL[final]
    return (head if head != "-" else "") + (_VOWEL_RR if revised else _VOWEL_MR)[vowel] + (tail if tail != "-" else "")


def _with_rieul(parts: tuple[int, int, int]) -> tuple[int, int, int] | None:
    """The syllable as the North writes it, when the South's initial-sound rule may have changed its ㄹ."""
    initial, vowel, final = parts
    if (initial == _IEUNG and vowel in _I_OR_Y) or (initial == _NIEUN and vowel in _OPEN):
        return _RIEUL, vowel, final
    return None


def readings(text: str, limit: int = 5) -> list[str]:
    """The text with each Hangul syllable romanized as a word of its own, the North's reading first, distinct.

    McCune–Reischauer as written, with the initial-sound rule undone on the first syllable of each word (the
    surname: 이 → Ri) and on every syllable (이용호 → Ri Ryong Ho), then Revised Romanization of the first two.
    Other characters are kept as they are.
    """
    out: list[str] = []
    for revised, restore in ((False, 0), (False, 1), (False, 2), (True, 0), (True, 1)):

        def word(match: re.Match[str], restore: int = restore, revised: bool = revised) -> str:
            syllables = [_parts(ch) for ch in match.group(0)]
            syllables = [(_with_rieul(s) or s) if i < restore or restore == 2 else s for i, s in enumerate(syllables)]
            return " " + " ".join(_romanize(s, revised).capitalize() for s in syllables) + " "

        reading = " ".join(_SYLLABLES.sub(word, text).split())
        if reading not in out:
            out.append(reading)
    return out[:limit]
