"""Check a Reply the way Discord would: every page's callback body against Discord's OpenAPI description."""

from __future__ import annotations

from typing import Any

from bot.render.reply import Reply
from bot.respond import interaction_payload
from tests.discord_fake import load_contract, message_limit_problems
from tests.shared_files import openapi_path


def page_payloads(reply: Reply) -> list[dict[str, Any]]:
    """The callback body of each page (later pages are what the pager edits the message to)."""
    return [interaction_payload(Reply([page], ephemeral=reply.ephemeral)) for page in reply.pages]


def assert_valid(reply: Reply) -> list[dict[str, Any]]:
    """Every page validates as the local Discord would check it (OpenAPI schema and limits), mentions off."""
    contract = load_contract(str(openapi_path()))
    bodies = page_payloads(reply)
    for body in bodies:
        problems = contract.validate("POST", "/interactions/1/token/callback", body)
        problems += message_limit_problems(body["data"])
        assert not problems, problems
        assert body["data"]["allowed_mentions"] == {"parse": []}
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
