"""Previous/Next buttons for answers longer than one page. Only the person who asked can turn the pages."""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass
from typing import Any

import discord

from bot.errors import UNKNOWN_INTERACTION
from bot.i18n import label
from bot.render.reply import Reply
from bot.tasks import create_task

log = logging.getLogger(__name__)

PAGER_TIMEOUT_SECONDS = 300.0


class PagerView(discord.ui.View):
    """Buttons that swap the message to the previous or next page of a Reply."""

    def __init__(
        self, reply: Reply, owner_id: int | None, *, timeout: float = PAGER_TIMEOUT_SECONDS, token: str | None = None
    ) -> None:
        super().__init__(timeout=timeout)
        self.reply = reply
        self.owner_id = owner_id
        self.index = 0
        self.token = token or secrets.token_hex(4)
        self.interaction: discord.Interaction | None = None
        self.previous_button.custom_id = f"pager:{self.token}:prev"
        self.position_button.custom_id = f"pager:{self.token}:pos"
        self.next_button.custom_id = f"pager:{self.token}:next"
        self.previous_button.label = label("Previous", reply.locale)
        self.next_button.label = label("Next", reply.locale)
        self._sync_buttons()

    def _sync_buttons(self) -> None:
        last = len(self.reply.pages) - 1
        self.previous_button.disabled = self.index <= 0
        self.next_button.disabled = self.index >= last
        self.position_button.label = f"{self.index + 1} / {last + 1}"

    def page_kwargs(self) -> dict[str, Any]:
        """The message fields of the current page."""
        page = self.reply.pages[self.index]
        return {"content": page.content, "embeds": page.embeds}

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """Only the person who asked may turn the pages; others get a quiet note."""
        if self.owner_id is None or interaction.user.id == self.owner_id:
            return True
        await interaction.response.send_message(
            "Only the person who asked can turn these pages. Run the command yourself to browse.",
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )
        return False

    async def _show(self, interaction: discord.Interaction, index: int) -> None:
        shown = self.index
        self.index = max(0, min(index, len(self.reply.pages) - 1))
        self._sync_buttons()
        try:
            await interaction.response.edit_message(
                **self.page_kwargs(), view=self, allowed_mentions=discord.AllowedMentions.none()
            )
        except discord.HTTPException:
            self.index = shown  # the message still shows the old page: stay in step with it
            self._sync_buttons()
            raise

    @discord.ui.button(label="Previous", style=discord.ButtonStyle.secondary)
    async def previous_button(self, interaction: discord.Interaction, _button: discord.ui.Button) -> None:
        """Show the page before this one."""
        await self._show(interaction, self.index - 1)

    @discord.ui.button(label="1 / 1", style=discord.ButtonStyle.secondary, disabled=True)
    async def position_button(self, interaction: discord.Interaction, _button: discord.ui.Button) -> None:
        """A label showing the page number; disabled, never pressed."""
        await interaction.response.defer()

    @discord.ui.button(label="Next", style=discord.ButtonStyle.secondary)
    async def next_button(self, interaction: discord.Interaction, _button: discord.ui.Button) -> None:
        """Show the page after this one."""
        await self._show(interaction, self.index + 1)

    async def on_error(self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any]) -> None:
        """A click Discord no longer knows (it expired: 10062) is dropped quietly; anything else is logged."""
        if isinstance(error, discord.NotFound) and error.code == UNKNOWN_INTERACTION:
            log.info("pager click expired guild=%s", interaction.guild_id)
            return
        log.error("pager click failed guild=%s", interaction.guild_id, exc_info=error)

    async def on_timeout(self) -> None:
        """Grey the buttons out when they stop working."""
        for item in self.children:
            if isinstance(item, discord.ui.Button):
                item.disabled = True
        if self.interaction is not None:
            try:
                await self.interaction.edit_original_response(view=self)
            except discord.HTTPException as exc:
                log.info("pager could not disable its buttons status=%s", exc.status)


def add_links(view: discord.ui.View, reply: Reply) -> discord.ui.View:
    """The reply's link buttons (at most five) on a row of their own."""
    for text, url in reply.links[:5]:
        view.add_item(discord.ui.Button(style=discord.ButtonStyle.link, label=text[:80], url=url, row=1))
    return view


# --- pagers made only when clicked ------------------------------------------------------------------------------
# A kept answer of several pages is sent many times; a PagerView per message (its items, its timeout task) cost
# more than the rest of the answer. Such a message gets the pager's buttons with a token of its own; the token
# is remembered (reply, owner, interaction) and a timer greys the buttons after PAGER_TIMEOUT_SECONDS. The first
# click makes the real PagerView (LazyPagerButton), which then handles that message as any other.

LAZY_SLOT = "LAZYSLOT"  # where a message's token goes in a prepared answer's buttons


@dataclass
class _Waiting:
    reply: Reply
    owner_id: int | None
    interaction: discord.Interaction
    timer: asyncio.TimerHandle


_WAITING: dict[str, _Waiting] = {}


def lazy_components(reply: Reply) -> list[dict[str, Any]]:
    """The first page's buttons (and links) as a PagerView shows them, with LAZY_SLOT in their custom ids."""
    return add_links(PagerView(reply, None, token=LAZY_SLOT), reply).to_components()


def new_lazy_token() -> str:
    """A token for one message's buttons ("k" and 16 hex digits: never a PagerView's own 8)."""
    return "k" + secrets.token_hex(8)


def remember_pager(token: str, reply: Reply, owner_id: int | None, interaction: discord.Interaction) -> None:
    """A message went out with this token's buttons: keep what a click needs until the buttons time out."""
    timer = asyncio.get_running_loop().call_later(PAGER_TIMEOUT_SECONDS, _expire, token)
    _WAITING[token] = _Waiting(reply, owner_id, interaction, timer)


def _expire(token: str) -> None:
    waiting = _WAITING.pop(token, None)
    if waiting is not None:
        create_task(_grey_out(token, waiting), name="pager-timeout")


async def _grey_out(token: str, waiting: _Waiting) -> None:
    """What PagerView.on_timeout does, for a message whose pager was never made."""
    view = PagerView(waiting.reply, waiting.owner_id, token=token)
    add_links(view, waiting.reply)
    view.stop()
    view.interaction = waiting.interaction
    await view.on_timeout()


class LazyPagerButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"pager:(?P<token>k[0-9a-f]{16}):(?P<action>prev|pos|next)",
):
    """A click on a message whose pager was not made yet: make it (with the message's own button ids, so it
    takes the later clicks), then turn the page as PagerView does."""

    def __init__(self, token: str, action: str) -> None:
        super().__init__(discord.ui.Button(custom_id=f"pager:{token}:{action}"))
        self.token = token
        self.action = action

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: Any, /
    ) -> LazyPagerButton:
        """The button from its custom id."""
        return cls(match["token"], match["action"])

    async def callback(self, interaction: discord.Interaction) -> None:
        """Make the pager (the asker only: others get PagerView's quiet note) and show the page asked for."""
        waiting = _WAITING.get(self.token)
        if waiting is None:  # its pager was made by an earlier click and takes this one; or it timed out
            return
        try:
            view = PagerView(waiting.reply, waiting.owner_id, token=self.token)
            add_links(view, waiting.reply)
            view.interaction = waiting.interaction
            if not await view.interaction_check(interaction):
                return
            _WAITING.pop(self.token, None)
            waiting.timer.cancel()
            step = {"prev": -1, "next": 1}.get(self.action, 0)
            await view._show(interaction, view.index + step)  # the message now carries this view's own buttons
        except discord.NotFound as exc:
            if exc.code != UNKNOWN_INTERACTION:
                raise
            log.info("pager click expired guild=%s", interaction.guild_id)
