"""Settings: defaults, every variable's validation, and the token never showing itself."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import SettingsError
from bot.settings import DEFAULT_UN_LIST_URL, Secret, load_settings, settings_from_env

TOKEN = "fake-test-token.not-real.abcdefghijklmnopqrstuvwxyz0123456789AB"


def test_defaults() -> None:
    s = settings_from_env({})
    assert s.discord_token is None
    assert s.database_path == Path("data/sanctionsbot.sqlite3")
    assert s.un_list_url == DEFAULT_UN_LIST_URL
    assert s.sync_interval_minutes == 360
    assert s.dev_guild_id is None and s.owner_ids == frozenset()
    assert s.log_level == "INFO" and s.feed_poll_minutes == 15 and s.feeds_allow_private is False


def test_values_are_parsed() -> None:
    s = settings_from_env(
        {
            "DISCORD_TOKEN": TOKEN,
            "DATABASE_PATH": "/tmp/x.sqlite3",
            "SYNC_INTERVAL_MINUTES": "60",
            "DEV_GUILD_ID": "123456789012345678",
            "OWNER_IDS": "1, 2,3",
            "LOG_LEVEL": "debug",
            "DISCORD_API_BASE": "http://127.0.0.1:8080/api/v10/",
            "DISCORD_GATEWAY_URL": "ws://127.0.0.1:8080/gateway",
            "FEEDS_ALLOW_PRIVATE": "yes",
            "SHARD_COUNT": "2",
            "SHARD_IDS": "1",
        }
    )
    assert s.discord_token == Secret(TOKEN)
    assert s.owner_ids == frozenset({1, 2, 3})
    assert s.log_level == "DEBUG" and s.dev_guild_id == 123456789012345678
    assert s.discord_api_base == "http://127.0.0.1:8080/api/v10"
    assert s.feeds_allow_private is True and s.shard_ids == (1,)


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"SYNC_INTERVAL_MINUTES": "often"}, "SYNC_INTERVAL_MINUTES"),
        ({"SYNC_INTERVAL_MINUTES": "-5"}, "SYNC_INTERVAL_MINUTES"),
        ({"DEV_GUILD_ID": "my-server"}, "DEV_GUILD_ID"),
        ({"DEV_GUILD_ID": "0"}, "DEV_GUILD_ID"),
        ({"OWNER_IDS": "1,bob"}, "OWNER_IDS"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT"),
        ({"UN_LIST_URL": "ftp://example.org/list.xml"}, "UN_LIST_URL"),
        ({"UN_LIST_URL": "not a url"}, "UN_LIST_URL"),
        ({"DISCORD_API_BASE": "127.0.0.1:80"}, "DISCORD_API_BASE"),
        ({"DISCORD_GATEWAY_URL": "http://127.0.0.1/gw"}, "DISCORD_GATEWAY_URL"),
        ({"FEEDS_ALLOW_PRIVATE": "maybe"}, "FEEDS_ALLOW_PRIVATE"),
        ({"SHARD_IDS": "0"}, "SHARD_IDS"),
        ({"SHARD_COUNT": "2", "SHARD_IDS": "2"}, "SHARD_IDS"),
        ({"DISCORD_TOKEN": "has spaces in it and is long enough"}, "DISCORD_TOKEN"),
        ({"DATABASE_PATH": "a\x00b"}, "DATABASE_PATH"),
    ],
)
def test_bad_values_name_the_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(SettingsError) as info:
        settings_from_env(env)
    assert info.value.variable == variable
    assert info.value.message.startswith(f"{variable}: ")


def test_the_token_never_shows_itself() -> None:
    s = settings_from_env({"DISCORD_TOKEN": TOKEN})
    assert TOKEN not in repr(s) and TOKEN not in str(s)
    assert s.require_token().reveal() == TOKEN
    with pytest.raises(SettingsError) as info:
        settings_from_env({"DISCORD_TOKEN": TOKEN + " trailing junk"})
    assert TOKEN not in str(info.value)


def test_run_needs_a_token() -> None:
    with pytest.raises(SettingsError, match="DISCORD_TOKEN: not set"):
        settings_from_env({}).require_token()


def test_dotenv_fills_in_but_environment_wins(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("SYNC_INTERVAL_MINUTES=10\nLOG_LEVEL=ERROR\n")
    s = load_settings({"LOG_LEVEL": "WARNING"}, dotenv)
    assert s.sync_interval_minutes == 10 and s.log_level == "WARNING"


@given(
    st.dictionaries(
        st.sampled_from(
            [
                "SYNC_INTERVAL_MINUTES",
                "DEV_GUILD_ID",
                "OWNER_IDS",
                "LOG_LEVEL",
                "UN_LIST_URL",
                "FEED_POLL_MINUTES",
                "SHARD_COUNT",
                "SHARD_IDS",
                "WATCH_LIMIT",
                "DISCORD_TOKEN",
                "FEEDS_ALLOW_PRIVATE",
            ]
        ),
        st.text(max_size=30),
    )
)
@settings(max_examples=300)
def test_any_environment_gives_settings_or_a_settings_error(env: dict[str, str]) -> None:
    try:
        settings_from_env(env)
    except SettingsError as exc:
        assert exc.variable in env or exc.variable == "SHARD_IDS"


def test_database_url_selects_postgresql_and_never_shows_its_password() -> None:
    assert settings_from_env({}).store_location() == Path("data/sanctionsbot.sqlite3")
    s = settings_from_env({"DATABASE_URL": "postgresql://bot:pw-Zq81x@db:5432/sanctionsbot", "DATABASE_PATH": "x.db"})
    assert s.store_location() == "postgresql://bot:pw-Zq81x@db:5432/sanctionsbot"
    assert "pw-Zq81x" not in repr(s) and "pw-Zq81x" not in str(s)


@pytest.mark.parametrize(
    "url",
    [
        "mysql://bot:pw-Zq81x@db/x",
        "postgresql://bot:pw-Zq81x@/x",
        "postgresql://bot:pw-Zq81x@db:5432",
        "postgresql://bot:pw-Zq81x@db:notaport/x",
        "sqlite:///pw-Zq81x",
    ],
)
def test_a_bad_database_url_is_named_without_its_value(url: str) -> None:
    with pytest.raises(SettingsError) as caught:
        settings_from_env({"DATABASE_URL": url})
    assert caught.value.variable == "DATABASE_URL" and "pw-Zq81x" not in caught.value.message
