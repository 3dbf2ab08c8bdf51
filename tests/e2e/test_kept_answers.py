"""A question answered before is sent from what was kept: the same callback body as the first answer, at once
(one request, even when every answer slot is busy), with the freshness warning as it stands and in the asker's
language; the checks in front of it (limits, permissions, malformed options) still apply."""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
from typing import Any

import discord
import pytest

import bot.answers.about
import bot.render.pager
import bot.respond
from bot.cooldowns import Refusal
from bot.respond import multipart_body
from tests.e2e._sanctions import ask, buttons, embed_text, stored
from tests.e2e.conftest import ALICE, BOB, E2E, MOD

pytestmark = pytest.mark.both_engines

CALLS: list[tuple[str, dict[str, Any]]] = [
    ("sanctions count", {"regime": "DPRK"}),
    ("sanctions regimes", {}),
    ("sanctions changes", {"regime": "DPRK"}),  # several pages: a pager of its own for each message
    ("committee resolutions", {}),
    ("statement denial", {}),
    ("help", {}),
]


def _body(res: Any) -> dict[str, Any]:
    """The callback body without what differs per message by design (the pager's random custom ids)."""
    data = dict(res.data)
    for row in data.get("components") or []:
        for item in row.get("components") or []:
            item.pop("custom_id", None)
    return {"type": res.type, "data": data}


@pytest.mark.parametrize(("path", "options"), CALLS, ids=[c[0] for c in CALLS])
async def test_a_repeated_question_gets_the_first_answer_again(e2e: E2E, path: str, options: dict[str, Any]) -> None:
    first = await e2e.fake.invoke(path, options, user_id=ALICE, timeout=30)
    again = await e2e.fake.invoke(path, options, user_id=BOB, timeout=30)
    assert first.type == 4 and again.type == 4 and again.status == 204 and not again.problems
    assert _body(again) == _body(first)


async def test_a_kept_chart_is_sent_again_with_its_file(e2e: E2E, monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[Any] = []

    async def counted(reply: Any) -> tuple[bytes, dict[str, str]]:
        made.append(reply)
        return await multipart_body(reply)

    monkeypatch.setattr(bot.respond, "multipart_body", counted)
    monkeypatch.setattr(e2e.bot, "_prepared", collections.OrderedDict())  # nothing prepared by earlier tests
    first = await e2e.fake.invoke("sanctions timeline", {"regime": "DPRK"}, user_id=ALICE, timeout=30)
    if first.type == 5:  # drawing the chart took longer than the deferral fuse on a busy machine
        await first.wait_followups(1, timeout=30)
    again = await e2e.fake.invoke("sanctions timeline", {"regime": "DPRK"}, user_id=BOB, timeout=30)
    assert again.type == 4 and again.status == 204 and not again.problems
    assert again.files and again.files == first.files  # the same PNG, sent anew (files are consumed in sending)
    third = await e2e.fake.invoke("sanctions timeline", {"regime": "DPRK"}, user_id=ALICE, timeout=30)
    assert third.type == 4 and third.status == 204 and not third.problems  # the form serialised once, sent again
    assert third.files == first.files and _body(third) == _body(again)
    assert len(made) == 1  # the multipart form was serialised once, for both kept answers


async def test_a_kept_answer_of_several_pages_has_a_pager_of_its_own(e2e: E2E, monkeypatch: pytest.MonkeyPatch) -> None:
    await ask(e2e, "sanctions search", name="Kim Jong-un")  # worked out and kept
    monkeypatch.setattr(bot.render.pager, "PAGER_TIMEOUT_SECONDS", 1.5)  # buttons that time out while we wait
    mine = await ask(e2e, "sanctions search", name="Kim Jong-un")
    theirs = await ask(e2e, "sanctions search", BOB, name="Kim Jong-un")
    assert buttons(mine.message)["next"]["custom_id"] != buttons(theirs.message)["next"]["custom_id"]
    other = await e2e.fake.click(mine.message, buttons(mine.message)["next"]["custom_id"], user_id=BOB)
    assert other.type == 4 and "Only the person who asked" in other.data["content"]
    turned = await e2e.fake.click(mine.message, buttons(mine.message)["next"]["custom_id"], user_id=ALICE)
    assert turned.type == 7 and "results 6–10 of 10" in turned.data["embeds"][0]["footer"]["text"]
    assert buttons(stored(e2e, mine))["pos"]["label"] == "2 / 2"
    back = await e2e.fake.click(stored(e2e, mine), buttons(stored(e2e, mine))["prev"]["custom_id"], user_id=ALICE)
    assert back.type == 7 and "results 1–5 of 10" in back.data["embeds"][0]["footer"]["text"]

    def all_disabled() -> bool:
        return all(b.get("disabled") for b in buttons(stored(e2e, theirs)).values())

    await e2e.fake.wait_until(all_disabled, 10.0, "the kept answer's pager to disable its buttons")


async def test_kept_answers_go_out_at_once_when_every_slot_is_busy(e2e: E2E, monkeypatch: pytest.MonkeyPatch) -> None:
    await e2e.fake.invoke("sanctions count", {"regime": "DPRK"}, user_id=ALICE)
    busy = asyncio.Semaphore(1)
    await busy.acquire()  # every answer slot taken: new work would be deferred
    monkeypatch.setattr(e2e.bot, "_answering", busy)
    kept = await e2e.fake.invoke("sanctions count", {"regime": "DPRK"}, user_id=BOB)
    assert kept.type == 4  # answered, not "thinking…"
    new = await e2e.fake.invoke("sanctions count", {"regime": "Al-Qaida"}, user_id=BOB, timeout=10)
    assert new.type == 5  # not kept: acknowledged first, answered when a slot frees up
    busy.release()
    follow = await new.wait_followups(1, timeout=10)
    assert "Al-Qaida" in str(follow[-1])


async def test_a_kept_answer_carries_the_warning_as_it_stands(e2e: E2E) -> None:
    stale = await e2e.fake.invoke("sanctions regimes", {}, user_id=ALICE)
    assert "Possibly out of date" in (stale.data.get("content") or "")
    now = e2e.core.clock.now()
    await e2e.core.sync._record_success(now)  # a sync that found the same list: the list is current again
    fresh = await e2e.fake.invoke("sanctions regimes", {}, user_id=ALICE)
    assert not fresh.data.get("content")
    assert fresh.data["embeds"] == stale.data["embeds"]
    await e2e.core.sync._record_success(now - dt.timedelta(days=30))  # (an older success: stale again)


async def test_a_kept_answer_is_in_the_askers_language(e2e: E2E) -> None:
    english = await e2e.fake.invoke("sanctions count", {"regime": "DPRK"}, user_id=ALICE)
    korean = await e2e.fake.invoke("sanctions count", {"regime": "DPRK"}, user_id=ALICE, locale="ko")
    again = await e2e.fake.invoke("sanctions count", {"regime": "DPRK"}, user_id=BOB, locale="ko")
    assert _body(korean) != _body(english)
    assert _body(again) == _body(korean)


async def test_checks_still_come_first_for_kept_answers(e2e: E2E, monkeypatch: pytest.MonkeyPatch) -> None:
    await e2e.fake.invoke("sanctions count", {"regime": "DPRK"}, user_id=ALICE)
    forged = await e2e.fake.invoke("sanctions count", {"regime": "x" * 51}, user_id=ALICE)
    assert "at most 50 characters" in str(forged.data)  # the option's limit, checked before any cache
    refusal = Refusal("user", 30, "sanctions count")
    monkeypatch.setattr(e2e.bot.cooldowns, "check_command", lambda *_a: refusal)
    refused = await e2e.fake.invoke("sanctions count", {"regime": "DPRK"}, user_id=ALICE)
    assert refusal.message in str(refused.data) and refused.data.get("flags", 0) & (1 << 6)


@pytest.mark.parametrize("status", [500, 429])
async def test_a_kept_answer_survives_a_failed_callback(e2e: E2E, status: int) -> None:
    """A server error or rate limit on the callback is retried as discord.py retries it: answered once."""
    await e2e.fake.invoke("sanctions count", {"regime": "DPRK"}, user_id=ALICE)
    fault = e2e.fake.inject_fault(
        method="POST", path_regex=r"/interactions/\d+/[^/]+/callback", status=status, times=1, retry_after=0.05
    )
    res = await e2e.fake.invoke("sanctions count", {"regime": "DPRK"}, user_id=BOB, timeout=10)
    assert fault.hits == 1 and res.type == 4 and "Individuals" in str(res.data)
    accepted = [r for r in e2e.fake.requests if r.path.endswith("/callback") and r.status in (200, 204)]
    assert len(accepted) == 2  # the first question's and this one's, once each


async def test_a_kept_pager_waiting_for_a_click_holds_little(e2e: E2E, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each message of a kept answer of several pages waits for its first click; what it keeps meanwhile is a
    few hundred bytes (no Interaction, no timer of its own), and there is a bound on how many wait."""
    await ask(e2e, "sanctions search", name="Kim Jong-un")  # worked out and kept
    for i in range(3):
        await ask(
            e2e, "sanctions search", (ALICE, BOB)[i % 2], name="Kim Jong-un"
        )  # warm: the fake's and discord.py's first costs
    waiting = bot.render.pager._WAITING
    held = [v for w in waiting.values() for v in vars_of(w)]
    assert waiting and not any(isinstance(v, (discord.Interaction, asyncio.Handle)) for v in held)
    monkeypatch.setattr(bot.render.pager, "MAX_WAITING", 3)
    for _ in range(5):
        await ask(e2e, "sanctions search", name="Kim Jong-un")
    assert len(bot.render.pager._WAITING) <= 3
    forgotten = await ask(e2e, "sanctions search", name="Kim Jong-un")
    for _ in range(3):
        await ask(e2e, "sanctions search", name="Kim Jong-un")
    click = await e2e.fake.click(forgotten.message, buttons(forgotten.message)["next"]["custom_id"], user_id=ALICE)
    assert click.type == 7 and all(b.get("disabled") for b in buttons(click.data).values())
    note = await click.wait_followups(1, timeout=10)
    assert "expired" in str(note[-1])


async def test_many_pagers_timing_out_together_are_greyed_out_a_few_at_a_time(
    e2e: E2E, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A burst of answers with pages times out together five minutes later: greying them all out at once (a task
    and a request each) would hold the event loop against the interactions arriving then. A few edits are in flight
    at a time, and every message is greyed out in the end."""
    await ask(e2e, "sanctions search", name="Kim Jong-un")  # worked out and kept
    monkeypatch.setattr(bot.render.pager, "PAGER_TIMEOUT_SECONDS", 1.0)
    edits = e2e.fake.slow_down("PATCH", r"^/webhooks/\d+/[^/]+/messages/@original$", 0.2)
    sent = [await ask(e2e, "sanctions search", (ALICE, BOB)[i % 2], name="Kim Jong-un") for i in range(24)]

    def all_greyed() -> bool:
        return all(all(b.get("disabled") for b in buttons(stored(e2e, r)).values()) for r in sent)

    await e2e.fake.wait_until(all_greyed, 30.0, "every kept answer's buttons to be greyed out")
    assert edits.hits >= len(sent)
    assert edits.peak <= bot.render.pager.GREY_OUT_AT_ONCE < len(sent)


def vars_of(value: Any) -> list[Any]:
    """The fields of a dataclass, tuple or plain object."""
    if isinstance(value, tuple):
        return list(value)
    return list(getattr(value, "__dict__", {}).values()) or [getattr(value, s) for s in getattr(value, "__slots__", ())]


async def test_about_is_kept_briefly_says_when_and_shows_a_write_at_once(
    e2e: E2E, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = await ask(e2e, "about")
    again = await ask(e2e, "about", BOB)
    assert first.type == 4 and again.type == 4
    assert _body(again) == _body(first)  # read once, sent twice
    assert "Figures as of <t:" in first.data["embeds"][0]["description"]
    assert "0 watch(es)" in embed_text(first.data["embeds"][0])
    await ask(e2e, "watch add", MOD, target="KPi.033")  # a write: the next /about reads everything again
    after = await ask(e2e, "about")
    assert "1 watch(es) in 1 server(s)" in embed_text(after.data["embeds"][0])
    written = e2e.bot.core.db.writes
    monkeypatch.setattr(bot.answers.about, "ABOUT_REUSE_SECONDS", 0.3)
    await ask(e2e, "about")
    await e2e.bot.core.db.write("DELETE FROM watches")  # ...and once its window is over, so is anything else
    e2e.bot.core.db.writes = written  # (as if another process had written it)
    await asyncio.sleep(0.35)
    later = await ask(e2e, "about")
    assert "0 watch(es)" in embed_text(later.data["embeds"][0])
