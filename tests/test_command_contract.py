"""The local Discord's checks of command bodies: localisation maps (keys are Discord locales, names obey Discord's
name rules), integration types and contexts — it refuses what Discord would refuse, and accepts our commands."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import SanctionsBot
from bot.core import open_core
from tests.conftest import make_settings
from tests.discord_fake import load_contract
from tests.discord_fake.contract import command_name_problem
from tests.shared_files import openapi_path

ROUTE = "/applications/1/commands"


def _command(**extra: object) -> dict:
    return {"name": "sanctions", "description": "The list.", "type": 1, **extra}


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (_command(name_localizations={"kr": "제재"}), "'kr' is not a Discord locale"),
        (_command(description_localizations={"korean": "목록"}), "'korean' is not a Discord locale"),
        (_command(name_localizations={"ko": "제재 목록"}), "does not allow in names"),
        (_command(name_localizations={"de": "Sanktionen"}), "is not lowercase"),
        (_command(name="Sanctions"), "is not lowercase"),
        (_command(name_localizations={"ko": "x" * 33}), "33"),
        (
            _command(
                options=[
                    {"type": 3, "name": "regime", "description": "r", "name_localizations": {"ko": "이름"}},
                    {"type": 3, "name": "name", "description": "n", "name_localizations": {"ko": "이름"}},
                ]
            ),
            "repeats a sibling's (ko)",
        ),
        (_command(contexts=[3]), "contexts"),
        (_command(integration_types=[2]), "integration_types"),
        (_command(contexts=[]), "contexts"),
    ],
)
def test_the_contract_refuses_what_discord_refuses(body: dict, problem: str) -> None:
    problems = load_contract(str(openapi_path())).validate("PUT", ROUTE, [body])
    assert problems and any(problem in p for p in problems), problems


def test_discord_name_rules() -> None:
    for good in ("count", "as_of", "제재체제", "기준일", "नाम", "ชื่อ", "o'neil", "x-1"):
        assert command_name_problem(good) is None, good
    for bad in ("", "Count", "as of", "제재 개수", "a" * 33, "count!", "ЁЖ"):
        assert command_name_problem(bad) is not None, bad


async def test_our_translated_commands_pass(tmp_path: Path) -> None:
    contract = load_contract(str(openapi_path()))
    async with open_core(make_settings(tmp_path)) as core:
        bot = SanctionsBot(core, run_background=False)
        await bot.load_cogs()
        translator = bot.tree.translator
        assert translator is not None
        payload = [await c.get_translated_payload(bot.tree, translator) for c in bot.tree.get_commands()]
    assert contract.validate("PUT", ROUTE, payload) == []
    assert any(c.get("name_localizations", {}).get("ko") for c in payload)
