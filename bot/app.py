"""The Discord side: the Bot (its core given in __init__, cogs loaded in setup_hook) and the tree's error handler."""

from __future__ import annotations

import asyncio
import functools
import gc
import hashlib
import importlib
import json
import logging
import time
import weakref
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

import discord
import yarl
from discord import app_commands
from discord.ext import commands, tasks

from bot.answers.cache import Kept, kept, pending
from bot.answers.context import AnswerContext, answer_of
from bot.cooldowns import Cooldowns
from bot.core import Core
from bot.errors import UNKNOWN_INTERACTION, SanctionsBotError, UserError
from bot.gateway_yield import yield_between_events
from bot.i18n import SanctionsTranslator
from bot.interaction_data import command_path, malformed_options
from bot.models import CommandInfo
from bot.options import check_value
from bot.render.common import error_reply, with_note
from bot.render.localise import localise_reply
from bot.render.pager import LazyPagerButton
from bot.respond import NO_MENTIONS, Prepared, prepare, send_prepared, send_reply
from bot.services.delivery import DiscordDeliverer
from bot.settings import Settings
from bot.sharding import scope_from_settings
from bot.store import meta
from bot.tasks import LoopHealth, create_task, error_reference

log = logging.getLogger(__name__)

EXTENSIONS = (
    "cogs.about",
    "cogs.sanctions",
    "cogs.list_sync",
    "cogs.committee",
    "cogs.statement",
    "cogs.admin",
    "cogs.feeds",
    "cogs.digest",
    "cogs.watch",
    "cogs.guilds",
)


def apply_discord_endpoints(settings: Settings) -> None:
    """Point discord.py at DISCORD_API_BASE / DISCORD_GATEWAY_URL when set (proxies, the local test Discord)."""
    if settings.discord_api_base:
        discord.http.Route.BASE = settings.discord_api_base
    if settings.discord_gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


def discord_api_base() -> str:
    """The REST base discord.py uses (after apply_discord_endpoints)."""
    return str(discord.http.Route.BASE)


# Discord wants an interaction acknowledged within 3 s of its creation; an answer not ready by then is deferred.
DEFER_AFTER_SECONDS = 2.0
# Answers worked out concurrently; more at once only interleave CPU work on the one event loop.
ANSWERS_AT_ONCE = 4
INTERACTION_LIFETIME_SECONDS = 3.0
# An interaction is dropped unanswered only when older than its lifetime plus this margin (the host's clock
# offset from Discord's is known to about a second; between 3 and 4 s the answer is tried, and a 10062 is quiet).
LATE_MARGIN_SECONDS = 1.0
# Kept answers ready to send, as Discord receives them (per answer-cache key and freshness warning).
MAX_PREPARED = 256


def interaction_age(interaction: discord.Interaction) -> float:
    """Seconds since Discord created the interaction, by Discord's clock (this host's offset from it taken off)."""
    elapsed = (discord.utils.utcnow() - interaction.created_at).total_seconds()
    return elapsed - getattr(interaction.client, "clock_offset", 0.0)


def seconds_before_defer(interaction: discord.Interaction) -> float:
    """How long an answer may still take before it must be deferred (counted from the interaction's creation)."""
    elapsed = interaction_age(interaction)
    if not 0 <= elapsed < 60:  # a clock far off: count from now instead
        return DEFER_AFTER_SECONDS
    return max(0.0, DEFER_AFTER_SECONDS - elapsed)


def command_index(tree: app_commands.CommandTree) -> list[CommandInfo]:
    """Every leaf command of the tree, by path, with its options: what /help and the terminal list."""
    out: list[CommandInfo] = []

    def walk(item: app_commands.Command | app_commands.Group) -> None:
        if isinstance(item, app_commands.Group):
            for child in item.commands:
                walk(child)
            return
        options = tuple((p.display_name, p.description, p.required) for p in item.parameters)
        out.append(CommandInfo(item.qualified_name, item.description, options))

    for top in tree.get_commands():
        if isinstance(top, app_commands.Command | app_commands.Group):
            walk(top)
    return sorted(out, key=lambda c: c.path)


_PARAMETERS: weakref.WeakKeyDictionary[app_commands.Command, dict[str, app_commands.Parameter]] = (
    weakref.WeakKeyDictionary()
)


def _parameters(command: app_commands.Command) -> dict[str, app_commands.Parameter]:
    """A command's parameters by name (discord.py builds new Parameter objects on every `.parameters`)."""
    found = _PARAMETERS.get(command)
    if found is None:
        found = _PARAMETERS[command] = {p.name: p for p in command.parameters}
    return found


@functools.lru_cache(maxsize=128)
def _refusal(message: str) -> Prepared:
    """A cooldown's answer, built once per wording (a flood from one user gets thousands of them)."""
    return prepare(error_reply(message))


class SanctionsTree(app_commands.CommandTree["SanctionsBot"]):
    """The command tree, with the one error handler every command shares."""

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        """Refuse work while shutting down, interactions too old to answer, commands over their rate limit, and
        forged payloads that would crash discord.py's option parsing."""
        elapsed = interaction_age(interaction)
        if INTERACTION_LIFETIME_SECONDS + LATE_MARGIN_SECONDS <= elapsed < 60:  # (a clock far off: not "late")
            # Discord no longer takes an answer (a stalled loop, a backlog): drop it quietly, do no work for it.
            log.info("interaction expired before it was handled guild=%s age_s=%.1f", interaction.guild_id, elapsed)
            return False
        if not self.client.accepting:
            if interaction.type is discord.InteractionType.autocomplete:
                await interaction.response.autocomplete([])
            else:
                await send_reply(interaction, error_reply("The bot is restarting; please try again in a minute."))
            return False
        problem = malformed_options(interaction.data)
        if problem is None:
            return await self._within_limits(interaction)
        log.info("interaction refused guild=%s reason=%s", interaction.guild_id, problem)
        if interaction.type is discord.InteractionType.autocomplete:
            await interaction.response.autocomplete([])
        else:
            await send_reply(interaction, error_reply(f"That did not arrive intact: {problem}."))
        return False

    async def _within_limits(self, interaction: discord.Interaction) -> bool:
        """Per-user and per-server command limits (bot.cooldowns); over them, an ephemeral "try again in N s"."""
        cooldowns = self.client.cooldowns
        user_id = interaction.user.id if interaction.user else 0
        if interaction.type is discord.InteractionType.autocomplete:
            if cooldowns.check_autocomplete(user_id):
                return True
            await interaction.response.autocomplete([])
            return False
        command = command_path(interaction.data)
        refusal = cooldowns.check_command(command, user_id, interaction.guild_id)
        if refusal is None:
            return True
        log.info(
            "command refused command=%s guild=%s user=%s reason=cooldown scope=%s retry_s=%d",
            command,
            interaction.guild_id,
            user_id,
            refusal.scope,
            refusal.retry_after,
        )
        try:
            await send_prepared(interaction, _refusal(refusal.message))
        except discord.HTTPException as exc:  # expired meanwhile, or Discord busy: the refusal stands anyway
            log.info("could not deliver a cooldown note command=%s status=%s", command, exc.status)
        return False

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        """User mistakes get their own message; anything unexpected gets a reference and a logged traceback."""
        original = getattr(error, "original", error)
        command = interaction.command.qualified_name if interaction.command else "?"
        if isinstance(original, discord.NotFound) and original.code == UNKNOWN_INTERACTION:
            # Too late to answer (Discord forgot the interaction): nothing to tell anyone, and no crash.
            log.info("interaction expired before the answer command=%s guild=%s", command, interaction.guild_id)
            return
        if isinstance(original, UserError):
            message = original.message
            log.info(
                "command refused command=%s guild=%s reason=%s",
                command,
                interaction.guild_id,
                type(original).__name__,
            )
        elif isinstance(original, SanctionsBotError):
            message = original.message
            log.warning("command failed command=%s guild=%s error=%s", command, interaction.guild_id, original.message)
        elif isinstance(error, app_commands.MissingPermissions):
            message = "You need the Manage Server permission to use this command."
        elif isinstance(error, app_commands.NoPrivateMessage):
            message = "This command only works in a server."
        elif isinstance(error, app_commands.CheckFailure):
            message = "You cannot use this command here."
        elif isinstance(error, app_commands.TransformerError):
            message = f"That value is not a valid {error.type.name.replace('_', ' ')}."
        elif isinstance(error, app_commands.CommandNotFound | app_commands.CommandSignatureMismatch):
            message = "This command is out of date on Discord's side; try again in a minute."
        else:
            reference = error_reference()
            log.error(
                "command crashed command=%s guild=%s reference=%s",
                command,
                interaction.guild_id,
                reference,
                exc_info=original,
            )
            message = f"Something went wrong (reference {reference}). The maintainers can look it up in the logs."
        try:
            await send_reply(interaction, localise_reply(error_reply(message), str(interaction.locale)))
        except discord.HTTPException as exc:
            log.warning("could not deliver an error message command=%s status=%s", command, exc.status)


# We never join voice: do not warn about the voice libraries we deliberately do not install.
discord.VoiceClient.warn_nacl = False
discord.VoiceClient.warn_dave = False


class SanctionsBot(commands.AutoShardedBot):
    """The bot: a Core plus the cogs that adapt it to slash commands.

    Always an AutoShardedBot: with SHARD_COUNT unset it runs as many shards as Discord recommends (one for a
    small bot); with SHARD_COUNT and SHARD_IDS it runs those shards only, and background work (digests, alerts)
    is limited to their servers so several processes never send the same thing twice.
    """

    def __init__(
        self,
        core: Core,
        *,
        extensions: tuple[str, ...] = EXTENSIONS,
        run_background: bool = True,
        **options: Any,
    ) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        settings = core.settings
        if settings.shard_count is not None:
            options.setdefault("shard_count", settings.shard_count)
            if settings.shard_ids is not None:
                options.setdefault("shard_ids", list(settings.shard_ids))
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            allowed_mentions=NO_MENTIONS,
            tree_cls=SanctionsTree,
            help_command=None,
            owner_ids=set(core.settings.owner_ids) or None,
            **options,
        )
        self.core = core
        self.scope = scope_from_settings(settings.shard_count, settings.shard_ids)
        self.started = False  # set on login; the terminal's bot never logs in
        self.accepting = True  # False once shutdown() begins: new commands get a "restarting" note
        self.extension_names = extensions
        self.run_background = run_background
        # Answers worked out at once. In a burst the rest are acknowledged first (a deferral costs little) and
        # answered in turn, so the loop never holds a thousand answers half-done while acknowledgements wait.
        self._answering = asyncio.Semaphore(ANSWERS_AT_ONCE)
        self.cooldowns = Cooldowns(settings.commands_per_minute)
        # Kept answers as sent (bot/respond.Prepared), so a repeated question costs one request and no rebuilding.
        # Keyed like the answer cache, plus the freshness warning.
        self._prepared: OrderedDict[Hashable, Prepared] = OrderedDict()
        self.clock_offset = 0.0  # seconds this host's clock is ahead of Discord's (measured at login by `run`)

    async def load_cogs(self) -> None:
        """Load every extension (also used by the terminal, which never logs in)."""
        if self.tree.translator is None:
            await self.tree.set_translator(SanctionsTranslator())  # Korean names and labels (bot/i18n)
        for name in self.extension_names:
            await self.load_extension(name)
        self.core.command_index = command_index(self.tree)

    async def setup_hook(self) -> None:
        """On login (never in the terminal): post digests through this client, for this process's shards only;
        load the cogs; sync slash commands if they changed since the last sync."""
        self.started = True
        deliverer = DiscordDeliverer(self)
        self.core.digests.deliverer = deliverer
        self.core.digests.scope = self.scope
        self.core.watches.deliverer = deliverer  # watchlist alerts: the same client, the same shard scope
        self.core.watches.scope = self.scope
        await self.load_cogs()
        self.add_dynamic_items(LazyPagerButton)  # clicks on kept answers' pagers (bot/render/pager.py)
        yield_between_events()  # a burst of buffered gateway events no longer holds the loop (bot/gateway_yield)
        # matplotlib is loaded lazily (the terminal needs it for one command only); the bot loads it now, in a
        # worker thread, so that its first /sanctions timeline does not pay the second it takes.
        create_task(asyncio.to_thread(importlib.import_module, "bot.render.chart"), name="load-charts")
        await self.sync_commands()

    @property
    def loop_health(self) -> LoopHealth:
        """The state of every guarded background loop (bot.tasks.guarded), shown in /about."""
        return self.core.loops

    def background_loops(self) -> list[tasks.Loop[Any]]:
        """Every discord.ext.tasks loop of the loaded cogs."""
        loops = []
        for cog in self.cogs.values():
            for name in dir(cog):
                attr = getattr(cog, name, None)
                if isinstance(attr, tasks.Loop):
                    loops.append(attr)
        return loops

    @property
    def in_flight(self) -> int:
        """Answers and deliveries in progress right now."""
        return self.core.work.count

    async def shutdown(self, grace: float = 20.0) -> None:
        """Stop taking new work, let answers and deliveries in progress finish (at most `grace` s), then close."""
        self.accepting = False
        self.core.digests.stopping = True  # a digest run in progress ends with its current pass
        loops = self.background_loops()
        for loop in loops:
            loop.stop()  # no new pass starts; a pass in progress (a digest being sent) is tracked in core.work
        log.info("shutting down in_flight=%d loops=%d grace_s=%.0f", self.in_flight, len(loops), grace)
        if not await self.core.work.wait_idle(grace):
            log.warning("shutdown grace period over; %d piece(s) of work cut short", self.in_flight)
        for loop in loops:
            loop.cancel()  # the loops now only sleep until their next pass: end them
        await self.close()

    async def close(self) -> None:
        """Stop posting through this client, then close it (a bot that never logged in has nothing to close)."""
        if not self.started:
            return
        if getattr(self.core.digests.deliverer, "_client", None) is self:
            self.core.digests.deliverer = None
        if getattr(self.core.watches.deliverer, "_client", None) is self:
            self.core.watches.deliverer = None
        await super().close()

    def command_payloads(self, guild: discord.abc.Snowflake | None = None) -> list[dict[str, Any]]:
        """The command definitions as Discord receives them."""
        return [cmd.to_dict(self.tree) for cmd in self.tree.get_commands(guild=guild)]

    async def sync_commands(self, *, force: bool = False) -> bool:
        """Sync commands to DEV_GUILD_ID (instant) or globally, unless unchanged since the last sync; True if synced."""
        guild_id = self.core.settings.dev_guild_id
        guild = discord.Object(id=guild_id) if guild_id else None
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        payload: list[Any]
        if self.tree.translator is not None:  # localisations are part of what Discord receives
            payload = [
                await c.get_translated_payload(self.tree, self.tree.translator)
                for c in self.tree.get_commands(guild=guild)
            ]
        else:
            payload = self.command_payloads(guild)
        digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
        key = f"commands_synced:{guild_id or 'global'}:{self.application_id}"
        if not force and await meta.get(self.core.db, key) == digest:
            log.info("commands unchanged since last sync scope=%s", guild_id or "global")
            return False
        synced = await self.tree.sync(guild=guild)
        await meta.set(self.core.db, key, digest)
        log.info("commands synced scope=%s count=%d", guild_id or "global", len(synced))
        return True

    async def context_for(self, interaction: discord.Interaction) -> AnswerContext:
        """The answer context of an interaction: who, where, and what they may do."""
        user = interaction.user
        permissions = interaction.permissions
        return AnswerContext(
            core=self.core,
            user_id=user.id if user else None,
            guild_id=interaction.guild_id,
            channel_id=interaction.channel_id,
            is_owner=await self.is_owner(user) if user else False,
            can_manage_guild=bool(interaction.guild_id and permissions.manage_guild),
            locale=str(interaction.locale),
            application_id=interaction.application_id,
        )

    @staticmethod
    def checked_options(command: app_commands.Command, options: dict[str, Any]) -> dict[str, Any]:
        """Option values as primitives (objects become ids), each checked against its declared type and limits."""
        params = _parameters(command)
        out: dict[str, Any] = {}
        for name, value in options.items():
            # (primitives first: Snowflake is a runtime-checked Protocol, dozens of microseconds per isinstance)
            if not isinstance(value, str | int | float | None) and isinstance(value, discord.abc.Snowflake):
                value = value.id
            out[name] = check_value(params[name], value) if name in params else value
        return out

    async def _defer(self, interaction: discord.Interaction, command: app_commands.Command, why: str) -> None:
        """Acknowledge the interaction with "thinking…" (the answer follows), unless it already is."""
        if not interaction.response.is_done():
            await interaction.response.defer(thinking=True)
            interaction.extras["deferred_ephemeral"] = False
            log.info("answer deferred command=%s guild=%s why=%s", command.qualified_name, interaction.guild_id, why)

    async def answer(self, interaction: discord.Interaction, **options: Any) -> None:
        """Run the command's answer function with these options and send what it returns."""
        started = time.perf_counter()
        command = interaction.command
        if not isinstance(command, app_commands.Command):
            raise RuntimeError(f"answer() called outside a slash command: {command!r}")
        fn = answer_of(command.extras)
        if fn is None:
            raise RuntimeError(f"command {command.qualified_name!r} declares no answer function")
        outcome = "error"
        try:
            async with self.core.work.track():
                ctx = await self.context_for(interaction)
                values = self.checked_options(command, options)
                ready = kept(fn, ctx, values)
                waiting = None if ready is not None else pending(fn, ctx, values)
                if waiting is not None:
                    # The same question is being worked out (a burst): wait for that, holding no answer slot.
                    try:
                        await asyncio.wait_for(asyncio.shield(waiting), timeout=seconds_before_defer(interaction))
                    except TimeoutError:
                        await self._defer(interaction, command, "slow")
                        await asyncio.shield(waiting)
                    ready = kept(fn, ctx, values)
                if ready is not None:
                    # Answered before: no work, no wait for a slot, no deferral; one request, built once.
                    await self._send_kept(interaction, ctx, ready)
                    outcome = "ok"
                    return
                if self._answering.locked():
                    # A burst: acknowledge first (before even the caller's context), answer when a slot frees up.
                    await self._defer(interaction, command, "busy")
                await self._answering.acquire()
                holding = True
                try:
                    work = asyncio.ensure_future(fn(ctx, **values))
                    try:
                        await asyncio.wait_for(asyncio.shield(work), timeout=seconds_before_defer(interaction))
                    except TimeoutError:
                        # Slow (waiting on the network, or big): its slot goes to the next answer; acknowledge
                        # before Discord's 3 s run out, and answer when it is ready.
                        self._answering.release()
                        holding = False
                        await self._defer(interaction, command, "slow")
                    reply = localise_reply(await work, ctx.locale)  # fixed labels in the user's language
                finally:
                    if holding:
                        self._answering.release()
                await send_reply(interaction, reply)
            outcome = "ok"
        except UserError:
            outcome = "refused"
            raise
        finally:
            log.info(
                "command=%s guild=%s user=%s outcome=%s ms=%.1f",
                command.qualified_name,
                interaction.guild_id,
                interaction.user.id if interaction.user else None,
                outcome,
                (time.perf_counter() - started) * 1000,
            )

    async def _send_kept(self, interaction: discord.Interaction, ctx: AnswerContext, ready: Kept) -> None:
        """Send a kept answer: with its freshness warning, in the reader's language, prepared once per key."""
        note = await ctx.freshness_note() if ready.wants_fresh else None
        key = (ready.key, note)
        prepared = self._prepared.get(key)
        if prepared is None:
            prepared = prepare(localise_reply(with_note(ready.reply, note), ctx.locale))
            self._prepared[key] = prepared
            while len(self._prepared) > MAX_PREPARED:
                self._prepared.popitem(last=False)
        else:
            self._prepared.move_to_end(key)
        await send_prepared(interaction, prepared)

    async def on_ready(self) -> None:
        """Log who we are once connected; freeze what start-up loaded.

        The core's data and indexes are built and the cogs loaded: gc.freeze() moves all of it out of the cyclic
        collector's passes, so a full collection no longer walks it (up to 390 ms of stalled loop). bot/memory.py
        does the same after each index rebuild. It is still freed by reference counting when replaced.
        """
        gc.freeze()
        log.info("connected user=%s guilds=%d", self.user, len(self.guilds))
