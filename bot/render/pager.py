"""Previous/Next buttons for answers longer than one page. Only the person who asked can turn the pages."""

from __future__ import annotations

import logging
import secrets
from typing import Any

import discord

from bot.errors import UNKNOWN_INTERACTION
from bot.i18n import label
from bot.render.reply import Reply

log = logging.getLogger(__name__)

PAGER_TIMEOUT_SECONDS = 300.0


class PagerView(discord.ui.View):
    """Buttons that swap the message to the previous or next page of a Reply."""

    def __init__(self, reply: Reply, owner_id: int | None, *, timeout: float = PAGER_TIMEOUT_SECONDS) -> None:
        super().__init__(timeout=timeout)
        self.reply = reply
        self.owner_id = owner_id
        self.index = 0
        self.token = secrets.token_hex(4)
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
