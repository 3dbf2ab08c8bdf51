"""`sanctionsbot run` as a real process against the local Discord: login, answer, SIGTERM, no token in logs."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

import pytest

from bot.settings import Settings
from tests.conftest import store_env
from tests.e2e.conftest import ALICE, GUILD, new_fake
from tests.shared_files import REPO_ROOT

pytestmark = pytest.mark.both_engines

TOKEN = "fake-test-token.not-real.abcdefghijklmnopqrstuvwxyz0123456789AB"


@pytest.mark.parametrize("log_format", ["text", "json"])
async def test_run_answers_then_stops_cleanly_on_sigterm(
    tmp_path: Path, loaded_settings: Settings, log_format: str
) -> None:
    fake = new_fake()
    await fake.start()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_", "UN_LIST"))}
    env.update(
        {
            "PYTHONPATH": str(REPO_ROOT),
            "DISCORD_TOKEN": TOKEN,
            "DISCORD_API_BASE": fake.api_base,
            "DISCORD_GATEWAY_URL": fake.gateway_url,
            **store_env(loaded_settings),  # DATABASE_PATH, or DATABASE_URL on the PostgreSQL leg
            "SYNC_INTERVAL_MINUTES": "0",
            "LOG_LEVEL": "DEBUG",
            "LOG_FORMAT": log_format,
            "DEV_GUILD_ID": str(GUILD),
        }
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await fake.wait_for_ready(timeout=30)
        await fake.wait_for_commands(timeout=30)
        # DEV_GUILD_ID: commands go to that server (instant), not globally.
        assert {c["name"] for c in fake.commands(GUILD)} >= {"sanctions", "about"}
        res = await fake.invoke("sanctions count", {"regime": "DPRK"}, user_id=ALICE, timeout=15)
        fields = {f["name"]: f["value"] for f in res.data["embeds"][0]["fields"]}
        assert fields["Individuals"] == "80" and fields["Entities"] == "75"
        proc.send_signal(signal.SIGTERM)
        _out, err = await asyncio.wait_for(proc.communicate(), timeout=30)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await fake.stop()
    log_text = err.decode()
    assert proc.returncode == 0, log_text[-2000:]
    if log_format == "json":
        records = [json.loads(line) for line in log_text.splitlines() if line.strip()]
        assert any("command=sanctions count" in r["message"] and r["level"] == "INFO" for r in records)
        log_text = "\n".join(r["message"] + r.get("exception", "") for r in records)
    assert "shutdown requested" in log_text
    assert "command=sanctions count" in log_text and "outcome=ok" in log_text
    assert TOKEN not in log_text and TOKEN.split(".")[0] not in log_text
    fake.assert_no_violations()
