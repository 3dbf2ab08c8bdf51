-- One outbox for everything the bot posts on its own (digests, watchlist alerts, what comes next): the
-- messages as rendered, recorded BEFORE anything is sent, with the nonce seed and how far sending got.
-- The digest and alert records keep only what they cover and point at their post.

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

-- Digests: every record becomes a post with the same id.
INSERT INTO outbox (id, producer, lane, guild_id, channel_id, status, nonce_seed, payload, parts_sent, message_ids,
                    attempts, next_attempt_at, last_error, created_at, updated_at)
SELECT d.id, 'digest', 'digest:' || d.subscription_id, s.guild_id, d.channel_id, d.status, d.nonce_seed, d.payload,
       d.parts_sent, d.message_ids, d.attempts, d.next_attempt_at, d.last_error, d.created_at, d.updated_at
FROM digest_deliveries d JOIN digest_subscriptions s ON s.id = d.subscription_id;

-- Alerts: after the digests' ids. A pending alert of a paused server or one without a channel is held.
INSERT INTO outbox (id, producer, lane, guild_id, channel_id, status, nonce_seed, payload, parts_sent, message_ids,
                    attempts, next_attempt_at, last_error, created_at, updated_at)
SELECT w.id + (SELECT COALESCE(MAX(id), 0) FROM digest_deliveries), 'alert', 'alert:' || w.guild_id, w.guild_id,
       COALESCE(w.channel_id, s.channel_id),
       CASE WHEN w.status = 'pending' AND (s.paused_at IS NOT NULL OR s.channel_id IS NULL) THEN 'held' ELSE w.status END,
       w.nonce_seed, w.payload, w.parts_sent, w.message_ids, w.attempts, w.next_attempt_at,
       CASE WHEN w.status = 'pending' AND s.paused_at IS NOT NULL THEN s.paused_reason
            WHEN w.status = 'pending' AND s.channel_id IS NULL THEN 'no alert channel set'
            ELSE w.last_error END,
       w.created_at, w.updated_at
FROM watch_deliveries w JOIN watch_servers s ON s.guild_id = w.guild_id;

ALTER TABLE digest_deliveries ADD COLUMN outbox_id INTEGER REFERENCES outbox (id);
UPDATE digest_deliveries SET outbox_id = id;
ALTER TABLE watch_deliveries ADD COLUMN outbox_id INTEGER REFERENCES outbox (id);
UPDATE watch_deliveries SET outbox_id = id + (SELECT COALESCE(MAX(id), 0) FROM digest_deliveries);

DROP INDEX digest_deliveries_pending;
ALTER TABLE digest_deliveries DROP COLUMN status;
ALTER TABLE digest_deliveries DROP COLUMN channel_id;
ALTER TABLE digest_deliveries DROP COLUMN nonce_seed;
ALTER TABLE digest_deliveries DROP COLUMN payload;
ALTER TABLE digest_deliveries DROP COLUMN parts_sent;
ALTER TABLE digest_deliveries DROP COLUMN message_ids;
ALTER TABLE digest_deliveries DROP COLUMN updated_at;
ALTER TABLE digest_deliveries DROP COLUMN attempts;
ALTER TABLE digest_deliveries DROP COLUMN next_attempt_at;
ALTER TABLE digest_deliveries DROP COLUMN last_error;
CREATE INDEX digest_deliveries_outbox ON digest_deliveries (outbox_id);

DROP INDEX watch_deliveries_pending;
ALTER TABLE watch_deliveries DROP COLUMN status;
ALTER TABLE watch_deliveries DROP COLUMN nonce_seed;
ALTER TABLE watch_deliveries DROP COLUMN payload;
ALTER TABLE watch_deliveries DROP COLUMN parts_sent;
ALTER TABLE watch_deliveries DROP COLUMN message_ids;
ALTER TABLE watch_deliveries DROP COLUMN channel_id;
ALTER TABLE watch_deliveries DROP COLUMN updated_at;
ALTER TABLE watch_deliveries DROP COLUMN attempts;
ALTER TABLE watch_deliveries DROP COLUMN next_attempt_at;
ALTER TABLE watch_deliveries DROP COLUMN last_error;
CREATE INDEX watch_deliveries_outbox ON watch_deliveries (outbox_id);
