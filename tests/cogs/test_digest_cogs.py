"""The /digest and /feeds extensions: they load, need Manage Server (default permissions), work in servers,
take text/announcement channels, and refuse channels the cache shows the bot cannot post in."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import discord
import pytest

from bot.app import SanctionsBot
from bot.core import Core
from bot.errors import ChannelNotPostable
from cogs._channels import check_can_post


@pytest.fixture
async def bot(core: Core) -> Any:
    b = SanctionsBot(core, run_background=False)
    await b.load_cogs()
    yield b
    await b.close()


async def test_groups_need_manage_server_and_a_server(bot: SanctionsBot) -> None:
    payloads = {p["name"]: p for p in bot.command_payloads()}
    for name in ("digest", "feeds"):
        group = payloads[name]
        assert int(group["default_member_permissions"]) == discord.Permissions(manage_guild=True).value
        assert group["dm_permission"] is False and group["contexts"] == [0]
    subscribe = next(o for o in payloads["digest"]["options"] if o["name"] == "subscribe")
    channel = next(o for o in subscribe["options"] if o["name"] == "channel")
    assert channel["type"] == discord.AppCommandOptionType.channel.value
    assert sorted(channel["channel_types"]) == sorted([discord.ChannelType.text.value, discord.ChannelType.news.value])
    keywords = next(o for o in payloads["feeds"]["options"] if o["name"] == "keywords")
    assert sorted(o["name"] for o in keywords["options"]) == ["add", "list", "remove", "set"]


async def test_every_command_declares_an_answer_and_a_short_description(bot: SanctionsBot) -> None:
    paths = [c.path for c in bot.core.command_index]
    for path in [
        "digest subscribe",
        "digest unsubscribe",
        "digest status",
        "digest preview",
        "digest send-now",
        "feeds add",
        "feeds remove",
        "feeds list",
        "feeds keywords set",
        "feeds keywords add",
        "feeds keywords remove",
        "feeds keywords list",
    ]:
        assert path in paths
    for info in bot.core.command_index:
        assert 1 <= len(info.description) <= 100


def test_a_bot_that_never_logged_in_posts_nothing(bot: SanctionsBot) -> None:
    # Only a logged-in bot installs its deliverer (setup_hook); the terminal's bot must not.
    assert bot.core.digests.deliverer is None


def _interaction(perms: discord.Permissions | None, cached: bool = True) -> Any:
    channel = SimpleNamespace(permissions_for=lambda _me: perms)
    guild = SimpleNamespace(get_channel=lambda _id: channel if cached else None, me=object())
    return SimpleNamespace(guild=guild)


def test_check_can_post_names_the_missing_permissions() -> None:
    ok = discord.Permissions(view_channel=True, send_messages=True, embed_links=True)
    check_can_post(_interaction(ok), 5)
    check_can_post(_interaction(None, cached=False), 5)  # unknown: the delivery will report 403/404
    with pytest.raises(ChannelNotPostable, match="Send Messages, Embed Links"):
        check_can_post(_interaction(discord.Permissions(view_channel=True)), 5)
