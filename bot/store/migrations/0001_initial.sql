-- The UN Consolidated List with its version history, and the state of the list sync.

CREATE TABLE list_versions (
    id            INTEGER PRIMARY KEY,
    generated_at  TEXT NOT NULL,              -- dateGenerated as written in the file
    sha256        TEXT NOT NULL UNIQUE,       -- of the raw bytes
    source        TEXT NOT NULL,              -- path or URL it came from
    imported_at   TEXT NOT NULL,              -- ISO 8601, UTC
    entry_count   INTEGER NOT NULL,
    added         INTEGER NOT NULL,
    removed       INTEGER NOT NULL,
    amended       INTEGER NOT NULL
);

-- Each distinct content of an entry is stored once; versions point at the revisions they hold.
CREATE TABLE entry_revisions (
    id            INTEGER PRIMARY KEY,
    reference     TEXT NOT NULL,
    content_hash  TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('individual', 'entity')),
    regime        TEXT NOT NULL,
    name          TEXT NOT NULL,
    listed_on     TEXT NOT NULL,
    data          TEXT NOT NULL,              -- the whole record as JSON (bot.models.Entry)
    UNIQUE (reference, content_hash)
);
CREATE INDEX entry_revisions_reference ON entry_revisions (reference);

CREATE TABLE version_entries (
    version_id    INTEGER NOT NULL REFERENCES list_versions (id) ON DELETE CASCADE,
    revision_id   INTEGER NOT NULL REFERENCES entry_revisions (id),
    PRIMARY KEY (version_id, revision_id)
) WITHOUT ROWID;
CREATE INDEX version_entries_revision ON version_entries (revision_id);

CREATE TABLE version_counts (
    version_id    INTEGER NOT NULL REFERENCES list_versions (id) ON DELETE CASCADE,
    regime        TEXT NOT NULL,
    individuals   INTEGER NOT NULL,
    entities      INTEGER NOT NULL,
    PRIMARY KEY (version_id, regime)
) WITHOUT ROWID;

CREATE TABLE entry_changes (
    id              INTEGER PRIMARY KEY,
    version_id      INTEGER NOT NULL REFERENCES list_versions (id) ON DELETE CASCADE,
    reference       TEXT NOT NULL,
    change          TEXT NOT NULL CHECK (change IN ('added', 'removed', 'amended')),
    kind            TEXT NOT NULL,
    regime          TEXT NOT NULL,
    name            TEXT NOT NULL,
    fields          TEXT NOT NULL DEFAULT '[]',   -- JSON list of changed field names (amendments)
    old_revision_id INTEGER REFERENCES entry_revisions (id),
    new_revision_id INTEGER REFERENCES entry_revisions (id)
);
CREATE INDEX entry_changes_version ON entry_changes (version_id);
CREATE INDEX entry_changes_reference ON entry_changes (reference);

-- One row: what the scheduled (or manual) sync last did.
CREATE TABLE sync_state (
    id                   INTEGER PRIMARY KEY CHECK (id = 1),
    last_attempt_at      TEXT,
    last_success_at      TEXT,
    last_error           TEXT,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    next_attempt_at      TEXT,
    etag                 TEXT,
    last_modified        TEXT
);
INSERT INTO sync_state (id) VALUES (1);

-- The bot's own bookkeeping (hash of the last command sync, …).
CREATE TABLE meta (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
) WITHOUT ROWID;
