"""Typed settings from the environment and an optional .env file. Built in main(), never at import time."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from bot.errors import SettingsError

DEFAULT_UN_LIST_URL = "https://scsanctions.un.org/resources/xml/en/consolidated.xml"
DEFAULT_DATABASE_PATH = "data/sanctionsbot.sqlite3"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9._\-]+$")


class Secret:
    """A value that never shows itself in repr, str, logs or tracebacks."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The secret itself, for the one call that needs it."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class Settings:
    """Everything the program can be configured with; see .env.example for each variable."""

    discord_token: Secret | None = None
    database_path: Path = Path(DEFAULT_DATABASE_PATH)
    # PostgreSQL instead of the SQLite file when set (it may hold a password: a Secret, never shown).
    database_url: Secret | None = None
    un_list_url: str = DEFAULT_UN_LIST_URL
    sync_interval_minutes: int = 360
    dev_guild_id: int | None = None
    owner_ids: frozenset[int] = field(default_factory=frozenset)
    log_level: str = "INFO"
    log_format: str = "text"
    discord_api_base: str | None = None
    discord_gateway_url: str | None = None
    feed_poll_minutes: int = 15
    feeds_allow_private: bool = False
    watch_limit: int = 100
    commands_per_minute: int = 20  # per user; 0 turns every command limit off
    list_max_age_hours: int = 48
    shard_count: int | None = None
    shard_ids: tuple[int, ...] | None = None

    def store_location(self) -> Path | str:
        """Where the store is: the PostgreSQL URL if DATABASE_URL is set, else the SQLite file."""
        return self.database_url.reveal() if self.database_url is not None else self.database_path

    def require_token(self) -> Secret:
        """The Discord token, or a SettingsError saying it is needed."""
        if self.discord_token is None:
            raise SettingsError("DISCORD_TOKEN", "not set; `sanctionsbot run` needs the bot's token")
        return self.discord_token


def _int(env: Mapping[str, str], name: str, default: int | None, minimum: int = 0) -> int | None:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not re.fullmatch(r"[+-]?\d+", raw):
        raise SettingsError(name, f"must be a whole number, got {raw[:40]!r}")
    value = int(raw)
    if value < minimum:
        raise SettingsError(name, f"must be at least {minimum}, got {value}")
    return value


def _snowflake(name: str, raw: str) -> int:
    raw = raw.strip()
    if not re.fullmatch(r"\d{1,20}", raw) or int(raw) == 0 or int(raw) >= 2**64:
        raise SettingsError(name, f"must be a Discord id (a positive number), got {raw[:40]!r}")
    return int(raw)


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SettingsError(name, f"must be true or false, got {raw[:20]!r}")


def _url(env: Mapping[str, str], name: str, schemes: tuple[str, ...]) -> str | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in schemes or not parts.netloc:
        raise SettingsError(name, f"must be a {'/'.join(schemes)} URL, got {raw[:80]!r}")
    return raw.rstrip("/")


def _database_url(env: Mapping[str, str]) -> Secret | None:
    raw = env.get("DATABASE_URL", "").strip()
    if not raw:
        return None
    # The URL may carry a password: errors name the problem, never the value.
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError:
        raise SettingsError("DATABASE_URL", "is not a valid URL (expected postgresql://user@host:port/db)") from None
    if parts.scheme not in ("postgresql", "postgres"):
        raise SettingsError("DATABASE_URL", "must start with postgresql:// (unset it to use the SQLite file)")
    if not parts.hostname or not parts.path.strip("/"):
        raise SettingsError("DATABASE_URL", "needs a host and a database name: postgresql://user@host:port/db")
    if port == 0:
        raise SettingsError("DATABASE_URL", "has port 0")
    return Secret(raw)


def _token(env: Mapping[str, str]) -> Secret | None:
    raw = env.get("DISCORD_TOKEN", "").strip()
    if not raw:
        return None
    # Never echo any part of the value: a malformed token is still a secret.
    if not _TOKEN_SHAPE.fullmatch(raw) or len(raw) < 20:
        raise SettingsError("DISCORD_TOKEN", "is malformed (expected the bot token from the Developer Portal)")
    return Secret(raw)


def settings_from_env(env: Mapping[str, str]) -> Settings:
    """Build Settings from a mapping of variables; raise SettingsError naming the first bad one."""
    owner_ids = frozenset(_snowflake("OWNER_IDS", part) for part in env.get("OWNER_IDS", "").split(",") if part.strip())
    dev_guild = env.get("DEV_GUILD_ID", "").strip()
    log_level = env.get("LOG_LEVEL", "INFO").strip().upper() or "INFO"
    if log_level not in LOG_LEVELS:
        raise SettingsError("LOG_LEVEL", f"must be one of {', '.join(LOG_LEVELS)}, got {log_level[:20]!r}")
    log_format = env.get("LOG_FORMAT", "text").strip().lower() or "text"
    if log_format not in ("text", "json"):
        raise SettingsError("LOG_FORMAT", f"must be text or json, got {log_format[:20]!r}")
    db_raw = env.get("DATABASE_PATH", "").strip()
    if "\x00" in db_raw:
        raise SettingsError("DATABASE_PATH", "contains a null byte")
    shard_count = _int(env, "SHARD_COUNT", None, minimum=1)
    shard_ids_raw = env.get("SHARD_IDS", "").strip()
    shard_ids: tuple[int, ...] | None = None
    if shard_ids_raw:
        if shard_count is None:
            raise SettingsError("SHARD_IDS", "needs SHARD_COUNT to be set too")
        try:
            shard_ids = tuple(sorted({int(p) for p in shard_ids_raw.split(",") if p.strip()}))
        except ValueError:
            raise SettingsError("SHARD_IDS", f"must be comma-separated numbers, got {shard_ids_raw[:40]!r}") from None
        bad = [s for s in shard_ids if not 0 <= s < shard_count]
        if bad:
            raise SettingsError("SHARD_IDS", f"shard {bad[0]} is outside 0..{shard_count - 1}")
    un_list_url = _url(env, "UN_LIST_URL", ("http", "https")) or DEFAULT_UN_LIST_URL
    return Settings(
        discord_token=_token(env),
        database_path=Path(db_raw or DEFAULT_DATABASE_PATH).expanduser(),
        database_url=_database_url(env),
        un_list_url=un_list_url,
        sync_interval_minutes=_int(env, "SYNC_INTERVAL_MINUTES", 360, minimum=0) or 0,
        dev_guild_id=_snowflake("DEV_GUILD_ID", dev_guild) if dev_guild else None,
        owner_ids=owner_ids,
        log_level=log_level,
        log_format=log_format,
        discord_api_base=_url(env, "DISCORD_API_BASE", ("http", "https")),
        discord_gateway_url=_url(env, "DISCORD_GATEWAY_URL", ("ws", "wss")),
        feed_poll_minutes=_int(env, "FEED_POLL_MINUTES", 15, minimum=1) or 15,
        feeds_allow_private=_bool(env, "FEEDS_ALLOW_PRIVATE", False),
        watch_limit=_int(env, "WATCH_LIMIT", 100, minimum=1) or 100,
        commands_per_minute=_int(env, "COMMANDS_PER_MINUTE", 20, minimum=0) or 0,
        list_max_age_hours=_int(env, "LIST_MAX_AGE_HOURS", 48, minimum=1) or 48,
        shard_count=shard_count,
        shard_ids=shard_ids,
    )


def load_settings(environ: Mapping[str, str] | None = None, dotenv_path: Path | None = Path(".env")) -> Settings:
    """Settings from the process environment, with a .env file filling in what is not set."""
    merged: dict[str, str] = {}
    if dotenv_path is not None and dotenv_path.is_file():
        from dotenv import dotenv_values

        merged.update({k: v for k, v in dotenv_values(dotenv_path).items() if v is not None})
    merged.update(os.environ if environ is None else environ)
    return settings_from_env(merged)
