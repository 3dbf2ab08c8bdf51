"""The outbox: the one way anything the bot posts on its own (digests, watchlist alerts, …) reaches Discord.

A producer hands over data; the outbox renders it with the renderer it was given for that producer, and the
producer records the post (messages, nonce seed) in the same transaction as its own record — before anything
is sent. Sending then, for every post:
- posts each message with a nonce derived from the seed and its position, and `enforce_nonce`;
- notes before each POST that the part is going out, and after it the message id (progress per message);
- retries transient failures (5xx, 429, timeouts) a few times at once, then later, with the one jittered
  backoff (`bot.backoff`), for up to a day;
- on a channel that is gone or forbidden, holds the post (and the rest of its lane) with the reason, or gives
  it up, as the producer chooses, and tells the producer (which pauses what it feeds);
- resumes after a restart from the first part not recorded. A part whose POST started but whose answer was
  never recorded is in doubt: within Discord's nonce window the same nonce makes a resend harmless; after it,
  the channel's latest messages are searched for the part's marker (every post carries one) first.
Posts of one lane (a subscription, a server's alerts) go out one at a time, in order.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
import math
import secrets
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from bot import backoff
from bot.clock import Clock, parse_stamp
from bot.errors import DeliveryUnavailable
from bot.models_outbox import OutgoingMessage, Post, carries_marker, make_nonce, with_marker
from bot.services.delivery import (
    ChannelUnavailable,
    Deliverer,
    DeliveryError,
    RejectedMessage,
    TransientDeliveryError,
)
from bot.sharding import ShardScope
from bot.store import outbox as store
from bot.store.db import Database

log = logging.getLogger(__name__)

Outcome = Literal["sent", "retrying", "failed", "paused"]
Renderer = Callable[[Any], Sequence[OutgoingMessage]]

SEND_ATTEMPTS = 3  # per message at once, with a short jittered wait, before the post is retried on a later pass
SEND_BACKOFF_SECONDS = (1.0, 8.0)  # base, cap of the waits between those attempts
RETRY_BACKOFF_MINUTES = (1.0, 60.0)  # base, cap of the waits between later passes
RETRY_WINDOW = dt.timedelta(hours=24)  # after this a transient failure gives up
SEND_CONCURRENCY = 8
# Discord deduplicates a nonce for "a few minutes". A part in doubt for longer than this is looked for in the
# channel before it is sent again; within it, the same nonce does the work.
NONCE_TRUST = dt.timedelta(minutes=2)
RECENT_LIMIT = 100  # how many of the channel's latest messages are searched for a part in doubt


@dataclass
class SendReport:
    """What one sending pass did (a producer's report may add its own counts)."""

    sent: int = 0
    messages: int = 0
    paused: int = 0
    retrying: int = 0
    failed: int = 0
    recovered: int = 0  # parts in doubt found already posted (no second POST)
    errors: list[str] = field(default_factory=list)


class Producer(Protocol):
    """What a producer does when one of its posts is out, or cannot go out (both must be idempotent: a crash
    after the hook and before the outbox records the outcome runs it again)."""

    hold_when_unavailable: bool  # True: keep the post until resumed; False: give it up

    async def on_sent(self, post: Post) -> None:
        """Every message of the post is on Discord."""

    async def on_unavailable(self, post: Post, reason: str) -> None:
        """The channel is gone or forbidden (pause what feeds it)."""


class Outbox:
    """Renders, records (through the producers' stores) and sends every post; one per process."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        renderers: Mapping[str, Renderer],
        *,
        deliverer: Deliverer | None = None,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        concurrency: int = SEND_CONCURRENCY,
    ) -> None:
        self._db = db
        self._clock = clock
        self._renderers = dict(renderers)
        self._producers: dict[str, Producer] = {}
        self.deliverer = deliverer
        self.sleep = sleep
        self.concurrency = concurrency
        self._lanes: dict[str, asyncio.Lock] = {}

    def register(self, name: str, producer: Producer) -> None:
        """Say what to do when a producer's posts go out or cannot."""
        self._producers[name] = producer

    def render(self, producer: str, data: Any) -> tuple[str, list[dict[str, Any]]]:
        """A new nonce seed and the producer's data as stored messages, each with its marker."""
        seed = secrets.token_hex(16)
        messages = self._renderers[producer](data)
        return seed, [with_marker(m.payload(), make_nonce(seed, i)) for i, m in enumerate(messages)]

    def _lock(self, lane: str) -> asyncio.Lock:
        return self._lanes.setdefault(lane, asyncio.Lock())

    # --- Sending --------------------------------------------------------------------------------------------

    async def send_due(
        self, producer: str, report: SendReport | None = None, *, scope: ShardScope | None = None, limit: int = 500
    ) -> SendReport:
        """Send a producer's due posts (of this process's servers): lanes side by side, each lane in order."""
        tally = report if report is not None else SendReport()
        if self.deliverer is None:
            return tally
        posts = await store.due(self._db, producer, self._clock.now(), scope=scope, limit=limit)
        lanes: dict[str, list[Post]] = {}
        for post in posts:
            lanes.setdefault(post.lane, []).append(post)
        gate = asyncio.Semaphore(self.concurrency)

        async def one_lane(items: list[Post]) -> None:
            async with gate:
                for post in items:
                    outcome = await self.send_guarded(post.id, tally, lane=post.lane)
                    if outcome != "sent":
                        return  # later posts of this lane wait: they must not overtake this one

        await asyncio.gather(*(one_lane(items) for items in lanes.values()))
        return tally

    async def send_guarded(self, post_id: int, tally: SendReport, *, lane: str | None = None) -> Outcome | None:
        """send(), counting a missing connection as retrying and logging (not raising) anything unexpected."""
        try:
            return await self.send(post_id, tally, lane=lane)
        except DeliveryUnavailable:
            tally.retrying += 1  # no Discord connection: stays pending for the next pass
        except Exception as exc:  # logged with its traceback; the post stays pending for the next pass
            log.exception("outbox send crashed post=%d", post_id)
            tally.errors.append(f"post {post_id}: {exc.__class__.__name__}")
        return None

    async def send(self, post_id: int, tally: SendReport | None = None, *, lane: str | None = None) -> Outcome:
        """Post a post's messages from where it stopped; return sent, retrying, failed or paused.

        One sender per lane: a pass may pick up a post another caller is still sending (its retries take
        seconds), so the post is (re-)read under the lane's lock (`lane`, when the caller knows it, saves the
        read before) and left alone if it was finished meanwhile or set to be retried later.
        """
        tally = tally if tally is not None else SendReport()
        deliverer = self.deliverer
        if deliverer is None:
            raise DeliveryUnavailable("The bot is not connected to Discord, so nothing can be posted from here.")
        if lane is None:
            first = await store.post_by_id(self._db, post_id)
            if first is None:
                return "failed"
            lane = first.lane
        async with self._lock(lane):
            post = await store.post_by_id(self._db, post_id)
            if post is None or post.status in ("failed",):
                return "failed"
            if post.status in ("sent", "skipped"):
                return "sent"
            if post.status == "held" or post.channel_id is None:
                return "paused"
            retry_at = parse_stamp(post.next_attempt_at)
            if retry_at is not None and retry_at > self._clock.now():
                return "retrying"
            return await self._send_parts(post, post.channel_id, deliverer, tally)

    async def _send_parts(self, post: Post, channel_id: int, deliverer: Deliverer, tally: SendReport) -> Outcome:
        """Under the lane's lock, so what is recorded of the post is what this sender last wrote."""
        message_ids = list(post.message_ids)
        for part in range(post.parts_sent, len(post.payload)):
            nonce = make_nonce(post.nonce_seed, part)
            try:
                message_id = await self._posted_already(post, part, channel_id, deliverer, nonce)
                if message_id is None:
                    if post.sending_part != part:  # the first attempt of this part: from now on it is in doubt
                        await store.begin_part(self._db, post.id, part, self._clock.now())
                    message = OutgoingMessage.from_payload(post.payload[part])
                    message_id = await self._send_with_retries(deliverer, channel_id, message, nonce, post.producer)
                else:
                    tally.recovered += 1
                    log.info("outbox part in doubt found posted post=%d part=%d message=%d", post.id, part, message_id)
            except ChannelUnavailable as exc:
                return await self._unavailable(post, exc, tally)
            except RejectedMessage as exc:
                await store.finish(self._db, post.id, status="failed", now=self._clock.now(), error=exc.reason)
                log.error("outbox message rejected post=%d producer=%s reason=%s", post.id, post.producer, exc.reason)
                tally.failed += 1
                return "failed"
            except TransientDeliveryError as exc:
                return await self._retry_later(post, exc, tally)
            message_ids.append(message_id)
            await store.part_sent(self._db, post.id, part, message_ids, channel_id, self._clock.now())
            tally.messages += 1
        done = dataclasses.replace(
            post,
            channel_id=channel_id,
            parts_sent=len(post.payload),
            message_ids=message_ids,
            sending_part=None,
            sending_at=None,
        )
        producer = self._producers.get(post.producer)
        if producer is not None:
            await producer.on_sent(done)  # before the post is marked sent: a crash in between runs it again
        await store.finish(self._db, post.id, status="sent", now=self._clock.now())
        tally.sent += 1
        log.info(
            "outbox post sent post=%d producer=%s lane=%s messages=%d",
            post.id,
            post.producer,
            post.lane,
            len(post.payload),
        )
        return "sent"

    async def _posted_already(
        self, post: Post, part: int, channel_id: int, deliverer: Deliverer, nonce: str
    ) -> int | None:
        """For a part in doubt longer than Discord's nonce window: the id of our message carrying its marker
        among the channel's latest, if there is one (then it is not posted again)."""
        if post.sending_part != part:
            return None
        started = parse_stamp(post.sending_at)
        if started is None or self._clock.now() - started <= NONCE_TRUST:
            return None
        for message in await deliverer.own_recent(channel_id, RECENT_LIMIT):
            if carries_marker(message, nonce):
                return int(message["id"])
        return None

    async def _send_with_retries(
        self, deliverer: Deliverer, channel_id: int, message: OutgoingMessage, nonce: str, what: str
    ) -> int:
        """Post one message, retrying transient failures a few times with short jittered waits (same nonce)."""
        base, cap = SEND_BACKOFF_SECONDS
        for attempt in range(1, SEND_ATTEMPTS + 1):
            try:
                return await deliverer.send(channel_id, message, nonce)
            except TransientDeliveryError as exc:
                if attempt == SEND_ATTEMPTS:
                    raise
                log.warning("%s send retry channel=%d attempt=%d reason=%s", what, channel_id, attempt, exc.reason)
                await self.sleep(backoff.delay(attempt, base=base, cap=cap))
        raise AssertionError("unreachable")

    async def _unavailable(self, post: Post, exc: ChannelUnavailable, tally: SendReport) -> Outcome:
        now = self._clock.now()
        producer = self._producers.get(post.producer)
        if producer is not None:
            await producer.on_unavailable(post, exc.reason)
        if producer is not None and producer.hold_when_unavailable:
            await store.hold(self._db, post, reason=exc.reason, now=now)
        else:
            await store.finish(self._db, post.id, status="failed", now=now, error=exc.reason)
        log.warning(
            "outbox paused post=%d producer=%s lane=%s channel=%s reason=%s",
            post.id,
            post.producer,
            post.lane,
            post.channel_id,
            exc.reason,
        )
        tally.paused += 1
        return "paused"

    async def _retry_later(self, post: Post, exc: DeliveryError, tally: SendReport) -> Outcome:
        now = self._clock.now()
        created = parse_stamp(post.created_at) or now
        if now - created > RETRY_WINDOW:
            await store.finish(self._db, post.id, status="failed", now=now, error=f"gave up: {exc.reason}")
            log.error(
                "outbox gave up post=%d producer=%s after=%s reason=%s",
                post.id,
                post.producer,
                now - created,
                exc.reason,
            )
            tally.failed += 1
            return "failed"
        base, cap = RETRY_BACKOFF_MINUTES
        wait = backoff.delay(post.attempts + 1, base=base, cap=cap)
        seconds = max(1, math.ceil(wait * 60))  # whole seconds, as stored; never "due at once"
        await store.retry_later(
            self._db, post.id, now=now, error=exc.reason, next_attempt_at=now + dt.timedelta(seconds=seconds)
        )
        log.warning(
            "outbox post will be retried post=%d producer=%s in_seconds=%d reason=%s",
            post.id,
            post.producer,
            seconds,
            exc.reason,
        )
        tally.retrying += 1
        return "retrying"


class SendsThroughOutbox:
    """A producer service's handles on the outbox it posts through: the deliverer (installed by the bot on
    login; None in the terminal) and the sleep between quick retries (tests replace it)."""

    outbox: Outbox

    @property
    def deliverer(self) -> Deliverer | None:
        """The outbox's way to Discord."""
        return self.outbox.deliverer

    @deliverer.setter
    def deliverer(self, value: Deliverer | None) -> None:
        self.outbox.deliverer = value

    @property
    def _sleep(self) -> Callable[[float], Awaitable[object]]:
        return self.outbox.sleep

    @_sleep.setter
    def _sleep(self, value: Callable[[float], Awaitable[object]]) -> None:
        self.outbox.sleep = value
