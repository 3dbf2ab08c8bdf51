"""Check a Reply the way Discord would: every page's callback body against Discord's OpenAPI description."""

from __future__ import annotations

import functools
import json
from typing import Any

import jsonschema

from bot.render import limits
from bot.render.reply import Reply
from bot.respond import interaction_payload
from tests.shared_files import openapi_path


@functools.cache
def _validator() -> jsonschema.Draft202012Validator:
    doc = json.loads(openapi_path().read_text(encoding="utf-8"))
    schema = {**doc, "$ref": "#/components/schemas/CreateMessageInteractionCallbackRequest"}
    return jsonschema.Draft202012Validator(schema)


def page_payloads(reply: Reply) -> list[dict[str, Any]]:
    """The callback body of each page (later pages are what the pager edits the message to)."""
    return [interaction_payload(Reply([page], ephemeral=reply.ephemeral)) for page in reply.pages]


def assert_valid(reply: Reply) -> list[dict[str, Any]]:
    """Every page validates against the OpenAPI schema and Discord's limits, mentions off; the bodies."""
    bodies = page_payloads(reply)
    for body in bodies:
        errors = [e.message[:300] for e in _validator().iter_errors(body)]
        assert not errors, errors
        data = body["data"]
        assert data["allowed_mentions"] == {"parse": []}
        embeds = data.get("embeds") or []
        assert len(embeds) <= limits.EMBEDS_PER_MESSAGE
        total = 0
        for embed in embeds:
            total += len(embed.get("title", "")) + len(embed.get("description", ""))
            total += len(embed.get("footer", {}).get("text", ""))
            total += sum(len(f["name"]) + len(f["value"]) for f in embed.get("fields", []))
            assert len(embed.get("fields", [])) <= limits.FIELDS
        assert total <= limits.EMBED_TOTAL, total
    return bodies


def text_of(reply: Reply) -> str:
    """All the visible text of every page, for content assertions."""
    parts: list[str] = []
    for body in page_payloads(reply):
        data = body["data"]
        parts.append(data.get("content") or "")
        for embed in data.get("embeds") or []:
            parts += [
                embed.get("title", ""),
                embed.get("description", ""),
                embed.get("footer", {}).get("text", ""),
            ]
            for f in embed.get("fields", []):
                parts += [f["name"], f["value"]]
    return "\n".join(parts)
