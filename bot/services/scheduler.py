"""Digests as a producer: subscriptions, which digests are due, and each period's digest handed to the outbox
exactly once (the schedule itself is bot/services/schedule.py).

For a due subscription the digest is composed, rendered by the outbox, and its delivery record (subscription,
period) written with the outbox post in the same transaction that moves the subscription's next run; the
UNIQUE (subscription, period) check means a period gets one record, ever. The outbox then sends it exactly once
across crashes and restarts (bot/services/outbox.py). After downtime, a subscription whose run time passed gets
ONE catch-up digest (for the latest missed period), covering everything since its previous digest.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import secrets
import time
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.clock import Clock, parse_stamp, stamp
from bot.errors import (
    ChannelNotPostable,
    DeliveryUnavailable,
    InvalidOption,
    NoSubscription,
    UserError,
)
from bot.models_digest import Delivery, Subscription
from bot.models_outbox import Post
from bot.services.digest import Digest, DigestComposer, DigestPost, Snapshot
from bot.services.feeds import FeedService
from bot.services.outbox import SEND_CONCURRENCY, Outbox, SendReport, SendsThroughOutbox
from bot.services.schedule import (
    CADENCES,
    WEEKDAY_NAMES,
    Schedule,
    complete_timezone,
    parse_cadence,
    parse_time,
    parse_weekday,
    resolve_timezone,
)
from bot.sharding import ShardScope
from bot.store import digests as store
from bot.store import feeds as feed_store
from bot.store import lists as list_store
from bot.store.db import Database
from bot.tasks import InFlight

__all__ = [  # the schedule's names, as the answers and tests know them, and the producer's own
    "CADENCES",
    "WEEKDAY_NAMES",
    "DigestScheduler",
    "Preview",
    "RunReport",
    "Schedule",
    "SendResult",
    "SubscribeResult",
    "complete_timezone",
    "parse_cadence",
    "parse_time",
    "parse_weekday",
    "resolve_timezone",
]

log = logging.getLogger(__name__)

MAX_SUBSCRIPTIONS_PER_GUILD = 10
# Digests composed at once in a pass (each is a few round trips to the store; on PostgreSQL they overlap).
COMPOSE_CONCURRENCY = 4
MAX_PASSES = 100  # of `limit` digests each, in one run of the loop (then the loop's next tick goes on)


# --- Results ------------------------------------------------------------------------------------------------


@dataclass
class RunReport(SendReport):
    """What one pass of the scheduler did: what the outbox sent, and the digests started or skipped."""

    started: int = 0
    skipped: int = 0
    already_done: int = 0


@dataclass(frozen=True)
class SubscribeResult:
    """A subscription after /digest subscribe, whether it is new, and what it covers."""

    subscription: Subscription
    created: bool
    feeds: int
    keywords: int


@dataclass(frozen=True)
class SendResult:
    """What /digest send-now posted (or queued for a retry)."""

    channel_id: int
    messages: int
    item_count: int
    change_count: int
    pending: bool


@dataclass(frozen=True)
class Preview:
    """The digest the next run would post, in which zone, and for which subscription (None: a 24-hour look-back)."""

    digest: Digest
    tz: ZoneInfo
    subscription: Subscription | None

    @property
    def would_skip(self) -> bool:
        """True when the digest has nothing new and its subscription does not post empty digests."""
        return self.digest.empty and self.subscription is not None and not self.subscription.post_empty


# --- The scheduler ------------------------------------------------------------------------------------------


class DigestScheduler(SendsThroughOutbox):
    """Subscriptions, due digests, and their delivery through a Deliverer."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        composer: DigestComposer,
        feeds: FeedService,
        outbox: Outbox,
        *,
        concurrency: int = SEND_CONCURRENCY,
    ) -> None:
        self._db = db
        self._clock = clock
        self._composer = composer
        self._feeds = feeds
        self.outbox = outbox
        outbox.register("digest", _DigestPosts(db, clock))
        self._concurrency = concurrency
        self._run_lock = asyncio.Lock()
        self._sub_locks: dict[int, asyncio.Lock] = {}
        # Set by the bot when it runs only some shards: then only those servers' digests are ours to send.
        self.scope: ShardScope | None = None
        # Work in progress (set by open_core): a graceful shutdown waits for a pass that is sending.
        self.work: InFlight | None = None
        # Set by a graceful shutdown: a run finishes the pass it is in and starts no other.
        self.stopping = False

    def _lock(self, subscription_id: int) -> asyncio.Lock:
        return self._sub_locks.setdefault(subscription_id, asyncio.Lock())

    # --- Subscriptions --------------------------------------------------------------------------------------

    async def subscribe(
        self,
        guild_id: int,
        channel_id: int,
        *,
        time_text: str,
        timezone: str,
        cadence: str | None = None,
        weekday: str | None = None,
        post_empty: bool = False,
    ) -> SubscribeResult:
        """Create or change a channel's digest; validation errors name the option and what is wrong."""
        hour, minute = parse_time(time_text)
        zone = resolve_timezone(timezone)
        kind = parse_cadence(cadence)
        day = parse_weekday(weekday)
        if kind == "daily" and day is not None:
            raise InvalidOption("weekday", "a weekday only applies to weekly digests (set cadence to weekly).")
        if kind == "weekly" and day is None:
            day = 0
        schedule = Schedule(kind, hour, minute, ZoneInfo(zone), day)
        now = self._clock.now()
        _day, next_at = schedule.next_after(now)
        existing = await store.guild_subscriptions(self._db, guild_id)
        if len(existing) >= MAX_SUBSCRIPTIONS_PER_GUILD and all(s.channel_id != channel_id for s in existing):
            raise InvalidOption(
                "channel",
                f"a server can have at most {MAX_SUBSCRIPTIONS_PER_GUILD} digests; "
                "stop one with `/digest unsubscribe` first.",
            )
        await self._feeds.ensure_guild(guild_id)
        latest = await list_store.latest_version(self._db)
        sub, created = await store.upsert_subscription(
            self._db,
            guild_id=guild_id,
            channel_id=channel_id,
            cadence=kind,
            local_time=f"{hour:02d}:{minute:02d}",
            timezone=zone,
            weekday=day,
            post_empty=post_empty,
            now=now,
            next_run_at=next_at,
            through_item_id=await feed_store.max_item_id(self._db),
            through_version_id=latest.id if latest else 0,
        )
        log.info(
            "digest subscribed guild=%s channel=%s schedule=%s/%s/%s created=%s",
            guild_id,
            channel_id,
            kind,
            sub.local_time,
            zone,
            created,
        )
        feeds = await self._feeds.guild_feeds(guild_id)
        words = await self._feeds.keywords(guild_id)
        return SubscribeResult(sub, created, len(feeds), len(words))

    async def unsubscribe(self, guild_id: int, channel_id: int) -> None:
        """Stop a channel's digest; NoSubscription if it had none."""
        if not await store.delete_subscription(self._db, guild_id, channel_id):
            raise NoSubscription(f"There is no digest in <#{channel_id}>.")
        log.info("digest unsubscribed guild=%s channel=%s", guild_id, channel_id)

    async def status(self, guild_id: int) -> list[tuple[Subscription, Delivery | None]]:
        """A server's subscriptions with their latest delivery record."""
        subs = await store.guild_subscriptions(self._db, guild_id)
        return [(s, await store.last_delivery(self._db, s.id)) for s in subs]

    async def _subscription(self, guild_id: int, channel_id: int) -> Subscription:
        sub = await store.subscription_for_channel(self._db, guild_id, channel_id)
        if sub is None:
            raise NoSubscription(f"There is no digest in <#{channel_id}>; set one up with `/digest subscribe`.")
        return sub

    # --- Composition ----------------------------------------------------------------------------------------

    async def _record(
        self,
        sub: Subscription,
        digest: Digest,
        period: str,
        payload: list[dict[str, Any]],
        seed: str,
        now: dt.datetime,
        *,
        next_run_at: dt.datetime | None,
        skip: bool = False,
    ) -> Delivery | None:
        """A period's delivery record and outbox post, with the cursors and counts of the digest it carries."""
        return await store.create_delivery(
            self._db,
            subscription=sub,
            period=period,
            payload=payload,
            nonce_seed=seed,
            through_item_id=digest.through_item_id,
            through_version_id=digest.through_version_id,
            item_count=digest.item_count,
            change_count=digest.change_count,
            now=now,
            next_run_at=next_run_at,
            skip=skip,
        )

    async def _compose(self, sub: Subscription, now: dt.datetime, shared: Snapshot | None = None) -> Digest:
        return await self._composer.compose(
            sub.guild_id,
            after_item_id=sub.through_item_id,
            after_version_id=sub.through_version_id,
            now=now,
            since=parse_stamp(sub.last_delivery_at) or parse_stamp(sub.created_at),
            shared=shared,
        )

    async def preview(self, guild_id: int, channel_id: int | None = None, *, refresh: bool = True) -> Preview:
        """What the next digest of a channel (or the server's next one) would post now (feeds refreshed)."""
        if channel_id is not None:
            sub: Subscription | None = await self._subscription(guild_id, channel_id)
        else:
            subs = await store.guild_subscriptions(self._db, guild_id)
            sub = next((s for s in subs if not s.paused), subs[0] if subs else None)
        if refresh:
            await self._feeds.refresh_guild(guild_id)
        now = self._clock.now()
        if sub is not None:
            digest = await self._compose(sub, now)
            tz = ZoneInfo(sub.timezone)
        else:
            after_item, after_version = await self._composer.lookback_cursors(now)
            digest = await self._composer.compose(
                guild_id,
                after_item_id=after_item,
                after_version_id=after_version,
                now=now,
                since=now - dt.timedelta(days=1),
            )
            tz = ZoneInfo("UTC")
        return Preview(digest, tz, sub)

    # --- The loop's work ------------------------------------------------------------------------------------

    async def run_due(self, *, limit: int = 500, passes: int = MAX_PASSES) -> RunReport:
        """Resume deliveries left pending (crash, retry), start the due digests, send them: passes of at most
        `limit` each, one after the other while a pass found a full batch and got somewhere (a backlog of
        10,000 servers does not wait for the loop's next tick 500 at a time), at most `passes` of them.

        Sending starts as soon as a digest is recorded (a few at a time), while the next ones are composed (a
        few at a time too).
        """
        report = RunReport()
        async with self._run_lock, self.work.track() if self.work else contextlib.nullcontext():
            started = time.perf_counter()
            resumed = 0
            for _pass in range(max(1, passes)):
                before = (report.started, report.sent, report.skipped, report.already_done)
                found, full = await self._one_pass(report, limit)
                resumed += found
                progress = before != (report.started, report.sent, report.skipped, report.already_done)
                if not full or not progress or self.stopping:
                    break
            if report.started or resumed:
                log.info(
                    "digests run started=%d resumed=%d sent=%d skipped=%d retrying=%d failed=%d paused=%d ms=%.0f",
                    report.started,
                    resumed,
                    report.sent,
                    report.skipped,
                    report.retrying,
                    report.failed,
                    report.paused,
                    (time.perf_counter() - started) * 1000,
                )
        return report

    async def _one_pass(self, report: RunReport, limit: int) -> tuple[int, bool]:
        """One pass: (how many pending deliveries it resumed, whether either batch was full)."""
        now = self._clock.now()
        gate = asyncio.Semaphore(self._concurrency)
        pending = await store.pending_deliveries(self._db, now, limit, self.scope)  # resumed after a crash
        sending = [asyncio.ensure_future(self._send_one(d, gate, report)) for d in pending]
        due = await store.due_subscriptions(self._db, now, limit, self.scope)
        shared = await self._composer.snapshot() if due else None  # what every digest of this pass reads alike
        composing = asyncio.Semaphore(COMPOSE_CONCURRENCY)

        async def start_and_send(sub: Subscription) -> None:
            async with composing:
                try:
                    delivery = await self._start(sub, now, report, shared)
                except Exception as exc:  # one broken subscription must not stop the others
                    log.exception("digest could not start subscription=%d", sub.id)
                    report.errors.append(f"subscription {sub.id}: {exc.__class__.__name__}")
                    return
            if delivery is not None and delivery.status == "pending":
                await self._send_one(delivery, gate, report)

        sending.extend(asyncio.ensure_future(start_and_send(sub)) for sub in due)
        if sending:
            await asyncio.gather(*sending)
        return len(pending), len(pending) >= limit or len(due) >= limit

    async def _send_one(self, delivery: Delivery, gate: asyncio.Semaphore, report: RunReport) -> None:
        async with gate:
            if self.deliverer is None:
                report.retrying += 1  # no Discord connection: stays pending for the next pass
                return
            await self.outbox.send_guarded(delivery.outbox_id, report, lane=delivery.post.lane)

    async def _start(
        self, sub: Subscription, now: dt.datetime, report: RunReport, shared: Snapshot | None = None
    ) -> Delivery | None:
        """Compose the due digest and write its delivery record (and the next run time) before any send."""
        async with self._lock(sub.id):
            # Re-read under the lock: a /digest send-now may have moved the cursors or be in flight.
            fresh = await store.startable_subscription(self._db, sub.id)
            if fresh is None:
                return None
            sub = fresh
            try:
                schedule = Schedule.of(sub)
            except (InvalidOption, ZoneInfoNotFoundError, ValueError) as exc:  # e.g. a zone tzdata dropped
                reason = f"its schedule is no longer valid ({sub.local_time} {sub.timezone}: {exc})"
                await store.pause_subscription(self._db, sub.id, reason=reason, now=now)
                report.paused += 1
                return None
            _next_day, next_at = schedule.next_after(now)
            latest = schedule.latest_at_or_before(now)
            if latest is None:  # cannot happen for a due subscription; reschedule rather than loop on it
                await store.reschedule(self._db, sub.id, next_at)
                return None
            period = latest[0].isoformat()
            digest = await self._compose(sub, now, shared)
            skip = digest.empty and not sub.post_empty
            seed, payload = self.outbox.render("digest", DigestPost(digest, schedule.tz)) if not skip else ("", [])
            delivery = await self._record(
                sub, digest, period, payload, seed or secrets.token_hex(16), now, next_run_at=next_at, skip=skip
            )
        if delivery is None:
            report.already_done += 1
            log.info("digest period already delivered subscription=%d period=%s", sub.id, period)
            return None
        report.started += 1
        if skip:
            report.skipped += 1
            log.info("digest skipped (nothing new) subscription=%d period=%s", sub.id, period)
        return delivery

    async def deliver(self, delivery: Delivery, report: RunReport | None = None) -> str:
        """Post a delivery's messages (through the outbox) from where it stopped; return sent, retrying, failed
        or paused."""
        return await self.outbox.send(delivery.outbox_id, report if report is not None else RunReport())

    async def about(self) -> list[tuple[str, str]]:
        """The /about section: how many feeds and digests, and how many are failing or paused."""
        feeds, failing = await feed_store.feed_counts(self._db)
        subs, paused = await store.subscription_counts(self._db)
        text = f"{feeds} feed(s) followed, {failing} failing · {subs} digest(s), {paused} paused"
        return [("News digests", text)]

    # --- /digest send-now -----------------------------------------------------------------------------------

    async def send_now(self, guild_id: int, channel_id: int) -> SendResult:
        """Post a channel's digest now (feeds refreshed first); the next scheduled one covers what follows."""
        sub = await self._subscription(guild_id, channel_id)
        if self.deliverer is None:
            raise DeliveryUnavailable("The bot is not connected to Discord, so nothing can be posted from here.")
        busy = UserError(f"A digest for <#{channel_id}> is still being delivered; see `/digest status`.")
        if await store.has_pending_delivery(self._db, sub.id):
            raise busy
        await self._feeds.refresh_guild(guild_id)
        async with self._lock(sub.id):
            now = self._clock.now()
            sub = await self._subscription(guild_id, channel_id)
            if await store.has_pending_delivery(self._db, sub.id):  # a scheduled one started meanwhile
                raise busy
            digest = await self._compose(sub, now)
            seed, payload = self.outbox.render("digest", DigestPost(digest, ZoneInfo(sub.timezone)))
            delivery = await self._record(sub, digest, f"manual:{stamp(now)}", payload, seed, now, next_run_at=None)
        if delivery is None:
            raise UserError("A digest was just sent to that channel; try again in a second.")
        outcome = await self.deliver(delivery)
        if outcome == "paused":
            refreshed = await store.delivery_by_id(self._db, delivery.id)
            reason = refreshed.last_error if refreshed else "Discord refused"
            raise ChannelNotPostable(
                f"I cannot post in <#{channel_id}>: {reason}. The digest there is paused until this is "
                "fixed and "
                "`/digest subscribe` is run for the channel again."
            )
        if outcome == "failed":
            raise ChannelNotPostable(f"Discord refused the digest for <#{channel_id}>; see `/digest status`.")
        if outcome == "sent" and sub.paused:
            _day, next_at = Schedule.of(sub).next_after(self._clock.now())
            await store.resume_subscription(self._db, sub.id, next_run_at=next_at)
        return SendResult(channel_id, len(payload), digest.item_count, digest.change_count, outcome == "retrying")


class _DigestPosts:
    """What the outbox does for digests: a sent one moves its subscription's cursors; a channel that is gone or
    forbidden pauses the subscription and gives the digest up (its news go into the next one)."""

    hold_when_unavailable = False

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def on_sent(self, post: Post) -> None:
        """Move the subscription's cursors past what the digest covered."""
        delivery = await store.delivery_of_post(self._db, post.id)
        if delivery is not None:
            await store.complete_delivery(self._db, delivery)
            log.info(
                "digest sent subscription=%d period=%s messages=%d items=%d changes=%d",
                delivery.subscription_id,
                delivery.period,
                len(delivery.payload),
                delivery.item_count,
                delivery.change_count,
            )

    async def on_unavailable(self, post: Post, reason: str) -> None:
        """Pause the subscription with the reason (`/digest subscribe` resumes it)."""
        delivery = await store.delivery_of_post(self._db, post.id)
        if delivery is not None:
            await store.pause_subscription(self._db, delivery.subscription_id, reason=reason, now=self._clock.now())
            log.warning("digest paused subscription=%d reason=%s", delivery.subscription_id, reason)
