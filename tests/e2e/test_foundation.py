"""End to end through the local Discord: login, command sync, /sanctions count, /about, /help, errors."""

from __future__ import annotations

import json
import logging

import pytest

from bot.cli_ask import as_json, ask
from tests.discord_fake.harness import running_bot
from tests.e2e.conftest import ALICE, BOB, E2E, GUILD, new_fake

pytestmark = pytest.mark.both_engines

EPHEMERAL = 1 << 6


async def test_login_installs_the_discord_deliverer(e2e: E2E) -> None:
    from bot.services.delivery import DiscordDeliverer

    assert isinstance(e2e.core.digests.deliverer, DiscordDeliverer)
    assert e2e.core.digests.scope is None  # one process, every shard


async def test_commands_are_synced_at_login(e2e: E2E) -> None:
    names = {c["name"] for c in e2e.fake.commands()}
    assert {"sanctions", "about", "help"} <= names
    sanctions = next(c for c in e2e.fake.commands() if c["name"] == "sanctions")
    assert "count" in {o["name"] for o in sanctions["options"]}


async def test_count_dprk_through_discord_matches_the_terminal(e2e: E2E) -> None:
    res = await e2e.fake.invoke("sanctions count", {"regime": "DPRK"}, user_id=ALICE)
    assert res.callback["type"] == 4
    embed = res.data["embeds"][0]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields == {"Individuals": "80", "Entities": "75", "Total": "155"}
    assert embed["footer"]["text"] == "UN list version of 2024-09-26"
    assert res.data["allowed_mentions"] == {"parse": []}
    terminal = await ask(e2e.core, ["sanctions", "count", "regime:DPRK"])
    assert json.loads(as_json(terminal.reply)) == res.callback


async def test_count_all_regimes(e2e: E2E) -> None:
    res = await e2e.fake.invoke("sanctions count", {}, user_id=ALICE)
    text = res.data["embeds"][0]["description"]
    assert "682 individuals" in text and "193 entities" in text and "DPRK" in text


async def test_unknown_regime_is_a_specific_ephemeral_message(e2e: E2E) -> None:
    res = await e2e.fake.invoke("sanctions count", {"regime": "@everyone Narnia"}, user_id=ALICE)
    assert res.data["flags"] & EPHEMERAL
    text = res.data["embeds"][0]["description"]
    assert "no regime called" in text and "Known regimes" in text
    assert res.data["allowed_mentions"] == {"parse": []}


async def test_regime_autocomplete(e2e: E2E) -> None:
    choices = await e2e.fake.autocomplete("sanctions count", {"regime": "d"}, focused="regime", user_id=ALICE)
    assert [c["value"] for c in choices][:2] == ["DPRK", "DRC"]


async def test_about_and_help(e2e: E2E) -> None:
    about = await e2e.fake.invoke("about", {}, user_id=ALICE)
    text = json.dumps(about.data)
    assert "2024-09-26" in text and e2e.core.settings.un_list_url in text
    help_ = await e2e.fake.invoke("help", {}, user_id=BOB)
    assert "/sanctions count" in json.dumps(help_.data)


async def test_before_any_import_commands_say_not_loaded(e2e_empty: E2E) -> None:
    res = await e2e_empty.fake.invoke("sanctions count", {"regime": "DPRK"}, user_id=ALICE)
    assert res.data["flags"] & EPHEMERAL
    assert "has not been loaded yet" in res.data["embeds"][0]["description"]
    about = await e2e_empty.fake.invoke("about", {}, user_id=ALICE)
    assert "Not loaded yet" in json.dumps(about.data)


async def test_unexpected_failure_gets_a_reference_and_a_logged_traceback(
    e2e: E2E, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(_regime: str | None = None) -> None:
        raise RuntimeError("the disk caught fire")

    monkeypatch.setattr(e2e.core.lists, "counts", broken)
    with caplog.at_level(logging.ERROR, logger="bot.app"):
        res = await e2e.fake.invoke("sanctions count", {}, user_id=ALICE)
    text = res.data["embeds"][0]["description"]
    assert res.data["flags"] & EPHEMERAL
    assert text.startswith("Something went wrong (reference ")
    reference = text.split("reference ")[1].split(")")[0]
    record = next(r for r in caplog.records if reference in r.getMessage())
    assert record.exc_info is not None and "the disk caught fire" in str(record.exc_info[1])
    assert "the disk caught fire" not in text


async def test_wrongly_typed_option_is_refused_not_crashed(e2e: E2E) -> None:
    res = await e2e.fake.invoke("sanctions count", {"regime": 12345}, user_id=ALICE, raw=True)
    assert res.data["flags"] & EPHEMERAL
    assert "must be text" in res.data["embeds"][0]["description"]


async def test_restart_does_not_resync_unchanged_commands(loaded_core) -> None:
    from bot.app import SanctionsBot

    fake = new_fake()
    await fake.start()
    try:
        first = SanctionsBot(loaded_core, guild_ready_timeout=0.05)
        async with running_bot(fake, first, token="dummy.token.for-tests-only"):
            pass
        assert fake.command_puts == 1
        second = SanctionsBot(loaded_core, guild_ready_timeout=0.05)
        async with running_bot(fake, second, token="dummy.token.for-tests-only", wait_commands=False):
            res = await fake.invoke("sanctions count", {"regime": "DPRK"}, user_id=ALICE, guild_id=GUILD)
            assert res.callback["type"] == 4
        assert fake.command_puts == 1  # the second start found the same commands and skipped the sync
        fake.assert_no_violations()
    finally:
        await fake.stop()
