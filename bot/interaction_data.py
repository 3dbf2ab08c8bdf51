"""What an interaction's raw data says before discord.py reads it: the command's path, and what is malformed."""

from __future__ import annotations

from typing import Any


def command_path(data: Any) -> str:
    """A command's full name from the interaction data ("digest preview"), for one discord.py has not matched."""
    parts: list[str] = []
    node: Any = data
    while isinstance(node, dict) and isinstance(node.get("name"), str):
        parts.append(node["name"])
        options = node.get("options") or []
        node = options[0] if options and isinstance(options[0], dict) and options[0].get("type") in (1, 2) else None
    return " ".join(parts) or "?"


_SNOWFLAKE_OPTION_TYPES = {6, 7, 8, 9, 11}  # user, channel, role, mentionable, attachment


def malformed_options(data: Any) -> str | None:
    """What is structurally wrong with an interaction's options, if anything (Discord never sends such payloads;
    a forged one must get an answer, not crash discord.py's option parsing)."""
    if not isinstance(data, dict):
        return "the interaction carries no command data"
    stack = [data.get("options") or []]
    while stack:
        options = stack.pop()
        if not isinstance(options, list):
            return "the command's options are malformed"
        for option in options:
            if not isinstance(option, dict) or not isinstance(option.get("name"), str):
                return "an option is malformed"
            kind = option.get("type")
            if kind in (1, 2):
                stack.append(option.get("options") or [])
            elif kind in _SNOWFLAKE_OPTION_TYPES and not option.get("focused"):
                value = option.get("value")
                # Snowflakes are 64-bit with the top bit clear: larger numbers are no Discord id (nor fit SQLite).
                if not (
                    isinstance(value, int | str)
                    and str(value).isascii()
                    and str(value).isdigit()
                    and len(str(value)) <= 20
                    and int(value) < 2**63
                ):
                    return f"option `{option['name'][:32]}` must be a Discord id"
    return None
