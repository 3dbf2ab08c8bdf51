"""Previous/Next buttons for answers longer than one page. Only the person who asked can turn the pages."""

from __future__ import annotations

import asyncio
import heapq
import logging
import secrets
from collections import deque
from typing import Any, NamedTuple

import discord
from discord.http import handle_message_parameters
from discord.webhook.async_ import async_context

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
        self.waiting: _Waiting | None = None  # made from a kept answer's message (LazyPagerButton)
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
        _MADE.discard(self.token)
        for item in self.children:
            if isinstance(item, discord.ui.Button):
                item.disabled = True
        try:
            if self.interaction is not None:
                await self.interaction.edit_original_response(view=self)
            elif self.waiting is not None:
                await _edit_original(self.waiting, self)
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
# is remembered until the buttons time out (PAGER_TIMEOUT_SECONDS), and the first click makes the real PagerView
# (LazyPagerButton), which then handles that message as any other. What waits is small and bounded: the Reply
# (shared by every message of that answer), the asker, and what editing the message needs (the interaction's
# token, not the Interaction: that held its whole payload, member and user, ~270 objects per message); one timer
# for all of them; at most MAX_WAITING (the oldest beyond it are forgotten: a click there answers that the pager
# expired and greys its buttons out then).

LAZY_SLOT = "LAZYSLOT"  # where a message's token goes in a prepared answer's buttons
MAX_WAITING = 5000
# Messages whose buttons timed out are greyed out by this many workers, one edit each at a time: answers sent in a
# burst time out together, and a task and a request each at that moment held the event loop against the
# interactions arriving then. An edit the interaction's token no longer allows (15 minutes) is not tried.
GREY_OUT_AT_ONCE = 4
TOKEN_LIFETIME_SECONDS = 15 * 60


class _Waiting(NamedTuple):
    reply: Reply
    owner_id: int | None
    state: Any  # the client's ConnectionState (one for all messages)
    application_id: int
    interaction_token: str
    due: float  # loop time when the buttons time out


_WAITING: dict[str, _Waiting] = {}  # in the order sent
_DUE: list[tuple[float, str]] = []  # a heap of (due, token); entries whose token is gone are skipped
_MADE: set[str] = set()  # tokens whose PagerView was made by a click (it takes the later clicks)
_timer: list[Any] = [None, None]  # [the loop, its TimerHandle for the earliest due]
_TIMED_OUT: deque[tuple[str, _Waiting]] = deque()  # to be greyed out, oldest first
_greyers: set[asyncio.Task[None]] = set()  # the workers doing it (at most GREY_OUT_AT_ONCE)


def lazy_components(reply: Reply) -> list[dict[str, Any]]:
    """The first page's buttons (and links) as a PagerView shows them, with LAZY_SLOT in their custom ids."""
    return add_links(PagerView(reply, None, token=LAZY_SLOT), reply).to_components()


def new_lazy_token() -> str:
    """A token for one message's buttons ("k" and 16 hex digits: never a PagerView's own 8)."""
    return "k" + secrets.token_hex(8)


def remember_pager(token: str, reply: Reply, owner_id: int | None, interaction: discord.Interaction) -> None:
    """A message went out with this token's buttons: keep what a click needs until the buttons time out."""
    loop = asyncio.get_running_loop()
    if _timer[0] is not loop:  # a new event loop (a restarted client in tests): what waited belongs to the old one
        _WAITING.clear()
        _DUE.clear()
        _MADE.clear()
        _TIMED_OUT.clear()
        _greyers.clear()
        _timer[0], _timer[1] = loop, None
    while len(_WAITING) >= MAX_WAITING:
        _WAITING.pop(next(iter(_WAITING)))
    due = loop.time() + PAGER_TIMEOUT_SECONDS
    _WAITING[token] = _Waiting(reply, owner_id, interaction._state, interaction.application_id, interaction.token, due)
    if len(_DUE) > 2 * MAX_WAITING:  # forgotten tokens pile up in the heap: rebuild it from what waits
        _DUE[:] = [(w.due, t) for t, w in _WAITING.items()]
        heapq.heapify(_DUE)
    else:
        heapq.heappush(_DUE, (due, token))
    _arm(loop)


def _arm(loop: asyncio.AbstractEventLoop) -> None:
    """One timer, at the earliest due."""
    if not _DUE:
        return
    handle = _timer[1]
    if handle is not None and not handle.cancelled() and handle.when() <= _DUE[0][0]:
        return
    if handle is not None:
        handle.cancel()
    _timer[1] = loop.call_at(_DUE[0][0], _expire_due)


def _expire_due() -> None:
    loop = asyncio.get_running_loop()
    _timer[1] = None
    now = loop.time()
    while _DUE and _DUE[0][0] <= now:
        due, token = heapq.heappop(_DUE)
        waiting = _WAITING.get(token)
        if waiting is not None and waiting.due == due:
            del _WAITING[token]
            _TIMED_OUT.append((token, waiting))
    while _TIMED_OUT and len(_greyers) < min(GREY_OUT_AT_ONCE, len(_TIMED_OUT)):
        worker = create_task(_grey_out_in_turn(), name="pager-timeouts")
        _greyers.add(worker)
        worker.add_done_callback(_greyers.discard)
    _arm(loop)


async def _grey_out_in_turn() -> None:
    """Grey out timed-out messages one after another until none is left (one of GREY_OUT_AT_ONCE workers)."""
    loop = asyncio.get_running_loop()
    while _TIMED_OUT:
        token, waiting = _TIMED_OUT.popleft()
        sent_at = waiting.due - PAGER_TIMEOUT_SECONDS
        if loop.time() - sent_at >= TOKEN_LIFETIME_SECONDS - 5:
            continue  # too late to edit through the interaction's token: a click will say it expired
        try:
            await _grey_out(token, waiting)
        except Exception as exc:  # one failed edit does not stop the others
            log.warning("pager could not be greyed out cause=%s", type(exc).__name__)


async def _grey_out(token: str, waiting: _Waiting) -> None:
    """What PagerView.on_timeout does, for a message whose pager was never made: its buttons greyed out, edited
    as Interaction.edit_original_response does (from the interaction's token)."""
    view = PagerView(waiting.reply, waiting.owner_id, token=token)
    add_links(view, waiting.reply)
    view.stop()
    view.waiting = waiting
    await view.on_timeout()


async def _edit_original(waiting: _Waiting, view: discord.ui.View) -> None:
    """Interaction.edit_original_response(view=view), from what was kept of the interaction."""
    http = waiting.state.http
    with handle_message_parameters(view=view, previous_allowed_mentions=waiting.state.allowed_mentions) as params:
        await async_context.get().edit_original_interaction_response(
            waiting.application_id,
            waiting.interaction_token,
            session=http._HTTPClient__session,
            proxy=http.proxy,
            proxy_auth=http.proxy_auth,
            payload=params.payload,
            multipart=params.multipart,
            files=params.files,
        )


async def _answer_expired(interaction: discord.Interaction) -> None:
    """A click on buttons whose pager was forgotten: grey them out now, and say why."""
    view = discord.ui.View.from_message(interaction.message, timeout=None) if interaction.message else None
    if view is None:
        return
    view.stop()
    for item in view.children:
        if isinstance(item, discord.ui.Button) and item.url is None:
            item.disabled = True
    await interaction.response.edit_message(view=view)
    await interaction.followup.send("These pages have expired. Run the command again to browse.", ephemeral=True)


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
        try:
            if waiting is None:  # its pager was made by an earlier click and takes this one; or it was forgotten
                if self.token not in _MADE:
                    await _answer_expired(interaction)
                return
            view = PagerView(waiting.reply, waiting.owner_id, token=self.token)
            add_links(view, waiting.reply)
            view.waiting = waiting  # its timeout edits the message through the first interaction's token
            if not await view.interaction_check(interaction):
                return
            _WAITING.pop(self.token, None)
            _MADE.add(self.token)
            step = {"prev": -1, "next": 1}.get(self.action, 0)
            await view._show(interaction, view.index + step)  # the message now carries this view's own buttons
        except discord.NotFound as exc:
            if exc.code != UNKNOWN_INTERACTION:
                raise
            log.info("pager click expired guild=%s", interaction.guild_id)
