"""Slash-command option values checked against the options' declared types and limits.

Discord checks these in its client, but a payload can claim anything; and the terminal types values as text.
Both paths come here, so `sanctionsbot ask` and Discord refuse the same values with the same words.
"""

from __future__ import annotations

import math
import re
from typing import Any

import discord
from discord import app_commands

from bot.errors import InvalidOption

Opt = discord.AppCommandOptionType
_ID_TYPES = (Opt.channel, Opt.role, Opt.user, Opt.mentionable, Opt.attachment)
_BOOL = {
    "true": True,
    "yes": True,
    "1": True,
    "on": True,
    "false": False,
    "no": False,
    "0": False,
    "off": False,
}
_TYPE_WORDS = {
    Opt.string: "text",
    Opt.integer: "a whole number",
    Opt.number: "a number",
    Opt.boolean: "true or false",
    Opt.channel: "a channel",
    Opt.role: "a role",
    Opt.user: "a user",
    Opt.mentionable: "a user or role",
    Opt.attachment: "a file",
}
MAX_SAFE_INTEGER = 2**53  # Discord's integer options are limited to ±2^53


def _characters(n: float) -> str:
    return f"{n:g} character" + ("" if n == 1 else "s")


def _limits(param: app_commands.Parameter, value: Any) -> Any:
    name = param.display_name
    if param.type == Opt.string:
        # NUL is no character anyone types, and PostgreSQL text cannot hold it (the driver refuses the whole
        # query): dropped here, every engine sees the same text.
        value = value.replace("\x00", "")
        # For string options discord.py keeps the min/max length in min_value/max_value.
        if param.min_value is not None and len(value) < param.min_value:
            raise InvalidOption(name, f"needs at least {_characters(param.min_value)}")
        if param.max_value is not None and len(value) > param.max_value:
            raise InvalidOption(name, f"takes at most {_characters(param.max_value)}")
    elif param.type in (Opt.integer, Opt.number):
        if param.min_value is not None and value < param.min_value:
            raise InvalidOption(name, f"must be at least {param.min_value}")
        if param.max_value is not None and value > param.max_value:
            raise InvalidOption(name, f"must be at most {param.max_value}")
    if param.choices:
        for choice in param.choices:
            if value == choice.value or (isinstance(value, str) and value.lower() == choice.name.lower()):
                return choice.value
        raise InvalidOption(name, "must be one of: " + ", ".join(str(c.value) for c in param.choices))
    return value


def convert_text(param: app_commands.Parameter, raw: str) -> Any:
    """A value typed in the terminal, converted to what Discord would deliver for this option, limits enforced."""
    kind = param.type
    name = param.display_name
    value: Any
    if kind == Opt.string:
        value = raw
    elif kind == Opt.integer or kind in _ID_TYPES:
        if not re.fullmatch(r"[+-]?\d{1,20}", raw.strip()):
            what = _TYPE_WORDS[kind] if kind == Opt.integer else f"{_TYPE_WORDS[kind]} id"
            raise InvalidOption(name, f"takes {what}, got {raw[:40]!r}")
        value = int(raw)
    elif kind == Opt.number:
        try:
            value = float(raw)
        except ValueError:
            raise InvalidOption(name, f"takes a number, got {raw[:40]!r}") from None
        if not math.isfinite(value):
            raise InvalidOption(name, "takes a finite number")
    elif kind == Opt.boolean:
        if raw.strip().lower() not in _BOOL:
            raise InvalidOption(name, f"takes true or false, got {raw[:40]!r}")
        value = _BOOL[raw.strip().lower()]
    else:
        raise InvalidOption(name, f"of type {kind.name} cannot be given in the terminal")
    return _limits(param, value)


def check_value(param: app_commands.Parameter, value: Any) -> Any:
    """A value that arrived in an interaction, checked against the option's type and limits (None passes)."""
    if value is None:
        return None
    kind = param.type
    name = param.display_name
    ok = {
        Opt.string: isinstance(value, str),
        Opt.integer: isinstance(value, int) and not isinstance(value, bool) and abs(value) <= MAX_SAFE_INTEGER,
        Opt.number: isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value),
        Opt.boolean: isinstance(value, bool),
    }.get(kind, isinstance(value, int))  # channels, roles, users arrive here as ids
    if not ok:
        raise InvalidOption(name, f"must be {_TYPE_WORDS.get(kind, kind.name)}")
    return _limits(param, value)
