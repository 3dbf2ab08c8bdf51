"""Helpers for the /sanctions end-to-end tests: asking, reading embeds and buttons, turning pages, and the
checks every test ends with."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.discord_fake.server import InteractionResult
from tests.e2e.conftest import ALICE, E2E

EPHEMERAL = 1 << 6
LATEST = "UN list version of 2024-09-26"
# Bidi controls and zero-width characters; the one allowed is the zero-width space escape() puts after '@'.
_HIDDEN = re.compile("[\u202a-\u202e\u200b-\u200f\u2066-\u2069]")


@contextmanager
def contract(env: E2E) -> Iterator[None]:
    """Around one test: no OpenAPI/limit violation, no discord.py error, and no message body that could ping
    (allowed_mentions empty; @everyone and role mentions only inside code spans) or hide text (bidi controls)."""
    errors_before, bodies_before = len(env.run.log_errors), len(env.fake.message_bodies)
    yield
    try:
        env.fake.assert_no_violations()
        assert env.run.error_messages()[errors_before:] == []
        for method, path, body in env.fake.message_bodies[bodies_before:]:
            if "content" in body or "embeds" in body:
                assert body.get("allowed_mentions") == {"parse": []}, (method, path)
            text = json.dumps(body, ensure_ascii=False)
            outside_code = re.sub(r"`[^`]*`", "", text)
            assert "@everyone" not in outside_code and "<@&" not in outside_code, body
            assert not _HIDDEN.search(text.replace("@\u200b", "@").replace("<\u200b#", "<#")), body
    finally:
        env.fake.clear_violations()


def found(pattern: str, text: str) -> str:
    """The first group of the pattern's first match in the text (the test fails if there is none)."""
    match = re.search(pattern, text)
    assert match, (pattern, text)
    return match.group(1)


def stored(env: E2E, res: InteractionResult) -> dict[str, Any]:
    """The message an interaction made, as the fake holds it now (after any edits)."""
    assert res.message is not None, res
    message = env.fake.message(int(res.message["id"]))
    assert message is not None
    return message


async def ask(env: E2E, path: str, user: int = ALICE, *, raw: bool = False, **options: Any) -> InteractionResult:
    """Run a slash command as `user`; the callback must have been accepted by the fake."""
    res = await env.fake.invoke(path, options, user_id=user, raw=raw)
    assert res.status in (200, 204) and not res.problems, (res.status, res.problems)
    return res


def embed_text(embed: dict[str, Any]) -> str:
    """Title, description, fields and footer of one embed, as one text."""
    parts = [embed.get("title") or "", embed.get("description") or ""]
    parts += [f"{f['name']}\n{f['value']}" for f in embed.get("fields") or []]
    parts.append((embed.get("footer") or {}).get("text") or "")
    return "\n".join(parts)


def text_of(data: dict[str, Any]) -> str:
    """Everything a message shows, as one text."""
    return "\n".join([data.get("content") or "", *(embed_text(e) for e in data.get("embeds") or [])])


def fields_of(embed: dict[str, Any]) -> dict[str, str]:
    return {f["name"]: f["value"] for f in embed.get("fields") or []}


def buttons(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The pager's buttons by role: 'prev', 'pos', 'next'."""
    found = {}
    for row in message.get("components") or []:
        for item in row["components"]:
            found[item["custom_id"].rsplit(":", 1)[1]] = item
    return found


def is_ephemeral_error(res: InteractionResult, *words: str) -> str:
    """The answer is an ephemeral message containing every word; returns its text."""
    assert res.type == 4 and (res.data.get("flags") or 0) & EPHEMERAL, res.data
    text = text_of(res.data)
    for word in words:
        assert word in text, (word, text)
    return text


def hits_of(embed: dict[str, Any]) -> list[tuple[int, str, str, int, str]]:
    """(rank, reference, primary name, score, value) of each search hit field."""
    out = []
    for name, value in fields_of(embed).items():
        rank, rest = name.split(". ", 1)
        reference, primary = rest.split(" — ", 1)
        score = int(found(r"^\*\*(\d+)\*\*/100", value))
        out.append((int(rank), reference, primary, score, value))
    return out


async def all_pages(env: E2E, res: InteractionResult, user: int = ALICE) -> list[dict[str, Any]]:
    """Every page of a paged answer, turned with the Next button; checks the buttons on the way."""
    message = res.message
    assert message is not None
    pages = [res.data]
    total = int(buttons(message)["pos"]["label"].split(" / ")[1])
    assert buttons(message)["prev"]["disabled"]
    for number in range(2, total + 1):
        turned = await env.fake.click(message, buttons(message)["next"]["custom_id"], user_id=user)
        assert turned.type == 7 and turned.status == 200, turned
        message = env.fake.message(int(message["id"]))
        assert message is not None
        assert buttons(message)["pos"]["label"] == f"{number} / {total}"
        assert not buttons(message)["prev"]["disabled"]
        pages.append(turned.data)
    assert buttons(message)["next"]["disabled"]
    return pages
