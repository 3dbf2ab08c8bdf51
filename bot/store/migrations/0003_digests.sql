-- News feeds (shared by every server that follows them), each server's feeds and keywords, and the scheduled
-- digests with one delivery record per (subscription, period).

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

-- Items only grow in id (AUTOINCREMENT never reuses one): a digest remembers the last id it covered.
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

-- A server gets the default feeds and keywords once, the first time it uses the feature.
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

-- Written BEFORE anything is sent: the composed messages, and the nonce seed that makes a resend after a crash
-- return the message Discord already has instead of posting it again.
CREATE TABLE digest_deliveries (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    subscription_id     INTEGER NOT NULL REFERENCES digest_subscriptions (id) ON DELETE CASCADE,
    period              TEXT NOT NULL,              -- local date of the scheduled run, or manual:<UTC time>
    status              TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'skipped', 'failed')),
    channel_id          INTEGER NOT NULL,
    nonce_seed          TEXT NOT NULL,
    payload             TEXT NOT NULL,              -- JSON: [{"content": …, "embeds": [...]}, …]
    parts_sent          INTEGER NOT NULL DEFAULT 0,
    message_ids         TEXT NOT NULL DEFAULT '[]',
    through_item_id     INTEGER NOT NULL,
    through_version_id  INTEGER NOT NULL,
    item_count          INTEGER NOT NULL DEFAULT 0,
    change_count        INTEGER NOT NULL DEFAULT 0,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    attempts            INTEGER NOT NULL DEFAULT 0,
    next_attempt_at     TEXT,
    last_error          TEXT,
    UNIQUE (subscription_id, period)
);
CREATE INDEX digest_deliveries_pending ON digest_deliveries (status, next_attempt_at);
