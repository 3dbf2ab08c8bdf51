"""Localisation through discord.py's app_commands.Translator: Korean (ko) beside the English default.

The translator names commands, options and choices in Korean when Discord syncs the commands, and gives the
fixed labels of answers in the user's language (`label`). Anything not in a catalogue stays English.
"""

from __future__ import annotations

import discord
from discord import app_commands
from discord.app_commands import TranslationContextLocation as Where

from bot.i18n import ko

# Discord locale → that language's catalogue module. English (the default) needs none.
CATALOGUES = {discord.Locale.korean: ko}
_NAME_PLACES = {Where.command_name, Where.group_name}


def catalogue_for(locale: discord.Locale | str | None) -> object | None:
    """The catalogue of a Discord locale ('ko' or discord.Locale.korean), or None for English and the rest."""
    if locale is None:
        return None
    try:
        key = locale if isinstance(locale, discord.Locale) else discord.Locale(str(locale))
    except ValueError:
        return None
    return CATALOGUES.get(key)


def translated(table: str, text: str, locale: discord.Locale | str | None) -> str | None:
    """`text` from one table of the locale's catalogue (COMMAND_NAMES, OPTION_NAMES, CHOICES, DESCRIPTIONS,
    LABELS), or None where it has no translation."""
    catalogue = catalogue_for(locale)
    entries: dict[str, str] = getattr(catalogue, table, {}) if catalogue is not None else {}
    return entries.get(text)


def label(text: str, locale: discord.Locale | str | None) -> str:
    """A fixed label of an answer in the user's language (the English text if not translated)."""
    return translated("LABELS", text, locale) or text


class SanctionsTranslator(app_commands.Translator):
    """Command names, descriptions, option names and choices, per Discord locale, from the catalogues."""

    async def translate(
        self, string: app_commands.locale_str, locale: discord.Locale, context: app_commands.TranslationContextTypes
    ) -> str | None:
        """The translation of one string, or None to leave it out (Discord then shows the English)."""
        if context.location in _NAME_PLACES:
            table = "COMMAND_NAMES"
        elif context.location is Where.parameter_name:
            table = "OPTION_NAMES"
        elif context.location is Where.choice_name:
            table = "CHOICES"
        elif context.location is Where.other:
            table = "LABELS"
        else:  # command, group and parameter descriptions
            table = "DESCRIPTIONS"
        return translated(table, string.message, locale)
