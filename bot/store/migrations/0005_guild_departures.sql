-- Servers the bot was removed from (on_guild_remove). While a server is listed here its feeds are not fetched
-- and its digests and alerts are suspended; the row goes when the bot returns, and the server's data is deleted
-- 30 days after it left.
CREATE TABLE guild_departures (
    guild_id  INTEGER PRIMARY KEY,
    left_at   TEXT NOT NULL
);
