"""`sanctionsbot run` when Discord will not have it (issue 11, item 12): real processes, the local Discord.

A refused token (401), an unreachable Discord and a DNS failure each end the program with one line naming the
cause and exit code 1 — never a traceback. The unreachable and DNS cases are retried a few times with jittered
backoff first (one warning line each); the refused token is not (retrying cannot help).
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from bot.settings import Settings
from tests.conftest import store_env
from tests.discord_fake import FakeDiscord
from tests.shared_files import REPO_ROOT, openapi_path

TOKEN = "fake-test-token.not-real.startup-errors-0123456789"

pytestmark = pytest.mark.both_engines


async def run_bot(
    tmp_path: Path, settings: Settings, api_base: str, *, token: str = TOKEN, module: str = "bot"
) -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_", "UN_LIST"))}
    env.update(
        {
            "PYTHONPATH": str(REPO_ROOT),
            "DISCORD_TOKEN": token,
            "DISCORD_API_BASE": api_base,
            "DISCORD_GATEWAY_URL": "ws://127.0.0.1:9/",
            **store_env(settings),  # the store is opened (and migrated) before the login fails
            "SYNC_INTERVAL_MINUTES": "0",
        }
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        module,
        "run",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        _out, err = await asyncio.wait_for(proc.communicate(), 60)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode is not None
    return proc.returncode, err.decode()


def last_line(err: str) -> str:
    assert "Traceback" not in err, err[-3000:]
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines, "nothing was printed"
    return lines[-1]


async def test_a_refused_token_is_one_line_and_exit_1(tmp_path: Path, settings: Settings) -> None:
    async with FakeDiscord(openapi_path=openapi_path(), token="the-one-true-token") as fake:
        code, err = await run_bot(tmp_path, settings, fake.api_base)
        logins = [r for r in fake.requests if r.path.endswith("/users/@me")]
    assert code == 1, err[-2000:]
    assert last_line(err) == (
        "sanctionsbot: Discord refused the token (401 Unauthorized): check DISCORD_TOKEN "
        "(Developer Portal → Bot → Reset Token)"
    )
    assert [r.status for r in logins] == [401]  # asked once: a refused token is not retried
    assert TOKEN not in err and "discord login failed" not in err
    assert not fake.violations


async def test_an_unreachable_discord_is_retried_then_one_line_and_exit_1(tmp_path: Path, settings: Settings) -> None:
    code, err = await run_bot(tmp_path, settings, "http://127.0.0.1:9/api/v10")  # nothing listens on the discard port
    assert code == 1, err[-2000:]
    line = last_line(err)
    assert line.startswith("sanctionsbot: cannot log in to Discord: cannot connect to 127.0.0.1"), line
    assert line.endswith("(gave up after 4 attempts)"), line
    assert err.count("discord login failed cause=cannot connect to 127.0.0.1") == 3


async def test_a_dns_failure_is_named_as_such(tmp_path: Path, settings: Settings) -> None:
    code, err = await run_bot(tmp_path, settings, "https://discord.example/api/v10", module="tests.fixtures.no_dns_cli")
    assert code == 1, err[-2000:]
    line = last_line(err)
    assert line == (
        "sanctionsbot: cannot log in to Discord: cannot resolve discord.example (DNS failure)"
        " (gave up after 4 attempts)"
    ), line
    assert err.count("discord login failed cause=cannot resolve discord.example (DNS failure)") == 3
