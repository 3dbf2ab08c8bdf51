"""The knowledge tables: replaced all at once in one transaction, read back as typed records; quote search."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.models_knowledge import (
    Chair,
    CouncilTerm,
    Knowledge,
    KnowledgeFile,
    Measure,
    Panel,
    PanelEvent,
    Publication,
    Quote,
    Record,
    Regime,
    Resolution,
    Statement,
    ViceChairs,
    record_from_dict,
    record_to_dict,
)
from bot.store.db import SQLITE, Database

# A search's words and phrases beyond this many are ignored (each is one tsquery on PostgreSQL).
MAX_SEARCH_TERMS = 32

# Kind → table. Table names are constants chosen here, never user text.
TABLES: dict[str, str] = {
    "terms": "knowledge_terms",
    "chairs": "knowledge_chairs",
    "vice_chairs": "knowledge_vice_chairs",
    "regimes": "knowledge_regimes",
    "measures": "knowledge_measures",
    "resolutions": "knowledge_resolutions",
    "panels": "knowledge_panels",
    "panel_events": "knowledge_panel_events",
    "publications": "knowledge_publications",
    "statements": "knowledge_statements",
    "quotes": "knowledge_quotes",
}
# Children before parents, so foreign keys never object.
_DELETE_ORDER = (
    "knowledge_quotes_fts",
    "knowledge_quotes",
    "knowledge_statements",
    "knowledge_publications",
    "knowledge_panel_events",
    "knowledge_panels",
    "knowledge_resolutions",
    "knowledge_measures",
    "knowledge_regimes",
    "knowledge_vice_chairs",
    "knowledge_chairs",
    "knowledge_seats",
    "knowledge_terms",
    "knowledge_coverage",
    "knowledge_files",
)


@dataclass(frozen=True)
class StoredFile:
    """A knowledge file as last loaded into the store."""

    name: str
    sha256: str
    records: int
    loaded_at: str


@dataclass(frozen=True)
class QuoteHit:
    """A quoted passage that matched a search, with the statement it belongs to."""

    quote: Quote
    statement: Statement


# --- full-text search terms ---------------------------------------------------------------------------------

_FTS_PART = re.compile(r'"([^"]*)"|(\S+)')


def escape_fts(text: str) -> str:
    """A user's words as an FTS5 query in which nothing is syntax (after datasette's escape_fts).

    Each word becomes a quoted FTS5 string ("" for a quote inside it), so `*`, `NEAR(`, `OR`, `AND`, `NOT`,
    `^`, `:` and stray quotes are plain words. A balanced "…" pair stays a phrase. All parts must match.
    """
    # NUL ends an FTS5 string early and lone surrogates cannot be bound: control and invisible characters go.
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    parts: list[str] = []
    for match in _FTS_PART.finditer(text):
        phrase, word = match.group(1), match.group(2)
        piece = phrase if phrase is not None else word
        if not piece.strip() or not re.search(r"\w", piece):
            continue  # nothing the tokenizer would keep: it would only make an empty phrase
        parts.append('"' + piece.replace('"', '""') + '"')
    return " ".join(parts)


# --- writing ------------------------------------------------------------------------------------------------


def _json(record: Record) -> str:
    return json.dumps(record_to_dict(record), ensure_ascii=False, sort_keys=True)


async def replace(db: Database, knowledge: Knowledge, loaded_at: str) -> None:
    """Replace every knowledge table with `knowledge`, in one transaction (all or nothing)."""
    async with db.transaction() as conn:
        for table in _DELETE_ORDER:
            if table == "knowledge_quotes_fts" and db.dialect != SQLITE:
                continue  # PostgreSQL keeps the search vector in knowledge_quotes itself
            await conn.execute(f"DELETE FROM {table}")  # noqa: S608 - constant table names
        await conn.executemany(
            "INSERT INTO knowledge_files (name, sha256, records, loaded_at) VALUES (?, ?, ?, ?)",
            [(f.name, f.sha256, f.records, loaded_at) for f in knowledge.files],
        )
        await conn.execute(
            "INSERT INTO knowledge_coverage (id, first_year, last_year) VALUES (1, ?, ?)",
            (knowledge.first_year, knowledge.last_year),
        )
        await _insert_terms(conn, knowledge.terms)
        await conn.executemany(
            "INSERT INTO knowledge_chairs (year, position, data) VALUES (?, ?, ?)",
            [(c.year, i, _json(c)) for i, c in enumerate(knowledge.chairs)],
        )
        await conn.executemany(
            "INSERT INTO knowledge_vice_chairs (year, position, data) VALUES (?, ?, ?)",
            [(v.year, i, _json(v)) for i, v in enumerate(knowledge.vice_chairs)],
        )
        await conn.executemany(
            "INSERT INTO knowledge_regimes (id, position, list_type, data) VALUES (?, ?, ?, ?)",
            [(r.id, i, r.list_type or None, _json(r)) for i, r in enumerate(knowledge.regimes)],
        )
        await conn.executemany(
            "INSERT INTO knowledge_measures (position, regime, data) VALUES (?, ?, ?)",
            [(i, m.regime, _json(m)) for i, m in enumerate(knowledge.measures)],
        )
        await conn.executemany(
            "INSERT INTO knowledge_resolutions (regime, number, position, data) VALUES (?, ?, ?, ?)",
            [(r.regime, r.number, i, _json(r)) for i, r in enumerate(knowledge.resolutions)],
        )
        await conn.executemany(
            "INSERT INTO knowledge_panels (regime, position, data) VALUES (?, ?, ?)",
            [(p.regime, i, _json(p)) for i, p in enumerate(knowledge.panels)],
        )
        await conn.executemany(
            "INSERT INTO knowledge_panel_events (position, regime, date, data) VALUES (?, ?, ?, ?)",
            [(i, e.regime, e.date, _json(e)) for i, e in enumerate(knowledge.panel_events)],
        )
        await conn.executemany(
            "INSERT INTO knowledge_publications (id, position, data) VALUES (?, ?, ?)",
            [(p.id, i, _json(p)) for i, p in enumerate(knowledge.publications)],
        )
        await conn.executemany(
            "INSERT INTO knowledge_statements (id, position, kind, date, data) VALUES (?, ?, ?, ?, ?)",
            [(s.id, i, s.kind, s.date, _json(s)) for i, s in enumerate(knowledge.statements)],
        )
        # The reporter's lead-in is shown with each passage, so search finds it too.
        quotes = [(i, q, f"{q.lead}\n{q.text}" if q.lead else q.text) for i, q in enumerate(knowledge.quotes)]
        if db.dialect == SQLITE:
            for i, q, searched in quotes:
                async with conn.execute(
                    "INSERT INTO knowledge_quotes (position, statement, text, data) VALUES (?, ?, ?, ?) RETURNING id",
                    (i, q.statement, q.text, _json(q)),
                ) as cursor:
                    row = await cursor.fetchone()
                await conn.execute("INSERT INTO knowledge_quotes_fts (rowid, text) VALUES (?, ?)", (row[0], searched))
        else:  # the search vector is a column of the row itself: written with it, in one statement for all
            await conn.executemany(
                "INSERT INTO knowledge_quotes (position, statement, text, data, search)"
                " VALUES (?, ?, ?, ?, to_tsvector('english', ?))",
                [(i, q.statement, q.text, _json(q), searched) for i, q, searched in quotes],
            )


async def _insert_terms(conn: Any, terms: Sequence[CouncilTerm]) -> None:
    for i, term in enumerate(terms):
        async with conn.execute(
            "INSERT INTO knowledge_terms (position, permanent, start_year, end_year, data)"
            " VALUES (?, ?, ?, ?, ?) RETURNING id",
            (i, int(term.permanent), term.start, term.end, _json(term)),
        ) as cursor:
            term_id = (await cursor.fetchone())[0]
        await conn.executemany(
            "INSERT INTO knowledge_seats (term_id, member, start_year, end_year) VALUES (?, ?, ?, ?)",
            [(term_id, member, term.start, term.end) for member in term.members],
        )


# --- reading ------------------------------------------------------------------------------------------------


def _decode(kind: str, data: str) -> Any:
    return record_from_dict(kind, json.loads(data))


async def files(db: Database) -> list[StoredFile]:
    """The knowledge files as last loaded (empty before the first load)."""
    rows = await db.fetchall("SELECT name, sha256, records, loaded_at FROM knowledge_files ORDER BY name")
    return [StoredFile(r["name"], r["sha256"], r["records"], r["loaded_at"]) for r in rows]


async def coverage(db: Database) -> tuple[int, int] | None:
    """(first year, last year) of the council data, if loaded."""
    row = await db.fetchone("SELECT first_year, last_year FROM knowledge_coverage WHERE id = 1")
    return (int(row["first_year"]), int(row["last_year"])) if row else None


async def load(db: Database) -> Knowledge | None:
    """Everything in the store as a Knowledge (None before the first load), for comparing with new files."""
    span = await coverage(db)
    if span is None:
        return None
    records: dict[str, tuple[Any, ...]] = {}
    for kind, table in TABLES.items():
        rows = await db.fetchall(f"SELECT data FROM {table} ORDER BY position")  # noqa: S608 - constant names
        records[kind] = tuple(_decode(kind, r["data"]) for r in rows)
    stored = await files(db)
    return Knowledge(
        first_year=span[0],
        last_year=span[1],
        files=tuple(KnowledgeFile(f.name, f.sha256, f.records) for f in stored),
        **records,
    )


async def members(db: Database, year: int) -> list[tuple[str, CouncilTerm]]:
    """(member, term) for every Council seat held in `year`, in file order."""
    rows = await db.fetchall(
        "SELECT s.member, t.data FROM knowledge_seats s JOIN knowledge_terms t ON t.id = s.term_id "
        "WHERE s.start_year <= ? AND s.end_year >= ? ORDER BY t.position, s.member",
        (year, year),
    )
    return [(r["member"], _decode("terms", r["data"])) for r in rows]


async def chair(db: Database, year: int) -> Chair | None:
    """The chair recorded for `year`, if any."""
    row = await db.fetchone("SELECT data FROM knowledge_chairs WHERE year = ?", (year,))
    return _decode("chairs", row["data"]) if row else None


async def vice_chairs(db: Database, year: int) -> ViceChairs | None:
    """The vice-chairs recorded for `year`, if a source named them."""
    row = await db.fetchone("SELECT data FROM knowledge_vice_chairs WHERE year = ?", (year,))
    return _decode("vice_chairs", row["data"]) if row else None


async def regimes(db: Database) -> list[Regime]:
    """Every regime, in file order."""
    rows = await db.fetchall("SELECT data FROM knowledge_regimes ORDER BY position")
    return [_decode("regimes", r["data"]) for r in rows]


async def measures(db: Database, regime: str) -> list[Measure]:
    """The measures in force recorded for a regime."""
    rows = await db.fetchall("SELECT data FROM knowledge_measures WHERE regime = ? ORDER BY position", (regime,))
    return [_decode("measures", r["data"]) for r in rows]


async def resolutions(db: Database, regime: str) -> list[Resolution]:
    """A regime's resolutions in number order (which is also date order)."""
    rows = await db.fetchall("SELECT data FROM knowledge_resolutions WHERE regime = ? ORDER BY number", (regime,))
    return [_decode("resolutions", r["data"]) for r in rows]


async def panel(db: Database, regime: str) -> Panel | None:
    """A regime's Panel of Experts, if recorded."""
    row = await db.fetchone("SELECT data FROM knowledge_panels WHERE regime = ?", (regime,))
    return _decode("panels", row["data"]) if row else None


async def panel_events(db: Database, regime: str) -> list[PanelEvent]:
    """A Panel's dated events, oldest first."""
    rows = await db.fetchall(
        "SELECT data FROM knowledge_panel_events WHERE regime = ? ORDER BY date, position", (regime,)
    )
    return [_decode("panel_events", r["data"]) for r in rows]


async def publications(db: Database) -> dict[str, Publication]:
    """Every publication, by id."""
    rows = await db.fetchall("SELECT data FROM knowledge_publications ORDER BY position")
    found = [_decode("publications", r["data"]) for r in rows]
    return {p.id: p for p in found}


async def statements(db: Database) -> list[Statement]:
    """Every statement, newest first (file order among the same date)."""
    rows = await db.fetchall("SELECT data FROM knowledge_statements ORDER BY date DESC, position")
    return [_decode("statements", r["data"]) for r in rows]


async def statement(db: Database, statement_id: str) -> Statement | None:
    """One statement by id."""
    row = await db.fetchone("SELECT data FROM knowledge_statements WHERE id = ?", (statement_id,))
    return _decode("statements", row["data"]) if row else None


async def quotes(db: Database, statement_id: str) -> list[Quote]:
    """A statement's quoted passages, in the order of the source."""
    rows = await db.fetchall("SELECT data FROM knowledge_quotes WHERE statement = ? ORDER BY position", (statement_id,))
    return [_decode("quotes", r["data"]) for r in rows]


async def search_quotes(db: Database, text: str, limit: int = 10) -> tuple[list[QuoteHit], int]:
    """Quoted passages matching every word of `text` (escaped: no FTS syntax), best first; and the total."""
    if db.dialect != SQLITE:
        return await _search_quotes_tsvector(db, text, limit)
    query = escape_fts(text)
    if not query:
        return [], 0
    rows = await db.fetchall(
        "SELECT q.data AS quote, s.data AS statement FROM knowledge_quotes_fts f "
        "JOIN knowledge_quotes q ON q.id = f.rowid JOIN knowledge_statements s ON s.id = q.statement "
        "WHERE knowledge_quotes_fts MATCH ? ORDER BY f.rank, q.position",
        (query,),
    )
    hits = [QuoteHit(_decode("quotes", r["quote"]), _decode("statements", r["statement"])) for r in rows]
    return hits[:limit], len(hits)


def search_terms(text: str) -> list[str]:
    """The words and "…" phrases of a search, as escape_fts keeps them (unquoted; each must match)."""
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    parts = []
    for match in _FTS_PART.finditer(text):
        piece = match.group(1) if match.group(1) is not None else match.group(2)
        if piece.strip() and re.search(r"\w", piece):
            parts.append(piece)
    return parts


async def _search_quotes_tsvector(db: Database, text: str, limit: int) -> tuple[list[QuoteHit], int]:
    """PostgreSQL: each word or phrase through phraseto_tsquery (no operator syntax at all), all must match."""
    terms = search_terms(text)[:MAX_SEARCH_TERMS]
    if not terms:
        return [], 0
    query = " && ".join(["phraseto_tsquery('english', ?)"] * len(terms))  # placeholders only: no user text
    # The only formatted part is a fixed template of placeholders.
    sql = (
        "SELECT q.data AS quote, s.data AS statement FROM knowledge_quotes q "  # noqa: S608
        "JOIN knowledge_statements s ON s.id = q.statement, "
        f"(SELECT {query}) AS terms(query) "
        "WHERE q.search @@ terms.query ORDER BY ts_rank(q.search, terms.query) DESC, q.position"
    )
    rows = await db.fetchall(sql, terms)
    hits = [QuoteHit(_decode("quotes", r["quote"]), _decode("statements", r["statement"])) for r in rows]
    return hits[:limit], len(hits)
