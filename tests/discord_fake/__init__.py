"""A local fake Discord (REST /api/v10 + gateway) that the real discord.py client talks to in tests."""

from .contract import SPEC_PATCHES, Contract, load_contract, message_limit_problems
from .gateway import Heartbeat, Session
from .harness import BotCrashed, BotRun, running_bot
from .objects import GuildState, snowflake
from .server import (
    FakeDiscord,
    FakeDiscordError,
    Fault,
    InteractionResult,
    InteractionTimeout,
    LoggedRequest,
    NotConnected,
    UnknownCommand,
    UnknownOption,
    Violation,
)

__all__ = [
    "SPEC_PATCHES",
    "BotCrashed",
    "BotRun",
    "Contract",
    "FakeDiscord",
    "FakeDiscordError",
    "Fault",
    "GuildState",
    "Heartbeat",
    "InteractionResult",
    "InteractionTimeout",
    "LoggedRequest",
    "NotConnected",
    "Session",
    "UnknownCommand",
    "UnknownOption",
    "Violation",
    "load_contract",
    "message_limit_problems",
    "running_bot",
    "snowflake",
]
