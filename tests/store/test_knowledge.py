"""The knowledge tables: replaced in one transaction, read back typed; FTS5 quote search with escaping."""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path

import asyncpg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.sources.knowledge import Knowledge, Quote, parse_knowledge
from bot.store import knowledge as store
from bot.store.db import Database, bundled_migrations
from tests.knowledge_files import bundled


@pytest.fixture(scope="module")
def parsed() -> Knowledge:
    return parse_knowledge(bundled())


@pytest.fixture(scope="module")
def fts_connection(parsed: Knowledge) -> sqlite3.Connection:
    """A plain in-memory SQLite with every migration and the quotes: for synchronous property tests."""
    conn = sqlite3.connect(":memory:")
    for migration in bundled_migrations():
        conn.executescript(migration.sql)
    for i, q in enumerate(parsed.quotes, start=1):
        conn.execute("INSERT INTO knowledge_quotes_fts (rowid, text) VALUES (?, ?)", (i, q.text))
    return conn


async def table_rows(db: Database) -> dict[str, list[tuple]]:
    """Every row (with its rowid where there is one) of every knowledge table."""
    out = {}
    for table in (*store.TABLES.values(), "knowledge_files", "knowledge_coverage", "knowledge_seats"):
        rows = await db.fetchall(f"SELECT * FROM {table} ORDER BY 1, 2")
        out[table] = [tuple(r) for r in rows]
    if db.dialect == "sqlite":
        out["fts"] = [
            tuple(r) for r in await db.fetchall("SELECT rowid, text FROM knowledge_quotes_fts ORDER BY rowid")
        ]
    return out


async def test_replace_then_load_gives_back_the_same_records(store_location: Path | str, parsed: Knowledge) -> None:
    async with await Database.open(store_location) as db:
        assert await store.load(db) is None
        await store.replace(db, parsed, "2026-11-26T12:00:00Z")
        loaded = await store.load(db)
        assert loaded == parsed
        assert {f.name: f.sha256 for f in loaded.files} == {f.name: f.sha256 for f in parsed.files}
        assert await store.coverage(db) == (2006, 2026)


async def test_lookups(store_location: Path | str, parsed: Knowledge) -> None:
    async with await Database.open(store_location) as db:
        await store.replace(db, parsed, "2026-11-26T12:00:00Z")
        members = await store.members(db, 2018)
        assert len(members) == 15 and ("Netherlands" in {m for m, _t in members})
        assert (await store.chair(db, 2018)).person == "Karel J.G. van Oosterom"
        assert await store.chair(db, 1990) is None
        assert (await store.vice_chairs(db, 2023)).countries == ("Albania", "Japan")
        assert await store.vice_chairs(db, 2018) is None
        numbers = [r.number for r in await store.resolutions(db, "DPRK")]
        assert numbers[0] == 1718 and numbers == sorted(numbers) and len(numbers) == 20
        assert await store.resolutions(db, "Taliban") == []
        statements = await store.statements(db)
        assert [s.date for s in statements] == sorted((s.date for s in statements), reverse=True)
        quotes = await store.quotes(db, "dprk-mission-denial")
        assert [q.text for q in quotes][:2] == [
            "nonsense",
            "stereotyped trick to keep up the atmosphere of sanction and pressure",
        ]


async def test_a_failed_replace_leaves_the_previous_content(store_location: Path | str, parsed: Knowledge) -> None:
    async with await Database.open(store_location) as db:
        await store.replace(db, parsed, "2026-11-26T12:00:00Z")
        before = await table_rows(db)
        # A quote of a statement that is not there breaks a foreign key half-way through the writes.
        broken = dataclasses.replace(parsed, quotes=(*parsed.quotes, Quote("no-such-statement", "x", "voa-2018-05-02")))
        with pytest.raises((sqlite3.IntegrityError, asyncpg.IntegrityConstraintViolationError)):
            await store.replace(db, broken, "2026-11-27T12:00:00Z")
        assert await table_rows(db) == before


async def test_search_finds_stemmed_words_and_ranks(store_location: Path | str, parsed: Knowledge) -> None:
    async with await Database.open(store_location) as db:
        await store.replace(db, parsed, "2026-11-26T12:00:00Z")
        hits, total = await store.search_quotes(db, "hacked")  # porter: hacked ~ hacking
        # Three quotes, and a fourth whose lead-in (the reporter's words, also searched) says "hacking incident".
        assert total == 4 and {h.statement.id for h in hits} == {
            "dprk-mission-denial",
            "panel-hacking-finding",
            "us-remarks-as-reported",
        }
        hits, total = await store.search_quotes(db, '"sophisticated hacking campaign"')
        assert total == 1 and hits[0].quote.text.startswith("continues to be targeted")
        hits, total = await store.search_quotes(db, "campaign sophisticated")
        assert total == 1  # all words, any order
        hits, total = await store.search_quotes(db, '"campaign sophisticated"')
        assert total == 0  # a phrase keeps its order
        hits, total = await store.search_quotes(db, "forces", limit=1)
        assert total == 2 and len(hits) == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hacking", '"hacking"'),
        ("hacking OR nonsense", '"hacking" "OR" "nonsense"'),
        ("NEAR(hacking campaign)", '"NEAR(hacking" "campaign)"'),
        ('"sophisticated hacking" *', '"sophisticated hacking"'),
        ('unbalanced "quote', '"unbalanced" """quote"'),
        ("col:hacking ^start", '"col:hacking" "^start"'),
        ('* - ( ) ""', ""),
        ("", ""),
    ],
)
def test_escape_fts(text: str, expected: str) -> None:
    assert store.escape_fts(text) == expected


@pytest.mark.sqlite_only("SQLite FTS5 MATCH syntax (PostgreSQL binds each word to phraseto_tsquery: no operators)")
@pytest.mark.parametrize(
    "text",
    [
        '"',
        "*",
        "NEAR(",
        "OR",
        "AND",
        "NOT",
        "hacking OR",
        "NEAR(a b, 2)",
        '"a" OR "b"',
        "a:b",
        "{text}: x",
        "^",
        "-x",
        "x*",
        '"""',
        "\x00",
        "a\x00b",
        "\ud800 hacking",
        "🙂 hacking",
    ],
)
def test_fts_syntax_is_plain_words(fts_connection: sqlite3.Connection, text: str) -> None:
    query = store.escape_fts(text)
    if query:
        fts_connection.execute(
            "SELECT rowid FROM knowledge_quotes_fts WHERE knowledge_quotes_fts MATCH ?", (query,)
        ).fetchall()


@pytest.mark.sqlite_only("SQLite FTS5 MATCH syntax (PostgreSQL binds each word to phraseto_tsquery: no operators)")
@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_no_text_makes_an_fts_error(fts_connection: sqlite3.Connection, text: str) -> None:
    query = store.escape_fts(text)
    if query:
        fts_connection.execute(
            "SELECT rowid FROM knowledge_quotes_fts WHERE knowledge_quotes_fts MATCH ?", (query,)
        ).fetchall()


@pytest.mark.sqlite_only("SQLite FTS5 MATCH syntax (PostgreSQL binds each word to phraseto_tsquery: no operators)")
@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(["hacking", "OR", "AND", "NOT", "NEAR(", ")", '"', "*", "^", ":", "nonsense", "-", "+"]),
        max_size=8,
    )
)
def test_no_mix_of_fts_operators_makes_an_error(fts_connection: sqlite3.Connection, words: list[str]) -> None:
    for joiner in (" ", ""):
        query = store.escape_fts(joiner.join(words))
        if query:
            fts_connection.execute(
                "SELECT rowid FROM knowledge_quotes_fts WHERE knowledge_quotes_fts MATCH ?", (query,)
            ).fetchall()
