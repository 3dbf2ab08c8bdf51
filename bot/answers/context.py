"""Who is asking, where, and with which core: what every answer function receives."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.core import Core
from bot.errors import GuildOnly, NotPermitted
from bot.render.common import freshness_note, with_note
from bot.render.reply import Reply


@dataclass(frozen=True)
class AnswerContext:
    """The caller of one command: user, server, channel and what they may do."""

    core: Core
    user_id: int | None = None
    guild_id: int | None = None
    channel_id: int | None = None
    is_owner: bool = False
    can_manage_guild: bool = False
    locale: str = "en-US"
    application_id: int | None = None  # the bot's application on Discord (unknown in the terminal)

    @property
    def now(self) -> dt.datetime:
        """The core's clock."""
        return self.core.clock.now()

    async def fresh(self, reply: Reply) -> Reply:
        """A "now" answer with a warning when the latest list is stale or the last sync failed."""
        return with_note(reply, await self.freshness_note())

    async def freshness_note(self) -> str | None:
        """The warning a "now" answer carries (stale list, failing sync), if any."""
        if self.core.lists.version is None:
            return None
        return freshness_note(await self.core.lists.freshness(self.now, self.core.settings.list_max_age_hours))

    def require_guild(self) -> int:
        """The server id, or GuildOnly."""
        if self.guild_id is None:
            raise GuildOnly()
        return self.guild_id

    def require_owner(self) -> None:
        """Raise NotPermitted unless the caller is a bot owner."""
        if not self.is_owner:
            raise NotPermitted("Only the bot's owners can use this command.")

    def require_manager(self) -> int:
        """The server id, if the caller has Manage Server there; else NotPermitted (or GuildOnly).

        Bot owners get no bypass: owning the bot gives no say over someone else's server."""
        guild_id = self.require_guild()
        if not self.can_manage_guild:
            raise NotPermitted("You need the Manage Server permission to use this command.")
        return guild_id


Answer = Callable[..., Awaitable[Reply]]
Completer = Callable[[AnswerContext, str], Awaitable[list[tuple[str, str]]]]


def answer_of(extras: dict[str, Any]) -> Answer | None:
    """The answer function a command declared in its extras, if any."""
    fn = extras.get("answer")
    return fn if callable(fn) else None
