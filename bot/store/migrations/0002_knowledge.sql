-- The curated knowledge files (bot/data/*.toml), loaded at start-up: Security Council membership, 1718 Committee
-- chairs, regimes and resolutions, the Panel of Experts, statements and their quoted passages.
-- Each record keeps its whole content (with its sources) as JSON in `data`; the other columns are for lookups.
-- Everything here is replaced in one transaction when the files change, so it is never half-loaded.

CREATE TABLE knowledge_files (
    name       TEXT PRIMARY KEY,
    sha256     TEXT NOT NULL,
    records    INTEGER NOT NULL,
    loaded_at  TEXT NOT NULL
) WITHOUT ROWID;

-- The years the council data covers (one row).
CREATE TABLE knowledge_coverage (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    first_year  INTEGER NOT NULL,
    last_year   INTEGER NOT NULL
);

CREATE TABLE knowledge_terms (
    id          INTEGER PRIMARY KEY,
    position    INTEGER NOT NULL,
    permanent   INTEGER NOT NULL,
    start_year  INTEGER NOT NULL,
    end_year    INTEGER NOT NULL,
    data        TEXT NOT NULL
);

-- One row per member per term: who sat in a year is a range lookup.
CREATE TABLE knowledge_seats (
    term_id     INTEGER NOT NULL REFERENCES knowledge_terms (id) ON DELETE CASCADE,
    member      TEXT NOT NULL,
    start_year  INTEGER NOT NULL,
    end_year    INTEGER NOT NULL,
    PRIMARY KEY (term_id, member)
) WITHOUT ROWID;
CREATE INDEX knowledge_seats_years ON knowledge_seats (start_year, end_year);

CREATE TABLE knowledge_chairs (
    year      INTEGER PRIMARY KEY,
    position  INTEGER NOT NULL,
    data      TEXT NOT NULL
);

CREATE TABLE knowledge_vice_chairs (
    year      INTEGER PRIMARY KEY,
    position  INTEGER NOT NULL,
    data      TEXT NOT NULL
);

CREATE TABLE knowledge_regimes (
    id         TEXT PRIMARY KEY,
    position   INTEGER NOT NULL,
    list_type  TEXT,
    data       TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE knowledge_measures (
    id        INTEGER PRIMARY KEY,
    position  INTEGER NOT NULL,
    regime    TEXT NOT NULL,
    data      TEXT NOT NULL
);
CREATE INDEX knowledge_measures_regime ON knowledge_measures (regime, position);

CREATE TABLE knowledge_resolutions (
    regime    TEXT NOT NULL,
    number    INTEGER NOT NULL,
    position  INTEGER NOT NULL,
    data      TEXT NOT NULL,
    PRIMARY KEY (regime, number)
) WITHOUT ROWID;

CREATE TABLE knowledge_panels (
    regime    TEXT PRIMARY KEY,
    position  INTEGER NOT NULL,
    data      TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE knowledge_panel_events (
    id        INTEGER PRIMARY KEY,
    position  INTEGER NOT NULL,
    regime    TEXT NOT NULL,
    date      TEXT NOT NULL,
    data      TEXT NOT NULL
);
CREATE INDEX knowledge_panel_events_regime ON knowledge_panel_events (regime, date);

CREATE TABLE knowledge_publications (
    id        TEXT PRIMARY KEY,
    position  INTEGER NOT NULL,
    data      TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE knowledge_statements (
    id        TEXT PRIMARY KEY,
    position  INTEGER NOT NULL,
    kind      TEXT NOT NULL,
    date      TEXT NOT NULL,
    data      TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX knowledge_statements_date ON knowledge_statements (date);

CREATE TABLE knowledge_quotes (
    id         INTEGER PRIMARY KEY,
    position   INTEGER NOT NULL,
    statement  TEXT NOT NULL REFERENCES knowledge_statements (id) ON DELETE CASCADE,
    text       TEXT NOT NULL,
    data       TEXT NOT NULL
);
CREATE INDEX knowledge_quotes_statement ON knowledge_quotes (statement, position);

-- Full-text search over quoted passages; rowid = knowledge_quotes.id. Porter stemming so that "hack"
-- finds "hacking". Written together with knowledge_quotes, in the same transaction.
CREATE VIRTUAL TABLE knowledge_quotes_fts USING fts5 (text, tokenize = 'porter unicode61');
