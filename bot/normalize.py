"""Name normalisation, shared by the search index and by queries so both sides always agree.

Three levels, each a function of the one before:
- `fold`: case, accents, punctuation, hyphens and invisible characters gone; Arabic letter forms unified;
  words separated by single spaces. `Kim Jong-un`, `KIM JONG UN` and `kim  jong—un` fold alike.
- `compact` keys: the folded words joined with no spaces, so `Kim Jongun` meets `KIM JONG UN`.
- `variant` tokens: each word mapped to one spelling of its romanization family (Ri/Lee/Rhee/Yi → ri,
  Mohammed/Muhammad/Mohamed → muhammad, Abdul → abd al, el → al, …), then a few letter rules
  (doubled letters, ou/oo → u, dj → j, ch → sh, q → k) that French and English transliterations differ by.

Nothing here knows about the index; it is pure and fast (a few microseconds per name).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# Re-exported: normalising starts by dropping what nobody can see.
from bot.text import strip_invisible as strip_invisible

# Apostrophes and primes join letters (Ch'o'l → chol, Sa'id → said) rather than split words.
_APOSTROPHES = re.compile("['’‘`´ʼʻʹ′ʾʿ]")
# Letters NFKD does not decompose, and Arabic letter forms written interchangeably.
_LETTERS = str.maketrans(
    {
        "ø": "o",
        "Ø": "o",
        "đ": "d",
        "Đ": "d",
        "ł": "l",
        "Ł": "l",
        "æ": "ae",
        "Æ": "ae",
        "œ": "oe",
        "Œ": "oe",
        "ı": "i",
        "ð": "d",
        "Ð": "d",
        "þ": "th",
        "Þ": "th",
        "ħ": "h",
        "Ħ": "h",
        "ة": "ه",  # ta marbuta → ha
        "ى": "ي",  # alef maqsura → ya
        "ی": "ي",  # Persian ya → Arabic ya
        "ې": "ي",  # Pashto ya
        "ک": "ك",  # keheh → kaf
        "ٱ": "ا",  # alef wasla → alef
        "ـ": "",  # tatweel (stretching), never meaningful
    }
)
_NON_WORD = re.compile(r"[^\w]+|_+")


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Case-, accent- and punctuation-free form of a name: lowercase words separated by single spaces."""
    text = strip_invisible(text)
    text = _APOSTROPHES.sub("", text)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.translate(_LETTERS).casefold()
    # NFC puts Hangul jamo back together into syllables (NFKD took them apart).
    text = unicodedata.normalize("NFC", text)
    return " ".join(_NON_WORD.sub(" ", text).split())


def tokens(text: str) -> tuple[str, ...]:
    """The folded words of a name."""
    folded = fold(text)
    return tuple(folded.split()) if folded else ()


# Romanization families: every spelling on the right is read as the one on the left. Korean syllables
# (McCune-Reischauer, Revised Romanization and common informal spellings) and Arabic name parts.
_FAMILIES: dict[str, tuple[str, ...]] = {
    # Korean
    "ri": ("ri", "li", "lee", "rhee", "yi", "rhie", "ree", "rhi", "rhe", "lie"),
    "chol": ("chol", "chul", "cheol", "chel"),
    "jong": ("jong", "chong", "jeong", "cheong"),
    "kwang": ("kwang", "gwang"),
    "pak": ("pak", "park", "bak", "bahk", "pack"),
    "paek": ("paek", "baek", "paik", "baik", "back"),
    "pae": ("pae", "bae"),
    "pok": ("pok", "bok"),
    "pong": ("pong", "bong"),
    "pom": ("pom", "beom", "bom"),
    "kum": ("kum", "geum", "keum"),
    "kon": ("kon", "gon", "geon", "keon"),
    "kyu": ("kyu", "gyu"),
    "sik": ("sik", "shik"),
    "chung": ("chung",),
    "choe": ("choe", "choi", "choy", "chwe"),
    "kim": ("kim", "gim"),
    "oh": ("oh", "o"),
    "ro": ("ro", "roh", "noh", "rho"),
    "ryu": ("ryu", "yu", "yoo", "rhyu", "ryoo"),
    "sin": ("sin", "shin"),
    "yun": ("yun", "yoon"),
    "kang": ("kang", "gang"),
    "kyong": ("kyong", "gyong", "kyung", "gyeong", "kyeong", "kyoung"),
    "song": ("song", "seong", "sung", "seung"),
    "chang": ("chang", "jang"),
    "chon": ("chon", "jon", "jeon", "cheon"),
    "chin": ("chin", "jin"),
    "tae": ("tae", "dae"),
    "tong": ("tong", "dong"),
    "pyong": ("pyong", "byong", "pyeong", "byeong", "pyung", "byung", "byoung"),
    "hyon": ("hyon", "hyun", "hyeon"),
    "un": ("un", "eun"),
    "yong": ("yong", "young", "yeong"),
    "myong": ("myong", "myung", "myeong"),
    "son": ("son", "sohn"),
    "chu": ("chu", "ju", "joo", "choo"),
    "chae": ("chae", "jae"),
    "kil": ("kil", "gil"),
    "ki": ("ki", "gi"),
    "ko": ("ko", "koh", "go"),
    "ku": ("ku", "gu", "koo"),
    "kuk": ("kuk", "guk", "kook"),
    "tok": ("tok", "dok", "deok"),
    "sok": ("sok", "seok", "suk"),
    "hyok": ("hyok", "hyeok", "hyuk"),
    "im": ("im", "rim", "lim"),
    "ryang": ("ryang", "yang"),
    "sop": ("sop", "seob", "sub", "sup"),
    "chun": ("chun", "choon", "jun", "joon"),
    "kun": ("kun", "geun", "keun"),
    "kuang": ("kuang",),
    # Arabic
    "muhammad": (
        "muhammad",
        "mohammed",
        "mohamed",
        "mohammad",
        "muhammed",
        "mohamad",
        "muhamad",
        "mohamud",
        "muhamed",
        "mouhamed",
        "mouhammad",
        "mohd",
        "mohammod",
        "mohamood",
        "mahomed",
        "mehmet",
        "muhammet",
        "mohmad",
        "mohammadi",
        "muhamadi",
    ),
    "ahmad": ("ahmad", "ahmed", "ahmet", "achmad", "ahmat"),
    "mahmud": ("mahmud", "mahmoud", "mahmood", "mahmut"),
    # The article (al-/el-/ul-/ud-); not `il`, a Korean syllable (KIM IL SONG, KIM KWANG-IL), and only before a
    # name (`variant_tokens`): a name's last word is no article.
    "al": ("al", "el", "ul", "ad", "ed", "ud"),
    "abu": ("abu", "abou", "abo", "bou"),
    "bin": ("bin", "ben", "ibn", "bn"),
    "husain": ("husain", "hussein", "hussain", "husayn", "husein", "hossein", "hosein", "hussien", "husseyn"),
    "hasan": ("hasan", "hassan", "hasen", "hassen"),
    "yusuf": (
        "yusuf",
        "yousef",
        "youssef",
        "yousuf",
        "yusef",
        "yussef",
        "youcef",
        "yosef",
        "yousif",
        "yusif",
    ),
    "umar": ("umar", "omar", "omer", "umer"),
    "usama": ("usama", "osama", "oussama", "ousama"),
    "uthman": ("uthman", "othman", "osman", "usman", "othmane", "outhman"),
    "abdallah": (
        "abdallah",
        "abdullah",
        "abdulla",
        "abdalla",
        "abdellah",
        "abdollah",
        "abdoulah",
        "abdullahi",
    ),
    "said": ("said", "saeed", "sayed", "sayyid", "saiid", "saied", "sayeed"),
    "khalid": ("khalid", "khaled"),
    "ali": ("ali", "aly"),
    "ibrahim": ("ibrahim", "ebrahim", "brahim", "ibraheem"),
    "ismail": ("ismail", "ismael", "ismaeel", "esmail"),
    "mustafa": ("mustafa", "mustapha", "moustafa", "mostafa", "mustafah"),
    "salah": ("salah", "saleh", "salih"),
    "haji": ("haji", "hajji", "hadji", "hajj", "alhaj", "alhajj"),
    "mulla": ("mulla", "mullah", "molla", "mollah", "mulah"),
    "sharia": ("sharia", "shariah", "charia", "chariaa"),
    "qaida": ("qaida", "qaeda", "qaidah", "kaida"),
}
TOKEN_VARIANTS: dict[str, tuple[str, ...]] = {
    spelling: (canonical,) for canonical, spellings in _FAMILIES.items() for spelling in spellings
}
# Abdul/Abdel are "abd al" written together: "Abdul Rahman" reads as "abd al rahman".
for _spelling in ("abdul", "abdel", "abdal", "abdol", "abdoul", "abdil"):
    TOKEN_VARIANTS[_spelling] = ("abd", "al")
# Written together with the next name: Abdulkarim, Abdelkader, Abdurrahman (the article assimilated to r).
_ABD_PREFIX = re.compile(r"^abd(?:[aeiou]?l|oul|[aeiou]r(?=r))(?=[a-z]{4,})")

# Letter rules for words outside the families: French/English transliteration differences.
_LETTER_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"ou|oo"), "u"),  # Yousef/Yusef, Noorzai/Nurzai
    (re.compile(r"ee"), "i"),  # Saeed/Said
    (re.compile(r"(.)\1+"), r"\1"),  # doubled letters: Hassan/Hasan, Abdallah/Abdalah
    (re.compile(r"dj"), "j"),  # Djazairi/Jazairi
    (re.compile(r"tch"), "ch"),
    (re.compile(r"ch"), "sh"),  # French ch is English sh (Charia/Sharia)
    (re.compile(r"ph"), "f"),
    (re.compile(r"q"), "k"),  # Qasim/Kasim
    (re.compile(r"ei|ay|ey"), "ai"),  # Seif/Saif/Sayf, Hussein/Husain
    (re.compile(r"eo"), "o"),  # Korean RR eo = MR o
    (re.compile(r"(?<=[a-z])y(?=$)"), "i"),  # Abu Bakry/Bakri
)
_ASCII_WORD = re.compile(r"^[a-z]+$")


@lru_cache(maxsize=65536)
def variant_token(token: str) -> tuple[str, ...]:
    """One folded word in its canonical romanization (may become two words: abdul → abd al)."""
    if token in TOKEN_VARIANTS:
        return TOKEN_VARIANTS[token]
    if not _ASCII_WORD.match(token):
        return (token,)  # original script, digits, mixed: as folded
    prefix = _ABD_PREFIX.match(token)
    if prefix:
        return ("abd", "al", *variant_token(token[prefix.end() :]))
    out = token
    for pattern, replacement in _LETTER_RULES:
        out = pattern.sub(replacement, out)
    # A rule may land a spelling on a family member (mohamed → mohamed, shariaa → sharia).
    return TOKEN_VARIANTS.get(out, (out,))


def variant_tokens(words: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Canonical romanization of folded words, in order. An article spelling as the last word stays as written:
    `Pak Ud` and `Kim Kwang Ul` end in a syllable, not in al-."""
    out: list[str] = []
    for word in words:
        out.extend(variant_token(word))
    if len(words) > 1 and TOKEN_VARIANTS.get(words[-1]) == ("al",):
        out[-1] = words[-1]
    return tuple(out)


@dataclass(frozen=True, slots=True)
class NameKey:
    """Every normalised form of one name that matching compares (computed once, by `name_key`)."""

    tokens: tuple[str, ...]  # folded words, in order
    variants: tuple[str, ...]  # canonical romanization of the words, in order
    compact: str  # folded words with no spaces: spacing and hyphens no longer matter
    ordered: str  # folded words sorted, no spaces: word order no longer matters
    variant_compact: str  # canonical romanization, no spaces
    variant_ordered: str  # canonical romanization, words sorted, no spaces

    @property
    def folded(self) -> str:
        """Folded words separated by spaces."""
        return " ".join(self.tokens)


def key_of(words: tuple[str, ...]) -> NameKey:
    """The key of a name already split into folded words."""
    variants = variant_tokens(words)
    return NameKey(
        words, variants, "".join(words), "".join(sorted(words)), "".join(variants), "".join(sorted(variants))
    )


def name_key(text: str) -> NameKey:
    """All the forms of a name that matching needs."""
    return key_of(tokens(text))


# --- Words that weigh little in an entity's name ----------------------------------------------------------------

# Legal forms: a name with or without them is the same name (OMM = OCEAN MARITIME MANAGEMENT COMPANY, LIMITED).
LEGAL_FORMS = frozenset(
    [
        "co",
        "company",
        "companies",
        "corp",
        "corporation",
        "inc",
        "incorporated",
        "ltd",
        "limited",
        "llc",
        "plc",
        "jsc",
        "ojsc",
        "pjsc",
        "cjsc",
        "gmbh",
        "ag",
        "sa",
        "sarl",
        "srl",
        "bv",
        "nv",
        "pte",
        "pty",
        "jv",
        "llp",
        "lp",
        "fze",
        "fzc",
        "fzco",
        "sdn",
        "bhd",
    ]
)
# Generic words: common to many company names, they say little about which one is meant (nor do countries).
GENERIC_WORDS = LEGAL_FORMS | frozenset(
    [
        "trading",
        "trade",
        "general",
        "group",
        "holding",
        "holdings",
        "international",
        "intl",
        "enterprise",
        "enterprises",
        "shipping",
        "industrial",
        "industries",
        "commercial",
        "joint",
        "venture",
        "and",
        "the",
        "of",
        "korea",
        "korean",
        "dprk",
    ]
)

# With their canonical spellings too (shipping → shiping), so the variant words of a name lose them alike.
LEGAL_FORMS = LEGAL_FORMS | frozenset(v for w in LEGAL_FORMS for v in variant_token(w))
GENERIC_WORDS = GENERIC_WORDS | LEGAL_FORMS | frozenset(v for w in GENERIC_WORDS for v in variant_token(w))


def without(words: tuple[str, ...], drop: frozenset[str]) -> tuple[str, ...]:
    """The words that are not in `drop` (all of them when every word is)."""
    if drop.isdisjoint(words):
        return words
    kept = tuple(w for w in words if w not in drop)
    return kept or words
