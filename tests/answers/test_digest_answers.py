"""/digest and /feeds through the terminal path (`sanctionsbot ask`) and the answer functions: the same checks
and messages Discord gets, every answer ephemeral, managers only."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from bot.answers import digest as digest_answers
from bot.answers import feeds as feed_answers
from bot.answers.context import AnswerContext
from bot.cli_ask import as_json, ask, readable
from bot.core import Core
from bot.errors import NotPermitted
from bot.store import digests as store
from tests.fixtures.digest import GUILD, FakeDeliverer, FakeDiscord, isolate
from tests.fixtures.feed_server import FeedServer, run_feed_server


@pytest.fixture
async def feed_server() -> AsyncIterator[FeedServer]:
    """The local feed server (127.0.0.1)."""
    async with run_feed_server() as server:
        yield server


@pytest.fixture
async def acore(loaded_core: Core, feed_server: FeedServer) -> AsyncIterator[Core]:
    yield isolate(loaded_core, feed_server)


async def run(core: Core, *words: str, guild: int | None = GUILD) -> tuple[int, str]:
    outcome = await ask(core, list(words), guild_id=guild, user_id=5)
    assert outcome.reply.ephemeral
    return outcome.exit_code, readable(outcome.reply)


@pytest.mark.parametrize(
    "time, words",
    [("7pm", "24-hour clock"), ("25:00", "hours run from 00 to 23"), ("12:75", "minutes run from 00 to 59")],
)
async def test_invalid_times(acore: Core, time: str, words: str) -> None:
    code, text = await run(acore, "digest", "subscribe", "channel:222", f"time:{time}", "timezone:UTC")
    assert code == 2 and words in text


async def test_unknown_time_zone_suggests(acore: Core) -> None:
    code, text = await run(acore, "digest", "subscribe", "channel:222", "time:08:00", "timezone:Europe/Berln")
    assert code == 2 and "Did you mean `Europe/Berlin`" in text


async def test_weekday_needs_weekly(acore: Core) -> None:
    code, text = await run(acore, "digest", "subscribe", "channel:222", "time:08:00", "timezone:UTC", "weekday:Friday")
    assert code == 2 and "only applies to weekly" in text


async def test_subscribe_status_unsubscribe(acore: Core) -> None:
    code, text = await run(
        acore,
        "digest",
        "subscribe",
        "channel:222",
        "time:08:00",
        "timezone:Asia/Seoul",
        "cadence:weekly",
        "weekday:Friday",
        "post_empty:true",
    )
    assert code == 0
    assert "New digest in <#222>: weekly on Friday at 08:00 (Asia/Seoul)." in text
    assert "Next: **Fri 27 Nov 2026 08:00 KST**" in text
    assert "Posts even when there is nothing new." in text
    code, text = await run(acore, "digest", "status")
    assert code == 0 and "<#222> — weekly on Friday at 08:00 (Asia/Seoul)" in text and "UN Press" in text
    code, text = await run(acore, "digest", "unsubscribe", "channel:222")
    assert code == 0 and "No more digests in <#222>" in text
    code, text = await run(acore, "digest", "unsubscribe", "channel:222")
    assert code == 2 and "There is no digest in <#222>" in text


async def test_status_shows_a_pause_and_its_reason(acore: Core) -> None:
    await run(acore, "digest", "subscribe", "channel:222", "time:08:00", "timezone:UTC")
    sub = (await store.guild_subscriptions(acore.db, GUILD))[0]
    delivery = await store.create_delivery(
        acore.db,
        subscription=sub,
        period="2026-11-27",
        payload=[],
        nonce_seed="x",
        through_item_id=0,
        through_version_id=0,
        item_count=0,
        change_count=0,
        now=acore.clock.now(),
        next_run_at=None,
    )
    assert delivery is not None
    await store.fail_delivery(
        acore.db,
        delivery,
        now=acore.clock.now(),
        error="the channel no longer exists",
        pause_reason="the channel no longer exists",
    )
    _code, text = await run(acore, "digest", "status")
    assert "⏸ **Paused**: the channel no longer exists." in text and "/digest subscribe" in text


async def test_commands_need_a_server(acore: Core) -> None:
    code, text = await run(acore, "digest", "status", guild=None)
    assert code == 2 and "only works in a server" in text


async def test_commands_need_manage_server(acore: Core) -> None:
    ctx = AnswerContext(core=acore, user_id=5, guild_id=GUILD, can_manage_guild=False)
    for call in (
        digest_answers.status(ctx),
        feed_answers.list_(ctx),
        feed_answers.keywords_list(ctx),
        digest_answers.subscribe(ctx, 222, "08:00", "UTC"),
        feed_answers.add(ctx, "https://x.example/"),
    ):
        with pytest.raises(NotPermitted, match="Manage Server"):
            await call


async def test_feeds_add_list_remove(acore: Core, feed_server: FeedServer) -> None:
    url = feed_server.serve("/extra.xml", feed_server.bodies["/atom.xml"][0], "application/atom+xml")
    code, text = await run(acore, "feeds", "add", f"url:{url}", "name:Extra news")
    assert (
        code == 0
        and "Now following **Extra news** (atom10)" in text
        and "3 current items count as already seen" in text
    )
    code, text = await run(acore, "feeds", "add", f"url:{url}")
    assert code == 2 and "already follows that feed (as `Extra news`)" in text
    code, text = await run(acore, "feeds", "list")
    assert code == 0 and "4. Extra news" in text and "ok, read" in text and "not read yet" in text
    code, text = await run(acore, "feeds", "remove", "feed:extra news")
    assert code == 0 and "No longer following **Extra news**" in text


async def test_feeds_add_refuses_pages_and_odd_urls(acore: Core, feed_server: FeedServer) -> None:
    code, text = await run(acore, "feeds", "add", f"url:{feed_server.url('/page.html')}")
    assert code == 2 and "not an RSS or Atom feed (it is an HTML page)" in text and "/rss20.xml" in text
    code, text = await run(acore, "feeds", "add", "url:ftp://example.org/rss")
    assert code == 2 and "only http:// and https://" in text
    code, text = await run(acore, "feeds", "add", f"url:{feed_server.url('/error500')}")
    assert code == 1 and "500" in text


async def test_keywords_commands(acore: Core) -> None:
    code, text = await run(acore, "feeds", "keywords", "set", "keywords:DPRK, Panel of Experts, 1718")
    assert code == 0 and "1718, DPRK, Panel of Experts" in text
    code, text = await run(acore, "feeds", "keywords", "add", "keywords:ballistic missile")
    assert code == 0 and "Added: ballistic missile." in text
    code, text = await run(acore, "feeds", "keywords", "remove", "keywords:uranium")
    assert code == 2 and "not among" in text
    code, text = await run(acore, "feeds", "keywords", "list")
    assert code == 0 and "1718, ballistic missile, DPRK, Panel of Experts" in text


async def test_preview_is_ephemeral_and_says_what_it_is(acore: Core) -> None:
    outcome = await ask(acore, ["digest", "preview"], guild_id=GUILD, user_id=5)
    assert outcome.exit_code == 0
    payload = json.loads(as_json(outcome.reply))
    assert payload["data"]["flags"] == 64
    assert payload["data"]["allowed_mentions"] == {"parse": []}
    assert "no digest is set up yet" in payload["data"]["content"]
    assert "DPRK today:** 80 individuals and 75 entities" in readable(outcome.reply)


async def test_send_now_from_the_terminal_explains_it_needs_discord(acore: Core) -> None:
    await run(acore, "digest", "subscribe", "channel:222", "time:08:00", "timezone:UTC")
    code, text = await run(acore, "digest", "send-now", "channel:222")
    assert code == 1 and "not connected to Discord" in text


async def test_send_now_answer_posts(acore: Core) -> None:
    await run(acore, "digest", "subscribe", "channel:222", "time:08:00", "timezone:UTC", "post_empty:true")
    discord = FakeDiscord()
    acore.digests.deliverer = FakeDeliverer(discord)
    ctx = AnswerContext(core=acore, user_id=5, guild_id=GUILD, can_manage_guild=True)
    reply = await digest_answers.send_now(ctx, 222)
    assert reply.ephemeral and "Posted the digest in <#222> (1 message" in readable(reply)
    assert len(discord.in_channel(222)) == 1


async def test_timezone_autocomplete(acore: Core) -> None:
    ctx = AnswerContext(core=acore, guild_id=GUILD, can_manage_guild=True)
    names = [v for _n, v in await digest_answers.complete_timezone(ctx, "berl")]
    assert names[0] == "Europe/Berlin"
    assert len(await digest_answers.complete_timezone(ctx, "a")) == 25


async def test_a_hostile_feed_reaches_the_digest_inert(acore: Core, feed_server: FeedServer) -> None:
    await run(acore, "digest", "subscribe", "channel:222", "time:08:00", "timezone:UTC")
    await acore.feeds.poller.poll_due()  # the defaults get their baseline
    feed_server.serve("/atom.xml", feed_server.bodies["/hostile.xml"][0])  # a default feed turns hostile
    outcome = await ask(acore, ["digest", "preview"], guild_id=GUILD, user_id=5)
    payload = json.loads(as_json(outcome.reply))
    text = json.dumps(payload["data"]["embeds"], ensure_ascii=False)
    assert "free coins" in text
    assert "@everyone" not in text and "<@123456789012345678>" not in text and "<@&" not in text
    assert payload["data"]["allowed_mentions"] == {"parse": []}
    assert "javascript:" not in text


async def test_about_has_a_digest_line(acore: Core) -> None:
    await run(acore, "digest", "subscribe", "channel:222", "time:08:00", "timezone:UTC")
    outcome = await ask(acore, ["about"], guild_id=GUILD)
    assert "News digests: 3 feed(s) followed, 0 failing · 1 digest(s), 0 paused" in readable(outcome.reply)
