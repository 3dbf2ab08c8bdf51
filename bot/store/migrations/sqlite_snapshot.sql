-- sqlite snapshot of migrations 1..6, digest b7b0b8c8e56ba35ab4e6b23932ca04711c7ea6fd91a0b022c35ba5f0d66ff9da
CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL);
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
CREATE TABLE meta (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE knowledge_files (
    name       TEXT PRIMARY KEY,
    sha256     TEXT NOT NULL,
    records    INTEGER NOT NULL,
    loaded_at  TEXT NOT NULL
) WITHOUT ROWID;
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
CREATE VIRTUAL TABLE knowledge_quotes_fts USING fts5 (text, tokenize = 'porter unicode61');
CREATE TABLE feeds (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    url                  TEXT NOT NULL UNIQUE,          -- as added (normalised: lower-case scheme and host)
    title                TEXT NOT NULL DEFAULT '',      -- the feed's own title, as last parsed
    kind                 TEXT NOT NULL DEFAULT '',      -- feedparser's format name: rss20, rss10, atom10, …
    etag                 TEXT,
    last_modified        TEXT,
    created_at           TEXT NOT NULL,
    last_attempt_at      TEXT,
    last_success_at      TEXT,
    last_error           TEXT,
    last_warning         TEXT,                          -- e.g. "not well-formed XML; 12 item(s) recovered"
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    next_poll_at         TEXT NOT NULL                  -- UTC, ISO 8601
);
CREATE INDEX feeds_next_poll ON feeds (next_poll_at);
CREATE TABLE feed_items (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    feed_id       INTEGER NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    dedup_key     TEXT NOT NULL,                        -- g:<guid>, l:<normalised link> or t:<hash of title+date>
    guid          TEXT,
    link          TEXT,
    title         TEXT NOT NULL,
    summary       TEXT NOT NULL DEFAULT '',
    published_at  TEXT,
    seen_at       TEXT NOT NULL,
    UNIQUE (feed_id, dedup_key)
);
CREATE INDEX feed_items_feed ON feed_items (feed_id, id);
CREATE TABLE guild_setup (
    guild_id   INTEGER PRIMARY KEY,
    set_up_at  TEXT NOT NULL
);
CREATE TABLE guild_feeds (
    guild_id      INTEGER NOT NULL,
    feed_id       INTEGER NOT NULL REFERENCES feeds (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    added_at      TEXT NOT NULL,
    seen_through  INTEGER,   -- items up to this id were in the feed when added (never digested); NULL until the
                             -- first successful fetch after adding, whose items then all count as seen
    PRIMARY KEY (guild_id, feed_id)
);
CREATE INDEX guild_feeds_feed ON guild_feeds (feed_id);
CREATE TABLE guild_keywords (
    guild_id  INTEGER NOT NULL,
    keyword   TEXT NOT NULL COLLATE NOCASE,
    PRIMARY KEY (guild_id, keyword)
);
CREATE TABLE digest_subscriptions (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id            INTEGER NOT NULL,
    channel_id          INTEGER NOT NULL UNIQUE,
    cadence             TEXT NOT NULL CHECK (cadence IN ('daily', 'weekly')),
    local_time          TEXT NOT NULL,              -- HH:MM in the subscription's zone
    timezone            TEXT NOT NULL,              -- IANA name
    weekday             INTEGER CHECK (weekday BETWEEN 0 AND 6),   -- Monday = 0; weekly only
    post_empty          INTEGER NOT NULL DEFAULT 0,
    created_at          TEXT NOT NULL,
    next_run_at         TEXT NOT NULL,              -- UTC, ISO 8601
    through_item_id     INTEGER NOT NULL DEFAULT 0, -- the last digest covered items up to this id …
    through_version_id  INTEGER NOT NULL DEFAULT 0, -- … and list versions up to this id
    last_delivery_at    TEXT,
    paused_at           TEXT,
    paused_reason       TEXT
);
CREATE INDEX digest_subscriptions_due ON digest_subscriptions (next_run_at);
CREATE INDEX digest_subscriptions_guild ON digest_subscriptions (guild_id);
CREATE TABLE digest_deliveries (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    subscription_id     INTEGER NOT NULL REFERENCES digest_subscriptions (id) ON DELETE CASCADE,
    period              TEXT NOT NULL,              -- local date of the scheduled run, or manual:<UTC time>
    through_item_id     INTEGER NOT NULL,
    through_version_id  INTEGER NOT NULL,
    item_count          INTEGER NOT NULL DEFAULT 0,
    change_count        INTEGER NOT NULL DEFAULT 0,
    created_at          TEXT NOT NULL,
    outbox_id INTEGER REFERENCES outbox (id),
    UNIQUE (subscription_id, period)
);
CREATE TABLE watch_servers (
    guild_id            INTEGER PRIMARY KEY,
    channel_id          INTEGER,                     -- where alerts go; NULL until /watch channel
    threshold           INTEGER NOT NULL DEFAULT 90 CHECK (threshold BETWEEN 50 AND 100),
    ping_role_id        INTEGER,                     -- the one role an alert may mention (opt-in)
    ping_role_name      TEXT,                        -- as Discord named it when chosen (for display only)
    through_version_id  INTEGER NOT NULL,            -- alerts are worked out for list versions up to this id
    created_at          TEXT NOT NULL,
    paused_at           TEXT,                        -- set when Discord refused the channel (403/404) …
    paused_reason       TEXT                         -- … and why; cleared by /watch channel
);
CREATE TABLE watches (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id            INTEGER NOT NULL REFERENCES watch_servers (guild_id) ON DELETE CASCADE,
    kind                TEXT NOT NULL CHECK (kind IN ('reference', 'name')),
    target              TEXT NOT NULL,               -- the reference as the list spells it, or the name as typed
    target_key          TEXT NOT NULL,               -- what makes two watches the same (folded name, reference)
    note                TEXT NOT NULL DEFAULT '',
    since_version_id    INTEGER NOT NULL,            -- the latest version when added: only later versions alert
    created_by          INTEGER,
    created_at          TEXT NOT NULL,
    UNIQUE (guild_id, kind, target_key)
);
CREATE INDEX watches_guild ON watches (guild_id);
CREATE TABLE watch_deliveries (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id            INTEGER NOT NULL REFERENCES watch_servers (guild_id) ON DELETE CASCADE,
    version_id          INTEGER NOT NULL,
    hit_count           INTEGER NOT NULL,
    created_at          TEXT NOT NULL,
    outbox_id INTEGER REFERENCES outbox (id),
    UNIQUE (guild_id, version_id)
);
CREATE TABLE watch_hits (
    watch_id            INTEGER NOT NULL REFERENCES watches (id) ON DELETE CASCADE,
    version_id          INTEGER NOT NULL,
    reference           TEXT NOT NULL,
    delivery_id         INTEGER NOT NULL REFERENCES watch_deliveries (id) ON DELETE CASCADE,
    change              TEXT NOT NULL,
    score               INTEGER,                     -- name watches: the search score; NULL for references
    PRIMARY KEY (watch_id, version_id, reference)
) WITHOUT ROWID;
CREATE INDEX watch_hits_delivery ON watch_hits (delivery_id);
CREATE TABLE guild_departures (
    guild_id  INTEGER PRIMARY KEY,
    left_at   TEXT NOT NULL
);
CREATE TABLE outbox (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    producer            TEXT NOT NULL,               -- 'digest', 'alert', …
    lane                TEXT NOT NULL,               -- posts of one lane go out one at a time, in id order
    guild_id            INTEGER NOT NULL,
    channel_id          INTEGER,                     -- NULL: held until the producer names a channel
    status              TEXT NOT NULL CHECK (status IN ('pending', 'held', 'sent', 'skipped', 'failed')),
    nonce_seed          TEXT NOT NULL,
    payload             TEXT NOT NULL,               -- JSON: [{"content": …, "embeds": [...], "allowed_roles": [...]}]
    parts_sent          INTEGER NOT NULL DEFAULT 0,
    message_ids         TEXT NOT NULL DEFAULT '[]',
    sending_part        INTEGER,                     -- a POST of this part started at sending_at and its answer
    sending_at          TEXT,                        -- was never recorded: in doubt until resolved
    attempts            INTEGER NOT NULL DEFAULT 0,
    next_attempt_at     TEXT,
    last_error          TEXT,                        -- the last failure, or why the post is held
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
);
CREATE INDEX outbox_due ON outbox (status, producer, next_attempt_at);
CREATE INDEX outbox_lane ON outbox (lane, id);
CREATE INDEX digest_deliveries_outbox ON digest_deliveries (outbox_id);
CREATE INDEX watch_deliveries_outbox ON watch_deliveries (outbox_id);
INSERT INTO "sync_state" VALUES (1, NULL, NULL, NULL, 0, NULL, NULL, NULL);
INSERT INTO "sqlite_sequence" VALUES ('outbox', 0);
INSERT INTO schema_migrations VALUES (1, 'initial', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));
INSERT INTO schema_migrations VALUES (2, 'knowledge', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));
INSERT INTO schema_migrations VALUES (3, 'digests', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));
INSERT INTO schema_migrations VALUES (4, 'watchlists', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));
INSERT INTO schema_migrations VALUES (5, 'guild_departures', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));
INSERT INTO schema_migrations VALUES (6, 'outbox', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));
PRAGMA user_version = 6;
