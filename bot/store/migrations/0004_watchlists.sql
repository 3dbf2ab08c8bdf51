-- Watchlists: each server's watched names and reference numbers, where its alerts go, and one alert record per
-- (server, list version) holding the composed messages, written with its hits BEFORE anything is sent.

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

-- One per (server, version) with hits: the messages as composed, the nonce seed, and how far sending got.
CREATE TABLE watch_deliveries (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id            INTEGER NOT NULL REFERENCES watch_servers (guild_id) ON DELETE CASCADE,
    version_id          INTEGER NOT NULL,
    status              TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    nonce_seed          TEXT NOT NULL,
    payload             TEXT NOT NULL,               -- JSON: [{"content": …, "embeds": [...], "allowed_roles": [...]}]
    hit_count           INTEGER NOT NULL,
    parts_sent          INTEGER NOT NULL DEFAULT 0,
    message_ids         TEXT NOT NULL DEFAULT '[]',
    channel_id          INTEGER,                     -- where the parts went
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    attempts            INTEGER NOT NULL DEFAULT 0,
    next_attempt_at     TEXT,
    last_error          TEXT,
    UNIQUE (guild_id, version_id)
);
CREATE INDEX watch_deliveries_pending ON watch_deliveries (status, next_attempt_at);

-- Exactly once per (watch, version, entry): the primary key refuses a second alert for the same hit.
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
