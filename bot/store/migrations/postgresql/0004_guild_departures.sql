-- PostgreSQL: servers the bot was removed from (as SQLite's 0005_guild_departures.sql).
CREATE TABLE guild_departures (
    guild_id  BIGINT PRIMARY KEY,
    left_at   TEXT NOT NULL
);
