"""The gateway dropping the bot (close codes 1000, 4000, 4009) and a list import running while heartbeats are due."""

from __future__ import annotations

import asyncio
import itertools
import time

import pytest

from bot.app import SanctionsBot
from bot.core import Core
from tests.discord_fake import FakeDiscord
from tests.discord_fake.harness import running_bot
from tests.e2e.conftest import ALICE, new_fake
from tests.shared_files import un_list

pytestmark = pytest.mark.both_engines


class QuickReconnectBot(SanctionsBot):
    """discord.py sleeps 5 s before every re-IDENTIFY; tests need not wait for that."""

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        return None


async def _dprk_count(fake: FakeDiscord) -> str:
    res = await fake.invoke("sanctions count", {"regime": "DPRK"}, user_id=ALICE, timeout=10)
    return {f["name"]: f["value"] for f in res.data["embeds"][0]["fields"]}["Individuals"]


@pytest.mark.parametrize("code", [1000, 4000, 4009])
async def test_bot_comes_back_after_the_gateway_closes(loaded_core: Core, code: int) -> None:
    fake = new_fake()
    await fake.start()
    try:
        bot = QuickReconnectBot(loaded_core, guild_ready_timeout=0.05)
        async with running_bot(fake, bot, token="dummy.token.for-tests-only"):
            assert await _dprk_count(fake) == "80"
            identifies, resumes = fake.identify_count, fake.resume_count
            assert await fake.close_gateway(code=code) == 1
            await fake.wait_until(
                lambda: fake.identify_count > identifies or fake.resume_count > resumes,
                15,
                "RESUME or IDENTIFY",
            )
            await fake.wait_until(lambda: any(s.connected for s in fake.sessions), 15, "a live session")
            assert await _dprk_count(fake) == "80"
            if code == 4009:  # session timed out: not resumable, so a fresh IDENTIFY
                assert fake.identify_count == identifies + 1
            elif code == 4000:  # unknown error: the session can be resumed
                assert fake.resume_count == resumes + 1
            # 1000 (normal closure) ends the session for Discord: either way back is fine.
        fake.assert_no_violations()
    finally:
        await fake.stop()


async def test_heartbeats_keep_flowing_while_a_list_imports(loaded_core: Core) -> None:
    fake = new_fake()
    fake.heartbeat_interval_ms = 50  # a heartbeat every 50 ms makes any long stall of the loop visible
    await fake.start()
    try:
        bot = SanctionsBot(loaded_core, guild_ready_timeout=0.05)
        async with running_bot(fake, bot, token="dummy.token.for-tests-only"):
            data = un_list("2024-09-26").read_bytes().replace(b"2024-09-26T00:00:07.514Z", b"2024-12-01T00:00:00Z")
            before = len(fake.heartbeats)
            started = time.monotonic()
            answers = []

            async def ask_meanwhile() -> None:
                while time.monotonic() - started < 0.5:
                    answers.append(await _dprk_count(fake))

            result, _ = await asyncio.gather(loaded_core.importer.import_bytes(data, "newer.xml"), ask_meanwhile())
            await asyncio.sleep(0.2)
            assert result.status == "imported"
            beats = [h.at for h in fake.heartbeats[before:]]
            assert len(beats) >= 5
            # Generous liveness bound (20 intervals): a loop blocked by parsing or bulk writes would break it.
            assert max(b - a for a, b in itertools.pairwise(beats)) < 1.0
            assert fake.identify_count == 1 and fake.resume_count == 0  # never dropped as a zombie
            assert answers and all(a == "80" for a in answers)  # commands answered during the import
        fake.assert_no_violations()
    finally:
        await fake.stop()
