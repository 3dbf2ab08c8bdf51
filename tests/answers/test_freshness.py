"""How fresh: every "now" answer names its list version and warns when the list is stale or the sync failing;
`health` fails then; command-line imports count as successes in /about (issue 15)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot.cli_ask import ask, readable
from bot.clock import ManualClock
from bot.core import Core
from bot.store import lists as store
from tests.answers.payloads import assert_valid, text_of
from tests.conftest import NOW
from tests.shared_files import un_list
from tests.test_cli import run_cli

# The loaded store holds versions up to 2024-09-26 and the clock says 2026-11-26: 26 months old.
NOW_ANSWERS = [
    ["sanctions", "count"],
    ["sanctions", "count", "regime:DPRK"],
    ["sanctions", "count", "as_of:2026-01-01"],  # after the latest version: the latest answers
    ["sanctions", "search", "name:Kim Jong Un"],
    ["sanctions", "entry", "reference:KPi.033"],
    ["sanctions", "changes"],
    ["sanctions", "regimes"],
    ["sanctions", "timeline", "regime:DPRK"],
    ["committee", "info"],
]


async def _record_sync(core: Core, at: dt.datetime, *, ok: bool, error: str | None = None) -> None:
    """A sync by this process: recorded, and the answers' copy of the record forgotten (as ListSync does)."""
    await store.record_sync(core.db, attempt_at=at.isoformat(timespec="seconds"), ok=ok, error=error)
    core.lists.forget_sync_status()


@pytest.mark.parametrize("words", NOW_ANSWERS, ids=lambda w: " ".join(w))
async def test_now_answers_name_the_version_and_warn_when_stale(loaded_core: Core, words: list[str]) -> None:
    outcome = await ask(loaded_core, words)
    assert outcome.exit_code == 0, outcome.error
    assert_valid(outcome.reply)
    text = text_of(outcome.reply)
    assert "UN list version of 2024-09-26" in text
    for page in outcome.reply.pages:  # turning pages keeps the warning in view
        assert page.content and "Possibly out of date" in page.content
        assert "26 months ago" in page.content and "48 hours" in page.content


async def test_a_recent_sync_clears_the_warning_and_a_failed_one_is_said(loaded_core: Core) -> None:
    await _record_sync(loaded_core, NOW, ok=True)  # a sync after the import found the same list
    quiet = await ask(loaded_core, ["sanctions", "count", "regime:DPRK"])
    assert "Possibly out of date" not in text_of(quiet.reply) and not quiet.reply.first.content
    assert "UN list version of 2024-09-26" in text_of(quiet.reply)
    await _record_sync(loaded_core, NOW + dt.timedelta(minutes=5), ok=False, error="HTTP 503 from the UN server")
    failing = await ask(loaded_core, ["sanctions", "count", "regime:DPRK"])
    note = failing.reply.first.content or ""
    assert "The last list sync failed" in note and "HTTP 503" in note and "last good data" in note
    assert "Possibly out of date" not in note


async def test_a_sync_by_another_process_shows_at_the_next_version_poll(loaded_core: Core) -> None:
    """Answers read the sync record at most every few seconds, not once per answer: another process's sync
    (written to the store behind this process's back) shows once this process polls for versions."""
    assert "Possibly out of date" in text_of((await ask(loaded_core, ["sanctions", "regimes"])).reply)
    await store.record_sync(loaded_core.db, attempt_at=NOW.isoformat(timespec="seconds"), ok=True)
    still = await ask(loaded_core, ["sanctions", "regimes"])
    assert "Possibly out of date" in text_of(still.reply)  # the record as read a moment ago
    await loaded_core.after_import()  # the 30 s version poll (LISTEN on PostgreSQL)
    assert "Possibly out of date" not in text_of((await ask(loaded_core, ["sanctions", "regimes"])).reply)


async def test_the_sync_service_clears_the_warning_at_once(loaded_core: Core) -> None:
    assert "Possibly out of date" in text_of((await ask(loaded_core, ["sanctions", "regimes"])).reply)
    await loaded_core.sync._record_success(NOW)
    assert "Possibly out of date" not in text_of((await ask(loaded_core, ["sanctions", "regimes"])).reply)


async def test_past_dates_before_the_latest_version_carry_no_warning(loaded_core: Core) -> None:
    outcome = await ask(loaded_core, ["sanctions", "count", "regime:DPRK", "as_of:2018-05-02"])
    assert not outcome.reply.first.content


async def test_the_warning_follows_the_clock(loaded_core: Core, clock: ManualClock) -> None:
    await _record_sync(loaded_core, NOW, ok=True)
    clock.set(NOW + dt.timedelta(hours=47))
    assert not (await ask(loaded_core, ["sanctions", "regimes"])).reply.first.content
    clock.set(NOW + dt.timedelta(hours=49))
    note = (await ask(loaded_core, ["sanctions", "regimes"])).reply.first.content or ""
    assert "Possibly out of date" in note and "49 hours ago" in note


def test_health_fails_on_a_stale_list(tmp_path: Path) -> None:
    # Imported a moment ago, but generated in 2024: imported recently is not fresh.
    assert run_cli(tmp_path, "import", str(un_list("2024-09-26"))).returncode == 0
    stale = run_cli(tmp_path, "health")
    assert stale.returncode == 1 and stale.stderr.startswith("stale:"), stale.stderr
    assert "2024-09-26" in stale.stderr


def test_command_line_imports_count_as_successes_in_about(tmp_path: Path) -> None:
    for date in ("2024-09-21", "2024-09-26"):
        assert run_cli(tmp_path, "import", str(un_list(date))).returncode == 0
    about = run_cli(tmp_path, "ask", "about")
    assert about.returncode == 0, about.stderr
    assert "Last success: never" not in about.stdout
    assert "(an import)" in about.stdout
    assert "Possibly out of date" in about.stdout  # a 2024 list, imported today, is still a 2024 list


async def test_about_shows_times_as_discord_timestamps(loaded_core: Core) -> None:
    outcome = await ask(loaded_core, ["about"])
    text = text_of(outcome.reply)
    assert "<t:" in text and ":f>" in text
    assert "<t:" not in readable(outcome.reply)  # the terminal shows them as UTC text
