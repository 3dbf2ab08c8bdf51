"""The command line, run as a real process: outputs, one-line errors and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.lists import OFAC_SDN
from tests.shared_files import REPO_ROOT, un_list


def run_cli(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m bot …` in tmp_path with a database there (no .env from the repository)."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_", "UN_LIST"))}
    full_env.update({"DATABASE_PATH": str(tmp_path / "cli.sqlite3"), "PYTHONPATH": str(REPO_ROOT)})
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_import_prints_version_counts_and_changes(tmp_path: Path) -> None:
    first = run_cli(tmp_path, "import", str(un_list("2017-07-03")))
    assert first.returncode == 0, first.stderr
    assert "generated 2017-07-03" in first.stdout and "DPRK" in first.stdout
    second = run_cli(tmp_path, "import", str(un_list("2020-03-20")))
    assert second.returncode == 0, second.stderr
    assert "Changes against version 1" in second.stdout
    assert "DPRK: 56 added, 0 removed" in second.stdout
    again = run_cli(tmp_path, "import", str(un_list("2020-03-20")))
    assert again.returncode == 0 and "Already imported" in again.stdout and "Nothing changed" in again.stdout


def test_refused_import_is_one_line_and_exit_1(tmp_path: Path) -> None:
    bad = tmp_path / "sdn.xml"
    bad.write_bytes(OFAC_SDN)
    result = run_cli(tmp_path, "import", str(bad))
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0
    assert "not a UN Consolidated List" in result.stderr and "Traceback" not in result.stderr
    missing = run_cli(tmp_path, "import", str(tmp_path / "nope.xml"))
    assert missing.returncode == 1 and "no such file" in missing.stderr


def test_versions_lists_every_version(loaded_cli: Path) -> None:
    result = run_cli(loaded_cli, "versions")
    assert result.returncode == 0
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 6
    assert "2024-09-26T00:00:07.514Z" in lines[-1] and "682" in lines[-1] and "193" in lines[-1]


def test_ask_count_readable_and_json(loaded_cli: Path) -> None:
    readable = run_cli(loaded_cli, "ask", "sanctions", "count", "regime:DPRK")
    assert readable.returncode == 0, readable.stderr
    assert "80 individuals" in readable.stdout and "75 entities" in readable.stdout
    assert "UN list version of 2024-09-26" in readable.stdout
    payload = json.loads(run_cli(loaded_cli, "ask", "sanctions", "count", "regime:DPRK", "--json").stdout)
    assert payload["type"] == 4
    assert payload["data"]["allowed_mentions"] == {"parse": []}
    fields = {f["name"]: f["value"] for f in payload["data"]["embeds"][0]["fields"]}
    assert fields == {"Individuals": "80", "Entities": "75", "Total": "155"}


def test_ask_help_follows_the_locale(loaded_cli: Path) -> None:
    korean = run_cli(loaded_cli, "ask", "--locale", "ko", "help")
    assert korean.returncode == 0, korean.stderr
    # Commands, options and descriptions as a Korean-speaking user sees them in Discord (bot/i18n/ko.py) ...
    assert (
        "`/제재 집계 [제재체제] [기준일]` — "
        "제재 목록에 등재된 개인과 단체의 수를 현재 또는 지난 날짜 기준으로 집계합니다." in korean.stdout
    )
    assert "`/도움말` — 각 명령어의 기능을 설명합니다." in korean.stdout
    assert "How many individuals and entities" not in korean.stdout and "What each command does" not in korean.stdout
    english = run_cli(loaded_cli, "ask", "help")
    assert english.returncode == 0, english.stderr
    line = "`/sanctions count [regime] [as_of]` — How many individuals and entities are on the list, now or on a past"
    assert line in english.stdout and "제재" not in english.stdout


@pytest.mark.parametrize(
    ("words", "message"),
    [
        (["sanctions", "cont"], "unknown command 'sanctions cont'"),
        (["nothing"], "unknown command 'nothing'"),
        (["sanctions"], "is a group"),
        (["sanctions", "count", "region:DPRK"], "has no option 'region'"),
        (["sanctions", "count", "regime:" + "x" * 51], "at most 50 characters"),
        (["sanctions", "count", "regime:Narnia"], "no regime called `Narnia`"),
        ([], "name a command"),
    ],
)
def test_ask_usage_errors_exit_2(loaded_cli: Path, words: list[str], message: str) -> None:
    result = run_cli(loaded_cli, "ask", *words)
    assert result.returncode == 2, result
    assert message in result.stderr and "Traceback" not in result.stderr


def test_ask_before_any_import_says_not_loaded(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "ask", "sanctions", "count")
    assert result.returncode == 2
    assert "has not been loaded yet" in result.stderr


def test_bad_configuration_is_one_line_exit_2(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "versions", env={"SYNC_INTERVAL_MINUTES": "soon"})
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "sanctionsbot: configuration error: SYNC_INTERVAL_MINUTES: must be a whole number, got 'soon'"
    )


def test_run_without_token_is_exit_2(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "run")
    assert result.returncode == 2 and "DISCORD_TOKEN" in result.stderr


def test_sync_failure_is_exit_1_and_keeps_data(loaded_cli: Path) -> None:
    result = run_cli(loaded_cli, "sync", env={"UN_LIST_URL": "http://127.0.0.1:9/consolidated.xml"})
    assert result.returncode == 1
    assert "sync failed, last good data kept" in result.stderr
    versions = run_cli(loaded_cli, "versions")
    assert len(versions.stdout.strip().splitlines()) == 6


def test_credentials_in_the_list_url_never_reach_the_terminal(loaded_cli: Path) -> None:
    url = "http://clientid:pa55w0rd-x@127.0.0.1:9/consolidated.xml?api_key=SEKRET-CLI-KEY&lang=en"
    result = run_cli(loaded_cli, "sync", env={"UN_LIST_URL": url, "LOG_LEVEL": "DEBUG"})
    assert result.returncode == 1
    shown = result.stdout + result.stderr
    assert "http://***@127.0.0.1:9/consolidated.xml?api_key=***&lang=en" in shown
    for secret in ("clientid", "pa55w0rd-x", "SEKRET-CLI-KEY"):
        assert secret not in shown


@pytest.mark.parametrize("engine", ["postgresql"])
def test_cli_on_postgresql_imports_reports_health_and_refuses_file_backups(
    tmp_path: Path, engine: str, pg_database: str
) -> None:
    env = {"DATABASE_URL": pg_database}
    first = run_cli(tmp_path, "import", str(un_list("2024-09-26")), env=env)
    assert first.returncode == 0, first.stderr
    versions = run_cli(tmp_path, "versions", env=env)
    assert versions.returncode == 0 and "2024-09-26" in versions.stdout
    health = run_cli(tmp_path, "health", env={**env, "LIST_MAX_AGE_HOURS": "1000000"})
    assert health.returncode == 0 and health.stdout.startswith("ok: schema"), health.stderr
    backup = run_cli(tmp_path, "backup", str(tmp_path / "b.sqlite3"), env=env)
    assert backup.returncode == 2 and backup.stderr.count("\n") == 1 and "pg_dump" in backup.stderr
    assert not (tmp_path / "cli.sqlite3").exists()  # nothing went to a SQLite file


def test_an_unreachable_database_url_is_one_line_without_the_password(tmp_path: Path) -> None:
    done = run_cli(tmp_path, "versions", env={"DATABASE_URL": "postgresql://bot:Zq81-secret@127.0.0.1:9/x"})
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "Zq81-secret" not in done.stderr
    assert "postgresql://***@127.0.0.1:9/x" in done.stderr
