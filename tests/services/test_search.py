"""Name search: matching rules on the real 2024-09-26 list, scoring, autocomplete, references, rebuilds."""

from __future__ import annotations

import random
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.search_quality import build_queries
from bot.core import Core
from bot.errors import InvalidOption, ListNotLoaded, MalformedReference, UnknownReference
from bot.models import Alias, Entry, ListVersion, ParsedList
from bot.normalize import fold, name_key
from bot.services.search import CLOSE_SCORE, MAX_QUERY, SearchIndex, check_query, match_score
from bot.sources.un_xml import parse_consolidated_list
from tests.fixtures.lists import consolidated, entity, individual
from tests.shared_files import un_list

VERSION = ListVersion(1, "2024-09-26T00:00:07.514Z", "", "test", "", 0, 0, 0, 0)


@pytest.fixture(scope="module")
def parsed() -> ParsedList:
    """The shared 2024-09-26 list."""
    return parse_consolidated_list(un_list("2024-09-26").read_bytes())


@pytest.fixture(scope="module")
def index(parsed: ParsedList) -> SearchIndex:
    """An index of the 2024-09-26 list, with two removed references in its history."""
    return SearchIndex(VERSION, parsed.entries, history_references=["IQe.003", "KPe.999"])


def person(ref: str, *names: str, aliases: tuple[str, ...] = (), original: str = "", regime: str = "DPRK") -> Entry:
    parts = {f"{k}_name": v for k, v in zip(("first", "second", "third", "fourth"), names, strict=False)}
    return Entry(
        kind="individual",
        reference=ref,
        regime=regime,
        name_original_script=original,
        aliases=tuple(Alias(a, "Good") for a in aliases),
        **parts,
    )


def top(index: SearchIndex, query: str, **filters: str):  # type: ignore[no-untyped-def]
    hits = index.search(query, **filters)
    assert hits, f"no hit for {query!r}"
    return hits[0]


# --- matching rules -----------------------------------------------------------------------------------------


def test_exact_primary_name(index: SearchIndex) -> None:
    hit = top(index, "Ri Won Ho")
    assert (hit.reference, hit.name, hit.regime, hit.kind) == ("KPi.033", "RI WON HO", "DPRK", "individual")
    assert hit.score == 100
    assert hit.reasons == ("exact",)
    assert hit.source == "primary name"


def test_kim_jong_un_is_not_claimed(index: SearchIndex) -> None:
    """He is not on the list: nothing may come back as a close match, and no KIM JONG … at a high score."""
    for query in ("Kim Jong-un", "KIM JONG UN", "Kim Jongun", "kim jong un"):
        hits = index.search(query)
        assert all(h.score < CLOSE_SCORE for h in hits), (query, hits[:2])
        assert all("exact" not in h.why and "variant" not in h.why for h in hits)


def test_short_name_parts_count() -> None:
    """`Kim Jong Un` must not score like KIM JONG IL or KIM JONG SIK by ignoring `Un`."""
    small = SearchIndex(
        VERSION,
        [
            person("KPi.901", "KIM", "JONG IL"),
            person("KPi.902", "KIM", "JONG SIK"),
            person("KPi.903", "KIM", "JONG UN"),
        ],
    )
    hits = small.search("Kim Jong Un")
    assert hits[0].reference == "KPi.903" and hits[0].score == 100
    assert all(h.score < 80 for h in hits[1:])
    without = SearchIndex(VERSION, [person("KPi.901", "KIM", "JONG IL"), person("KPi.902", "KIM", "JONG SIK")])
    assert all(h.score < 80 for h in without.search("Kim Jong Un"))
    # Part of a name is a match, but a partial one.
    assert all(h.score < CLOSE_SCORE and "part of the name" in h.reasons for h in without.search("Kim Jong"))


@pytest.mark.parametrize(
    "query", ["Kim Tong-Myong", "KIM TONG MYONG", "kim tong my'ong", "Kim TongMyong", "KIM  TONG—MYONG."]
)
def test_case_accents_punctuation_hyphens_spacing(index: SearchIndex, query: str) -> None:
    hit = top(index, query)
    assert hit.reference == "KPi.023"
    assert hit.score >= 97


def test_accents(index: SearchIndex) -> None:
    hit = top(index, "Protogene Ruvugayimikore")
    assert hit.reference == "CDi.037" and hit.score == 100


def test_token_order(index: SearchIndex) -> None:
    hit = top(index, "Ho-jin Yun")
    assert hit.reference == "KPi.001"
    assert "token order" in hit.reasons
    assert CLOSE_SCORE <= hit.score < 100


@pytest.mark.parametrize(
    ("query", "reference"),
    [
        ("Rhee Won Ho", "KPi.033"),
        ("Lee Won-ho", "KPi.033"),
        ("Yi Won Ho", "KPi.033"),
        ("Kim Yong Chul", "KPi.024"),
        ("Muhammad Salahaldin Abdul Halim Zidane", "QDi.001"),
        ("Mohamed Salahaldin Abd al-Halim Zidane", "QDi.001"),
    ],
)
def test_romanization_variants(index: SearchIndex, query: str, reference: str) -> None:
    hit = top(index, query)
    assert hit.reference == reference
    assert "romanization variant" in hit.reasons
    assert hit.score >= 90


def test_original_scripts(index: SearchIndex) -> None:
    arabic = top(index, "محمد صلاح الدين عبدالحليم زيدان")
    assert arabic.reference == "QDi.001" and arabic.score == 100
    assert arabic.source == "original script" and "original script" in arabic.reasons
    chinese = top(index, "金铁三")
    assert chinese.reference == "KPi.035" and chinese.score >= 97
    cyrillic = top(index, "Умаров Доку Хаматович")
    assert cyrillic.reference == "QDi.290" and cyrillic.score == 100


def test_hangul_original_script() -> None:
    small = SearchIndex(
        VERSION,
        [
            person("KPi.904", "PAK", "YONG SIK", original="박영식"),
            person("KPi.905", "KIM", "IL", original="김일"),
        ],
    )
    hit = top(small, "박영식")
    assert hit.reference == "KPi.904" and hit.score == 100 and hit.source == "original script"
    # One syllable off a three-syllable name is another person (김정은 is not 김정일): never a close match.
    other = SearchIndex(VERSION, [person("KPi.906", "KIM", "JONG IL", original="김정일")])
    assert all(h.score < CLOSE_SCORE for h in other.search("김정은"))


@pytest.mark.parametrize(
    ("query", "reference"),
    [
        ("Korea Mining Developmant Trading Corporation", "KPe.001"),  # one letter
        ("Namchongang Tradign Corporaton", "KPe.004"),  # two: a swap and a missing letter
        ("Ri Won Hp", "KPi.033"),
        ("ABU MOHAMMED AL-JAWLAMI", "QDi.317"),
    ],
)
def test_typos(index: SearchIndex, query: str, reference: str) -> None:
    hit = top(index, query)
    assert hit.reference == reference
    assert "typo" in hit.reasons
    assert hit.score < 90  # below every exact and alias match


def test_aliases_rank_above_fuzzy(index: SearchIndex) -> None:
    hit = top(index, "KOMID")
    assert hit.reference == "KPe.001"
    assert hit.source == "alias" and hit.quality == "a.k.a." and hit.reasons == ("exact alias",)
    assert hit.matched == '"KOMID"'
    assert hit.score >= 95
    good = top(index, "Yun Ho-chin")
    assert good.reference == "KPi.001" and good.quality == "Good" and good.score == 98


def test_every_alias_is_found_exactly(index: SearchIndex, parsed: ParsedList) -> None:
    """Every alias as a query: its entry is among the top five, and the match is exact-level (not fuzzy)."""
    for e in parsed.entries[::7]:
        for alias in e.aliases:
            if len(alias.name) > MAX_QUERY or len(name_key(alias.name).compact) < 2:
                continue
            hits = index.search(alias.name, limit=5)
            assert e.reference in [h.reference for h in hits], alias.name
            assert hits[0].score >= 90, (alias.name, hits[0])


def test_hits_are_sorted_and_scored_0_to_100(index: SearchIndex) -> None:
    for query in ("Muhammad", "Korea", "Abu", "Kim Jong Un", "Haqqani"):
        hits = index.search(query)
        scores = [h.score for h in hits]
        assert scores == sorted(scores, reverse=True)
        assert all(0 < s <= 100 for s in scores)
        assert len({h.reference for h in hits}) == len(hits)  # one hit per entry


def test_filters(index: SearchIndex) -> None:
    assert {h.regime for h in index.search("Muhammad", regime="Taliban")} == {"Taliban"}
    assert {h.kind for h in index.search("Korea", kind="entity")} == {"entity"}
    assert {h.kind for h in index.search("Korea", kind="individual")} <= {"individual"}
    elsewhere = index.search("Ri Won Ho", regime="Al-Qaida")
    assert all(h.regime == "Al-Qaida" and h.score < CLOSE_SCORE for h in elsewhere)


def test_sql_and_markup_are_just_text(index: SearchIndex) -> None:
    assert index.search("'; DROP TABLE entry_revisions; --") == []
    assert index.search("@everyone <@&123> **bold**") == []


def test_quality_sample_meets_the_targets(index: SearchIndex, parsed: ParsedList) -> None:
    """A deterministic slice of bench/search_quality.py's queries: top-1 >= 95%, top-5 >= 99%."""
    queries = build_queries(list(parsed.entries), random.Random(1718))[::4]
    top1 = top5 = 0
    for _kind, query, expected in queries:
        typed = query if len(query) <= MAX_QUERY else query[:MAX_QUERY].rsplit(" ", 1)[0]
        refs = [h.reference for h in index.search(typed, limit=5)]
        top1 += bool(refs) and refs[0] == expected
        top5 += expected in refs
    assert top1 / len(queries) >= 0.95
    assert top5 / len(queries) >= 0.99


def test_match_score_levels() -> None:
    def score(query: str, name: str) -> tuple[int, tuple[str, ...]]:
        key = name_key(name)
        return match_score(name_key(query), key.tokens, key.variants)

    assert score("Ri Won Ho", "RI WON HO") == (100, ("exact",))
    assert score("Won Ho Ri", "RI WON HO")[1] == ("token order",)
    assert score("Rhee Won Ho", "RI WON HO")[1] == ("romanization variant",)
    assert score("Won Ho Rhee", "RI WON HO")[1] == ("romanization variant", "token order")
    assert score("Ri Won Hi", "RI WON HO")[1] == ("typo",)
    assert score("Jawlani", "ABU MOHAMMED AL-JAWLANI")[1] == ("part of the name",)
    assert score("", "RI WON HO") == (0, ())
    exact, order, variant, typo = (
        score(q, "RI WON HO")[0] for q in ("Ri Won Ho", "Won Ho Ri", "Rhee Won Ho", "Ri Won Hi")
    )
    assert exact > order > variant > typo


# --- option checks ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["", "   ", "a", " x ", "\u200b\u200b", "!!!", "-", "x" * 101, "\u202e"])
def test_bad_queries_get_clear_messages(bad: str) -> None:
    with pytest.raises(InvalidOption) as caught:
        check_query(bad)
    assert caught.value.option == "name"
    assert "Traceback" not in caught.value.message


@given(st.text(max_size=150))
@settings(max_examples=300)
def test_check_query_accepts_or_explains(text: str) -> None:
    try:
        cleaned = check_query(text)
    except InvalidOption as exc:
        assert exc.problem
        return
    assert len(cleaned) <= MAX_QUERY
    assert len(fold(cleaned).replace(" ", "")) >= 2


@given(st.text(alphabet=string.printable + "éü’‘金김محمد\u200b\u202e", min_size=2, max_size=100))
@settings(max_examples=150, deadline=None)
def test_search_never_fails(index: SearchIndex, text: str) -> None:  # type: ignore[no-untyped-def]
    for hit in index.search(text):
        assert 0 < hit.score <= 100


# --- autocomplete -------------------------------------------------------------------------------------------


def test_name_autocomplete(index: SearchIndex) -> None:
    choices = index.name_choices("Ri Won")
    assert ("RI WON HO — KPi.033", "RI WON HO") in choices
    assert index.name_choices("") == []
    for text in ("a", "Mu", "Abu Mohammed Al-J", "korea", "ali", "Kim Jong-u", "zzzz", "金"):
        choices = index.name_choices(text)
        assert len(choices) <= 25
        assert all(1 <= len(label) <= 100 and 1 <= len(value) <= 100 for label, value in choices)
    # A later word of a name, and an alias, are found too.
    assert any(value == "ABU MOHAMMED AL-JAWLANI" for _l, value in index.name_choices("jawlani"))
    assert any("KPe.001" in label for label, _v in index.name_choices("KOMI"))
    # A typed-out name with a typo still gets a suggestion.
    assert any("KPi.033" in label for label, _v in index.name_choices("Ri Won Hp"))


def test_reference_autocomplete(index: SearchIndex) -> None:
    refs = [value for _label, value in index.reference_choices("kpi.03")]
    assert refs[:3] == ["KPi.030", "KPi.031", "KPi.032"]
    assert all(r.startswith("KPi.03") for r in refs)
    assert len(index.reference_choices("")) == 25
    assert index.reference_choices("Ri Won")[0][1] == "KPi.033"
    assert ("IQe.003 — no longer on the list", "IQe.003") in index.reference_choices("IQe.00")
    for label, value in index.reference_choices("Q"):
        assert len(label) <= 100 and len(value) <= 100


# --- references ---------------------------------------------------------------------------------------------


def test_references_resolve_case_insensitively(index: SearchIndex) -> None:
    assert index.resolve_reference("KPi.033") == "KPi.033"
    assert index.resolve_reference(" kpi.033 ") == "KPi.033"
    assert index.resolve_reference("IQe.003") == "IQe.003"  # removed, still in the history


@pytest.mark.parametrize(
    ("text", "words", "suggestion"),
    [
        ("KP", "only the start", "KPi.001"),
        ("kpi33", "a dot and three digits", "KPi.033"),
        ("KPi.0333", "three digits after the dot, not 4", "KPi.033"),
        ("KPi 033", "a dot and three digits", "KPi.033"),
        ("Ri Won Ho", "looks like a name", "KPi.033"),
        ("", "type a reference", None),
        ("x" * 40, "too long", None),
    ],
)
def test_malformed_references(index: SearchIndex, text: str, words: str, suggestion: str | None) -> None:
    with pytest.raises(MalformedReference) as caught:
        index.resolve_reference(text)
    assert words in caught.value.message
    if suggestion:
        assert suggestion in caught.value.suggestions
    assert len(caught.value.suggestions) <= 3


def test_unknown_reference_suggests_up_to_three(index: SearchIndex) -> None:
    with pytest.raises(UnknownReference) as caught:
        index.resolve_reference("KPi.999")
    assert 1 <= len(caught.value.suggestions) <= 3
    assert all(s.startswith("KP") for s in caught.value.suggestions)
    assert "No such entry" in caught.value.message


# --- the service: built at start-up, rebuilt and swapped after each import ----------------------------------


async def test_service_without_a_list(core: Core) -> None:
    with pytest.raises(ListNotLoaded):
        core.search.search("Ri Won Ho")
    assert core.search.name_choices("Ri") == []
    assert core.search.reference_choices("KP") == []


async def test_index_is_rebuilt_and_swapped_after_an_import(core: Core) -> None:
    first = consolidated(
        [individual("KPi.001", "YUN", "HO-JIN")],
        [entity("KPe.001", "KOMID")],
        generated="2024-01-01T00:00:00Z",
    )
    await core.importer.import_bytes(first, "first.xml")
    await core.after_import()
    old = core.search.index
    assert old is not None
    assert core.search.search("Yun Ho-jin").hits[0].reference == "KPi.001"
    second = consolidated(
        [individual("KPi.001", "YUN", "HO-JIN"), individual("KPi.002", "RI", "WON HO")],
        [entity("KPe.001", "KOMID")],
        generated="2024-02-01T00:00:00Z",
    )
    await core.importer.import_bytes(second, "second.xml")
    await core.after_import()
    new = core.search.index
    assert new is not old and new is not None
    assert new.version.generated_date == "2024-02-01"
    assert core.search.search("Ri Won Ho").hits[0].reference == "KPi.002"
    # The old index was never touched: a query that held it saw one whole version.
    assert old.search("Ri Won Ho") == [] or old.search("Ri Won Ho")[0].reference != "KPi.002"
    assert old.version.generated_date == "2024-01-01"


async def test_index_is_built_at_start_up(loaded_core: Core) -> None:
    index = loaded_core.search.index
    assert index is not None
    assert index.version.generated_date == "2024-09-26"
    assert len(index.entries) == 875
    # References from older versions are known (for entries removed since).
    assert loaded_core.search.resolve_reference("iqe.003") == "IQe.003"
    about = await loaded_core.search.about()
    assert "875 entries" in about[0][1]


def test_a_name_inside_a_question(index: SearchIndex) -> None:
    hit = top(index, "Is Ri Won Ho on the list?")
    assert hit.reference == "KPi.033" and hit.reasons == ("name in the query",) and hit.score >= CLOSE_SCORE
    hits = index.search("Is Abu Mohammed al-Jawlani listed?")
    assert hits[0].reference == "QDi.317"
    # The alias `Abu Mohammed` of others sits inside the longer name: not claimed as a name in the query.
    assert [h.reference for h in hits if "name in the query" in h.reasons] == ["QDi.317"]
    # Nothing of a question is taken for a name when no listed name is in it.
    assert all(h.score < CLOSE_SCORE for h in index.search("Is Kim Jong-un on the list?"))


async def test_quoted_names_are_searched_one_by_one(loaded_core: Core) -> None:
    results = loaded_core.search.search_names('Is "Kim Jong-un" or “Ri Won Ho” on the list?')
    assert [r.query for r in results] == ["Kim Jong-un", "Ri Won Ho"]
    assert not results[0].close
    assert results[1].close and results[1].hits[0].reference == "KPi.033"
    assert len(loaded_core.search.search_names("Ri Won Ho")) == 1
    assert len(loaded_core.search.search_names('"a" Ri Won Ho')) == 1  # a one-letter quote is not a name


async def test_kept_autocomplete_choices_are_the_indexs_own(loaded_core: Core, monkeypatch: pytest.MonkeyPatch) -> None:
    """Choices kept per text typed are exactly what the index works out, asked first or again, for many texts;
    at most MAX_CACHED_CHOICES are kept, and none outlive their index."""
    import bot.services.search as search_module

    search = loaded_core.search
    index = search.index
    assert index is not None
    rng = random.Random(12)
    names = [e.name for e in index.entries[:60]]
    texts = ["", "k", "kim", "KIM ", "kim jong", "ri won", "jawlani", "Ri Won Hp", "x" * 150, "KPi.0", "kpi.03"]
    texts += [n[: rng.randint(1, max(1, len(n)))] for n in names if n]
    texts += ["".join(rng.choice(string.ascii_letters + " .-") for _ in range(rng.randint(1, 8))) for _ in range(60)]
    for _ in range(2):  # worked out, then kept
        for text in texts:
            assert search.name_choices(text) == index.name_choices(text[:MAX_QUERY]), text
            assert search.reference_choices(text) == index.reference_choices(text[:MAX_QUERY]), text
    search.name_choices("kim").clear()  # what a caller does with its copy does not reach what is kept
    assert search.name_choices("kim") == index.name_choices("kim") != []
    monkeypatch.setattr(search_module, "MAX_CACHED_CHOICES", 5)
    for text in texts:
        search.name_choices(text + "q")  # texts not asked before
    assert len(search._choices) <= 5
    monkeypatch.setattr(search, "_index", None)
    assert search.name_choices("kim") == [] and search.reference_choices("KPi.0") == []
